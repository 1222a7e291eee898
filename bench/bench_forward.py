"""Forward time of PoseNet per backbone and precision at 480x640, as a table.

Median of --repeats runs after a warm-up, one image, on every core TensorFlow sees. The CPU's
model and the flags that decide the speed (AVX2, AVX-512, native bfloat16) head the table, and
the precision that `precision: auto` picks on this CPU is marked: figures from another CPU do not
carry over. Ratios are between rows of the same run.
Run: .venv/bin/python bench/bench_forward.py [--size 480 640] [--nets resnet_101 ...]
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from posecut.logs import setup_logging, start_tensorflow  # noqa: E402

setup_logging()
start_tensorflow()

import numpy as np  # noqa: E402

from nnet.pose_net import build_pose_net, fold_batchnorm, spec_from_config  # noqa: E402
from nnet.precision import choose_precision, cpu_flags, describe_cpu, gpu_visible  # noqa: E402
from nnet.predict import compile_forward  # noqa: E402
from posecut.config import config_from_dict  # noqa: E402


def time_forward(spec, image, repeats, fold):
    """Median seconds of one compiled forward pass."""
    model = build_pose_net(spec)
    if fold:
        model = fold_batchnorm(model, spec)
    forward = compile_forward(model)
    forward(image)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        out = forward(image)
        np.asarray(out["part_prob"])
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, nargs=2, default=(480, 640), metavar=("H", "W"))
    parser.add_argument("--nets", nargs="+",
                        default=["resnet_101", "resnet_50", "mobilenet_v2_1.0", "mobilenet_v2_0.5"])
    parser.add_argument("--precisions", nargs="+", default=["float32", "bfloat16"],
                        choices=["float32", "bfloat16"])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--joints", type=int, default=17)
    parser.add_argument("--unfolded", action="store_true",
                        help="also time the training form (BatchNorm not folded)")
    args = parser.parse_args()
    height, width = args.size
    flags = cpu_flags()
    auto = choose_precision("auto", flags, gpu_visible())
    image = np.random.default_rng(0).integers(0, 256, (1, height, width, 3), dtype=np.uint8)
    rows = []
    for net in args.nets:
        for precision in args.precisions:
            spec = spec_from_config(config_from_dict({
                "net_type": net, "num_joints": args.joints, "location_refinement": True,
                "pairwise_predict": True, "precision": precision}))
            for fold in (True, False) if args.unfolded else (True,):
                seconds = time_forward(spec, image, args.repeats, fold)
                rows.append((net, precision, "folded" if fold else "unfolded", seconds))
                print(f"  measured {net} {precision} {'folded' if fold else 'unfolded'}: "
                      f"{seconds:.3f} s", file=sys.stderr, flush=True)
    print(f"\n{describe_cpu()}")
    print(f"precision: auto picks {auto} here{' (a GPU is visible)' if gpu_visible() else ''}")
    print(f"PoseNet forward, {height}x{width}, {args.joints} joints, locref + pairwise heads, "
          f"median of {args.repeats} after warm-up")
    print(f"| {'backbone':<18} | {'precision':<14} | {'BatchNorm':<9} | {'seconds':>7} | "
          f"{'time / f32':>10} |")
    print(f"|{'-' * 20}|{'-' * 16}|{'-' * 11}|{'-' * 9}|{'-' * 12}|")
    base = {(net, fold): s for net, precision, fold, s in rows if precision == "float32"}
    for net, precision, fold, seconds in rows:
        ratio = f"{seconds / base[net, fold]:.2f}x" if (net, fold) in base else "-"
        shown = precision + (" (auto)" if precision == auto else "")
        print(f"| {net:<18} | {shown:<14} | {fold:<9} | {seconds:7.3f} | {ratio:>10} |")


if __name__ == "__main__":
    main()
