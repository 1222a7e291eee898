"""`posecut export`: a trained model as a SavedModel (any backbone) and a TFLite file (light
backbone), optionally int8 with its accuracy checked against float32."""
from lib.errors import PosecutError
from posecut.cli.common import (WEIGHTS_HELP, checked_weights, config_argument, existing, load,
                                start_tensorflow)

NAME = "export"


def add_parser(sub):
    parser = sub.add_parser(NAME, help="SavedModel (any backbone) and TFLite (light backbone) of a "
                                       "trained model")
    config_argument(parser)
    parser.add_argument("--weights", help=WEIGHTS_HELP)
    parser.add_argument("--output", required=True, help="SavedModel folder to write")
    parser.add_argument("--tflite", help="also write a TFLite file here (mobilenet_v2_* only)")
    parser.add_argument("--tflite-size", type=int, nargs=2, default=(480, 640),
                        metavar=("H", "W"), help="the TFLite model's fixed image size")
    parser.add_argument("--int8", type=int, nargs="?", const=32, default=0, metavar="N",
                        help="quantise the TFLite model to int8 after training, calibrated on "
                             "the first N images of the config's training data set (default 32)")
    parser.add_argument("--check", metavar="DATASET",
                        help="with --int8: run the int8 and the float32 network over these "
                             "labelled images (a COCO keypoint JSON for a multi-person model, "
                             "as posecut evaluate's --dataset) and record both accuracies beside "
                             "the TFLite file; posecut predict uses int8 only where it is within "
                             "one AP point (one pixel of mean error) of float32")
    parser.add_argument("--check-images", type=int, default=200, metavar="N",
                        help="check on the first N images that fit the TFLite input (default 200)")
    parser.set_defaults(func=run)


def _check_flags(args):
    """Refuse flags that do not go together, before TensorFlow starts."""
    if args.int8 and not args.tflite:
        raise PosecutError("--int8: quantises the TFLite model; give --tflite FILE too")
    if args.check and not args.int8:
        raise PosecutError("--check: checks the int8 model's accuracy against float32; give "
                           "--int8 too")
    existing(args.check, "labelled images to check the int8 model on (as posecut evaluate's "
                         "--dataset)")
    if args.check_images < 1:
        raise PosecutError(f"--check-images: expected at least 1 image, got {args.check_images}")


def run(args):
    cfg = load(args.config)
    cfg.require_joints()
    weights = checked_weights(cfg, args.weights)
    _check_flags(args)
    start_tensorflow(args)
    from posecut.export import calibration_images, export_saved_model, export_tflite

    out = export_saved_model(cfg, weights, args.output)
    print(f"SavedModel written to {out} (signature serving_default: image -> people, poses and "
          f"scores; signature network: image -> network outputs; it needs the op of "
          f"lib/people_op.py loaded, as posecut.export.load_exported does)")
    if args.tflite:
        height, width = args.tflite_size
        calibration = calibration_images(cfg, args.int8) if args.int8 else None
        path = export_tflite(cfg, weights, args.tflite, height, width, calibration)
        kind = (f"int8, calibrated on {len(calibration)} training images" if calibration
                else "float32")
        print(f"TFLite written to {path} (input 1 x {height} x {width} x 3 float32; {kind})")
        if args.check:
            print(_int8_check(cfg, weights, path, args.check, args.check_images, (height, width)))
    return 0


def _int8_check(cfg, weights, path, dataset, max_images, size) -> str:
    """Check the int8 file at ``path`` on ``dataset`` (posecut.build.check_int8_export) and say
    what the result means for posecut predict."""
    from posecut.build import check_int8_export, records_from_config
    from posecut.int8_check import int8_verdict

    records, _ = records_from_config(cfg, dataset)
    check = check_int8_export(cfg, weights, path, records, size, max_images, dataset)
    verdict = int8_verdict(check)
    unit = "" if check["metric"] == "AP" else " px"
    return (f"int8 check on {check['images']} images of {dataset}: {check['metric']} "
            f"{check['int8']:.2f}{unit} in int8, {check['float32']:.2f}{unit} in float32; "
            + (f"posecut predict --backend auto will not use it: {verdict}" if verdict else
               "posecut predict --backend auto uses it where it is faster"))
