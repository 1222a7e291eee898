"""`posecut evaluate-tracks`: PoseTrack's tracking metrics and the per-frame AP of tracking results."""
import json

from posecut.cli.common import report_skipped

NAME = "evaluate-tracks"


def add_parser(sub):
    parser = sub.add_parser(NAME, help="PoseTrack tracking metrics (MOTA per joint, MOTP, precision, "
                                       "recall, ID switches, IDF1) and per-frame AP of tracking "
                                       "results")
    parser.add_argument("ground_truth", help="PoseTrack 2017/2018 JSON, or a folder of them")
    parser.add_argument("predictions", help="results in PoseTrack JSON (as `posecut track` "
                                            "writes), or a folder of them; videos pair by file name")
    parser.add_argument("--threshold", type=float, default=0.5,
                        help="a joint matches within this many head sizes (default %(default)s, PCKh)")
    parser.add_argument("--min-joint-score", type=float, default=0.0,
                        help="tracking metrics count a predicted joint above this score (default 0: "
                             "every joint found)")
    parser.add_argument("--output", help="also write the figures as JSON here")
    parser.set_defaults(func=run)


def run(args):
    from dataset.coco_eval import format_metrics_table
    from multiperson.track_metrics import format_tracking_table
    from posecut.track_eval import evaluate_track_files

    result = evaluate_track_files(args.ground_truth, args.predictions, args.threshold,
                                  args.min_joint_score)
    print(format_tracking_table(result.tracking))
    print()
    print(format_metrics_table(result.ap, "per-frame keypoint AP (labelled frames)"))
    if args.output:
        total = result.tracking.total
        with open(args.output, "w", encoding="utf-8") as f:
            json.dump({"tracking": {row.name: row._asdict()
                                    for row in (*result.tracking.joints, total)},
                       "ap": result.ap, "skipped": result.skipped}, f, indent=1, default=float)
        print(f"wrote {args.output}")
    return report_skipped(result.skipped, "files or videos")
