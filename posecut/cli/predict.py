"""`posecut predict`: people in images, folders of images and videos, written as COCO results,
a CSV table per input kind and drawings."""
import os

from lib.errors import PosecutError
from posecut.cli.common import (checked_weights, existing, load_predict_config, model_arguments,
                                report_skipped, start_tensorflow)

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
    parser.add_argument("--no-progress", action="store_true")
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
    from posecut.inputs import list_inputs

    images, videos = list_inputs(args.inputs)
    cfg, weights = load_predict_config(args)
    if args.backend == "tflite" and not args.tflite:
        raise PosecutError("--backend tflite: give the TFLite file with --tflite FILE")
    existing(args.tflite, "a TFLite model written by posecut export --tflite")
    weights, no_tensorflow = _candidate_weights(cfg, weights, args)
    if args.filter_window is not None:
        _check_filter(cfg, args.filter_window)
    start_tensorflow(args)
    from posecut.build import choose_network, network_candidates, predictor_from_network
    from posecut.predict_files import predict_files, probe_image

    candidates = network_candidates(cfg, weights, args.tflite, args.backend)
    probe = probe_image(images, videos) if len(candidates) > 1 else None
    network, chosen = choose_network(cfg, candidates, probe, weights, args.backend)
    predictor = predictor_from_network(cfg, network)
    print("\n".join(filter(None, [chosen, no_tensorflow])), flush=True)
    fmt = cfg.format
    written = predict_files(predictor, images, videos, args.output, cfg.joint_names,
                            fmt.skeleton if fmt else (), draw=not args.no_draw,
                            progress=not args.no_progress, filter_window=args.filter_window)
    if not cfg.pairwise_predict:
        print(f"{cfg.source}: no pairwise head, so one person (or animal) per image: the argmax pose")
    for line in written.lines:
        print(line)
    print(f"wrote {os.path.join(args.output, 'results.json')} (COCO results), images.json (image "
          f"ids to files), {', '.join(os.path.basename(t) for t in written.tables)} (x, y, "
          f"likelihood per part){'' if args.no_draw else ' and the drawings'} to {args.output}")
    return report_skipped(written.skipped, f"of {len(images) + len(videos)} inputs")


