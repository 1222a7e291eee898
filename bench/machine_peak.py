"""How far a network is from this machine's limit: its floating-point operations (TensorFlow's
profiler over the frozen graph, a multiply-add counted as two) and the machine's measured
matrix-product rate in TensorFlow, for the benchmarks' "% of peak" columns.

Run: .venv/bin/python bench/machine_peak.py  (prints the matrix-product rates and the CPU)
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from tensorflow.python.framework.convert_to_constants import (  # noqa: E402
    convert_variables_to_constants_v2)

from nnet.precision import describe_cpu  # noqa: E402


def network_gflop(model, height: int, width: int) -> float:
    """Billions of floating-point operations of one forward pass of a Keras ``model`` on a
    (1, height, width, 3) image."""
    function = tf.function(lambda image: model(image, training=False)).get_concrete_function(
        tf.TensorSpec([1, height, width, 3], tf.float32))
    graph = convert_variables_to_constants_v2(function).graph
    options = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    return tf.compat.v1.profiler.profile(graph, options=options).total_float_ops / 1e9


def matmul_peak_gflops(dtype: str = "float32", size: int = 4096, repeats: int = 7) -> float:
    """The best GFLOP/s of a size x size matrix product in TensorFlow on every core it uses:
    the rate a network's convolutions can at best approach."""
    a = tf.constant(np.random.default_rng(0).standard_normal((size, size)), dtype)
    b = tf.constant(np.random.default_rng(1).standard_normal((size, size)), dtype)
    product = tf.function(lambda x, y: tf.linalg.matmul(x, y))
    product(a, b).numpy()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        product(a, b).numpy()
        times.append(time.perf_counter() - start)
    return 2.0 * size ** 3 / min(times) / 1e9


def main():
    for dtype in ("float32", "bfloat16"):
        print(f"{dtype} matrix product (4096x4096): {matmul_peak_gflops(dtype):.0f} GFLOP/s")
    print(describe_cpu())


if __name__ == "__main__":
    main()
