"""Forward time of PoseNet per backbone at 480x640, as a table.

Median of --repeats runs after a warm-up, one image, on every core TensorFlow sees.
Compares with the original DeeperCut network measured on this kind of machine.
Run: .venv/bin/python bench/bench_forward.py [--size 480 640] [--nets resnet_101 ...]
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

from nnet.predict import compile_forward  # noqa: E402
from nnet.pose_net import PoseNetSpec, build_pose_net, fold_batchnorm  # noqa: E402

# Seconds per 480x640 image of the original TF1 DeeperCut network (locref + pairwise, 17 joints).
ORIGINAL_480x640 = {"resnet_101": 0.74, "resnet_50": 0.52}


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
        np.asarray(out["part_pred"])
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, nargs=2, default=(480, 640), metavar=("H", "W"))
    parser.add_argument("--nets", nargs="+",
                        default=["resnet_101", "resnet_50", "mobilenet_v2_1.0", "mobilenet_v2_0.5"])
    parser.add_argument("--precisions", nargs="+", default=["float32", "bfloat16"])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--joints", type=int, default=17)
    parser.add_argument("--unfolded", action="store_true",
                        help="also time the training form (BatchNorm not folded)")
    args = parser.parse_args()
    height, width = args.size
    image = np.random.default_rng(0).integers(0, 256, (1, height, width, 3), dtype=np.uint8)
    rows = []
    for net in args.nets:
        for precision in args.precisions:
            spec = PoseNetSpec(net_type=net, num_joints=args.joints, location_refinement=True,
                               pairwise_predict=True, precision=precision)
            folds = (True, False) if args.unfolded else (True,)
            for fold in folds:
                seconds = time_forward(spec, image, args.repeats, fold)
                original = ORIGINAL_480x640.get(net) if (height, width) == (480, 640) else None
                speedup = f"{original / seconds:.2f}x" if original else "-"
                rows.append((net, precision, "folded" if fold else "unfolded", seconds, original,
                             speedup))
                print(f"  measured {net} {precision} {'folded' if fold else 'unfolded'}: "
                      f"{seconds:.3f} s", file=sys.stderr, flush=True)
    print(f"\nPoseNet forward, {height}x{width}, {args.joints} joints, locref + pairwise heads, "
          f"median of {args.repeats} after warm-up, {os.cpu_count()} cores")
    print(f"| {'backbone':<18} | {'precision':<9} | {'BatchNorm':<9} | {'seconds':>7} | "
          f"{'original':>8} | {'speed-up':>8} |")
    print(f"|{'-' * 20}|{'-' * 11}|{'-' * 11}|{'-' * 9}|{'-' * 10}|{'-' * 10}|")
    for net, precision, fold, seconds, original, speedup in rows:
        original = f"{original:.2f}" if original else "-"
        print(f"| {net:<18} | {precision:<9} | {fold:<9} | {seconds:7.3f} | {original:>8} | "
              f"{speedup:>8} |")


if __name__ == "__main__":
    main()
