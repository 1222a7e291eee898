"""Forward time of PoseNet per backend on this CPU, side by side in one run, and how far each
backend's outputs (scores, locref and pairwise offsets) are from TensorFlow's in float32, as the
largest difference relative to the largest output.

Backends: TensorFlow with oneDNN (the default) and without (TF_ENABLE_ONEDNN_OPTS=0, in a child
process, since TensorFlow reads it when it loads), TensorFlow in bfloat16, LiteRT with its
default XNNPACK delegate (ai-edge-litert), and ONNX Runtime (onnxruntime, converted by tf2onnx).
Every backend runs the same folded float32 network on one image, on every core: the bundled
model's trained weights for its backbone (mobilenet_v2_0.5), seeded random weights for the others
(whose outputs, through a hundred untrained layers, are far from realistic: read their
differences with that in mind); the times are medians after a warm-up. LiteRT and ONNX Runtime are optional
packages (`.venv/bin/pip install ai-edge-litert onnxruntime tf2onnx`): a missing one is named
and left out. The CPU and its flags head the table.

Run: .venv/bin/python bench/bench_backends.py [--nets resnet_101 mobilenet_v2_0.5] [--size 480 640]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


BUNDLED = os.path.join(ROOT, "models", "synthetic_multi")


def network(net, joints, precision):
    """The folded PoseNet of ``net``: the bundled model's trained weights where it is that
    backbone (its outputs are realistic, so differences mean something), else weights seeded the
    same in every process."""
    import keras

    from nnet.pose_net import build_pose_net, fold_batchnorm, spec_from_config
    from nnet.predict import setup_pose_prediction
    from posecut.config import config_from_dict, load_config

    bundled = load_config(os.path.join(BUNDLED, "pose_cfg.yaml"))
    if net == bundled.net_type and joints == bundled.num_joints:
        return setup_pose_prediction(bundled.replace(precision=precision),
                                     os.path.join(BUNDLED, "model", "weights")).model
    keras.utils.set_random_seed(7)
    spec = spec_from_config(config_from_dict({"net_type": net, "num_joints": joints, "location_refinement": True,
                                              "pairwise_predict": True, "precision": precision}))
    return fold_batchnorm(build_pose_net(spec), spec)


def median_seconds(run, repeats):
    """Median seconds of ``run()`` over ``repeats`` calls after one warm-up call."""
    import numpy as np

    run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


OUTPUTS = ("part_prob", "locref", "pairwise_pred")


def flat(outputs):
    """The network's outputs as one float32 vector, in OUTPUTS order."""
    import numpy as np

    return np.concatenate([np.asarray(outputs[name], np.float32).ravel() for name in OUTPUTS])


def difference(out, reference) -> float:
    """Largest difference from the reference outputs, relative to their largest magnitude."""
    import numpy as np

    return float(np.abs(out - reference).max() / max(np.abs(reference).max(), 1e-12))


def tensorflow_forward(net, joints, precision, image, repeats):
    """(seconds, outputs) of TensorFlow as it is loaded in this process."""
    import numpy as np

    from nnet.predict import compile_forward

    forward = compile_forward(network(net, joints, precision))
    seconds = median_seconds(lambda: np.asarray(forward(image)["pairwise_pred"]), repeats)
    return seconds, flat(forward(image))


def concrete(net, joints, image):
    """A tf.function of the float32 network and its concrete function for this image size."""
    import tensorflow as tf

    from nnet.predict import prediction_outputs

    model = network(net, joints, "float32")

    @tf.function(input_signature=[tf.TensorSpec(image.shape, tf.float32, name="image")])
    def forward(images):
        outputs = prediction_outputs(model(images, training=False))
        return {name: tf.identity(outputs[name], name=name) for name in OUTPUTS}

    return forward, forward.get_concrete_function()


def litert_forward(net, joints, image, repeats, work):
    """(seconds, outputs) of LiteRT (XNNPACK) on the float32 network (outputs told apart by
    their shapes, which differ for every head)."""
    import numpy as np
    import tensorflow as tf
    from ai_edge_litert.interpreter import Interpreter

    forward, function = concrete(net, joints, image)
    converter = tf.lite.TFLiteConverter.from_concrete_functions([function], forward)
    path = os.path.join(work, f"{net}.tflite")
    with open(path, "wb") as f:
        f.write(converter.convert())
    interpreter = Interpreter(model_path=path, num_threads=os.cpu_count())
    interpreter.allocate_tensors()
    source = interpreter.get_input_details()[0]["index"]
    shapes = {tuple(d["shape"]): d["index"] for d in interpreter.get_output_details()}
    expected = {name: tuple(value.shape) for name, value in function.structured_outputs.items()}

    def run():
        interpreter.set_tensor(source, image.astype(np.float32))
        interpreter.invoke()
        return {name: interpreter.get_tensor(shapes[shape]) for name, shape in expected.items()}

    return median_seconds(run, repeats), flat(run())


def onnx_forward(net, joints, image, repeats):
    """(seconds, outputs) of ONNX Runtime on the float32 network converted by tf2onnx."""
    import numpy as np
    import onnxruntime
    import tf2onnx

    forward, _ = concrete(net, joints, image)
    proto, _ = tf2onnx.convert.from_function(forward, input_signature=forward.input_signature, opset=17)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = os.cpu_count()
    runtime = onnxruntime.InferenceSession(proto.SerializeToString(), options,
                                           providers=["CPUExecutionProvider"])
    name = runtime.get_inputs()[0].name
    names = [o.name for o in runtime.get_outputs()]

    def run():
        return dict(zip(names, runtime.run(None, {name: image.astype(np.float32)})))

    return median_seconds(run, repeats), flat(run())


def child(args):
    """Run TensorFlow float32 in this process (started with oneDNN off) and print the result."""
    import numpy as np

    image = np.random.default_rng(0).integers(0, 256, (1, *args.size, 3)).astype(np.float32)
    seconds, out = tensorflow_forward(args.child, args.joints, "float32", image, args.repeats)
    np.save(args.out, out)
    print(json.dumps({"seconds": seconds}))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nets", nargs="+", default=["resnet_101", "mobilenet_v2_0.5"])
    parser.add_argument("--size", type=int, nargs=2, default=(480, 640), metavar=("H", "W"))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--joints", type=int, default=17)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if args.child:
        return child(args)
    import numpy as np

    from nnet.precision import describe_cpu

    image = np.random.default_rng(0).integers(0, 256, (1, *args.size, 3)).astype(np.float32)
    rows, missing = [], []
    with tempfile.TemporaryDirectory() as work:
        for net in args.nets:
            seconds, reference = tensorflow_forward(net, args.joints, "float32", image, args.repeats)
            rows.append((net, "TensorFlow, oneDNN, float32", seconds, seconds, 0.0))
            base = seconds
            out = os.path.join(work, f"{net}_nodnn.npy")
            done = subprocess.run([sys.executable, __file__, "--child", net, "--out", out, "--size",
                                   *map(str, args.size), "--repeats", str(args.repeats), "--joints",
                                   str(args.joints)], capture_output=True, text=True,
                                  env={**os.environ, "TF_ENABLE_ONEDNN_OPTS": "0"})
            if done.returncode == 0:
                seconds = json.loads(done.stdout.strip().splitlines()[-1])["seconds"]
                rows.append((net, "TensorFlow, oneDNN off, float32", seconds, base,
                             difference(np.load(out), reference)))
            else:
                missing.append(f"TensorFlow with oneDNN off: {done.stderr.strip().splitlines()[-1]}")
            seconds, out16 = tensorflow_forward(net, args.joints, "bfloat16", image, args.repeats)
            rows.append((net, "TensorFlow, oneDNN, bfloat16", seconds, base, difference(out16, reference)))
            for name, run in (("LiteRT (XNNPACK), float32",
                               lambda: litert_forward(net, args.joints, image, args.repeats, work)),
                              ("ONNX Runtime, float32", lambda: onnx_forward(net, args.joints, image, args.repeats))):
                try:
                    seconds, out = run()
                except ImportError as err:
                    missing.append(f"{name}: {err}")
                    continue
                except Exception as err:  # a converter's failure is a finding, not a crash
                    missing.append(f"{name} on {net}: {type(err).__name__}: {str(err).splitlines()[0][:200]}")
                    continue
                rows.append((net, name, seconds, base, difference(out, reference)))
            print(f"  measured {net}", file=sys.stderr, flush=True)
    print(describe_cpu())
    print(f"PoseNet forward, {args.size[0]}x{args.size[1]}, {args.joints} joints, locref + pairwise heads, "
          f"folded BatchNorm, median of {args.repeats} after warm-up\n")
    print("| backbone | backend | seconds | time / TF float32 | largest output difference (relative) |")
    print("|---|---|---:|---:|---:|")
    for net, name, seconds, base, diff in rows:
        print(f"| {net} | {name} | {seconds:.3f} | {seconds / base:.2f}x | {diff:.1e} |")
    for line in missing:
        print(f"\nleft out: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
