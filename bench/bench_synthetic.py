"""Speed of the synthetic-people generator, as a table: images per second rendering only, and
rendering plus writing PNG files and the COCO JSON (generate_dataset), on one core.

The target is at least 50 images/s rendering at 320x320.
Run: .venv/bin/python bench/bench_synthetic.py [--num 100] [--sizes 320x320 480x640]
"""
import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from dataset.synthetic import generate_dataset, render_scene  # noqa: E402
from nnet.precision import describe_cpu  # noqa: E402

PEOPLE = ((1, 1), (1, 12), (12, 12))


def render_rate(num, height, width, people, seed=0):
    """Images per second of render_scene alone, with the same seeds as generate_dataset."""
    start = time.perf_counter()
    for i in range(num):
        rng = np.random.default_rng([seed, i])
        render_scene(rng, height, width, int(rng.integers(people[0], people[1] + 1)))
    return num / (time.perf_counter() - start)


def write_rate(num, height, width, people, seed=0):
    """Images per second of generate_dataset (render, write PNG, write the JSON)."""
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        generate_dataset(tmp, num, height, width, people=people, seed=seed)
        return num / (time.perf_counter() - start)


def parse_size(text):
    height, width = text.lower().split("x")
    return int(height), int(width)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--num", type=int, default=100, help="images per row")
    parser.add_argument("--sizes", nargs="+", type=parse_size, default=[(320, 320), (480, 640)],
                        metavar="HxW")
    args = parser.parse_args()
    cv2.setNumThreads(1)
    render_rate(5, 64, 64, (1, 3))  # warm-up: imports, caches
    print(describe_cpu())
    print(f"{'size':>9}  {'people':>7}  {'render img/s':>12}  {'render+PNG img/s':>16}")
    for height, width in args.sizes:
        for people in PEOPLE:
            render = render_rate(args.num, height, width, people)
            write = write_rate(args.num, height, width, people)
            size = f"{height}x{width}"
            span = f"{people[0]}-{people[1]}"
            print(f"{size:>9}  {span:>7}  {render:>12.1f}  {write:>16.1f}")


if __name__ == "__main__":
    main()
