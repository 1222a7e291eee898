"""What the commands share: checking paths and weights before TensorFlow starts, the arguments
several commands take, and reporting what a run over many inputs skipped."""
import os
import sys

from lib.errors import PosecutError
from posecut.bundled import DEFAULT_CONFIG, model_paths

WEIGHTS_HELP = ("checkpoint prefix, or a folder (its newest snapshot-N), of the trained network "
                "(default: the newest snapshot_prefix-N beside the config, else its init_weights)")


def config_argument(parser):
    """The optional positional config of the commands that read one."""
    parser.add_argument("config", nargs="?", help=f"config file (default: ./{DEFAULT_CONFIG})")


def model_arguments(parser):
    """--config and --weights of the commands that default to the bundled model (predict, track)."""
    parser.add_argument("--config", help="config file (default: ./pose_cfg.yaml if present, else the "
                                         "bundled model's)")
    parser.add_argument("--weights", help="checkpoint prefix, or a folder (its newest snapshot-N) "
                                          "(default: the bundled model's with its config, else "
                                          "the newest snapshot_prefix-N beside the config, else "
                                          "its init_weights)")


def oracle_arguments(parser, what="use"):
    """--oracle and --seed of the commands that can replace the network by the ground truth."""
    parser.add_argument("--oracle", action="store_true",
                        help=f"{what} oracle outputs (ground truth with noise) instead of the network's")
    parser.add_argument("--seed", type=int, default=None,
                        help="seed of the oracle's noise (default: the config's seed)")


def load(path):
    """The config at ``path`` (else ./pose_cfg.yaml), loaded and validated; PosecutError when
    there is no such file."""
    from posecut.config import load_config

    path = path or DEFAULT_CONFIG
    if not os.path.isfile(path):
        raise PosecutError(f"{path}: no such config file (give one, or run from a folder that "
                           f"holds {DEFAULT_CONFIG})")
    return load_config(path)


def load_predict_config(args):
    """(config, weights) of predict and track: --config, else ./pose_cfg.yaml, else the bundled
    model's (with its weights)."""
    config, weights = model_paths(args.config, args.weights)
    return load(config), weights


def existing(path, what):
    """``path`` when it exists (or is not given), else a PosecutError naming it and what it should be."""
    if path and not os.path.exists(path):
        raise PosecutError(f"{path}: no such file or folder (expected {what})")
    return path


def checked_weights(cfg, weights):
    """The checkpoint to load, checked from its files before TensorFlow is imported: ``weights``
    (a folder: its newest snapshot), else nnet.checkpoint_files.default_weights (the config's
    newest snapshot, else its init_weights). Where the checkpoint was chosen here rather than
    named, one line on stdout says which it is."""
    from nnet.checkpoint_files import checkpoint_problem, default_weights, weights_in

    if weights:
        problem = checkpoint_problem(weights)
        if problem:
            raise PosecutError(problem)
        weights, line = weights_in(weights)
    else:
        choice = default_weights(cfg)
        problem = checkpoint_problem(choice.path)
        if problem:
            raise PosecutError(f"{cfg.source}: init_weights: {problem}")
        weights, line = weights_in(choice.path)[0], choice.line
    if line:
        print(line, flush=True)
    return weights


def require_pairwise_head(cfg, command, purpose):
    """Refuse, before any other check, a model without the pairwise head for ``command``, which
    needs it for ``purpose``; the message says what to run instead for one animal per frame."""
    if cfg.pairwise_predict:
        return
    raise PosecutError(
        f"this model has no pairwise head ({cfg.source}: pairwise_predict: false), and "
        f"{command} {purpose}. With one animal (or person) per frame: `posecut evaluate "
        f"{cfg.source} --dataset LABELLED.json` gives errors in pixels, and `posecut predict "
        f"VIDEO --config {cfg.source} --filter-window 5` a filtered track; for several, set "
        f"pairwise_predict: true and train again")


def network_or_oracle(cfg, args):
    """Check, before TensorFlow starts, what --weights/--oracle and the statistics name; the
    oracle's seed defaults to the config's."""
    if args.oracle and args.weights:
        raise PosecutError("--oracle: the oracle replaces the network; give --weights or "
                           "--oracle, not both")
    if not args.oracle:
        args.weights = checked_weights(cfg, args.weights)
    if args.seed is None:
        args.seed = cfg.seed
    existing(cfg.resolve_path(cfg.pairwise_stats_fn),
             f"the pairwise statistics of {cfg.source}'s pairwise_stats_fn; "
             f"posecut pairwise-stats writes them")


def start_tensorflow(args):
    """Import TensorFlow now that the inputs are checked, its start-up lines hidden unless
    --verbose."""
    from posecut.logs import start_tensorflow as start

    start(args.verbose)


def scored_note(skipped):
    """What a summary adds when images were skipped: the figures are of the images read only."""
    return (f", {len(skipped)} skipped, scored against the ground truth of the images read only"
            if skipped else "")


def report_skipped(skipped, what, rest="the rest are written") -> int:
    """List on stderr what a run over many inputs or images skipped ("skipped N {what}, {rest}:"
    and a line each); the exit code: 1 when anything was skipped, else 0."""
    if not skipped:
        return 0
    print(f"skipped {len(skipped)} {what}, {rest}:", file=sys.stderr)
    for reason in skipped:
        print(f"  {reason}", file=sys.stderr)
    return 1


def report_written(args, tables, pose_files, scorer):
    """What `posecut predict` wrote to args.output (in one process or on Ray): the run-wide files,
    the tables, DeepLabCut's files under ``scorer``, and with --plots the plots of each."""
    print(f"wrote {os.path.join(args.output, 'results.json')} (COCO results), images.json (image "
          f"ids to files), {', '.join(os.path.basename(t) for t in tables)} (x, y, "
          f"likelihood per part){'' if args.no_draw else ' and the drawings'} to {args.output}")
    if pose_files:
        print(f"DeepLabCut's layout, scorer {scorer}: "
              f"{', '.join(os.path.basename(p)[:-3] + '.h5/.csv' for p in pose_files)}")
    if args.plots:
        from posecut.plots import plot_pose_file

        for path in pose_files:
            plots = plot_pose_file(path, os.path.join(args.output, "plots"), args.pcutoff)
            print(f"{os.path.basename(path)}: {len(plots)} plots in {os.path.dirname(plots[0])}")
