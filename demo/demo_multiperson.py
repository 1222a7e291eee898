"""Multi-person demo: people found in an image, each drawn in its own colour (PNG), plus COCO
results JSON.

Run with no argument for the bundled image and the bundled model (models/synthetic_multi):
    .venv/bin/python demo/demo_multiperson.py [--image IMG] [--config CFG] [--weights CKPT]
        [--output PNG] [--json JSON]
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
from multiperson.draw import save_multi_person_figure  # noqa: E402
from multiperson.predict import STAGES  # noqa: E402
from posecut.build import setup_multiperson_prediction  # noqa: E402
from posecut.config import load_config  # noqa: E402
from lib.errors import PosecutError  # noqa: E402

MODEL = os.path.join(ROOT, "models", "synthetic_multi")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--image", default=os.path.join(ROOT, "demo", "images", "people.png"))
    parser.add_argument("--config", default=os.path.join(MODEL, "pose_cfg.yaml"))
    parser.add_argument("--weights", default=os.path.join(MODEL, "model", "weights"),
                        help="checkpoint prefix (slim names)")
    parser.add_argument("--output", default=os.path.join(ROOT, "out", "multiperson.png"))
    parser.add_argument("--json", default=None,
                        help="COCO results JSON (default: the --output path with .json)")
    parser.add_argument("--image-id", type=int, default=1, help="image_id in the results JSON")
    return parser.parse_args(argv)


def run(args):
    """Predict, draw and write the results; returns (PNG path, JSON path, People)."""
    cfg = load_config(args.config)
    image = read_image(args.image)
    start = time.perf_counter()
    predictor = setup_multiperson_prediction(cfg, args.weights)
    built = time.perf_counter()
    predictor(image)  # the first call traces the network
    people = predictor(image)
    skeleton = cfg.format.skeleton if cfg.format else ()
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    title = (f"{len(people.poses)} people, {cfg.net_type}, "
             f"{os.path.relpath(args.weights, os.path.dirname(os.path.abspath(args.config)))}")
    save_multi_person_figure(args.output, image, people.poses, skeleton, title)
    json_path = args.json or os.path.splitext(args.output)[0] + ".json"
    with open(json_path, "w", encoding="utf-8") as f:
        json.dump(people_to_coco_results(args.image_id, people.poses, people.scores), f)
    timings = ", ".join(f"{s} {1e3 * predictor.timings.get(s, 0.0):.1f}" for s in STAGES)
    print(f"image {args.image} ({image.shape[1]}x{image.shape[0]}): {len(people.poses)} people; "
          f"build {built - start:.1f} s; ms per stage: {timings}")
    print(f"wrote {args.output} and {json_path}")
    return args.output, json_path, people


def main(argv=None):
    try:
        run(parse_args(argv))
    except PosecutError as err:
        sys.exit(f"error: {err}")


if __name__ == "__main__":
    main()
