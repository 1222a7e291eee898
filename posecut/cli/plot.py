"""`posecut plot`: per-part plots of a video's poses from the H5 or CSV that predict writes in
DeepLabCut's layout: trajectories, likelihood over time, frame-to-frame jumps."""
import os

from lib.errors import PosecutError
from posecut.cli.common import existing

NAME = "plot"


def pcutoff_argument(parser):
    """--pcutoff of the commands that leave out (or hollow) the parts scoring below it."""
    parser.add_argument("--pcutoff", type=float, default=None,
                        help="likelihood below which a part is not trusted (default: the config's "
                             "pcutoff; for plot, the config key's default)")


def add_parser(sub):
    parser = sub.add_parser(NAME, help="plots of a video's poses per part (trajectories, "
                                       "likelihood, frame-to-frame jumps) as PNGs, from predict's "
                                       "H5 or CSV in DeepLabCut's layout")
    parser.add_argument("files", nargs="+", help="pose files (.h5 or .csv, DeepLabCut's layout)")
    parser.add_argument("--output", help="folder for the PNGs (default: plots/ beside each file)")
    pcutoff_argument(parser)
    parser.add_argument("--bins", type=int, default=50,
                        help="bins of the histogram of jumps (default %(default)s)")
    parser.set_defaults(func=run)


def check(pcutoff, bins=1):
    """Refuse a p-cutoff outside 0..1 or a bin count below 1."""
    if not 0.0 <= pcutoff <= 1.0:
        raise PosecutError(f"--pcutoff: expected a likelihood between 0 and 1, got {pcutoff:g}")
    if bins < 1:
        raise PosecutError(f"--bins: expected at least 1, got {bins}")


def run(args):
    if args.pcutoff is None:
        from posecut.config import default_config

        args.pcutoff = default_config().pcutoff
    check(args.pcutoff, args.bins)
    for path in args.files:
        existing(path, "a pose file (.h5 or .csv) in DeepLabCut's layout, as predict writes")
    from posecut.plots import plot_pose_file

    for path in args.files:
        written = plot_pose_file(path, args.output, args.pcutoff, args.bins)
        print(f"{path}: wrote {len(written)} plots to {os.path.dirname(written[0])}")
    return 0
