"""`posecut split`: a held-out split of a COCO keypoint JSON by image, fixed by a seed."""
import os

from posecut.cli.common import existing

NAME = "split"


def add_parser(sub):
    parser = sub.add_parser(NAME, help="a held-out split of a COCO keypoint JSON by image, fixed "
                                       "by the seed: train.json and test.json")
    parser.add_argument("annotations", help="COCO keypoint JSON")
    parser.add_argument("--output", required=True, help="folder for train.json and test.json")
    parser.add_argument("--test-fraction", type=float, default=0.05,
                        help="share of the images held out (default %(default)s)")
    parser.add_argument("--seed", type=int, default=None,
                        help="the split's seed (default: the default of the config key seed)")
    parser.set_defaults(func=run)


def run(args):
    existing(args.annotations, "a COCO keypoint JSON to split")
    from dataset.split import write_split
    from posecut.config import default_config

    if args.seed is None:
        args.seed = default_config().seed
    train, test, absolute = write_split(args.annotations, args.output, args.test_fraction, args.seed)
    print(f"{args.annotations}: images split by seed {args.seed} into {train} and {test}")
    if absolute:
        print(f"note: {absolute} image names lie outside {os.path.abspath(args.output)} and are "
              f"written as absolute paths: training or evaluating on these files needs "
              f"allow_absolute_image_paths: true in the config (or split into a folder above the "
              f"images)")
    return 0
