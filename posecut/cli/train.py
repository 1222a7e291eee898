"""`posecut train`: train the network of a pose_cfg.yaml (DeeperCut's train.py)."""
import signal
import sys

from posecut.cli.common import config_argument, load, start_tensorflow

NAME = "train"


def add_parser(sub):
    parser = sub.add_parser(NAME, help="train the network of a pose_cfg.yaml")
    config_argument(parser)
    parser.add_argument("--max-iters", type=int, default=None,
                        help="end at this iteration instead of the schedule's last")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


def run(args):
    cfg = load(args.config)
    start_tensorflow(args)
    from posecut.build import train

    try:
        result = train(cfg, progress=not args.no_progress, max_iters=args.max_iters)
    except KeyboardInterrupt as interrupt:
        signum = getattr(interrupt, "signum", signal.SIGINT)
        print(f"stopped by {signal.Signals(signum).name}: the training state and weights were "
              f"saved; run again to resume", file=sys.stderr)
        return 128 + signum
    print(f"trained to step {result['step']}")
    return 0
