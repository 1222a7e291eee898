"""The `posecut` command: one entry point for what a user does (train, pairwise-stats, ...).

Help, argument errors and wrong paths are answered before anything heavy is imported: each
command checks its files first and imports TensorFlow only then.
"""
import argparse
import difflib
import os
import sys
import time

from lib.errors import PosecutError

DEFAULT_CONFIG = "pose_cfg.yaml"


def _config_path(path):
    """The config to use: the one given, else pose_cfg.yaml in the working folder (as DeeperCut)."""
    path = path or DEFAULT_CONFIG
    if not os.path.isfile(path):
        raise PosecutError(f"{path}: no such config file (give one, or run from a folder that "
                           f"holds {DEFAULT_CONFIG})")
    return path


def _existing(path, what):
    """``path`` when it exists, else a PosecutError naming it and what it should be."""
    if path and not os.path.exists(path):
        raise PosecutError(f"{path}: no such file or folder (expected {what})")
    return path


def _weights(cfg, weights):
    """The checkpoint to load: ``weights``, else the config's init_weights (as DeeperCut); checked
    to exist before TensorFlow is imported."""
    from nnet.checkpoint_files import checkpoint_problem, config_weights

    weights = weights or config_weights(cfg)
    problem = checkpoint_problem(weights)
    if problem:
        raise PosecutError(problem)
    return weights


def _start_tensorflow(args):
    """Import TensorFlow now that the inputs are checked, its start-up lines hidden unless
    --verbose."""
    from posecut.logs import start_tensorflow

    start_tensorflow(args.verbose)


def cmd_train(args):
    from posecut.config import load_config

    cfg = load_config(_config_path(args.config))
    _start_tensorflow(args)
    from posecut.build import train

    try:
        result = train(cfg, progress=not args.no_progress, max_iters=args.max_iters)
    except KeyboardInterrupt as stop:
        import signal

        signum = getattr(stop, "signum", signal.SIGINT)
        print(f"stopped by {signal.Signals(signum).name}: the training state and weights were "
              f"saved; run again to resume", file=sys.stderr)
        return 128 + signum
    print(f"trained to step {result['step']}")
    return 0


def cmd_pairwise_stats(args):
    from posecut.config import load_config

    cfg = load_config(_config_path(args.config))
    cfg.require_joints()
    from dataset.loaders import load_dataset_from_config
    from dataset.pairwise_stats import compute_pairwise_stats, save_pairwise_stats

    data = load_dataset_from_config(cfg)
    stats = compute_pairwise_stats((r.joints for r in data.records), cfg.num_joints,
                                   scale=1.0)
    out = args.output or cfg.resolve_path(cfg.pairwise_stats_fn)
    save_pairwise_stats(stats, out)
    seen = int((stats.counts > 0).sum())
    print(f"pairwise statistics of {len(data.records)} images, {seen} of {len(stats.counts)} "
          f"ordered joint pairs seen, written to {out}")
    return 0


def cmd_pck(args):
    from posecut.config import load_config

    cfg = load_config(_config_path(args.config))
    cfg.require_joints()
    _existing(args.dataset, "the annotations of the test images")
    _existing(args.head_boxes, "MPII's head rectangles, gt_valid.mat")
    weights = _weights(cfg, args.weights)
    _start_tensorflow(args)
    import numpy as np

    from dataset.loaders import load_dataset
    from dataset.metrics import pck, pckh, person_heights

    if args.head_boxes:
        from dataset.mpii import load_mpii_json

        data = load_mpii_json(args.dataset, keypoint_format=cfg.keypoint_format,
                              num_joints=cfg.num_joints, head_boxes_file=args.head_boxes,
                              allow_absolute_paths=cfg.allow_absolute_image_paths)
    else:
        data = load_dataset(args.dataset_type or cfg.dataset_type, args.dataset,
                            num_joints=cfg.num_joints, keypoint_format=cfg.keypoint_format,
                            allow_absolute_paths=cfg.allow_absolute_image_paths)
    records = [r for r in data.records if r.num_people >= 1]
    predicted, truth, records, unread = _single_person_poses(cfg, weights, records, "pck",
                                                             args.no_progress, args.dataset)
    skipped = _load_skips(data) + unread
    if args.head_boxes:
        alpha = 0.5 if args.alpha is None else args.alpha
        heads = np.stack([r.head_boxes[0] for r in records])
        per_joint, total = pckh(predicted, truth, heads, alpha)
        what = f"PCKh@{alpha:g} (of head size)"
    else:
        alpha = 0.1 if args.alpha is None else args.alpha
        per_joint, total = pck(predicted, truth, person_heights(truth), alpha)
        what = f"PCK@{alpha:g} of person height"
    names = _part_names(cfg)
    print(f"{what} on {len(records)} images ({args.dataset}){_scored_note(skipped)}: "
          f"{100 * total:.1f} %")
    for name, value in zip(names, per_joint):
        print(f"  {name:<16} {100 * value:5.1f} %")
    return _report_skipped(skipped, f"images of {args.dataset}", "the rest are scored")


def _scored_note(skipped):
    """What a summary adds when images were skipped: the figures are of the images read only."""
    return (f", {len(skipped)} skipped, scored against the ground truth of the images read only"
            if skipped else "")


def _part_names(cfg):
    """The names of the config's parts, for the tables the commands print."""
    from dataset.keypoint_formats import get_format

    return (get_format(cfg.keypoint_format).joints if cfg.keypoint_format
            else [f"joint {j}" for j in range(cfg.num_joints)])


def _single_person_poses(cfg, weights, records, what, no_progress, dataset):
    """(predicted (N, J, 3), truth (N, J, 3), the N records read, skipped): the argmax pose of
    each record's image and the first person labelled there; an image that cannot be read is
    logged and skipped (its reason in ``skipped``). PosecutError when none of ``dataset``'s
    images can be read."""
    import logging

    import numpy as np
    from tqdm import tqdm

    from dataset.images import read_image
    from lib.errors import DatasetError
    from nnet.outputs import predict_single_person
    from nnet.predict import setup_pose_prediction

    predictor = setup_pose_prediction(cfg, weights)
    predicted, truth, read, skipped = [], [], [], []
    for record in tqdm(records, desc=what, unit="image", disable=no_progress):
        try:
            image = read_image(record.image_path)
        except DatasetError as err:
            why = str(err) if record.image_path in str(err) else f"{record.image_path}: {err}"
            logging.getLogger("posecut").warning("skipped image: %s", why)
            skipped.append(why)
            continue
        predicted.append(predict_single_person(predictor, image, cfg.global_scale))
        truth.append(record.joints[0])
        read.append(record)
    if not read:
        raise PosecutError(f"{dataset}: none of its {len(records)} images could be read"
                           + (f"; the first: {skipped[0]}" if skipped else ""))
    return np.stack(predicted), np.stack(truth), read, skipped


def _evaluate_single_person(cfg, args):
    """`posecut evaluate` of a model without the pairwise head: errors in pixels per data set
    (train and test, say), with and without the likelihood cut-off, overall and per part."""
    import json

    import numpy as np

    from dataset.metrics import pixel_errors

    cfg.require_joints()
    for path in args.dataset:
        _existing(path, "the labelled images to evaluate on")
    weights = _weights(cfg, args.weights)
    _start_tensorflow(args)
    names = _part_names(cfg)
    report, skipped_of = {}, {}
    for path in args.dataset:
        records, skipped = _records(cfg, path, args.max_images)
        records = [r for r in records if r.num_people >= 1]
        if not records:
            raise PosecutError(f"{path}: no image with a labelled person or animal to evaluate")
        predicted, truth, records, unread = _single_person_poses(cfg, weights, records, "evaluate",
                                                                 args.no_progress, path)
        skipped_of[path] = skipped = skipped + unread
        every = pixel_errors(predicted, truth, within=args.within)
        cut = pixel_errors(predicted, truth, min_score=args.pcutoff, within=args.within)
        report[path] = {"images": len(records), "all": every, f"p>={args.pcutoff:g}": cut,
                        "skipped": skipped}
        print(f"{path}: {len(records)} images{_scored_note(skipped)}, errors in pixels ({weights})")
        within = "  ".join(f"% <={n:g}px" for n in args.within)
        print(f"  {'':<16} {'joints':>6} {'mean':>7} {'rmse':>7}  {within}")
        for label, errors in (("all", every), (f"p >= {args.pcutoff:g}", cut)):
            shares = "  ".join(f"{100 * errors['within'][float(n)]:>{len(f'% <={n:g}px')}.1f}"
                               for n in args.within)
            print(f"  {label:<16} {errors['count']:>6} {errors['mean']:>7.2f} "
                  f"{errors['rmse']:>7.2f}  {shares}")
        for name, value in zip(names, every["per_joint"]):
            print(f"  {name:<16} mean {value:7.2f} px")
    if args.metrics:
        with open(args.metrics, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=1,
                      default=lambda a: [None if np.isnan(v) else v for v in np.asarray(a).tolist()])
        print(f"metrics written to {args.metrics}")
    return max([_report_skipped(skipped, f"images of {path}", "the rest are scored")
                for path, skipped in skipped_of.items()])


def _format_of(cfg):
    """The config's keypoint format, which evaluation needs for its OKS sigmas."""
    from dataset.keypoint_formats import get_format
    from lib.errors import ConfigError

    if not cfg.keypoint_format:
        raise ConfigError(f"{cfg.source}: keypoint_format: evaluation needs a keypoint format "
                          f"(for its OKS sigmas), e.g. coco17; got null")
    fmt = get_format(cfg.keypoint_format)
    if fmt.num_joints != cfg.num_joints:
        raise ConfigError(f"{cfg.source}: keypoint_format: {fmt.name} has {fmt.num_joints} joints, "
                          f"num_joints is {cfg.num_joints}")
    return fmt


def _load_stats(cfg, settings):
    from dataset.pairwise_stats import load_pairwise_stats

    return load_pairwise_stats(cfg.resolve_path(cfg.pairwise_stats_fn), settings.num_joints,
                               scale=cfg.global_scale)


def _outputs_source(cfg, args, stats):
    """record -> outputs of the network (--weights) or of the oracle (--oracle)."""
    from posecut.build import outputs_source

    return outputs_source(cfg, args.weights, stats.means, stats.stds, args.oracle, args.seed)


def _records(cfg, path, max_images):
    """(the first ``max_images`` records of the data set at ``path``, why its loader skipped
    records: one line each)."""
    from dataset.loaders import load_dataset

    data = load_dataset(cfg.dataset_type, path, num_joints=cfg.num_joints,
                        keypoint_format=cfg.keypoint_format,
                        allow_absolute_paths=cfg.allow_absolute_image_paths)
    records = list(data.records)
    return (records[:max_images] if max_images else records), _load_skips(data)


def _load_skips(data):
    """Why a loaded data set's loader skipped records, one line each (a bare path is a missing image)."""
    return [f"{s}: image file not found" if os.path.isabs(s) else s for s in data.skipped]


def _network_or_oracle(cfg, args):
    """Check, before TensorFlow starts, what --weights/--oracle and the statistics name."""
    if args.oracle and args.weights:
        raise PosecutError("--oracle: the oracle replaces the network; give --weights or "
                           "--oracle, not both")
    if not args.oracle:
        args.weights = _weights(cfg, args.weights)
    _existing(cfg.resolve_path(cfg.pairwise_stats_fn),
              f"the pairwise statistics of {cfg.source}'s pairwise_stats_fn; "
              f"posecut pairwise-stats writes them")


def cmd_fit_pairwise(args):
    from posecut.config import load_config

    cfg = load_config(_config_path(args.config))
    out = args.output or cfg.resolve_path(cfg.pairwise_model_dir)
    if not out:
        raise PosecutError(f"{cfg.source}: pairwise_model_dir is empty; give --output")
    dataset = _existing(args.dataset or cfg.resolve_path(cfg.dataset),
                        "the labelled images: --dataset, or the config's dataset")
    _network_or_oracle(cfg, args)
    _start_tensorflow(args)
    import numpy as np

    from multiperson.evaluation import collect_pair_samples
    from multiperson.fit_pairwise import fit_spatial_model
    from multiperson.pairwise import save_spatial_model
    from multiperson.predict import multiperson_settings_from_config

    settings = multiperson_settings_from_config(cfg)
    records, skipped = _records(cfg, dataset, args.max_images)
    stats = _load_stats(cfg, settings)
    outputs = _outputs_source(cfg, args, stats)
    radius = args.match_radius or cfg.pos_dist_thresh * cfg.global_scale
    samples, unread = collect_pair_samples(records, outputs, stats.means, stats.stds, settings, radius,
                                           cfg.global_scale, progress=not args.no_progress)
    skipped += [reason for _, reason in unread]
    pairs = np.argwhere(np.triu(settings.pair_mask, 1))
    try:
        model, report = fit_spatial_model(samples, pairs, seed=cfg.seed)
    except ValueError as err:
        raise PosecutError(str(err)) from None
    save_spatial_model(model, out)
    own = sum(r.kind == "own" for r in report)
    positives = sum(r.positives for r in report)
    negatives = sum(r.negatives for r in report)
    accuracy = np.nanmean([r.accuracy for r in report])
    print(f"fitted {len(report)} part pairs ({own} on their own samples, {len(report) - own} "
          f"pooled) from {len(records) - len(unread)} images: {positives} same-person and {negatives} "
          f"different-person samples, mean accuracy {100 * accuracy:.1f} %; written to {out}")
    if args.verbose:
        for r in report:
            print(f"  {r.k:>3} {r.m:>3}  {r.positives:>7} {r.negatives:>7}  "
                  f"{100 * r.accuracy:5.1f} %  {r.kind}")
    return _report_skipped(skipped, f"images of {dataset}", "the rest are fitted on")


def cmd_test_multiperson(args):
    from posecut.config import load_config

    cfg = load_config(_config_path(args.config))
    if not cfg.pairwise_predict:
        return _evaluate_single_person(cfg, args)
    if len(args.dataset) != 1:
        raise PosecutError("--dataset: expected one COCO keypoint JSON for multi-person "
                           f"evaluation, got {len(args.dataset)}")
    args.dataset = args.dataset[0]
    _existing(args.dataset, "the COCO keypoint JSON of the test images")
    _existing(args.model_dir or cfg.resolve_path(cfg.pairwise_model_dir),
              "the fitted spatial model: --model-dir or the config's pairwise_model_dir")
    _network_or_oracle(cfg, args)
    _start_tensorflow(args)
    import json

    from dataset.coco_eval import evaluate_keypoints, format_metrics_table, ground_truth_of
    from multiperson.evaluation import predict_dataset
    from multiperson.predict import STAGES
    from posecut.build import grouping_assets_from_config

    fmt = _format_of(cfg)
    records, skipped = _records(cfg, args.dataset, args.max_images)
    assets = grouping_assets_from_config(cfg, args.model_dir)
    outputs = _outputs_source(cfg, args, assets)
    results, timings, unread = predict_dataset(records, outputs, assets.means, assets.stds,
                                               assets.model, assets.settings, cfg.global_scale,
                                               progress=not args.no_progress, gates=assets.gates)
    skipped += [reason for _, reason in unread]
    unread_paths = {path for path, _ in unread}
    scored = [r for r in records if r.image_path not in unread_paths]
    if not scored:
        raise PosecutError(f"{args.dataset}: none of its {len(records)} images could be read"
                           + (f"; the first: {skipped[0]}" if skipped else ""))
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            json.dump(results, f)
    ground_truth = args.dataset
    if args.max_images or skipped:  # score the images predicted against their own ground truth
        ground_truth = ground_truth_of(args.dataset, [r.image_id for r in scored])
    metrics = evaluate_keypoints(ground_truth, results, fmt.sigmas, crowdpose=args.crowdpose)
    source = "oracle" if args.oracle else args.weights
    print(format_metrics_table(metrics, f"{fmt.name} keypoints, {len(scored)} images"
                                        f"{_scored_note(skipped)}, {len(results)} people found "
                                        f"({source})"))
    print("mean ms per image: " + ", ".join(f"{s} {1e3 * timings[s]:.2f}" for s in STAGES))
    if args.output:
        print(f"results written to {args.output}")
    if args.metrics:
        with open(args.metrics, "w", encoding="utf-8") as f:
            json.dump({"images": len(scored), "people_found": len(results), "source": source,
                       "metrics": metrics, "skipped": skipped,
                       "ms_per_image": {s: 1e3 * timings[s] for s in STAGES}}, f, indent=1)
        print(f"metrics written to {args.metrics}")
    return _report_skipped(skipped, f"images of {args.dataset}", "the rest are scored")


BUNDLED_MODEL = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                             "models", "synthetic_multi")


def _report_skipped(skipped, what, rest="the rest are written") -> int:
    """List on stderr what a run over many inputs or images skipped ("skipped N {what}, {rest}:"
    and a line each); the exit code: 1 when anything was skipped, else 0."""
    if not skipped:
        return 0
    print(f"skipped {len(skipped)} {what}, {rest}:", file=sys.stderr)
    for reason in skipped:
        print(f"  {reason}", file=sys.stderr)
    return 1


def _predict_config(args):
    """(config path, weights) of predict and track: --config, else ./pose_cfg.yaml, else the
    bundled model's (with its weights)."""
    bundled = os.path.join(BUNDLED_MODEL, "pose_cfg.yaml")
    config = args.config or (DEFAULT_CONFIG if os.path.isfile(DEFAULT_CONFIG) else bundled)
    weights = args.weights
    if weights is None and os.path.abspath(config) == bundled:
        weights = os.path.join(BUNDLED_MODEL, "model", "weights")
    return config, weights


def cmd_fit_temporal(args):
    from posecut.config import load_config
    from posecut.track_eval import posetrack_files
    from posecut.tracking_run import temporal_model_path, track_settings_from_config

    cfg = load_config(_config_path(args.config))
    if not cfg.pairwise_predict:
        raise PosecutError(f"{cfg.source}: pairwise_predict: tracking groups part candidates with the "
                           f"pairwise head (true), got false")
    clips = [f for path in args.clips for f in posetrack_files(path)]
    settings = track_settings_from_config(cfg)
    out = temporal_model_path(cfg, args.output)
    _network_or_oracle(cfg, args)
    _start_tensorflow(args)
    from multiperson.temporal_model import save_temporal_model
    from posecut.build import grouping_assets_from_config
    from posecut.tracking_run import fit_temporal_on_clips

    assets = grouping_assets_from_config(cfg)
    outputs = _outputs_source(cfg, args, assets)
    radius = args.match_radius or cfg.pos_dist_thresh
    model, count, skipped = fit_temporal_on_clips(clips, outputs, assets, settings, radius, args.images,
                                                  cfg.seed, cfg.allow_absolute_image_paths)
    save_temporal_model(model, out)
    print(f"fitted the temporal model on {count} temporal edges of {len(clips) - len(skipped)} clips "
          f"({'oracle' if args.oracle else 'network'} outputs, max_gap {settings.max_gap}, "
          f"{'with' if settings.flow else 'without'} optical flow); written to {out}")
    return _report_skipped(skipped, f"of {len(clips)} clips")


def cmd_track(args):
    from posecut.config import load_config
    from posecut.inputs import VIDEO_EXTENSIONS
    from posecut.tracking_run import TRACKERS, temporal_model_path, track_settings_from_config

    config, weights = _predict_config(args)
    cfg = load_config(_config_path(config))
    if not cfg.pairwise_predict:
        raise PosecutError(f"{cfg.source}: pairwise_predict: tracking follows several people with the "
                           f"pairwise head (true), got false; for one animal or person per frame use "
                           f"`posecut predict VIDEO --filter-window 5`")
    if not cfg.keypoint_format:
        raise PosecutError(f"{cfg.source}: keypoint_format: tracking writes PoseTrack JSON, which names "
                           f"the joints; give the keypoint format")
    for path in args.inputs:
        if not (os.path.isdir(path) or (os.path.isfile(path) and path.lower().endswith(VIDEO_EXTENSIONS))):
            raise PosecutError(f"{path}: expected a video file ({', '.join(VIDEO_EXTENSIONS)}) or a "
                               f"folder of frames")
    track_settings_from_config(cfg)  # refuse track_* values that do not fit before TensorFlow starts
    weights = _weights(cfg, weights)
    model_path = None
    if args.tracker == TRACKERS[0]:
        model_path = temporal_model_path(cfg, args.temporal_model)
        _existing(model_path, "the fitted temporal model: posecut fit-temporal writes it; or use "
                              "--tracker oks")
    _start_tensorflow(args)
    from tqdm import tqdm

    from dataset.keypoint_formats import get_format
    from dataset.posetrack import write_posetrack
    from dataset.tracks import TrackedVideo
    from lib.errors import DatasetError
    from multiperson.draw import draw_tracks, track_centres
    from posecut.build import setup_pose_prediction, tracker_factory
    from posecut.overlap import overlapped
    from posecut.predict_files import distinct_stems, video_writer
    from posecut.tracking_run import frame_source, track_frames

    network = setup_pose_prediction(cfg, weights)
    new_tracker = tracker_factory(cfg, args.tracker, model_path)
    skeleton = get_format(cfg.keypoint_format).skeleton
    os.makedirs(args.output, exist_ok=True)
    skipped = []
    for path, stem in zip(args.inputs, distinct_stems(args.inputs)):
        tracker = new_tracker()
        writer = None
        names, people, trails, size = [], [], {}, None

        def draw(item):
            frame, found, shown = item
            writer.append_data(draw_tracks(frame, found.track_ids, found.poses, skeleton, shown))

        began = time.perf_counter()
        try:
            frames, fps, count = frame_source(path)
            if not args.no_draw:
                writer = video_writer(os.path.join(args.output, f"{stem}_tracks.mp4"), fps)
            with overlapped(frames, None if writer is None else draw) as (ahead, drawing):
                for name, frame, found in tqdm(track_frames(ahead, network, tracker,
                                                            cfg.global_scale),
                                               desc=os.path.basename(path), unit="frame",
                                               total=count, disable=args.no_progress):
                    names.append(name)
                    people.append(found)
                    size = size or frame.shape[:2]
                    if drawing is not None:
                        for track, centre in zip(found.track_ids,
                                                 track_centres(found.poses, 0.0)):
                            trails.setdefault(int(track), []).append(centre)
                            del trails[int(track)][:-args.trail]
                        drawing.put((frame, found, {k: list(v) for k, v in trails.items()}))
        except DatasetError as err:
            skipped.append(str(err))
            continue
        finally:
            if writer is not None:
                writer.close()
        seconds = time.perf_counter() - began
        if not names:
            skipped.append(f"{path}: no frame could be read")
            continue
        out = write_posetrack(TrackedVideo(stem, names, people, cfg.keypoint_format),
                              os.path.join(args.output, f"{stem}.json"), predictions=True, size=size)
        tracks = len({int(t) for p in people for t in p.track_ids})
        print(f"{path}: {len(names)} frames, {tracks} tracks, {len(names) / max(seconds, 1e-9):.1f} frames/s "
              f"in all ({args.tracker}); wrote {out}{'' if args.no_draw else ' and ' + stem + '_tracks.mp4'}")
    return _report_skipped(skipped, f"of {len(args.inputs)} inputs")


def cmd_predict(args):
    from posecut.config import load_config
    from posecut.inputs import list_inputs

    config, weights = _predict_config(args)
    images, videos = list_inputs(args.inputs)
    cfg = load_config(_config_path(config))
    if args.backend == "tflite" and not args.tflite:
        raise PosecutError("--backend tflite: give the TFLite file with --tflite FILE")
    _existing(args.tflite, "a TFLite model written by posecut export --tflite")
    no_tensorflow = ""
    if args.backend == "tensorflow" or not args.tflite:
        weights = _weights(cfg, weights)
    elif args.backend == "auto":
        try:
            weights = _weights(cfg, weights)
        except PosecutError as err:
            weights, no_tensorflow = None, f"TensorFlow is not a candidate: {err}"
    else:
        weights = None
    if args.filter_window is not None:
        from multiperson.temporal_filter import half_window

        try:
            half_window(args.filter_window)
        except ValueError as err:
            raise PosecutError(f"--filter-window: {err}") from None
        if cfg.pairwise_predict:
            raise PosecutError(f"--filter-window: filters one pose per frame, for a model "
                               f"without the pairwise head; {cfg.source} groups several people, "
                               f"whose identities across frames need tracking")
    _start_tensorflow(args)
    import json

    from dataset.keypoint_formats import get_format
    from posecut.build import choose_network, network_candidates, predictor_from_network
    from lib.errors import DatasetError
    from posecut.pose_table import PoseTable
    from posecut.predict_files import distinct_stems, predict_images, predict_video, probe_image

    candidates = network_candidates(cfg, weights, args.tflite, args.backend)
    probe = probe_image(images, videos) if len(candidates) > 1 else None
    network, chosen = choose_network(cfg, candidates, probe, weights, args.backend)
    predictor = predictor_from_network(cfg, network)
    print("\n".join(filter(None, [chosen, no_tensorflow])), flush=True)
    fmt = get_format(cfg.keypoint_format) if cfg.keypoint_format else None
    skeleton = fmt.skeleton if fmt else ()
    parts = fmt.joints if fmt else [f"joint{j}" for j in range(cfg.num_joints)]
    out = args.output
    os.makedirs(out, exist_ok=True)
    draw_dir = None if args.no_draw else out
    tables = []
    results, records, skipped = [], [], []
    if images:
        tables.append(os.path.join(out, "poses.csv"))
        with PoseTable(tables[-1], parts) as table:
            results, records, skipped = predict_images(predictor, images, skeleton, draw_dir,
                                                       progress=not args.no_progress,
                                                       table=table)
    lines = [f"{len(images) - len(skipped)} images: {len(results)} people"] if images else []
    for video, stem in zip(videos, distinct_stems(videos)):
        tables.append(os.path.join(out, f"{stem}_poses.csv"))
        try:
            with PoseTable(tables[-1], parts) as table:
                run = predict_video(
                    predictor, video, skeleton,
                    None if args.no_draw else os.path.join(out, f"{stem}_poses.mp4"),
                    first_id=len(records) + 1, progress=not args.no_progress, table=table,
                    filter_window=args.filter_window)
        except DatasetError as err:
            skipped.append((video, str(err)))
            tables.pop()
            continue
        results += run.results
        records += run.records
        lines.append(f"{video}: {len(run.records)} frames, {len(run.results)} people, "
                     f"{run.wall_fps:.1f} frames/s ({run.fps:.1f} for the prediction alone)")
    with open(os.path.join(out, "results.json"), "w", encoding="utf-8") as f:
        json.dump(results, f)
    with open(os.path.join(out, "images.json"), "w", encoding="utf-8") as f:
        json.dump(records, f)
    if not cfg.pairwise_predict:
        lines.insert(0, f"{cfg.source}: no pairwise head, so one person (or animal) per image: "
                        f"the argmax pose")
    for line in lines:
        print(line)
    print(f"wrote {os.path.join(out, 'results.json')} (COCO results), images.json (image ids "
          f"to files), {', '.join(os.path.basename(t) for t in tables)} (x, y, likelihood per "
          f"part){'' if args.no_draw else ' and the drawings'} to {out}")
    return _report_skipped([reason for _, reason in skipped], f"of {len(images) + len(videos)} inputs")


def cmd_evaluate_tracks(args):
    import json

    from dataset.coco_eval import format_metrics_table
    from multiperson.track_metrics import format_tracking_table
    from posecut.track_eval import evaluate_track_files

    result = evaluate_track_files(args.ground_truth, args.predictions, args.threshold, args.min_joint_score)
    print(format_tracking_table(result.tracking))
    print()
    print(format_metrics_table(result.ap, "per-frame keypoint AP (labelled frames)"))
    if args.output:
        total = result.tracking.total
        with open(args.output, "w", encoding="utf-8") as f:
            json.dump({"tracking": {row.name: row._asdict() for row in (*result.tracking.joints, total)},
                       "ap": result.ap, "skipped": result.skipped}, f, indent=1, default=float)
        print(f"wrote {args.output}")
    return _report_skipped(result.skipped, "files or videos")


def cmd_split(args):
    _existing(args.annotations, "a COCO keypoint JSON to split")
    from dataset.split import write_split

    train, test, absolute = write_split(args.annotations, args.output, args.test_fraction, args.seed)
    print(f"{args.annotations}: images split by seed {args.seed} into {train} and {test}")
    if absolute:
        print(f"note: {absolute} image names lie outside {os.path.abspath(args.output)} and are written as "
              f"absolute paths: training or evaluating on these files needs allow_absolute_image_paths: "
              f"true in the config (or split into a folder above the images)")
    return 0


def cmd_export(args):
    from posecut.config import load_config

    cfg = load_config(_config_path(args.config))
    cfg.require_joints()
    weights = _weights(cfg, args.weights)
    if args.int8 and not args.tflite:
        raise PosecutError("--int8: quantises the TFLite model; give --tflite FILE too")
    if args.check and not args.int8:
        raise PosecutError("--check: checks the int8 model's accuracy against float32; give "
                           "--int8 too")
    _existing(args.check, "labelled images to check the int8 model on (as posecut evaluate's "
                          "--dataset)")
    if args.check_images < 1:
        raise PosecutError(f"--check-images: expected at least 1 image, got {args.check_images}")
    _start_tensorflow(args)
    from posecut.export import calibration_images, export_saved_model, export_tflite

    out = export_saved_model(cfg, weights, args.output)
    print(f"SavedModel written to {out} (signature serving_default: image -> people, poses and "
          f"scores; signature network: image -> network outputs; it needs the op of "
          f"lib/people_op.py loaded, as posecut.export.load_exported does)")
    if args.tflite:
        height, width = args.tflite_size
        calibration = calibration_images(cfg, args.int8) if args.int8 else None
        path = export_tflite(cfg, weights, args.tflite, height, width, calibration)
        kind = (f"int8, calibrated on {len(calibration)} training images" if calibration
                else "float32")
        print(f"TFLite written to {path} (input 1 x {height} x {width} x 3 float32; {kind})")
        if args.check:
            print(_int8_check(cfg, weights, path, args.check, args.check_images, (height, width)))
    return 0


def _int8_check(cfg, weights, path, dataset, max_images, size):
    """Run the int8 TFLite file at ``path`` and TensorFlow float32 over the labelled images of
    ``dataset`` that fit its input, record the accuracy of both beside the file
    (posecut.int8_check) and say what it means for posecut predict."""
    from nnet.predict import setup_pose_prediction
    from posecut.build import grouping_assets_from_config, tflite_network
    from posecut.int8_check import (accuracy_check, fits, int8_verdict, tflite_info,
                                    write_tflite_info)

    records, _ = _records(cfg, dataset, None)
    scale = float(cfg.global_scale)
    fitting = [r for r in records if fits(r, size, scale)][:max_images]
    if not fitting:
        raise PosecutError(f"{dataset}: none of its {len(records)} images fits the TFLite input "
                           f"of {size[0]}x{size[1]} at global_scale {scale:g}; export with a "
                           f"larger --tflite-size")
    float32 = setup_pose_prediction(cfg.replace(precision="float32"), weights)
    int8 = tflite_network(cfg, path)
    grouping = {}
    if cfg.pairwise_predict:
        grouping = {"assets": grouping_assets_from_config(cfg), "ground_truth": dataset,
                    "sigmas": _format_of(cfg).sigmas}
    check = accuracy_check(fitting, float32, int8, scale, **grouping)
    write_tflite_info(path, {**tflite_info(path), "check": check})
    verdict = int8_verdict(check)
    unit = "" if check["metric"] == "AP" else " px"
    return (f"int8 check on {check['images']} images of {dataset}: {check['metric']} "
            f"{check['int8']:.2f}{unit} in int8, {check['float32']:.2f}{unit} in float32; "
            + (f"posecut predict --backend auto will not use it: {verdict}" if verdict else
               "posecut predict --backend auto uses it where it is faster"))


def cmd_convert_checkpoint(args):
    from posecut.config import load_config

    cfg = load_config(_config_path(args.config))
    cfg.require_joints()
    _weights(cfg, args.weights)
    _start_tensorflow(args)
    from nnet.checkpoint import load_weights, save_weights
    from nnet.pose_net import build_pose_net, spec_from_config

    spec = spec_from_config(cfg)
    model = build_pose_net(spec)
    load_weights(model, args.weights, spec, allow_missing=("pose/",) if args.allow_missing else ())
    out = save_weights(model, args.output)
    count = sum(int(w.numpy().size) for w in model.weights)
    print(f"{args.weights} -> {out}: {len(model.weights)} variables ({count} values) of "
          f"{cfg.net_type} with {cfg.num_joints} joints, TF-slim names, no optimizer state")
    return 0


WEIGHTS_HELP = "checkpoint prefix or folder of the trained network (default: the config's init_weights)"


def _model_arguments(parser):
    """--config and --weights of the commands that default to the bundled model (predict, track)."""
    parser.add_argument("--config", help="config file (default: ./pose_cfg.yaml if present, else the "
                                         "bundled model's)")
    parser.add_argument("--weights", help="checkpoint prefix or folder (default: the bundled model's "
                                          "with its config, else the config's init_weights)")


def build_parser(command=None):
    """The argument parser; the convert-dataset arguments (which import the readers) are added
    only when ``command`` is convert-dataset, so that everything else starts at once."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--verbose", action="store_true",
                        help="also show TensorFlow's own log lines (and more detail where a "
                             "command has it)")
    parser = argparse.ArgumentParser(
        prog="posecut", parents=[common],
        description="Multi-person pose estimation of the DeeperCut / ArtTrack family: train, "
                    "evaluate, predict and export. Each COMMAND takes --help.")
    sub = _Subcommands(parser.add_subparsers(dest="command", required=True, metavar="COMMAND"),
                       common)
    train = sub.add_parser("train", help="train the network of a pose_cfg.yaml")
    train.add_argument("config", nargs="?", help=f"config file (default: ./{DEFAULT_CONFIG})")
    train.add_argument("--max-iters", type=int, default=None,
                       help="stop at this iteration instead of the schedule's last")
    train.add_argument("--no-progress", action="store_true", help="no progress bar")
    train.set_defaults(func=cmd_train)
    stats = sub.add_parser("pairwise-stats",
                           help="mean and std of the offsets between every ordered joint pair")
    stats.add_argument("config", nargs="?", help=f"config file (default: ./{DEFAULT_CONFIG})")
    stats.add_argument("--output", help="where to write (default: the config's pairwise_stats_fn)")
    stats.set_defaults(func=cmd_pairwise_stats)
    pck_parser = sub.add_parser("pck", help="single-person PCK of a trained network on a data set")
    pck_parser.add_argument("config", nargs="?", help=f"config file (default: ./{DEFAULT_CONFIG})")
    pck_parser.add_argument("--weights", help=WEIGHTS_HELP)
    pck_parser.add_argument("--dataset", required=True, help="annotations of the test images")
    pck_parser.add_argument("--dataset-type", default=None, help="loader (default: the config's)")
    pck_parser.add_argument("--alpha", type=float, default=None,
                            help="threshold as a fraction of person height (default 0.1), or of "
                                 "head size with --head-boxes (default 0.5)")
    pck_parser.add_argument("--head-boxes", default=None,
                            help="MPII head rectangles (gt_valid.mat, headboxes_src) of the "
                                 "--dataset MPII JSON: PCKh instead of PCK")
    pck_parser.add_argument("--no-progress", action="store_true")
    pck_parser.set_defaults(func=cmd_pck)
    fit = sub.add_parser("fit-pairwise",
                         help="fit the pairwise spatial model from a trained network's detections")
    fit.add_argument("config", nargs="?", help=f"config file (default: ./{DEFAULT_CONFIG})")
    fit.add_argument("--weights", help=WEIGHTS_HELP)
    fit.add_argument("--oracle", action="store_true",
                     help="fit on oracle outputs (ground truth with noise) instead of the network's")
    fit.add_argument("--dataset", help="labelled images (default: the config's training set)")
    fit.add_argument("--max-images", type=int, default=500, help="use at most this many images")
    fit.add_argument("--match-radius", type=float, default=None,
                     help="pixels within which a candidate matches a labelled joint "
                          "(default: pos_dist_thresh)")
    fit.add_argument("--output", help="folder to write (default: the config's pairwise_model_dir)")
    fit.add_argument("--seed", type=int, default=0, help="seed of the oracle's noise")
    fit.add_argument("--no-progress", action="store_true")
    fit.set_defaults(func=cmd_fit_pairwise)
    test = sub.add_parser("test-multiperson", aliases=["evaluate"],
                          help="prediction over a data set: COCO keypoint AP/AR and results "
                               "JSON; errors in pixels for a model without the pairwise head")
    test.add_argument("config", nargs="?", help=f"config file (default: ./{DEFAULT_CONFIG})")
    test.add_argument("--weights", help=WEIGHTS_HELP)
    test.add_argument("--oracle", action="store_true",
                      help="use oracle outputs (ground truth with noise) instead of the network's")
    test.add_argument("--dataset", required=True, nargs="+",
                      help="COCO keypoint JSON of the test images (a model without the pairwise "
                           "head: one or more data sets, e.g. train and test, in pixel errors)")
    test.add_argument("--pcutoff", type=float, default=0.6,
                      help="without the pairwise head: also the errors of parts scoring at "
                           "least this (DeepLabCut's p-cutoff; default %(default)s)")
    test.add_argument("--within", type=float, nargs="+", default=[5.0, 10.0], metavar="PX",
                      help="without the pairwise head: share of parts within these pixels")
    test.add_argument("--model-dir", help="spatial model (default: the config's pairwise_model_dir)")
    test.add_argument("--output", help="write the COCO results JSON here")
    test.add_argument("--metrics", help="write the metrics and stage timings as JSON here")
    test.add_argument("--crowdpose", action="store_true",
                      help="CrowdPose metrics (AP easy / medium / hard)")
    test.add_argument("--max-images", type=int, default=None, help="use only the first N images")
    test.add_argument("--seed", type=int, default=1, help="seed of the oracle's noise")
    test.add_argument("--no-progress", action="store_true")
    test.set_defaults(func=cmd_test_multiperson)
    predict = sub.add_parser("predict",
                             help="people in images, folders of images and videos: COCO results "
                                  "JSON and drawings (one argmax pose per image for a model "
                                  "without the pairwise head)")
    predict.add_argument("inputs", nargs="+", help="image files, folders of images, video files")
    _model_arguments(predict)
    predict.add_argument("--output", default="out/predict", help="output folder")
    predict.add_argument("--no-draw", action="store_true",
                         help="no drawings: only the JSON and CSV files")
    predict.add_argument("--filter-window", type=int, default=None, metavar="FRAMES",
                         help="videos of a model without the pairwise head: median-filter each "
                              "part's position over this many frames (odd), as DeepLabCut's "
                              "filterpredictions")
    predict.add_argument("--tflite", metavar="FILE",
                         help="a TFLite file of the network (posecut export --tflite, e.g. with "
                              "--int8) to run instead of TensorFlow's where it is faster (see "
                              "--backend); inputs must not be larger than its size")
    predict.add_argument("--backend", choices=("auto", "tensorflow", "tflite"), default="auto",
                         help="which network runs: auto (default) times TensorFlow and the "
                              "--tflite file on the first input and takes the fastest that may "
                              "be used (a float32 file agreeing with TensorFlow float32, an int8 "
                              "one whose export check kept it within one AP point or pixel); "
                              "tensorflow or tflite: that one")
    predict.add_argument("--no-progress", action="store_true")
    predict.set_defaults(func=cmd_predict)
    track = sub.add_parser("track",
                           help="people tracked through videos and folders of frames (ArtTrack's "
                                "spatio-temporal grouping): PoseTrack JSON with track ids and a video "
                                "in which each person keeps a colour and a trail")
    track.add_argument("inputs", nargs="+", help="video files, or folders of frames (in name order)")
    _model_arguments(track)
    track.add_argument("--tracker", choices=("arttrack", "oks"), default="arttrack",
                       help="arttrack: spatio-temporal grouping (default); oks: per-frame people "
                            "linked by OKS, the PoseTrack baselines' tracker")
    track.add_argument("--temporal-model", help="the fitted temporal model (default: the config's "
                                                "temporal_model)")
    track.add_argument("--trail", type=int, default=15, help="frames of trail drawn behind each person")
    track.add_argument("--output", default="out/track", help="output folder")
    track.add_argument("--no-draw", action="store_true", help="only the JSON files")
    track.add_argument("--no-progress", action="store_true")
    track.set_defaults(func=cmd_track)
    fit_t = sub.add_parser("fit-temporal",
                           help="fit the temporal model of tracking on clips with track ids "
                                "(PoseTrack JSON and their frames)")
    fit_t.add_argument("config", nargs="?", help=f"config file (default: ./{DEFAULT_CONFIG})")
    fit_t.add_argument("--clips", nargs="+", required=True,
                       help="PoseTrack JSON files or folders of them (python -m dataset.synthetic.clips "
                            "writes such clips)")
    fit_t.add_argument("--images", help="folder the clips' file names are relative to (default: beside "
                                        "the JSON and up to two folders above it)")
    fit_t.add_argument("--weights", help=WEIGHTS_HELP)
    fit_t.add_argument("--oracle", action="store_true",
                       help="fit on oracle outputs (ground truth with noise) instead of the network's")
    fit_t.add_argument("--seed", type=int, default=1, help="seed of the oracle's noise")
    fit_t.add_argument("--match-radius", type=float, default=None,
                       help="pixels within which a candidate matches a labelled joint (default: "
                            "pos_dist_thresh)")
    fit_t.add_argument("--output", help="where to write (default: the config's temporal_model)")
    fit_t.set_defaults(func=cmd_fit_temporal)
    tracks = sub.add_parser("evaluate-tracks",
                            help="PoseTrack tracking metrics (MOTA per joint, MOTP, precision, "
                                 "recall, ID switches, IDF1) and per-frame AP of tracking results")
    tracks.add_argument("ground_truth", help="PoseTrack 2017/2018 JSON, or a folder of them")
    tracks.add_argument("predictions", help="results in PoseTrack JSON (as `posecut track` writes), "
                                            "or a folder of them; videos pair by file name")
    tracks.add_argument("--threshold", type=float, default=0.5,
                        help="a joint matches within this many head sizes (default %(default)s, PCKh)")
    tracks.add_argument("--min-joint-score", type=float, default=0.0,
                        help="tracking metrics count a predicted joint above this score (default 0: "
                             "every joint found)")
    tracks.add_argument("--output", help="also write the figures as JSON here")
    tracks.set_defaults(func=cmd_evaluate_tracks)
    split = sub.add_parser("split", help="a held-out split of a COCO keypoint JSON by image, "
                                         "fixed by the seed: train.json and test.json")
    split.add_argument("annotations", help="COCO keypoint JSON")
    split.add_argument("--output", required=True, help="folder for train.json and test.json")
    split.add_argument("--test-fraction", type=float, default=0.05,
                       help="share of the images held out (default %(default)s)")
    split.add_argument("--seed", type=int, default=42, help="the split's seed (default 42)")
    split.set_defaults(func=cmd_split)
    export = sub.add_parser("export", help="SavedModel (any backbone) and TFLite (light "
                                           "backbone) of a trained model")
    export.add_argument("config", nargs="?", help=f"config file (default: ./{DEFAULT_CONFIG})")
    export.add_argument("--weights", help=WEIGHTS_HELP)
    export.add_argument("--output", required=True, help="SavedModel folder to write")
    export.add_argument("--tflite", help="also write a TFLite file here (mobilenet_v2_* only)")
    export.add_argument("--tflite-size", type=int, nargs=2, default=(480, 640),
                        metavar=("H", "W"), help="the TFLite model's fixed image size")
    export.add_argument("--int8", type=int, nargs="?", const=32, default=0, metavar="N",
                        help="quantise the TFLite model to int8 after training, calibrated on "
                             "the first N images of the config's training data set (default 32)")
    export.add_argument("--check", metavar="DATASET",
                        help="with --int8: run the int8 and the float32 network over these "
                             "labelled images (a COCO keypoint JSON for a multi-person model, "
                             "as posecut evaluate's --dataset) and record both accuracies beside "
                             "the TFLite file; posecut predict uses int8 only where it is within "
                             "one AP point (one pixel of mean error) of float32")
    export.add_argument("--check-images", type=int, default=200, metavar="N",
                        help="check on the first N images that fit the TFLite input (default 200)")
    export.set_defaults(func=cmd_export)
    convert_ckpt = sub.add_parser(
        "convert-checkpoint",
        help="rewrite a checkpoint (DeeperCut's TF1 or ours) as the network of a config needs "
             "it: checked names, shapes and joints, model variables only")
    convert_ckpt.add_argument("config", nargs="?",
                              help=f"config file (default: ./{DEFAULT_CONFIG})")
    convert_ckpt.add_argument("--weights", required=True, help="checkpoint prefix to read")
    convert_ckpt.add_argument("--output", required=True, help="checkpoint prefix to write")
    convert_ckpt.add_argument("--allow-missing", action="store_true",
                              help="keep the initial values of heads the checkpoint lacks "
                                   "or predicts for other joints (named in a warning)")
    convert_ckpt.set_defaults(func=cmd_convert_checkpoint)
    convert = sub.add_parser("convert-dataset",
                             help="convert annotations (AIC, CrowdPose, OCHuman, MPII, Halpe, "
                                  "WholeBody, DeepLabCut, COCO) to COCO JSON or dataset.mat")
    if command == "convert-dataset":
        from dataset.generator import add_arguments, run as convert_dataset

        add_arguments(convert)
        convert.set_defaults(func=convert_dataset)
    parser.command_names = sub.names
    return parser


class _Subcommands:
    """add_subparsers' action, each subcommand getting the common options (--verbose)."""

    def __init__(self, action, common):
        self.action, self.common = action, common
        self.names = []

    def add_parser(self, name, **kwargs):
        self.names += [name, *kwargs.get("aliases", ())]
        return self.action.add_parser(name, parents=[self.common], **kwargs)


def _command_of(argv):
    """The subcommand named in ``argv`` (its first word not starting with '-'), or None."""
    return next((word for word in argv if not word.startswith("-")), None)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else [os.fspath(a) for a in argv]
    command = _command_of(argv)
    names = build_parser().command_names
    if command is not None and command not in names:
        close = difflib.get_close_matches(command, names, n=1, cutoff=0.5)
        hint = f"did you mean '{close[0]}'? " if close else ""
        print(f"posecut: error: unknown command '{command}'; {hint}(commands: "
              f"{', '.join(names)}; posecut --help says what each does)", file=sys.stderr)
        return 2
    args = build_parser(command).parse_args(argv)
    from posecut.logs import setup_logging

    setup_logging(args.verbose)
    try:
        return args.func(args)
    except PosecutError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
