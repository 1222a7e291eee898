"""`posecut fit-pairwise`: fit the pairwise spatial model from a trained network's detections
(DeeperCut's MATLAB step, with scipy)."""
from lib.errors import PosecutError
from posecut.cli.common import (WEIGHTS_HELP, config_argument, existing, load, network_or_oracle,
                                oracle_arguments, report_skipped, require_pairwise_head,
                                start_tensorflow)

NAME = "fit-pairwise"


def add_parser(sub):
    parser = sub.add_parser(NAME, help="fit the pairwise spatial model from a trained network's "
                                       "detections")
    config_argument(parser)
    parser.add_argument("--weights", help=WEIGHTS_HELP)
    oracle_arguments(parser, "fit on")
    parser.add_argument("--dataset", help="labelled images (default: the config's training set)")
    parser.add_argument("--max-images", type=int, default=500, help="use at most this many images")
    parser.add_argument("--match-radius", type=float, default=None,
                        help="pixels within which a candidate matches a labelled joint "
                             "(default: pos_dist_thresh)")
    parser.add_argument("--output", help="folder to write (default: the config's pairwise_model_dir)")
    parser.add_argument("--no-progress", action="store_true")
    parser.set_defaults(func=run)


def run(args):
    cfg = load(args.config)
    require_pairwise_head(cfg, "fit-pairwise", "fits the spatial model of the pairwise head's "
                                               "offsets, which groups parts into animals")
    out = args.output or cfg.resolve_path(cfg.pairwise_model_dir)
    if not out:
        raise PosecutError(f"{cfg.source}: pairwise_model_dir is empty; give --output")
    dataset = existing(args.dataset or cfg.resolve_path(cfg.dataset),
                       "the labelled images: --dataset, or the config's dataset")
    network_or_oracle(cfg, args)
    start_tensorflow(args)
    import numpy as np

    from multiperson.evaluation import collect_pair_samples
    from multiperson.fit_pairwise import fit_spatial_model
    from multiperson.pairwise import save_spatial_model
    from multiperson.predict import multiperson_settings_from_config
    from posecut.build import outputs_source, pairwise_stats_from_config, records_from_config

    settings = multiperson_settings_from_config(cfg)
    records, skipped = records_from_config(cfg, dataset, args.max_images)
    stats = pairwise_stats_from_config(cfg)
    outputs = outputs_source(cfg, args.weights, stats.means, stats.stds, args.oracle, args.seed)
    radius = args.match_radius or cfg.pos_dist_thresh * cfg.global_scale
    samples, unread = collect_pair_samples(records, outputs, stats.means, stats.stds, settings,
                                           radius, cfg.global_scale, progress=not args.no_progress)
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
          f"pooled) from {len(records) - len(unread)} images: {positives} same-person and "
          f"{negatives} different-person samples, mean accuracy {100 * accuracy:.1f} %; "
          f"written to {out}")
    if args.verbose:
        for r in report:
            print(f"  {r.k:>3} {r.m:>3}  {r.positives:>7} {r.negatives:>7}  "
                  f"{100 * r.accuracy:5.1f} %  {r.kind}")
    return report_skipped(skipped, f"images of {dataset}", "the rest are fitted on")
