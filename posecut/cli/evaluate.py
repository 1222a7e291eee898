"""`posecut evaluate` (alias test-multiperson): COCO keypoint AP/AR of the whole pipeline over a
data set; for a model without the pairwise head, errors in pixels per data set."""
import json

from lib.errors import PosecutError
from posecut.cli.common import (WEIGHTS_HELP, checked_weights, config_argument, existing, load,
                                network_or_oracle, oracle_arguments, report_skipped,
                                require_pairwise_head, scored_note, start_tensorflow)

NAME = "test-multiperson"


def add_parser(sub):
    parser = sub.add_parser(NAME, aliases=["evaluate"],
                            help="prediction over a data set: COCO keypoint AP/AR and results "
                                 "JSON; errors in pixels for a model without the pairwise head")
    config_argument(parser)
    parser.add_argument("--weights", help=WEIGHTS_HELP)
    oracle_arguments(parser)
    parser.add_argument("--dataset", required=True, nargs="+",
                        help="COCO keypoint JSON of the test images (a model without the pairwise "
                             "head: one or more data sets, e.g. train and test, in pixel errors)")
    parser.add_argument("--pcutoff", type=float, default=None,
                        help="without the pairwise head: also the errors of parts scoring at "
                             "least this (DeepLabCut's p-cutoff; default: the config's pcutoff)")
    parser.add_argument("--within", type=float, nargs="+", default=[5.0, 10.0], metavar="PX",
                        help="without the pairwise head: share of parts within these pixels")
    parser.add_argument("--model-dir", help="spatial model (default: the config's pairwise_model_dir)")
    parser.add_argument("--output", help="write the COCO results JSON here")
    parser.add_argument("--metrics", help="write the metrics and stage timings as JSON here")
    parser.add_argument("--crowdpose", action="store_true",
                        help="CrowdPose metrics (AP easy / medium / hard)")
    parser.add_argument("--max-images", type=int, default=None, help="use only the first N images")
    parser.add_argument("--no-progress", action="store_true")
    parser.set_defaults(func=run)


MULTI_PERSON_FLAGS = ("oracle", "model_dir", "crowdpose", "output")
"""The arguments of the multi-person evaluation only (COCO AP of grouped people)."""


def run(args):
    cfg = load(args.config)
    given = [f"--{name.replace('_', '-')}" for name in MULTI_PERSON_FLAGS if getattr(args, name)]
    if given:
        require_pairwise_head(cfg, f"evaluate {' '.join(given)}",
                              "belongs to the multi-person evaluation (COCO AP of the people the "
                              "pairwise head groups)")
    if not cfg.pairwise_predict:
        return run_single_person(cfg, args)
    if len(args.dataset) != 1:
        raise PosecutError("--dataset: expected one COCO keypoint JSON for multi-person "
                           f"evaluation, got {len(args.dataset)}")
    dataset = args.dataset[0]
    existing(dataset, "the COCO keypoint JSON of the test images")
    existing(args.model_dir or cfg.resolve_path(cfg.pairwise_model_dir),
             "the fitted spatial model: --model-dir or the config's pairwise_model_dir")
    network_or_oracle(cfg, args)
    fmt = cfg.require_format("evaluation (for its OKS sigmas)")
    start_tensorflow(args)
    from dataset.coco_eval import evaluate_keypoints, format_metrics_table, ground_truth_of
    from multiperson.evaluation import predict_dataset
    from multiperson.predict import STAGES
    from posecut.build import grouping_assets_from_config, outputs_source, records_from_config

    records, skipped = records_from_config(cfg, dataset, args.max_images)
    assets = grouping_assets_from_config(cfg, args.model_dir)
    outputs = outputs_source(cfg, args.weights, assets.means, assets.stds, args.oracle, args.seed)
    results, timings, unread = predict_dataset(records, outputs, assets.means, assets.stds,
                                               assets.model, assets.settings, cfg.global_scale,
                                               progress=not args.no_progress, gates=assets.gates)
    skipped += [reason for _, reason in unread]
    unread_paths = {path for path, _ in unread}
    scored = [r for r in records if r.image_path not in unread_paths]
    if not scored:
        raise PosecutError(f"{dataset}: none of its {len(records)} images could be read"
                           + (f"; the first: {skipped[0]}" if skipped else ""))
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            json.dump(results, f)
    ground_truth = dataset
    if args.max_images or skipped:  # score the images predicted against their own ground truth
        ground_truth = ground_truth_of(dataset, [r.image_id for r in scored])
    metrics = evaluate_keypoints(ground_truth, results, fmt.sigmas, crowdpose=args.crowdpose)
    source = "oracle" if args.oracle else args.weights
    print(format_metrics_table(metrics, f"{fmt.name} keypoints, {len(scored)} images"
                                        f"{scored_note(skipped)}, {len(results)} people found "
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
    return report_skipped(skipped, f"images of {dataset}", "the rest are scored")


def run_single_person(cfg, args):
    """A model without the pairwise head: errors in pixels per data set (train and test, say),
    with and without the likelihood cut-off, overall and per part."""
    import numpy as np

    cfg.require_joints()
    if args.pcutoff is None:
        args.pcutoff = cfg.pcutoff
    for path in args.dataset:
        existing(path, "the labelled images to evaluate on")
    weights = checked_weights(cfg, args.weights)
    start_tensorflow(args)
    from nnet.predict import setup_pose_prediction
    from posecut.build import records_from_config
    from posecut.single_person import format_pixel_errors, pixel_error_report, single_person_poses

    network = setup_pose_prediction(cfg, weights)
    report, skipped_of = {}, {}
    for path in args.dataset:
        records, skipped = records_from_config(cfg, path, args.max_images)
        records = [r for r in records if r.num_people >= 1]
        if not records:
            raise PosecutError(f"{path}: no image with a labelled person or animal to evaluate")
        predicted, truth, records, unread = single_person_poses(
            network, records, float(cfg.global_scale), not args.no_progress, path)
        skipped_of[path] = skipped = skipped + unread
        errors = pixel_error_report(predicted, truth, args.pcutoff, args.within)
        report[path] = {"images": len(records), **errors, "skipped": skipped}
        print(f"{path}: {len(records)} images{scored_note(skipped)}, errors in pixels ({weights})")
        print(format_pixel_errors(errors, cfg.joint_names, args.within, args.pcutoff))
    if args.metrics:
        with open(args.metrics, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=1,
                      default=lambda a: [None if np.isnan(v) else v for v in np.asarray(a).tolist()])
        print(f"metrics written to {args.metrics}")
    return max([report_skipped(skipped, f"images of {path}", "the rest are scored")
                for path, skipped in skipped_of.items()])
