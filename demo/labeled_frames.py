"""A DeepLabCut-style project made from synthetic frames: what a DeepLabCut user brings.

Writes ``labeled-data/<video>/img0001.png ...`` and ``CollectedData_<scorer>.csv`` (DeepLabCut's
single-animal table: scorer, bodyparts and coords rows, a row per frame, empty cells where a part
is not labelled) for one subject per frame, and the keypoint format of its body parts as YAML.
The subject is a synthetic person of whom five points are labelled under animal-like names
(``snout`` is the nose, ``left_paw`` the left wrist, ...), so the whole path runs on data the
project makes.

Run: .venv/bin/python demo/labeled_frames.py --out work/own_animal --num 200 [--size 160 160]
"""
import argparse
import csv
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import imageio.v3 as iio  # noqa: E402
import numpy as np  # noqa: E402

from dataset.keypoint_formats import get_format  # noqa: E402
from dataset.synthetic import render_scene  # noqa: E402

PARTS = {"snout": "nose", "left_ear": "left_ear", "right_ear": "right_ear",
         "left_paw": "left_wrist", "right_paw": "right_wrist"}
"""The body parts labelled, and the synthetic person's joint each one is."""
FORMAT_YAML = """name: critter
joints: [snout, left_ear, right_ear, left_paw, right_paw]
flip_pairs: [[1, 2], [3, 4]]
skeleton: [[0, 1], [0, 2], [1, 3], [2, 4]]
"""


def labelled_frames(num: int, height: int, width: int, seed: int):
    """(image, points (5, 3): x, y, labelled) per frame: one subject, the five parts visible
    in it labelled (DeepLabCut labels what it sees)."""
    coco = get_format("coco17")
    columns = [coco.index(joint) for joint in PARTS.values()]
    for index in range(num):
        rng = np.random.default_rng([seed, index])
        image, joints, _, _ = render_scene(rng, height, width, 1, min_height=int(0.6 * height))
        points = joints[0, columns] if len(joints) else np.zeros((len(PARTS), 3))
        yield image, np.column_stack([points[:, :2], points[:, 2] == 2])


def write_project(out: str, num: int, height: int, width: int, seed: int = 1,
                  video: str = "video1", scorer: str = "you") -> tuple[str, str]:
    """Write the frames, their table and the format file under ``out``; return the paths of the
    table and of the format YAML."""
    folder = os.path.join(out, "labeled-data", video)
    os.makedirs(folder, exist_ok=True)
    table = os.path.join(folder, f"CollectedData_{scorer}.csv")
    with open(table, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["scorer"] + [scorer] * 2 * len(PARTS))
        writer.writerow(["bodyparts"] + [p for p in PARTS for _ in range(2)])
        writer.writerow(["coords"] + ["x", "y"] * len(PARTS))
        for index, (image, points) in enumerate(labelled_frames(num, height, width, seed), 1):
            name = f"img{index:04d}.png"
            iio.imwrite(os.path.join(folder, name), image)
            cells = [f"{v:.2f}" if seen else "" for x, y, seen in points for v in (x, y)]
            writer.writerow([f"labeled-data/{video}/{name}"] + cells)
    fmt = os.path.join(out, "critter.yaml")
    with open(fmt, "w", encoding="utf-8") as handle:
        handle.write(FORMAT_YAML)
    return table, fmt


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="project folder")
    parser.add_argument("--num", type=int, default=200, help="labelled frames")
    parser.add_argument("--size", type=int, nargs=2, default=(160, 160), metavar=("H", "W"))
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    table, fmt = write_project(args.out, args.num, *args.size, seed=args.seed)
    print(f"wrote {args.num} labelled frames: {table} and {fmt}")


if __name__ == "__main__":
    main()
