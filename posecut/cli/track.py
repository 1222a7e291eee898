"""`posecut track`: people followed through videos and folders of frames (ArtTrack's
spatio-temporal grouping, or the OKS baseline), written as PoseTrack JSON and annotated videos."""
import os

from lib.errors import DatasetError, PosecutError
from posecut.cli.common import (checked_weights, existing, load_predict_config, model_arguments,
                                report_skipped, require_pairwise_head, start_tensorflow)
from posecut.cli.ray_runs import track_on_ray
from posecut.corpus.options import ray_arguments, refuse_with_ray

NAME = "track"


TRACKER_CHOICES = ("arttrack", "oks")
"""posecut.tracking_run.TRACKERS, spelled here so that the parser is built without importing it
(a test keeps the two equal)."""


def add_parser(sub):
    parser = sub.add_parser(NAME, help="people tracked through videos and folders of frames "
                                       "(ArtTrack's spatio-temporal grouping): PoseTrack JSON with "
                                       "track ids and a video in which each person keeps a colour "
                                       "and a trail")
    parser.add_argument("inputs", nargs="+", help="video files, or folders of frames (in name order)")
    model_arguments(parser)
    parser.add_argument("--tracker", choices=TRACKER_CHOICES, default=TRACKER_CHOICES[0],
                        help="arttrack: spatio-temporal grouping (default); oks: per-frame people "
                             "linked by OKS, the PoseTrack baselines' tracker")
    parser.add_argument("--temporal-model", help="the fitted temporal model (default: the config's "
                                                 "temporal_model)")
    parser.add_argument("--trail", type=int, default=15,
                        help="frames of trail drawn behind each person")
    parser.add_argument("--output", default="out/track", help="output folder")
    parser.add_argument("--no-draw", action="store_true", help="only the JSON files")
    parser.add_argument("--no-progress", action="store_true")
    ray_arguments(parser, chunks=True)
    parser.set_defaults(func=run)


def _check_inputs(paths):
    """Refuse an input that is neither a video file nor a folder (list files give theirs),
    before TensorFlow starts."""
    from posecut.inputs import VIDEO_EXTENSIONS, expand_lists

    for path in expand_lists(paths):
        if not (os.path.isdir(path) or (os.path.isfile(path)
                                        and path.lower().endswith(VIDEO_EXTENSIONS))):
            raise PosecutError(f"{path}: expected a video file ({', '.join(VIDEO_EXTENSIONS)}) or "
                               f"a folder of frames")


def run(args):
    cfg, weights = load_predict_config(args)
    require_pairwise_head(cfg, "track", "follows several animals or people by grouping part "
                                        "candidates with it")
    from posecut.tracking_run import TRACKERS, temporal_model_path, track_settings_from_config

    fmt = cfg.require_format("tracking (PoseTrack JSON names the joints)")
    _check_inputs(args.inputs)
    track_settings_from_config(cfg)  # refuse track_* values that do not fit before TensorFlow starts
    weights = checked_weights(cfg, weights)
    model_path = None
    if args.tracker == TRACKERS[0]:
        model_path = temporal_model_path(cfg, args.temporal_model)
        existing(model_path, "the fitted temporal model: posecut fit-temporal writes it; or use "
                             "--tracker oks")
    refuse_with_ray(args)
    if args.ray:
        return track_on_ray(args, cfg, weights, model_path)
    start_tensorflow(args)
    from dataset.posetrack import write_posetrack
    from dataset.tracks import TrackedVideo
    from nnet.predict import setup_pose_prediction
    from posecut.build import tracker_factory
    from posecut.inputs import expand_lists
    from posecut.predict_files import distinct_stems
    from posecut.tracking_run import track_video

    network = setup_pose_prediction(cfg, weights)
    new_tracker = tracker_factory(cfg, args.tracker, model_path)
    os.makedirs(args.output, exist_ok=True)
    skipped = []
    inputs = expand_lists(args.inputs)
    for path, stem in zip(inputs, distinct_stems(inputs)):
        drawing = None if args.no_draw else os.path.join(args.output, f"{stem}_tracks.mp4")
        try:
            run = track_video(network, new_tracker(), path, cfg.global_scale, fmt.skeleton, drawing,
                              args.trail, progress=not args.no_progress)
        except DatasetError as err:
            skipped.append(str(err))
            continue
        if not run.names:
            skipped.append(f"{path}: no frame could be read")
            continue
        out = write_posetrack(TrackedVideo(stem, run.names, run.people, cfg.keypoint_format),
                              os.path.join(args.output, f"{stem}.json"), predictions=True,
                              size=run.size)
        tracks = len({int(t) for p in run.people for t in p.track_ids})
        print(f"{path}: {len(run.names)} frames, {tracks} tracks, "
              f"{len(run.names) / max(run.seconds, 1e-9):.1f} frames/s in all ({args.tracker}); "
              f"wrote {out}{'' if args.no_draw else ' and ' + stem + '_tracks.mp4'}")
    return report_skipped(skipped, f"of {len(inputs)} inputs")
