"""`posecut pck`: single-person PCK (of person height, or MPII's PCKh) of a trained network."""
from posecut.cli.common import (WEIGHTS_HELP, checked_weights, config_argument, existing, load,
                                report_skipped, scored_note, start_tensorflow)

NAME = "pck"


def add_parser(sub):
    parser = sub.add_parser(NAME, help="single-person PCK of a trained network on a data set")
    config_argument(parser)
    parser.add_argument("--weights", help=WEIGHTS_HELP)
    parser.add_argument("--dataset", required=True, help="annotations of the test images")
    parser.add_argument("--dataset-type", default=None, help="loader (default: the config's)")
    parser.add_argument("--alpha", type=float, default=None,
                        help="threshold as a fraction of person height (default 0.1), or of "
                             "head size with --head-boxes (default 0.5)")
    parser.add_argument("--head-boxes", default=None,
                        help="MPII head rectangles (gt_valid.mat, headboxes_src) of the "
                             "--dataset MPII JSON: PCKh instead of PCK")
    parser.add_argument("--no-progress", action="store_true")
    parser.set_defaults(func=run)


def run(args):
    cfg = load(args.config)
    cfg.require_joints()
    existing(args.dataset, "the annotations of the test images")
    existing(args.head_boxes, "MPII's head rectangles, gt_valid.mat")
    weights = checked_weights(cfg, args.weights)
    start_tensorflow(args)
    import numpy as np

    from dataset.metrics import pck, pckh, person_heights
    from nnet.predict import setup_pose_prediction
    from posecut.build import records_from_config, skip_reasons
    from posecut.single_person import format_pck, single_person_poses

    if args.head_boxes:
        from dataset.mpii import load_mpii_json

        data = load_mpii_json(args.dataset, keypoint_format=cfg.keypoint_format,
                              num_joints=cfg.num_joints, head_boxes_file=args.head_boxes,
                              allow_absolute_paths=cfg.allow_absolute_image_paths)
        records, skipped = list(data.records), skip_reasons(data)
    else:
        records, skipped = records_from_config(cfg, args.dataset, dataset_type=args.dataset_type)
    records = [r for r in records if r.num_people >= 1]
    predicted, truth, records, unread = single_person_poses(
        setup_pose_prediction(cfg, weights), records, float(cfg.global_scale),
        not args.no_progress, args.dataset, desc="pck")
    skipped += unread
    if args.head_boxes:
        alpha = 0.5 if args.alpha is None else args.alpha
        heads = np.stack([r.head_boxes[0] for r in records])
        per_joint, total = pckh(predicted, truth, heads, alpha)
        what = f"PCKh@{alpha:g} (of head size)"
    else:
        alpha = 0.1 if args.alpha is None else args.alpha
        per_joint, total = pck(predicted, truth, person_heights(truth), alpha)
        what = f"PCK@{alpha:g} of person height"
    print(f"{what} on {len(records)} images ({args.dataset}){scored_note(skipped)}: "
          f"{100 * total:.1f} %")
    print(format_pck(per_joint, cfg.joint_names))
    return report_skipped(skipped, f"images of {args.dataset}", "the rest are scored")
