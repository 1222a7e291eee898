"""Long videos tracked in chunks on a Ray instance on this machine (`posecut track --ray
--chunk-frames N --workers 2`) against one tracker over the whole video (`posecut track`): the
people whose track ids differ, the poses that differ, and the seconds of each command, on a
long clip of demo/make_video.py with the bundled model. Ids are compared as they are written
(both number them in order of first appearance).

Run: .venv/bin/python bench/bench_chunked_tracking.py [--seconds 60] [--chunk-frames 100 300]
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from dataset.posetrack import read_posetrack  # noqa: E402
from demo.make_video import synthetic_clip, write_video  # noqa: E402
from nnet.precision import describe_cpu  # noqa: E402
from posecut.video_chunks import plan_chunks  # noqa: E402


def _track(clip, out, extra):
    command = [sys.executable, "-m", "posecut", "track", clip, "--output", out, "--no-progress",
               "--no-draw", *extra]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    return time.perf_counter() - start, read_posetrack(os.path.join(out, "clip.json")).video


def differences(one, chunked):
    """(people, people whose id differs, people whose pose differs, frames with another count)."""
    people = ids = poses = frames = 0
    for a, b in zip(one.people, chunked.people):
        people += len(a)
        if len(a) != len(b):
            frames += 1
            continue
        ids += int(np.sum(a.track_ids != b.track_ids))
        poses += int(np.sum(np.abs(a.poses - b.poses).max(axis=(1, 2)) > 1e-6)) if len(a) else 0
    return people, ids, poses, frames


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the clip at 25 fps")
    parser.add_argument("--chunk-frames", type=int, nargs="+", default=[100, 300])
    parser.add_argument("--size", type=int, nargs=2, default=(240, 320), metavar=("H", "W"))
    args = parser.parse_args(argv)
    frames = int(round(25 * args.seconds))
    rows = []
    with tempfile.TemporaryDirectory() as work:
        clip = os.path.join(work, "clip.mp4")
        write_video(synthetic_clip(3, *args.size, 6, frames), clip, 25.0)
        whole_seconds, whole = _track(clip, os.path.join(work, "one"), [])
        for chunk_frames in args.chunk_frames:
            seconds, chunked = _track(clip, os.path.join(work, f"chunked-{chunk_frames}"),
                                      ["--ray", "--workers", "2", "--chunk-frames", str(chunk_frames)])
            chunks = len(plan_chunks(frames, chunk_frames, 8, 4))
            rows.append((chunk_frames, chunks, seconds, *differences(whole, chunked)))
    print(describe_cpu())
    print(f"date: {time.strftime('%Y-%m-%d', time.gmtime())}; clip: {frames} frames of "
          f"{args.size[1]}x{args.size[0]}, 6 synthetic people; bundled model, arttrack, "
          f"track_window 8, track_overlap 4; one tracker: {whole_seconds:.1f} s, "
          f"{len({int(t) for p in whole.people for t in p.track_ids})} tracks")
    print()
    print("| chunk frames | chunks | seconds (Ray, 2 workers) | people | other id | other pose | frames with another count |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print("| " + " | ".join(f"{v:.1f}" if isinstance(v, float) else str(v) for v in row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
