"""The `posecut` command: one entry point for what a user does (train, pairwise-stats, ...)."""
import argparse
import logging
import os
import sys

from posecut.errors import PosecutError

DEFAULT_CONFIG = "pose_cfg.yaml"


def _config_path(path):
    """The config to use: the one given, else pose_cfg.yaml in the working folder (as DeeperCut)."""
    path = path or DEFAULT_CONFIG
    if not os.path.isfile(path):
        raise PosecutError(f"{path}: no such config file (give one, or run from a folder that "
                           f"holds {DEFAULT_CONFIG})")
    return path


def cmd_train(args):
    from nnet.train import train
    from posecut.config import load_config

    cfg = load_config(_config_path(args.config))
    try:
        result = train(cfg, progress=not args.no_progress, max_iters=args.max_iters)
    except KeyboardInterrupt:
        print("interrupted: the training state and weights were saved; run again to resume",
              file=sys.stderr)
        return 130
    print(f"trained to step {result['step']}")
    return 0


def cmd_pairwise_stats(args):
    from dataset.loaders import load_dataset_from_config
    from dataset.pairwise_stats import compute_pairwise_stats, save_pairwise_stats
    from posecut.config import load_config

    cfg = load_config(_config_path(args.config))
    cfg.require_joints()
    data = load_dataset_from_config(cfg)
    stats = compute_pairwise_stats((r.joints for r in data.records), cfg.num_joints,
                                   scale=1.0)
    out = args.output or cfg.resolve_path(cfg.pairwise_stats_fn)
    save_pairwise_stats(stats, out)
    seen = int((stats.counts > 0).sum())
    print(f"pairwise statistics of {len(data.records)} images, {seen} of {len(stats.counts)} "
          f"ordered joint pairs seen, written to {out}")
    return 0


def cmd_pck(args):
    import numpy as np
    from tqdm import tqdm

    from dataset.images import read_image
    from dataset.keypoint_formats import get_format
    from dataset.loaders import load_dataset
    from dataset.metrics import pck, person_heights
    from nnet.predict import predict_single_person, setup_pose_prediction
    from posecut.config import load_config

    cfg = load_config(_config_path(args.config))
    cfg.require_joints()
    data = load_dataset(args.dataset_type or cfg.dataset_type, args.dataset,
                        num_joints=cfg.num_joints, keypoint_format=cfg.keypoint_format)
    records = [r for r in data.records if r.num_people >= 1]
    predictor = setup_pose_prediction(cfg, args.weights)
    predicted, truth = [], []
    for record in tqdm(records, desc="pck", unit="image", disable=args.no_progress):
        pose = predict_single_person(predictor, read_image(record.image_path), cfg.locref_stdev,
                                     cfg.stride, cfg.global_scale)
        predicted.append(pose)
        truth.append(record.joints[0])
    predicted, truth = np.stack(predicted), np.stack(truth)
    per_joint, total = pck(predicted, truth, person_heights(truth), args.alpha)
    names = (get_format(cfg.keypoint_format).joints if cfg.keypoint_format
             else [f"joint {j}" for j in range(cfg.num_joints)])
    print(f"PCK@{args.alpha:g} of person height on {len(records)} images "
          f"({args.dataset}): {100 * total:.1f} %")
    for name, value in zip(names, per_joint):
        print(f"  {name:<16} {100 * value:5.1f} %")
    return 0


def build_parser():
    parser = argparse.ArgumentParser(prog="posecut", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    train = sub.add_parser("train", help="train the network of a pose_cfg.yaml")
    train.add_argument("config", nargs="?", help=f"config file (default: ./{DEFAULT_CONFIG})")
    train.add_argument("--max-iters", type=int, default=None,
                       help="stop at this iteration instead of the schedule's last")
    train.add_argument("--no-progress", action="store_true", help="no progress bar")
    train.set_defaults(func=cmd_train)
    stats = sub.add_parser("pairwise-stats",
                           help="mean and std of the offsets between every ordered joint pair")
    stats.add_argument("config", nargs="?", help=f"config file (default: ./{DEFAULT_CONFIG})")
    stats.add_argument("--output", help="where to write (default: the config's pairwise_stats_fn)")
    stats.set_defaults(func=cmd_pairwise_stats)
    pck_parser = sub.add_parser("pck", help="single-person PCK of a trained network on a data set")
    pck_parser.add_argument("config", nargs="?", help=f"config file (default: ./{DEFAULT_CONFIG})")
    pck_parser.add_argument("--weights", required=True, help="checkpoint prefix or folder")
    pck_parser.add_argument("--dataset", required=True, help="annotations of the test images")
    pck_parser.add_argument("--dataset-type", default=None, help="loader (default: the config's)")
    pck_parser.add_argument("--alpha", type=float, default=0.1,
                            help="threshold as a fraction of person height")
    pck_parser.add_argument("--no-progress", action="store_true")
    pck_parser.set_defaults(func=cmd_pck)
    from dataset.generator import add_arguments, run as convert_dataset

    convert = sub.add_parser("convert-dataset",
                             help="convert annotations (AIC, CrowdPose, OCHuman, MPII, Halpe, "
                                  "WholeBody, DeepLabCut, COCO) to COCO JSON or dataset.mat")
    add_arguments(convert)
    convert.set_defaults(func=convert_dataset)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        return args.func(args)
    except PosecutError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
