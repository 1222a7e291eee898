"""`posecut import-dlc`: a DeepLabCut project (its config.yaml and labelled frames) made into a
posecut project that trains as it is."""
import sys

from posecut.cli.common import existing, report_skipped

NAME = "import-dlc"


def add_parser(sub):
    parser = sub.add_parser(NAME, help="a DeepLabCut project (config.yaml, labeled-data) as a "
                                       "posecut project: frames, keypoint format, split, "
                                       "pose_cfg.yaml chosen for its frames and animal")
    parser.add_argument("config", help="the DeepLabCut project's config.yaml")
    parser.add_argument("output", help="folder of the posecut project to write")
    parser.add_argument("--seed", type=int, default=None,
                        help="seed of the split and of training (default: the default of the "
                             "config key seed)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace the pose_cfg.yaml (and the rest) of an earlier import")
    parser.set_defaults(func=run)


def run(args):
    """Import; exit 0, or 1 after writing when frames were skipped or a table labels a bodypart
    in none of its frames (listed on stderr)."""
    existing(args.config, "a DeepLabCut project's config.yaml")
    from posecut.config import default_config
    from posecut.import_dlc import import_dlc, summary

    seed = default_config().seed if args.seed is None else args.seed
    imported = import_dlc(args.config, args.output, seed, overwrite=args.overwrite)
    print(summary(imported))
    for line in imported.missing:
        print(f"warning: {line}: it is taught as absent wherever it is visible; label it, or "
              f"remove it from the config's bodyparts", file=sys.stderr)
    skipped = [f"{s.file}: {s.record}: {s.reason}" for s in imported.conversion.skipped]
    return max(report_skipped(skipped, "labelled frames"), int(bool(imported.missing)))
