"""Whether an int8 network is accurate enough to use: the whole pipeline run with it and with
TensorFlow float32 on the same labelled images, scored the same way.

A multi-person model is scored by COCO keypoint AP (x 100, xtcocotools), a model without the
pairwise head by the mean pixel error of its argmax pose. int8 passes when it loses at most
MAX_AP_DROP AP points, or gains at most MAX_PIXEL_RISE pixels of error. posecut export (--int8
--check) records the check beside the TFLite file; posecut predict reads it when it chooses a
backend (posecut.backend_choice).
"""
import json
import os

import numpy as np

from dataset.coco_eval import evaluate_keypoints, ground_truth_of
from dataset.images import read_image
from dataset.metrics import pixel_errors
from lib.errors import CheckpointError, DatasetError
from multiperson.evaluation import network_outputs_fn, predict_dataset
from nnet.outputs import predict_single_person

__all__ = ["MAX_AP_DROP", "MAX_PIXEL_RISE", "accuracy_check", "fits", "int8_verdict", "tflite_info",
           "write_tflite_info"]

MAX_AP_DROP = 1.0
MAX_PIXEL_RISE = 1.0


def fits(record, size, scale: float) -> bool:
    """Whether the record's image, resized by ``scale``, fits in a fixed input of ``size``
    (height, width), as a TFLite model needs."""
    return (round(record.height * scale) <= size[0]) and (round(record.width * scale) <= size[1])


def _multiperson_ap(records, network, assets, scale, ground_truth, sigmas):
    """(AP x 100, the records scored) of the pipeline with ``network`` on ``records``."""
    results, _, unread = predict_dataset(records, network_outputs_fn(network, scale),
                                         assets.means, assets.stds, assets.model, assets.settings,
                                         scale, gates=assets.gates)
    unread = {path for path, _ in unread}
    scored = [r for r in records if r.image_path not in unread]
    if not scored:
        raise DatasetError(f"{ground_truth}: none of the {len(records)} check images could be read")
    truth = ground_truth_of(ground_truth, [r.image_id for r in scored])
    return 100 * evaluate_keypoints(truth, results, sigmas)["AP"], scored


def _pixel_error(records, network, scale):
    """Mean pixel error of the argmax pose against each record's first labelled person."""
    predicted, truth = [], []
    for record in records:
        predicted.append(predict_single_person(network, read_image(record.image_path), scale))
        truth.append(record.joints[0])
    return pixel_errors(np.stack(predicted), np.stack(truth))["mean"]


def accuracy_check(records, float32_network, int8_network, scale: float, *, assets=None,
                   ground_truth=None, sigmas=None) -> dict:
    """{'metric', 'float32', 'int8', 'images'}: the pipeline's accuracy on ``records`` with each
    network (both called as nnet.predict.PosePredictor is). With ``assets`` (GroupingAssets),
    ``ground_truth`` (the COCO JSON the records came from) and ``sigmas``, COCO AP x 100 of the
    people found; without, the mean pixel error of the argmax pose of records with a person."""
    if not records:
        raise DatasetError("int8 check: no image to check on")
    if assets is not None:
        ours, scored = _multiperson_ap(records, float32_network, assets, scale, ground_truth, sigmas)
        theirs, _ = _multiperson_ap(scored, int8_network, assets, scale, ground_truth, sigmas)
        return {"metric": "AP", "float32": ours, "int8": theirs, "images": len(scored)}
    records = [r for r in records if r.num_people >= 1]
    if not records:
        raise DatasetError("int8 check: no image with a labelled person or animal")
    return {"metric": "mean pixel error", "float32": _pixel_error(records, float32_network, scale),
            "int8": _pixel_error(records, int8_network, scale), "images": len(records)}


def int8_verdict(check) -> str:
    """'' when a check (accuracy_check's dict, or None) allows int8; else why not."""
    if not check:
        return ("its accuracy was not checked against float32 (posecut export --int8 --check "
                "DATASET records it)")
    ours, theirs = float(check["float32"]), float(check["int8"])
    if check["metric"] == "AP":
        if theirs < ours - MAX_AP_DROP:
            return (f"AP {theirs:.2f} against float32's {ours:.2f} on {check['images']} images: "
                    f"more than {MAX_AP_DROP:g} point lower")
        return ""
    if not np.isfinite(theirs) or theirs > ours + MAX_PIXEL_RISE:
        return (f"mean error {theirs:.2f} px against float32's {ours:.2f} px on "
                f"{check['images']} images: more than {MAX_PIXEL_RISE:g} px higher")
    return ""


def _info_path(path) -> str:
    return os.fspath(path) + ".json"


def write_tflite_info(path, info) -> str:
    """Write what is known of an int8 TFLite file at ``path`` beside it (``path``.json): its
    calibration images and its accuracy check against float32 (accuracy_check) once made.
    ``info`` None removes what an earlier export wrote there."""
    where = _info_path(path)
    if info is None:
        if os.path.isfile(where):
            os.remove(where)
        return where
    with open(where, "w", encoding="utf-8") as f:
        json.dump(info, f, indent=1)
    return where


def tflite_info(path) -> dict:
    """What posecut export wrote beside the TFLite file at ``path`` (write_tflite_info): {} when
    nothing was (a float32 file, one from elsewhere or an older posecut); a CheckpointError
    naming the file when it cannot be read."""
    where = _info_path(path)
    if not os.path.isfile(where):
        return {}
    try:
        with open(where, encoding="utf-8") as f:
            info = json.load(f)
    except (OSError, ValueError) as err:
        raise CheckpointError(f"{where}: cannot read the TFLite file's description ({err})") from None
    check = info.get("check") if isinstance(info, dict) else None
    if not isinstance(info, dict) or (check is not None and not (
            isinstance(check, dict) and {"metric", "float32", "int8", "images"} <= set(check))):
        raise CheckpointError(f"{where}: expected an object whose 'check' is null or has metric, "
                              f"float32, int8 and images, as posecut export writes")
    return info
