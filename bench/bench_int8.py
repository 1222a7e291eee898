"""int8 for the light model: post-training quantisation (TFLite, full-integer with float input and
output) of the bundled multi-person model, calibrated on synthetic training-style images, next to
float32, on time and on AP.

The int8 model is `posecut export --tflite FILE --int8`'s (posecut.export.export_tflite).

- Time: the network alone at --size (default 480x640), median of --repeats after a warm-up:
  TensorFlow in float32 and in bfloat16, TFLite (XNNPACK) in float32 and in int8, all in this run.
- Accuracy: COCO AP of the whole pipeline (the same grouping) on --images held-out synthetic
  images of 256x256 (`python -m dataset.synthetic --seed 12` style), with the network's outputs
  from TensorFlow float32, TFLite float32 and TFLite int8 (converted for 256x256).

The table names the CPU and its flags. int8 is worth using only where it is both faster than the
precision `precision: auto` picks and within one AP point of float32.

Run: .venv/bin/python bench/bench_int8.py [--images 100] [--calibration 32] [--repeats 5]
"""
import argparse
import os
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from posecut.logs import setup_logging, start_tensorflow  # noqa: E402

setup_logging()
start_tensorflow()

import numpy as np  # noqa: E402

from dataset.coco_eval import evaluate_keypoints  # noqa: E402
from dataset.images import read_image  # noqa: E402
from dataset.loaders import load_dataset  # noqa: E402
from dataset.synthetic import generate_dataset  # noqa: E402
from multiperson.evaluation import predict_dataset  # noqa: E402
from nnet.precision import describe_cpu  # noqa: E402
from nnet.predict import setup_pose_prediction  # noqa: E402
from posecut.backend_choice import median_seconds  # noqa: E402
from posecut.build import grouping_assets_from_config  # noqa: E402
from posecut.config import load_config  # noqa: E402
from posecut.export import export_tflite, tflite_forward  # noqa: E402

CONFIG = os.path.join(ROOT, "models", "synthetic_multi", "pose_cfg.yaml")
WEIGHTS = os.path.join(ROOT, "models", "synthetic_multi", "model", "weights")


def tflite_network(cfg, height, width, work, calibration=None):
    """image -> outputs of the network exported to TFLite at height x width (posecut export's
    export_tflite; int8 with ``calibration``)."""
    path = os.path.join(work, f"{height}x{width}{'_int8' if calibration else ''}.tflite")
    return tflite_forward(export_tflite(cfg, WEIGHTS, path, height, width, calibration))


def fit_to(image, height, width):
    """The image cropped or zero-padded to height x width (calibration at the export's size)."""
    out = np.zeros((height, width, 3), np.float32)
    h, w = min(height, image.shape[0]), min(width, image.shape[1])
    out[:h, :w] = image[:h, :w]
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=100, help="held-out images for AP")
    parser.add_argument("--calibration", type=int, default=32, help="calibration images")
    parser.add_argument("--size", type=int, nargs=2, default=(480, 640), metavar=("H", "W"))
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    cfg = load_config(CONFIG)
    assets = grouping_assets_from_config(cfg)
    with tempfile.TemporaryDirectory() as work:
        test_json = generate_dataset(os.path.join(work, "test"), args.images, 256, 256,
                                     people=(1, 8), seed=12, min_height=48)
        calib_json = generate_dataset(os.path.join(work, "calib"), args.calibration, 256, 256,
                                      people=(1, 8), seed=3, min_height=48)
        calib = [read_image(r.image_path) for r in load_dataset("coco", calib_json).records]
        records = load_dataset("coco", test_json).records

        height, width = args.size
        big = [np.tile(c, (2, 3, 1)) for c in calib]  # scenes at the timed size's scale
        image = fit_to(big[0], height, width)
        timed = [("TensorFlow float32", setup_pose_prediction(cfg.replace(precision="float32"),
                                                              WEIGHTS)),
                 ("TensorFlow bfloat16", setup_pose_prediction(cfg.replace(precision="bfloat16"),
                                                               WEIGHTS)),
                 ("TFLite float32", tflite_network(cfg, height, width, work)),
                 ("TFLite int8", tflite_network(cfg, height, width, work, big))]
        seconds = {name: median_seconds(net, image, args.repeats) for name, net in timed}

        scored = [("TensorFlow float32", setup_pose_prediction(cfg.replace(precision="float32"),
                                                               WEIGHTS)),
                  ("TFLite float32", tflite_network(cfg, 256, 256, work)),
                  ("TFLite int8", tflite_network(cfg, 256, 256, work, calib))]
        sigmas = cfg.require_format("the OKS evaluation").sigmas
        ap = {}
        for name, net in scored:
            results, _, _ = predict_dataset(records, lambda r, n=net: n(read_image(r.image_path)),
                                            assets.means, assets.stds, assets.model,
                                            assets.settings, gates=assets.gates)
            ap[name] = 100 * evaluate_keypoints(test_json, results, sigmas)["AP"]
    print(f"bundled model ({cfg.net_type}); time at {height}x{width}, median of {args.repeats}; "
          f"AP on {args.images} held-out synthetic images of 256x256")
    print(f"{'network':<22} {'ms':>8} {'x TF float32':>13} {'AP':>6}")
    base = seconds["TensorFlow float32"]
    for name, _ in timed:
        shown = f"{ap[name]:6.2f}" if name in ap else f"{'':>6}"
        print(f"{name:<22} {1e3 * seconds[name]:8.1f} {seconds[name] / base:13.2f} {shown}")
    print(describe_cpu())


if __name__ == "__main__":
    main()
