"""`posecut predict`: people (or animals) in images, folders of images and videos, written as COCO
results, a CSV table per input kind, drawings and, for animals, DeepLabCut's H5 and CSV per video."""
import argparse

from lib.errors import PosecutError
from posecut.cli.common import (checked_weights, existing, load_predict_config, model_arguments,
                                report_skipped, report_written, start_tensorflow)
from posecut.cli.plot import check as check_plot_arguments, pcutoff_argument
from posecut.cli.ray_runs import predict_on_ray
from posecut.corpus.options import ray_arguments, refuse_with_ray

NAME = "predict"


def add_parser(sub):
    parser = sub.add_parser(NAME, help="people in images, folders of images and videos: COCO "
                                       "results JSON and drawings (one argmax pose per image for "
                                       "a model without the pairwise head)")
    parser.add_argument("inputs", nargs="+", help="image files, folders of images, video files")
    model_arguments(parser)
    parser.add_argument("--output", default="out/predict", help="output folder")
    parser.add_argument("--no-draw", action="store_true",
                        help="no drawings: only the JSON and CSV files")
    parser.add_argument("--filter-window", type=int, default=None, metavar="FRAMES",
                        help="videos of a model without the pairwise head: median-filter each "
                             "part's position over this many frames (odd), as DeepLabCut's "
                             "filterpredictions")
    parser.add_argument("--tflite", metavar="FILE",
                        help="a TFLite file of the network (posecut export --tflite, e.g. with "
                             "--int8) to run instead of TensorFlow's where it is faster (see "
                             "--backend); inputs must not be larger than its size")
    parser.add_argument("--backend", choices=("auto", "tensorflow", "tflite"), default="auto",
                        help="which network runs: auto (default) times TensorFlow and the "
                             "--tflite file on the first input and takes the fastest that may "
                             "be used (a float32 file agreeing with TensorFlow float32, an int8 "
                             "one whose export check kept it within one AP point or pixel); "
                             "tensorflow or tflite: that one")
    pcutoff_argument(parser)
    parser.add_argument("--legend", action="store_true",
                        help="drawings colour each part and list the parts' names beside them")
    parser.add_argument("--dlc", action=argparse.BooleanOptionalAction, default=None,
                        help="write each video's poses in DeepLabCut's layout, "
                             "<video>_<scorer>.h5 and .csv (default: for a model whose "
                             "keypoint_format is not a registered person's format, e.g. a "
                             "DeepLabCut project's bodyparts)")
    parser.add_argument("--plots", action="store_true",
                        help="after each video, `posecut plot` its DeepLabCut H5 into OUTPUT/plots")
    parser.add_argument("--no-progress", action="store_true")
    ray_arguments(parser)
    parser.set_defaults(func=run)


def _candidate_weights(cfg, weights, args):
    """(weights or None, why TensorFlow is not a candidate or ''): the weights are checked where
    TensorFlow must run, and may be missing where a TFLite file can run instead."""
    if args.backend == "tensorflow" or not args.tflite:
        return checked_weights(cfg, weights), ""
    if args.backend == "tflite":
        return None, ""
    try:
        return checked_weights(cfg, weights), ""
    except PosecutError as err:
        return None, f"TensorFlow is not a candidate: {err}"


def _check_filter(cfg, window):
    """Refuse a --filter-window that is not odd and positive, or that a multi-person model cannot use."""
    from multiperson.temporal_filter import half_window

    try:
        half_window(window)
    except ValueError as err:
        raise PosecutError(f"--filter-window: {err}") from None
    if cfg.pairwise_predict:
        raise PosecutError(f"--filter-window: filters one pose per frame, for a model "
                           f"without the pairwise head; {cfg.source} groups several people, "
                           f"whose identities across frames need tracking")


def run(args):
    from posecut.dlc_files import is_person_format, scorer_name
    from posecut.inputs import list_inputs
    from posecut.predict_files import Subjects, predict_files, probe_image

    images, videos = list_inputs(args.inputs)
    cfg, weights = load_predict_config(args)
    if args.backend == "tflite" and not args.tflite:
        raise PosecutError("--backend tflite: give the TFLite file with --tflite FILE")
    existing(args.tflite, "a TFLite model written by posecut export --tflite")
    weights, no_tensorflow = _candidate_weights(cfg, weights, args)
    if args.filter_window is not None:
        _check_filter(cfg, args.filter_window)
    args.pcutoff = cfg.pcutoff if args.pcutoff is None else args.pcutoff
    check_plot_arguments(args.pcutoff)
    if args.plots and args.dlc is False:
        raise PosecutError("--plots: plots are drawn from the DeepLabCut H5 that --no-dlc leaves "
                           "out; drop one of them")
    refuse_with_ray(args, **{"--tflite": args.tflite, "--filter-window": args.filter_window})

    person = is_person_format(cfg.keypoint_format)
    dlc = args.dlc if args.dlc is not None else (args.plots or not person)
    scorer = scorer_name(cfg.source, weights or args.tflite) if dlc else None
    if args.ray:
        return predict_on_ray(args, cfg, weights, images, videos, _drawing(cfg, person, args),
                              scorer, not Subjects.of(person, cfg.pairwise_predict).single)
    start_tensorflow(args)
    from posecut.build import choose_network, network_candidates, predictor_from_network

    candidates = network_candidates(cfg, weights, args.tflite, args.backend)
    probe = probe_image(images, videos) if len(candidates) > 1 else None
    network, chosen = choose_network(cfg, candidates, probe, weights, args.backend)
    predictor = predictor_from_network(cfg, network)
    print("\n".join(filter(None, [chosen, no_tensorflow])), flush=True)
    written = predict_files(predictor, images, videos, args.output, cfg.joint_names,
                            _drawing(cfg, person, args), draw=not args.no_draw,
                            progress=not args.no_progress, filter_window=args.filter_window,
                            subjects=Subjects.of(person, cfg.pairwise_predict),
                            dlc_scorer=scorer)
    if not cfg.pairwise_predict:
        print(f"{cfg.source}: no pairwise head, so one person (or animal) per image: the argmax pose")
    for line in written.lines:
        print(line)
    report_written(args, written.tables, written.pose_files, scorer)
    return report_skipped(written.skipped, f"of {len(images) + len(videos)} inputs")


def _drawing(cfg, person, args):
    """How the drawings look: each part its own colour for an animal's format or one pose per
    image, each person its own colour for people grouped by the pairwise head (--legend colours
    by part too); parts below --pcutoff hollow."""
    from multiperson.draw import PoseDrawing

    fmt = cfg.format
    return PoseDrawing(tuple(fmt.skeleton) if fmt else (),
                       by_part=not person or not cfg.pairwise_predict, pcutoff=args.pcutoff,
                       names=tuple(cfg.joint_names), legend=args.legend)


