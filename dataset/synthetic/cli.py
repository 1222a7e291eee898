"""Synthetic multi-person images with exact COCO-17 ground truth (tests, benchmarks, training).

This module is their command line (the first line above is its --help description): ``python -m
dataset.synthetic --out DIR --num N --size H W --people MIN MAX --seed S [--min-height PX]``.
"""
from __future__ import annotations

import argparse
import json
import time

from dataset.synthetic.coco_files import generate_dataset
from lib.errors import DatasetError


def main(argv=None):
    """Command line: write a synthetic COCO keypoints dataset and print a one-line summary."""
    parser = argparse.ArgumentParser(prog="python -m dataset.synthetic",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--num", type=int, default=100, help="number of images")
    parser.add_argument("--size", type=int, nargs=2, default=(320, 320), metavar=("H", "W"))
    parser.add_argument("--people", type=int, nargs=2, default=(1, 12), metavar=("MIN", "MAX"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--format", choices=("png", "jpg"), default="png")
    parser.add_argument("--min-height", type=float, default=30.0,
                        help="smallest standing height of a person in pixels (multi-person scenes)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        path = generate_dataset(args.out, args.num, args.size[0], args.size[1], tuple(args.people),
                                args.seed, args.format, progress=True,
                                min_height=args.min_height)
    except DatasetError as err:
        parser.error(str(err))
    with open(path, encoding="utf-8") as f:
        count = len(json.load(f)["annotations"])
    print(f"wrote {args.num} images ({args.size[0]}x{args.size[1]}), {count} people, "
          f"to {path} in {time.perf_counter() - start:.1f} s")
