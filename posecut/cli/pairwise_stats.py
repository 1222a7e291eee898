"""`posecut pairwise-stats`: mean and std of the offsets between joint pairs of the training set."""
from posecut.cli.common import config_argument, load, require_pairwise_head

NAME = "pairwise-stats"


def add_parser(sub):
    parser = sub.add_parser(NAME, help="mean and std of the offsets between every ordered joint pair")
    config_argument(parser)
    parser.add_argument("--output", help="where to write (default: the config's pairwise_stats_fn)")
    parser.set_defaults(func=run)


def run(args):
    cfg = load(args.config)
    require_pairwise_head(cfg, NAME, "computes the statistics that normalise the pairwise head's "
                                     "offsets")
    cfg.require_joints()
    from dataset.loaders import load_dataset_from_config
    from dataset.pairwise_stats import compute_pairwise_stats, save_pairwise_stats

    data = load_dataset_from_config(cfg)
    stats = compute_pairwise_stats((r.joints for r in data.records), cfg.num_joints, scale=1.0)
    out = args.output or cfg.resolve_path(cfg.pairwise_stats_fn)
    save_pairwise_stats(stats, out)
    seen = int((stats.counts > 0).sum())
    print(f"pairwise statistics of {len(data.records)} images, {seen} of {len(stats.counts)} "
          f"ordered joint pairs seen, written to {out}")
    return 0
