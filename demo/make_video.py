"""A clip to try `posecut predict` on video: synthetic people drifting across the frame, as MP4.

Run: .venv/bin/python demo/make_video.py [--seconds 10] [--fps 25] [--people 6] [--output out/clip.mp4]
"""
import argparse
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402


def synthetic_clip(seed: int, height: int, width: int, num_people: int, frames: int,
                   shift: int = 2):
    """``frames`` RGB frames (H, W, 3) uint8: one synthetic scene moved ``shift`` pixels to the
    right per frame (wrapping round)."""
    from dataset.synthetic import render_scene

    image = render_scene(np.random.default_rng(seed), height, width, num_people,
                         min_height=80, max_height=300)[0]
    for index in range(frames):
        yield np.roll(image, shift * index, axis=1)


def write_video(frames, path: str, fps: float) -> int:
    """Write the frames as an H.264 MP4 (imageio-ffmpeg); return how many."""
    import imageio.v2 as iio2

    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    count = 0
    with iio2.get_writer(path, format="FFMPEG", fps=fps, codec="libx264", macro_block_size=1,
                         quality=7) as writer:
        for frame in frames:
            writer.append_data(frame)
            count += 1
    return count


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--fps", type=float, default=25.0)
    parser.add_argument("--people", type=int, default=6)
    parser.add_argument("--size", type=int, nargs=2, default=(480, 640), metavar=("H", "W"))
    parser.add_argument("--seed", type=int, default=44)
    parser.add_argument("--output", default=os.path.join("out", "clip.mp4"))
    args = parser.parse_args(argv)
    frames = synthetic_clip(args.seed, *args.size, args.people, round(args.seconds * args.fps))
    count = write_video(frames, args.output, args.fps)
    print(f"wrote {args.output}: {count} frames of {args.size[1]}x{args.size[0]} at {args.fps:g} fps")
    return 0


if __name__ == "__main__":
    sys.exit(main())
