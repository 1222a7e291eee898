"""`posecut convert-checkpoint`: a checkpoint (DeeperCut's TF1 or ours) rewritten as a config's
network needs it."""
from posecut.cli.common import checked_weights, config_argument, load, start_tensorflow

NAME = "convert-checkpoint"


def add_parser(sub):
    parser = sub.add_parser(NAME, help="rewrite a checkpoint (DeeperCut's TF1 or ours) as the "
                                       "network of a config needs it: checked names, shapes and "
                                       "joints, model variables only")
    config_argument(parser)
    parser.add_argument("--weights", required=True, help="checkpoint prefix to read, or a folder (its newest "
                                                         "snapshot-N)")
    parser.add_argument("--output", required=True, help="checkpoint prefix to write")
    parser.add_argument("--allow-missing", action="store_true",
                        help="keep the initial values of heads the checkpoint lacks "
                             "or predicts for other joints (named in a warning)")
    parser.set_defaults(func=run)


def run(args):
    cfg = load(args.config)
    cfg.require_joints()
    weights = checked_weights(cfg, args.weights)
    start_tensorflow(args)
    from posecut.build import convert_checkpoint

    out, variables, values = convert_checkpoint(cfg, weights, args.output, args.allow_missing)
    print(f"{weights} -> {out}: {variables} variables ({values} values) of "
          f"{cfg.net_type} with {cfg.num_joints} joints, TF-slim names, no optimizer state")
    return 0
