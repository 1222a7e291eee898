"""Time per stage of multi-person prediction at 480x640 for 1, 5 and 20 people, as a table.

Synthetic scenes with the given number of people. Everything after the network (NMS, pairwise
probabilities, solver, assembly) runs on two kinds of outputs: the bundled model's
(models/synthetic_multi) and the oracle's (the ground truth's targets with noise: one
candidate per visible joint, as a well-trained network gives). The network stage is timed for
the bundled light model and for DeeperCut's resnet_101 (17 joints, locref + pairwise, float32,
random weights: time does not depend on them). After the network, the predictor's path runs:
multiperson.predict.people_from_raw_outputs, one compiled call from the raw outputs (the oracle's
are normalised into that form first); its nms column includes reading the outputs, and "call" is
the wall time of the whole Python call (stages plus argument checks and conversions); the %
columns give it as a share of each network's time. Medians over --scenes scenes.
Run: .venv/bin/python bench/bench_multiperson.py [--people 1 5 20] [--scenes 5]
"""
import argparse
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from posecut.logs import setup_logging, start_tensorflow  # noqa: E402

setup_logging()
start_tensorflow()

import numpy as np  # noqa: E402

from dataset.synthetic import render_scene  # noqa: E402
from dataset.targets import target_settings_from_config  # noqa: E402
from multiperson.detections import extract_detections  # noqa: E402
from multiperson.graph import build_graph  # noqa: E402
from multiperson.oracle import oracle_outputs  # noqa: E402
from multiperson.predict import people_from_raw_outputs  # noqa: E402
from nnet.predict import setup_pose_prediction  # noqa: E402
from posecut.build import grouping_assets_from_config  # noqa: E402
from nnet.pose_net import spec_from_config  # noqa: E402
from nnet.precision import describe_cpu  # noqa: E402
from posecut.config import load_config  # noqa: E402

MODEL = os.path.join(ROOT, "models", "synthetic_multi")
POST = ("nms", "pairwise", "solver", "assembly")


def _median_time(fn, repeats):
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def _post_stages(raw, assets, repeats=5):
    """Median ms per post-network stage of the predictor's path and of the whole call, and the
    candidate and edge counts."""
    settings = assets.settings
    runs = []
    for _ in range(repeats):
        timings = {}
        start = time.perf_counter()
        people_from_raw_outputs(raw, assets.means, assets.stds, assets.model, settings, timings,
                                assets.gates)
        runs.append([timings[s] for s in POST] + [time.perf_counter() - start])
    dets = extract_detections(raw, assets.means, assets.stds, settings.heads.stride,
                              settings.heads.locref_stdev, settings.nms_radius,
                              settings.det_min_score, settings.heads.pair_slots)
    edges, _ = build_graph(dets, assets.model, settings.pair_mask, assets.gates,
                           settings.offset_gate)
    return np.median(np.array(runs), axis=0) * 1e3, len(dets), len(edges)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, nargs="+", default=[1, 5, 20])
    parser.add_argument("--scenes", type=int, default=5)
    parser.add_argument("--size", type=int, nargs=2, default=(480, 640), metavar=("H", "W"))
    parser.add_argument("--config", default=os.path.join(MODEL, "pose_cfg.yaml"))
    parser.add_argument("--weights", default=os.path.join(MODEL, "model", "weights"))
    parser.add_argument("--skip-resnet", action="store_true", help="do not time resnet_101")
    args = parser.parse_args()
    height, width = args.size

    cfg = load_config(args.config)
    assets = grouping_assets_from_config(cfg)
    targets = target_settings_from_config(cfg.replace(location_refinement=True))
    network = setup_pose_prediction(cfg, args.weights)
    blank = np.zeros((height, width, 3), np.uint8)
    light_ms = 1e3 * _median_time(lambda: network(blank), 10)
    resnet_ms = float("nan")
    if not args.skip_resnet:
        spec = spec_from_config(cfg.replace(net_type="resnet_101"))
        resnet = setup_pose_prediction(spec, untrained=True)
        resnet_ms = 1e3 * _median_time(lambda: resnet(blank), 3)

    print(describe_cpu())
    print(f"multi-person prediction at {height}x{width}, median of {args.scenes} scenes "
          f"(ms per image)")
    print(f"network: {cfg.net_type} {light_ms:.1f} ms, resnet_101 {resnet_ms:.1f} ms")
    header = (f"{'people':>6} {'outputs':>8} {'cands':>6} {'edges':>7} {'nms':>6} "
              f"{'pairwise':>8} {'solver':>7} {'assembly':>8} {'after net':>9} {'call':>6} "
              f"{'% light':>8} {'% r101':>7}")
    print(header)
    print("-" * len(header))
    rng = np.random.default_rng(0)
    for count in args.people:
        rows = {"network": [], "oracle": []}
        for _ in range(args.scenes):
            image, joints, _, _ = render_scene(rng, height, width, count, min_height=60,
                                               max_height=260)
            sources = {"network": network(image),
                       "oracle": oracle_outputs(joints, (height, width), targets, assets.means,
                                                assets.stds, rng=rng)}
            for kind, raw in sources.items():
                stages, cands, edges = _post_stages(raw, assets)
                rows[kind].append([cands, edges, *stages])
        for kind, values in rows.items():
            cands, edges, *stages, call = np.median(np.array(values), axis=0)
            after = float(np.sum(stages))
            print(f"{count:>6} {kind:>8} {cands:>6.0f} {edges:>7.0f} " +
                  " ".join(f"{v:>{w}.2f}" for v, w in zip(stages, (6, 8, 7, 8))) +
                  f" {after:>9.2f} {call:>6.2f} {100 * call / light_ms:>7.1f}% "
                  f"{100 * call / resnet_ms:>6.2f}%")


if __name__ == "__main__":
    main()
