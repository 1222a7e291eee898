"""Single-person demo: DeeperCut's argmax pose on an image, drawn with its score maps (PNG),
and written as a COCO result (JSON).

Run with no argument for the bundled synthetic person and the bundled model
(models/synthetic_multi); any config and checkpoint work, e.g. DeeperCut's MPII model:
    .venv/bin/python demo/singleperson.py [--image IMG] [--config CFG] [--weights CKPT]
        [--output PNG] [--json JSON]
A config other than the bundled one without --weights restores the config's init_weights, as
DeeperCut's demo does (an error if it names none).
"""
import argparse
import json
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from posecut.logs import setup_logging, start_tensorflow  # noqa: E402

setup_logging()
start_tensorflow()

from dataset.coco_eval import people_to_coco_results  # noqa: E402
from dataset.images import read_image  # noqa: E402
from multiperson.draw import save_single_person_figure  # noqa: E402
from nnet.checkpoint_files import config_weights  # noqa: E402
from nnet.outputs import argmax_pose_predict, extract_cnn_output  # noqa: E402
from nnet.predict import setup_pose_prediction  # noqa: E402
from posecut.config import load_config  # noqa: E402
from lib.errors import PosecutError  # noqa: E402


BUNDLED_CONFIG = os.path.join(ROOT, "models", "synthetic_multi", "pose_cfg.yaml")
BUNDLED_WEIGHTS = os.path.join(ROOT, "models", "synthetic_multi", "model", "weights")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--image", default=os.path.join(ROOT, "demo", "images", "person.png"))
    parser.add_argument("--config", default=BUNDLED_CONFIG)
    parser.add_argument("--weights", default=None,
                        help="checkpoint prefix or folder (slim names); omitted: the bundled "
                             "model's with the bundled config, else the config's init_weights")
    parser.add_argument("--output", default=os.path.join(ROOT, "out", "singleperson.png"))
    parser.add_argument("--json", default=None,
                        help="COCO result JSON (default: the --output path with .json)")
    args = parser.parse_args(argv)
    if args.weights is None and os.path.abspath(args.config) == BUNDLED_CONFIG:
        args.weights = BUNDLED_WEIGHTS
    return args


def run(args):
    """Predict and draw; returns (output path, pose J x 3)."""
    cfg = load_config(args.config)
    cfg.require_joints()
    image = read_image(args.image)
    start = time.perf_counter()
    predictor = setup_pose_prediction(cfg, args.weights)
    built = time.perf_counter()
    outputs = predictor(image)
    scmap, locref, _ = extract_cnn_output(outputs, cfg.locref_stdev)
    pose = argmax_pose_predict(scmap, locref, cfg.stride)
    done = time.perf_counter()
    skeleton = cfg.format.skeleton if cfg.format else ()
    weights = args.weights or config_weights(cfg)
    title = f"{cfg.net_type}, {os.path.relpath(weights, os.path.dirname(os.path.abspath(args.config)))}"
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    save_single_person_figure(args.output, image, pose, scmap, skeleton, title)
    json_path = args.json or os.path.splitext(args.output)[0] + ".json"
    with open(json_path, "w", encoding="utf-8") as f:
        json.dump(people_to_coco_results(1, pose[None], [float(pose[:, 2].mean())]), f)
    print(f"image {args.image} ({image.shape[1]}x{image.shape[0]}), {cfg.net_type}, "
          f"build {built - start:.1f} s, forward + argmax {done - built:.2f} s")
    print(f"wrote {args.output} and {json_path}")
    return args.output, pose


def main(argv=None):
    try:
        run(parse_args(argv))
    except PosecutError as err:
        sys.exit(f"error: {err}")


if __name__ == "__main__":
    main()
