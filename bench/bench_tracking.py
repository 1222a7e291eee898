"""Tracking benchmark: ArtTrack's spatio-temporal grouping against the OKS-linking baseline on
synthetic clips (python -m dataset.synthetic.clips), with oracle outputs (ground truth plus
noise: the trackers alone) and with the bundled network's.

For each source the temporal model is fitted on separate clips (another seed), then both trackers
follow every test clip; the table gives PoseTrack's metrics (motmetrics), the per-frame AP, the
tracks made per true track, and the milliseconds per frame of everything after the network
(grouping, temporal edges, flow, solver, linking), all measured in this one run. The last line
names the CPU and its flags. ``--scaling`` adds how that time grows with the people per frame
and with the window length (oracle outputs, clips without entries and exits).

Run: .venv/bin/python bench/bench_tracking.py [--quick] [--scaling] [--sources oracle network]
"""
import argparse
import dataclasses
import os
import sys
import tempfile
import time


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from dataset.images import read_image  # noqa: E402
from dataset.posetrack import read_posetrack  # noqa: E402
from dataset.records import ImageRecord  # noqa: E402
from dataset.synthetic.clips import generate_clips  # noqa: E402
from dataset.tracks import TrackedVideo  # noqa: E402
from multiperson.track_metrics import evaluate_videos  # noqa: E402
from nnet.precision import describe_cpu  # noqa: E402
from posecut.track_eval import frame_ap  # noqa: E402
from posecut.tracking_run import (clip_frames, fit_temporal_on_clips, make_tracker, sigmas_of,  # noqa: E402
                                  track_settings_from_config)

CONFIG = os.path.join(ROOT, "models", "synthetic_multi", "pose_cfg.yaml")
WEIGHTS = os.path.join(ROOT, "models", "synthetic_multi", "model", "weights")


def clip_records(path):
    """(ground truth TrackedVideo, ImageRecords of its frames) of one clip file."""
    video = read_posetrack(path).video
    records = []
    for index, (name, people) in enumerate(zip(clip_frames(video, path), video.people)):
        image = read_image(name)
        records.append(ImageRecord(name, index, image.shape[0], image.shape[1], people.poses))
    return video, records


def run_tracker(kind, clips, outputs_of, assets, settings, sigmas, model):
    """(predicted TrackedVideos, seconds after the network, frames)."""
    predicted, seconds, frames = [], 0.0, 0
    for video, records in clips:
        tracker = make_tracker(kind, assets, settings, sigmas, model)
        found = []
        for record in records:
            raw = outputs_of(record)
            image = read_image(record.image_path)
            start = time.perf_counter()
            found += tracker.update(raw, image)
            seconds += time.perf_counter() - start
        start = time.perf_counter()
        found += tracker.finish()
        seconds += time.perf_counter() - start
        frames += len(records)
        predicted.append(TrackedVideo(video.name, list(video.frames), found, video.format))
    return predicted, seconds, frames


def scaling(cfg, assets, sigmas, work, quick):
    """Milliseconds per frame after the network (oracle outputs), by people per frame and window."""
    from posecut.build import outputs_source

    outputs_of = outputs_source(cfg, None, assets.means, assets.stds, oracle=True, seed=3)
    fit = generate_clips(os.path.join(work, "scale_fit"), 2, 16, 240, 320, (3, 5), seed=31)
    base = track_settings_from_config(cfg)
    model, _, _ = fit_temporal_on_clips(fit, outputs_of, assets, base, cfg.pos_dist_thresh)
    rows = []
    for people in ((1, 4) if quick else (1, 2, 4, 8)):
        paths = generate_clips(os.path.join(work, f"scale_{people}"), 2, 24, 240, 320, (people, people),
                               seed=40 + people, enter=False, leave=False)
        clips = [clip_records(p) for p in paths]
        for window in ((4, 8) if quick else (4, 8, 16)):
            settings = dataclasses.replace(base, window=window, overlap=window // 2,
                                           max_gap=min(base.max_gap, window - 1))
            _, art, frames = run_tracker("arttrack", clips, outputs_of, assets, settings, sigmas, model)
            _, oks, _ = run_tracker("oks", clips, outputs_of, assets, settings, sigmas, model)
            rows.append((people, window, 1000 * art / frames, 1000 * oks / frames))
    print("\n| people per frame | window (overlap half) | arttrack ms/frame | oks ms/frame |")
    print("|---:|---:|---:|---:|")
    for people, window, art, oks in rows:
        print(f"| {people} | {window} | {art:.1f} | {oks:.1f} |")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer and shorter clips")
    parser.add_argument("--sources", nargs="+", default=["oracle", "network"], choices=("oracle", "network"))
    parser.add_argument("--scaling", action="store_true",
                        help="also time the tracker by people per frame and window length")
    parser.add_argument("--min-joint-score", type=float, default=0.5,
                        help="tracking metrics count predicted joints above this score")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from posecut.build import grouping_assets_from_config, outputs_source
    from posecut.config import load_config

    cfg = load_config(CONFIG)
    settings = track_settings_from_config(cfg)
    assets = grouping_assets_from_config(cfg)
    sigmas = sigmas_of(cfg)
    num, frames = (3, 16) if args.quick else (8, 40)
    with tempfile.TemporaryDirectory() as work:
        fit_paths = generate_clips(os.path.join(work, "fit"), num, 16, 192, 256, (2, 5), seed=21)
        test_paths = generate_clips(os.path.join(work, "test"), num, frames, 192, 256, (2, 5), seed=22)
        clips = [clip_records(p) for p in test_paths]
        truth = [video for video, _ in clips]
        true_tracks = sum(len({int(t) for p in v.people for t in p.track_ids}) for v in truth)
        rows = []
        for source in args.sources:
            outputs_of = outputs_source(cfg, None if source == "oracle" else WEIGHTS, assets.means,
                                        assets.stds, oracle=source == "oracle", seed=3)
            model, count, _ = fit_temporal_on_clips(fit_paths, outputs_of, assets, settings,
                                                    cfg.pos_dist_thresh, seed=cfg.seed)
            for kind in ("oks", "arttrack"):
                predicted, seconds, total = run_tracker(kind, clips, outputs_of, assets, settings, sigmas, model)
                m = evaluate_videos(truth, predicted, min_joint_score=args.min_joint_score).total
                ap = frame_ap(truth, predicted)["AP"]
                tracks = sum(len({int(t) for p in v.people for t in p.track_ids}) for v in predicted)
                rows.append((source, kind, m.mota, m.idf1, m.id_switches, m.precision, m.recall, ap,
                             tracks / true_tracks, 1000 * seconds / total))
        print(f"{num} test clips of {frames} frames, 192x256, 2-5 people who walk, cross, enter and leave; "
              f"temporal model fitted on {num} other clips of 16 frames; window {settings.window}, "
              f"overlap {settings.overlap}, max gap {settings.max_gap}; joints above "
              f"{args.min_joint_score} count\n")
        print("| outputs | tracker | MOTA | IDF1 | ID switches | precision | recall | AP (per frame) | "
              "tracks per true track | ms/frame after the network |")
        print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for source, kind, mota, idf1, switches, precision, recall, ap, ratio, ms in rows:
            print(f"| {source} | {kind} | {100 * mota:.1f} | {100 * idf1:.1f} | {switches} | "
                  f"{100 * precision:.1f} | {100 * recall:.1f} | {100 * ap:.1f} | {ratio:.2f} | {ms:.1f} |")
        if args.scaling:
            scaling(cfg, assets, sigmas, work, args.quick)
        print(f"\n{describe_cpu()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
