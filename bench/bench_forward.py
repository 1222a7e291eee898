"""Forward time of PoseNet per backbone and precision at 480x640, as a table.

Median of --repeats runs after a warm-up, one image, on every core TensorFlow sees. The CPU's
model and the flags that decide the speed (AVX2, AVX-512, native bfloat16) head the table, and
the precision that `precision: auto` picks on this CPU is marked: figures from another CPU do not
carry over. Ratios are between rows of the same run. ``--pairs full sparse`` also times the
pairwise head with only the pairs of a config's sparse_graph (``--graph``, default the COCO
model's), beside DeeperCut's full head of every pair. GFLOP is TensorFlow's count of the frozen
graph's floating-point operations (bench/machine_peak.py; a multiply-add is two), a figure that
does not depend on the machine's load; "% of peak" divides the rate reached by this machine's
measured matrix-product rate in the same precision, to show how far from the limit it runs.
Run: .venv/bin/python bench/bench_forward.py [--size 480 640] [--nets resnet_101 ...]
     [--pairs full sparse]
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from posecut.logs import setup_logging, start_tensorflow  # noqa: E402

setup_logging()
start_tensorflow()

import numpy as np  # noqa: E402

from nnet.pose_net import build_pose_net, fold_batchnorm, spec_from_config  # noqa: E402
from nnet.precision import choose_precision, cpu_flags, describe_cpu, gpu_visible  # noqa: E402
from nnet.predict import compile_forward  # noqa: E402
from posecut.config import config_from_dict, load_config  # noqa: E402

from machine_peak import matmul_peak_gflops, network_gflop  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COCO_CONFIG = os.path.join(ROOT, "models", "coco", "pose_cfg.yaml")


def time_forward(spec, image, repeats, fold):
    """(median seconds of one compiled forward pass, GFLOP of its convolutions)."""
    model = build_pose_net(spec)
    if fold:
        model = fold_batchnorm(model, spec)
    gflops = network_gflop(model, *image.shape[1:3])
    forward = compile_forward(model)
    forward(image)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        out = forward(image)
        np.asarray(out["part_prob"])
        times.append(time.perf_counter() - start)
    return float(np.median(times)), gflops


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
    parser.add_argument("--pairs", nargs="+", default=["full"], choices=["full", "sparse"],
                        help="pairwise heads to time: every ordered pair (DeeperCut), or only "
                             "the pairs of --graph's sparse_graph")
    parser.add_argument("--graph", default=COCO_CONFIG,
                        help="config whose sparse_graph the sparse head predicts (default: "
                             "models/coco/pose_cfg.yaml)")
    args = parser.parse_args()
    height, width = args.size
    flags = cpu_flags()
    auto = choose_precision("auto", flags, gpu_visible())
    image = np.random.default_rng(0).integers(0, 256, (1, height, width, 3), dtype=np.uint8)
    graph = [list(p) for p in load_config(args.graph).linked_pairs] if "sparse" in args.pairs else []
    rows = []
    for net in args.nets:
        for precision in args.precisions:
            for pairs in args.pairs:
                spec = spec_from_config(config_from_dict({
                    "net_type": net, "num_joints": args.joints, "location_refinement": True,
                    "pairwise_predict": True, "precision": precision,
                    "sparse_graph": graph if pairs == "sparse" else []}))
                channels = spec.head_channels()["pairwise_pred"]
                for fold in (True, False) if args.unfolded else (True,):
                    seconds, gflops = time_forward(spec, image, args.repeats, fold)
                    label = "folded" if fold else "unfolded"
                    rows.append((net, precision, f"{pairs} {channels}", label, seconds, gflops))
                    print(f"  measured {net} {precision} {pairs} ({channels} channels) {label}: "
                          f"{seconds:.3f} s, {gflops:.1f} GFLOP", file=sys.stderr, flush=True)
    peak = {p: matmul_peak_gflops(p) for p in args.precisions}
    print(f"\n{describe_cpu()}")
    print("matrix product: " + ", ".join(f"{p} {g:.0f} GFLOP/s" for p, g in peak.items()))
    print(f"precision: auto picks {auto} here{' (a GPU is visible)' if gpu_visible() else ''}")
    print(f"PoseNet forward, {height}x{width}, {args.joints} joints, locref + pairwise heads, "
          f"median of {args.repeats} after warm-up")
    print(f"| {'backbone':<18} | {'precision':<15} | {'pairwise ch.':<12} | {'BatchNorm':<9} | "
          f"{'seconds':>7} | {'time / f32':>10} | {'GFLOP':>7} | {'% of peak':>9} |")
    print(f"|{'-' * 20}|{'-' * 17}|{'-' * 14}|{'-' * 11}|{'-' * 9}|{'-' * 12}|{'-' * 9}|{'-' * 11}|")
    base = {(net, pairs, fold): s for net, precision, pairs, fold, s, _ in rows
            if precision == "float32"}
    for net, precision, pairs, fold, seconds, gflops in rows:
        ratio = f"{seconds / base[net, pairs, fold]:.2f}x" if (net, pairs, fold) in base else "-"
        shown = precision + (" (auto)" if precision == auto else "")
        share = 100.0 * gflops / seconds / peak[precision]
        print(f"| {net:<18} | {shown:<15} | {pairs:<12} | {fold:<9} | {seconds:7.3f} | "
              f"{ratio:>10} | {gflops:7.1f} | {share:8.0f}% |")


if __name__ == "__main__":
    main()
