"""`posecut train`: train the network of a pose_cfg.yaml (DeeperCut's train.py), in this process
or, with --workers N, as N local worker processes that train together (posecut.workers)."""
import os
import signal
import sys

from lib.errors import PosecutError
from posecut.cli.common import config_argument, load, start_tensorflow

NAME = "train"
DISTRIBUTE = ("none", "mirrored", "multi_worker")


def add_parser(sub):
    parser = sub.add_parser(NAME, help="train the network of a pose_cfg.yaml")
    config_argument(parser)
    parser.add_argument("--max-iters", type=int, default=None,
                        help="end at this iteration instead of the schedule's last")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--distribute", choices=DISTRIBUTE, default=None,
                        help="the tf.distribute strategy instead of the config's distribute "
                             "(multi_worker: this process is the worker TF_CONFIG names)")
    parser.add_argument("--workers", type=int, default=None, metavar="N",
                        help="train as N worker processes on this machine (multi_worker, on "
                             "free 127.0.0.1 ports); worker 0 writes the snapshots and logs")
    parser.set_defaults(func=run)


def distribute_of(cfg, args):
    """The strategy this run uses: --workers and --distribute over the config's; PosecutError
    when they contradict each other or the config."""
    if args.workers is None:
        return args.distribute or cfg.distribute
    if args.workers < 1:
        raise PosecutError(f"--workers: expected at least 1 worker, got {args.workers}")
    if args.distribute not in (None, "multi_worker"):
        raise PosecutError(f"--distribute {args.distribute}: --workers {args.workers} trains "
                           f"with multi_worker; give one of them")
    if cfg.distribute == "mirrored":
        raise PosecutError(f"{cfg.source}: distribute: mirrored trains on the GPUs of one "
                           f"process, and --workers {args.workers} starts {args.workers} "
                           f"processes (multi_worker): set distribute to none or multi_worker, "
                           f"or leave out --workers")
    return "multi_worker"


def worker_command(args, config):
    """The command each local worker runs: this one on ``config``, as a multi_worker worker."""
    command = [sys.executable, "-m", "posecut", NAME, os.path.abspath(config),
               "--distribute", "multi_worker"]
    if args.max_iters is not None:
        command += ["--max-iters", str(args.max_iters)]
    if args.no_progress:
        command.append("--no-progress")
    if args.verbose:
        command.append("--verbose")
    return command


def run_local_workers(args, config):
    """Run this training as args.workers local workers; the exit status (names a failed one)."""
    from posecut.workers import run_workers

    result = run_workers(worker_command(args, config), args.workers)
    if result.code:
        print(f"error: {result.describe(args.workers)}", file=sys.stderr)
    else:
        print(f"trained with {args.workers} workers")
    return result.code


def run(args):
    cfg = load(args.config)
    distribute = distribute_of(cfg, args)
    if args.workers is not None:
        return run_local_workers(args, cfg.source)
    if distribute == "multi_worker":
        from posecut.workers import require_cluster

        require_cluster(os.environ, f"{cfg.source}: distribute")
    start_tensorflow(args)
    from posecut.build import train

    try:
        result = train(cfg.replace(distribute=distribute), progress=not args.no_progress,
                       max_iters=args.max_iters)
    except KeyboardInterrupt as interrupt:
        signum = getattr(interrupt, "signum", signal.SIGINT)
        saved = ("the training state and weights were saved" if distribute != "multi_worker"
                 else "with several workers an interrupted run saves nothing")
        print(f"stopped by {signal.Signals(signum).name}: {saved}; run again to resume from "
              f"the last snapshot", file=sys.stderr)
        return 128 + signum
    print(f"trained to step {result['step']}")
    return 0
