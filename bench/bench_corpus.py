"""Corpus throughput of `posecut predict`: images per second and video frames per second of the
whole command (start-up, decoding, network, grouping, drawing, writing), in one process and on a
Ray instance started on this machine (--ray) with 1 and 2 network actors (--workers), on a corpus
from demo/make_corpus.py and the bundled light model; Ray's overhead per input against the one
process. Then the cost of each stage per frame, measured in this process, from which
docs/benchmarks.md models the throughput of N machines. All rows are measured in this one run;
the table names the CPU.

Run: .venv/bin/python bench/bench_corpus.py [--images 500] [--clips 10] [--frames 500] [--size 128 128]
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

from demo.make_corpus import make_corpus  # noqa: E402
from nnet.precision import describe_cpu  # noqa: E402

CONFIGS = [("one process", []), ("Ray, 1 worker", ["--ray", "--workers", "1"]),
           ("Ray, 2 workers", ["--ray", "--workers", "2"])]


def _timed(inputs, out, extra):
    """Seconds of one `posecut predict` command, start-up included."""
    command = [sys.executable, "-m", "posecut", "predict", *inputs, "--output", out,
               "--no-progress", *extra]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    return seconds


def stage_costs(corpus: dict, frames: int = 200) -> dict:
    """Seconds per frame of each stage on the corpus's first clip: decoding, the network,
    grouping, drawing and encoding (the annotated MP4)."""
    from posecut.logs import start_tensorflow

    start_tensorflow()
    from posecut.build import setup_prediction
    from posecut.bundled import BUNDLED_CONFIG, BUNDLED_WEIGHTS
    from posecut.config import load_config
    from posecut.frames import VideoFrames, video_writer
    from multiperson.draw import PoseDrawing

    cfg = load_config(BUNDLED_CONFIG)
    predictor = setup_prediction(cfg, BUNDLED_WEIGHTS)
    drawing = PoseDrawing(tuple(cfg.format.skeleton))
    start = time.perf_counter()
    clip = [f for _, f in zip(range(frames), VideoFrames(corpus["clips"][0]))]
    costs = {"decode": (time.perf_counter() - start) / len(clip)}
    predictor.people(predictor.outputs(clip[0]))
    start = time.perf_counter()
    raw = [predictor.outputs(f) for f in clip]
    costs["network"] = (time.perf_counter() - start) / len(clip)
    start = time.perf_counter()
    people = [predictor.people(r) for r in raw]
    costs["grouping"] = (time.perf_counter() - start) / len(clip)
    with tempfile.TemporaryDirectory() as work:
        writer = video_writer(os.path.join(work, "drawn.mp4"), 25.0)
        start = time.perf_counter()
        for frame, found in zip(clip, people):
            writer.append_data(drawing(frame, found.poses))
        writer.close()
        costs["drawing and encoding"] = (time.perf_counter() - start) / len(clip)
    return costs


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=500)
    parser.add_argument("--clips", type=int, default=10)
    parser.add_argument("--frames", type=int, default=500, help="frames of each clip")
    parser.add_argument("--size", type=int, nargs=2, default=(128, 128), metavar=("H", "W"))
    parser.add_argument("--corpus", default=None, help="folder of the corpus (made there when absent)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as work:
        folder = args.corpus or os.path.join(work, "corpus")
        corpus = make_corpus(folder, args.images, args.clips, args.frames, tuple(args.size))
        kinds = [("images", [os.path.join(folder, "images")], len(corpus["images"])),
                 ("video frames", corpus["clips"], args.clips * args.frames)]
        rows = []
        for kind, inputs, count in kinds:
            seconds = {}
            for name, extra in CONFIGS:
                seconds[name] = _timed(inputs, os.path.join(work, f"out-{len(rows)}"), extra)
                rows.append((kind, name, count, seconds[name], len(inputs) if kind != "images" else count))
        costs = stage_costs(corpus)
    print(describe_cpu())
    print(f"date: {time.strftime('%Y-%m-%d', time.gmtime())}; corpus: {args.images} images and "
          f"{args.clips} clips of {args.frames} frames, {args.size[1]}x{args.size[0]}; bundled "
          f"model (mobilenet_v2_0.5); drawings on; seconds of the whole command, start-up included")
    print()
    print("| inputs | run | seconds | per second | Ray's overhead | per input |")
    print("|---|---|---:|---:|---:|---:|")
    base = {}
    for kind, name, count, secs, inputs in rows:
        base.setdefault(kind, secs)
        overhead = (secs - base[kind]) / base[kind] if name != CONFIGS[0][0] else None
        per_input = (secs - base[kind]) / inputs if name != CONFIGS[0][0] else None
        print(f"| {count} {kind} | {name} | {secs:.1f} | {count / secs:.1f} | "
              f"{'' if overhead is None else f'{100 * overhead:+.1f} %'} | "
              f"{'' if per_input is None else f'{per_input:+.3f} s'} |")
    print()
    print("| stage | ms per frame |")
    print("|---|---:|")
    for stage, seconds in costs.items():
        print(f"| {stage} | {1000 * seconds:.2f} |")
    print(f"| all | {1000 * float(np.sum(list(costs.values()))):.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
