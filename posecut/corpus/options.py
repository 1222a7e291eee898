"""`--ray` of `posecut predict` and `posecut track`: the arguments, checked before anything
starts (the run itself is posecut.corpus.run)."""
from lib.errors import PosecutError

__all__ = ["LOCAL", "ray_arguments", "refuse_with_ray"]

LOCAL = "local"
"""--ray without an address: a Ray instance on this machine, with its cores."""


def ray_arguments(parser, chunks: bool = False):
    """--ray [ADDRESS] and --workers, and for track --chunk-frames."""
    parser.add_argument("--ray", nargs="?", const=LOCAL, default=None, metavar="ADDRESS",
                        help="run the inputs on a Ray cluster (the cluster extra): alone, one "
                             "started on this machine with its cores; with ADDRESS (e.g. "
                             "auto, or HOST:6379), the running cluster there. Finished inputs "
                             "are recorded in OUTPUT/manifest.jsonl and skipped by a rerun")
    parser.add_argument("--workers", type=int, default=None, metavar="N",
                        help="--ray: network actors, each holding the model (default: one per "
                             "GPU of the cluster, else one per two cores)")
    if chunks:
        parser.add_argument("--chunk-frames", type=int, default=512, metavar="FRAMES",
                            help="--ray: a longer video is tracked in chunks of about this many "
                                 "frames on different workers, overlapping by the tracker's "
                                 "window and stitched (default 512)")


def refuse_with_ray(args, **given):
    """PosecutError for options a --ray run does not take (name -> value given), and for
    --workers without --ray."""
    if args.ray is None:
        if args.workers is not None:
            raise PosecutError("--workers: counts the network actors of a --ray run; add --ray")
        return
    if args.workers is not None and args.workers < 1:
        raise PosecutError(f"--workers: expected at least 1, got {args.workers}")
    for name, value in given.items():
        if value:
            raise PosecutError(f"--ray: {name} runs in one process only; drop one of them")
