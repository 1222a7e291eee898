"""The --ray runs of `posecut predict` and `posecut track`: a CorpusJob made of the checked
arguments and config, run on a Ray cluster (posecut.corpus.run), and its summary printed."""
import os

from lib.errors import PosecutError
from posecut.cli.common import report_skipped, report_written
from posecut.corpus.job import CorpusJob

__all__ = ["predict_on_ray", "track_on_ray"]


def predict_on_ray(args, cfg, weights, images, videos, drawing, scorer, multi) -> int:
    """`posecut predict --ray`: the files one process writes, written by a Ray cluster."""
    from posecut.corpus.run import run_corpus
    from posecut.predict_files import distinct_stems

    job = CorpusJob("predict", os.path.abspath(cfg.source), weights and os.path.abspath(weights),
                    os.path.abspath(args.output), draw=not args.no_draw, drawing=drawing,
                    part_names=tuple(cfg.joint_names), dlc_scorer=scorer, dlc_multi=multi)
    run = run_corpus(job, images, videos, distinct_stems(images), distinct_stems(videos),
                     args.ray, args.workers, progress=not args.no_progress)
    for line in run.lines:
        print(line)
    report_written(args, run.tables, run.pose_files, scorer)
    return report_skipped(run.skipped, f"of {len(images) + len(videos)} inputs")


def track_on_ray(args, cfg, weights, model_path) -> int:
    """`posecut track --ray`: PoseTrack JSON and drawings per video, long videos in chunks."""
    from multiperson.track_link import LinkSettings
    from posecut.corpus.run import run_corpus
    from posecut.inputs import expand_lists
    from posecut.tracking_run import track_settings_from_config
    from posecut.video_chunks import chunk_grid, least_chunk_frames
    from posecut.predict_files import distinct_stems

    least = least_chunk_frames(*chunk_grid(args.tracker, track_settings_from_config(cfg),
                                           LinkSettings().memory))
    if args.chunk_frames < least:
        raise PosecutError(f"--chunk-frames: expected at least {least} frames for {cfg.source}'s "
                           f"track_window and track_overlap ({args.tracker}), got {args.chunk_frames}")
    videos = expand_lists(args.inputs)
    job = CorpusJob("track", os.path.abspath(cfg.source), weights and os.path.abspath(weights),
                    os.path.abspath(args.output), draw=not args.no_draw,
                    tracker=args.tracker, temporal_model=model_path, trail=args.trail,
                    chunk_frames=args.chunk_frames)
    run = run_corpus(job, [], videos, [], distinct_stems(videos), args.ray, args.workers,
                     progress=not args.no_progress)
    for line in run.lines:
        print(line)
    return report_skipped(run.skipped, f"of {len(videos)} inputs")
