"""`posecut fit-temporal`: fit tracking's temporal model on clips with track ids."""
from posecut.cli.common import (WEIGHTS_HELP, config_argument, load, network_or_oracle,
                                oracle_arguments, report_skipped, require_pairwise_head,
                                start_tensorflow)

NAME = "fit-temporal"


def add_parser(sub):
    parser = sub.add_parser(NAME, help="fit the temporal model of tracking on clips with track ids "
                                       "(PoseTrack JSON and their frames)")
    config_argument(parser)
    parser.add_argument("--clips", nargs="+", required=True,
                        help="PoseTrack JSON files or folders of them (python -m "
                             "dataset.synthetic.clips writes such clips)")
    parser.add_argument("--images", help="folder the clips' file names are relative to (default: "
                                         "beside the JSON and up to two folders above it)")
    parser.add_argument("--weights", help=WEIGHTS_HELP)
    oracle_arguments(parser, "fit on")
    parser.add_argument("--match-radius", type=float, default=None,
                        help="pixels within which a candidate matches a labelled joint (default: "
                             "pos_dist_thresh)")
    parser.add_argument("--output", help="where to write (default: the config's temporal_model)")
    parser.set_defaults(func=run)


def run(args):
    cfg = load(args.config)
    require_pairwise_head(cfg, "fit-temporal", "fits the temporal model of tracking, which "
                                               "groups part candidates with it")
    from posecut.track_eval import posetrack_files
    from posecut.tracking_run import temporal_model_path, track_settings_from_config

    clips = [f for path in args.clips for f in posetrack_files(path)]
    settings = track_settings_from_config(cfg)
    out = temporal_model_path(cfg, args.output)
    network_or_oracle(cfg, args)
    start_tensorflow(args)
    from multiperson.temporal_model import save_temporal_model
    from posecut.build import grouping_assets_from_config, outputs_source
    from posecut.tracking_run import fit_temporal_on_clips

    assets = grouping_assets_from_config(cfg)
    outputs = outputs_source(cfg, args.weights, assets.means, assets.stds, args.oracle, args.seed)
    radius = args.match_radius or cfg.pos_dist_thresh
    model, count, skipped = fit_temporal_on_clips(clips, outputs, assets, settings, radius,
                                                  args.images, cfg.seed,
                                                  cfg.allow_absolute_image_paths)
    save_temporal_model(model, out)
    print(f"fitted the temporal model on {count} temporal edges of {len(clips) - len(skipped)} "
          f"clips ({'oracle' if args.oracle else 'network'} outputs, max_gap {settings.max_gap}, "
          f"{'with' if settings.flow else 'without'} optical flow); written to {out}")
    return report_skipped(skipped, f"of {len(clips)} clips")
