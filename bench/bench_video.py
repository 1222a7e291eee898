"""Video throughput of `posecut predict`: frames per second of the whole run (decoding, network,
grouping, drawing, encoding) with the stages one after the other and overlapped on threads
(posecut.overlap), with and without the annotated MP4, on the clip of demo/make_video.py and the
bundled multi-person model. With --int8, also with the network from the bundled model's int8
TFLite file (posecut export --int8, calibrated on 32 synthetic scenes of the clip's size) in
place of TensorFlow's. All rows are measured in this one run, the order of the variants
alternating over the repeats; the table gives the median of the repeats and names the CPU.

Run: .venv/bin/python bench/bench_video.py [--seconds 10] [--repeats 3] [--int8]
"""
import argparse
import os
import statistics
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from posecut.logs import setup_logging, start_tensorflow  # noqa: E402

setup_logging()
start_tensorflow()  # as posecut predict starts it (oneDNN off on a CPU without AVX-512)

from demo.make_video import synthetic_clip, write_video  # noqa: E402
from nnet.precision import describe_cpu  # noqa: E402
from dataset.synthetic import render_scene  # noqa: E402
from posecut.build import setup_prediction, setup_tflite_prediction  # noqa: E402
from posecut.export import export_tflite  # noqa: E402
from posecut.config import load_config  # noqa: E402
from posecut.predict_files import predict_video  # noqa: E402

CONFIG = os.path.join(ROOT, "models", "synthetic_multi", "pose_cfg.yaml")
WEIGHTS = os.path.join(ROOT, "models", "synthetic_multi", "model", "weights")
VARIANTS = [("one after the other", False, True), ("overlapped", True, True),
            ("one after the other", False, False), ("overlapped", True, False)]
"""(stages, overlapped, drawn) of the TensorFlow rows; --int8 adds the first two with int8."""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the clip at 25 fps")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each variant")
    parser.add_argument("--int8", action="store_true", help="also the int8 TFLite network")
    args = parser.parse_args(argv)
    cfg = load_config(CONFIG)
    skeleton = cfg.require_format("drawing the skeleton").skeleton
    with tempfile.TemporaryDirectory() as work:
        networks = {"TensorFlow": setup_prediction(cfg, WEIGHTS)}
        variants = [("TensorFlow",) + v for v in VARIANTS]
        if args.int8:
            scenes = [render_scene(np.random.default_rng(100 + k), 480, 640, 6, min_height=80,
                                   max_height=300)[0] for k in range(32)]
            path = export_tflite(cfg, WEIGHTS, os.path.join(work, "int8.tflite"), 480, 640, scenes)
            networks["TFLite int8"] = setup_tflite_prediction(cfg, path)
            variants += [("TFLite int8",) + v for v in VARIANTS[:2]]
        clip = os.path.join(work, "clip.mp4")
        count = write_video(synthetic_clip(0, 480, 640, 6, int(round(25 * args.seconds))), clip, 25.0)
        for predictor in networks.values():  # warm-up: traces the network
            predict_video(predictor, clip, skeleton, progress=False)
        runs = {k: [] for k in range(len(variants))}
        for repeat in range(args.repeats):
            order = range(len(variants)) if repeat % 2 == 0 else reversed(range(len(variants)))
            for k in order:
                network, _, overlap, draw = variants[k]
                out = os.path.join(work, "drawn.mp4") if draw else None
                runs[k].append(predict_video(networks[network], clip, skeleton, out,
                                             progress=False, overlap=overlap))
    print(f"{count} frames of 640x480, six people, bundled model ({cfg.net_type}); "
          f"median of {args.repeats} runs")
    print(f"{'network':<12} {'stages':<20} {'drawn MP4':>9} {'frames/s':>9} "
          f"{'prediction alone':>17} {'people-frames':>13}")
    for k, (network, name, _, draw) in enumerate(variants):
        wall = statistics.median(r.wall_fps for r in runs[k])
        alone = statistics.median(r.fps for r in runs[k])
        print(f"{network:<12} {name:<20} {'yes' if draw else 'no':>9} {wall:9.1f} {alone:17.1f} "
              f"{len(runs[k][0].results):13d}")
    print(describe_cpu())


if __name__ == "__main__":
    main()
