"""A corpus to try `posecut predict --ray` and `posecut track --ray` on: a folder of synthetic
images, a few clips, and a list file naming them all (one path a line).

Run: .venv/bin/python demo/make_corpus.py [--images 40] [--clips 4] [--frames 25] [--size 128 128] [--output out/corpus]
"""
import argparse
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402

from demo.make_video import synthetic_clip, write_video  # noqa: E402


def make_corpus(output: str, images: int = 40, clips: int = 4, frames: int = 25,
                size=(128, 128), seed: int = 7, fps: float = 10.0) -> dict:
    """Write ``images`` PNGs (1-4 people each) under ``output``/images, ``clips`` MP4s of
    ``frames`` frames (3 people drifting) and ``output``/corpus.txt listing them all; returns
    {"images": [...], "clips": [...], "list": path}."""
    import imageio.v3 as iio

    from dataset.synthetic import render_scene

    height, width = size
    folder = os.path.join(output, "images")
    os.makedirs(folder, exist_ok=True)
    written = {"images": [], "clips": []}
    for k in range(images):
        scene = render_scene(np.random.default_rng(seed * 1000 + k), height, width, 1 + k % 4,
                             min_height=max(16, height // 3), max_height=max(20, height - 8))[0]
        written["images"].append(os.path.join(folder, f"image{k:05d}.png"))
        iio.imwrite(written["images"][-1], scene)
    for k in range(clips):
        written["clips"].append(os.path.join(output, f"clip{k:03d}.mp4"))
        write_video(synthetic_clip(seed * 1000 + 500 + k, height, width, 3, frames),
                    written["clips"][-1], fps)
    written["list"] = os.path.join(output, "corpus.txt")
    with open(written["list"], "w", encoding="utf-8") as f:
        for path in written["images"] + written["clips"]:
            f.write(os.path.relpath(path, output) + "\n")
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=40)
    parser.add_argument("--clips", type=int, default=4)
    parser.add_argument("--frames", type=int, default=25)
    parser.add_argument("--size", type=int, nargs=2, default=(128, 128), metavar=("H", "W"))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--output", default=os.path.join("out", "corpus"))
    args = parser.parse_args(argv)
    written = make_corpus(args.output, args.images, args.clips, args.frames, tuple(args.size), args.seed)
    print(f"wrote {len(written['images'])} images, {len(written['clips'])} clips of {args.frames} "
          f"frames and the list {written['list']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
