"""COCO-style keypoint AP/AR through xtcocotools, with the OKS sigmas of any keypoint format.

xtcocotools is the COCO API extended with per-format sigmas, evaluation without an ``area``
field and CrowdPose's easy/medium/hard split, so one code path scores COCO-17, CrowdPose,
AI Challenger, OCHuman and the others. This module turns assembled people into COCO result
records, checks ground truth and results against each other before xtcocotools sees them
(its own failures are bare asserts and KeyErrors), keeps its prints off stdout and returns
the summary as named metrics. A metric that xtcocotools reports as -1 has no ground truth
to score (e.g. APm with no medium-sized person); it is returned as -1.0.
"""

from __future__ import annotations

import contextlib
import copy
import io
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from dataset.jsonfile import read_json
from lib.errors import DatasetError, PosecutError

__all__ = [
    "COCO_METRICS",
    "CROWDPOSE_METRICS",
    "XtcocotoolsMissing",
    "evaluate_keypoints",
    "format_metrics_table",
    "ground_truth_of",
    "people_to_coco_results",
]

#: Metric names in the order of xtcocotools' ``stats`` for iouType 'keypoints'.
COCO_METRICS = ("AP", "AP50", "AP75", "APm", "APl", "AR", "AR50", "AR75", "ARm", "ARl")
#: Metric names in the order of xtcocotools' ``stats`` for iouType 'keypoints_crowd'.
CROWDPOSE_METRICS = ("AP", "AP50", "AP75", "AR", "AR50", "AR75", "AP_easy", "AP_medium", "AP_hard")

_INSTALL_HINT = "pip install --no-binary xtcocotools xtcocotools==1.14.3"
# CrowdPose's split of images by crowd index, as in its published evaluation.
_CROWD_EASY_BELOW = 0.2
_CROWD_HARD_FROM = 0.8


class XtcocotoolsMissing(PosecutError, ImportError):
    """xtcocotools is not installed or was built against another numpy."""


def people_to_coco_results(image_id, poses, scores, category_id: int = 1) -> list[dict]:
    """COCO keypoint result records for the people found in one image.

    ``poses``: (K, J, 3) array-like of x, y and per-joint score; ``scores``: (K,) person
    scores. Returns one dict per person with ``image_id`` (int), ``category_id``,
    ``keypoints`` (flat list of 3J floats: x, y, joint score) and ``score`` (float), all
    plain Python values so the list can be written with :func:`json.dump`. People whose
    pose is all zeros (nothing found) are left out.
    """
    poses = np.asarray(poses, dtype=np.float64)
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    if poses.size == 0 and scores.size == 0:
        return []
    if poses.ndim != 3 or poses.shape[2] != 3:
        raise DatasetError(
            f"image {image_id}: poses: expected shape (people, joints, 3), got {poses.shape}"
        )
    if scores.shape[0] != poses.shape[0]:
        raise DatasetError(
            f"image {image_id}: scores: expected {poses.shape[0]} person scores, got {scores.shape[0]}"
        )
    results = []
    for pose, score in zip(poses, scores):
        if not pose.any():
            continue
        results.append({
            "image_id": int(image_id),
            "category_id": int(category_id),
            "keypoints": [float(v) for v in pose.reshape(-1)],
            "score": float(score),
        })
    return results


def ground_truth_of(path, image_ids) -> dict:
    """The COCO keypoint file at ``path`` cut down to the images ``image_ids`` and their
    annotations (to evaluate on the first images of a data set)."""
    data = read_json(path)
    if not isinstance(data, dict) or not isinstance(data.get("images"), list) or not isinstance(
            data.get("annotations"), list):
        raise DatasetError(f"{path}: expected a COCO keypoint file with 'images' and 'annotations' lists")
    keep = set(image_ids)
    return {**data, "images": [i for i in data["images"] if isinstance(i, dict) and i.get("id") in keep],
            "annotations": [a for a in data["annotations"]
                            if isinstance(a, dict) and a.get("image_id") in keep]}


def evaluate_keypoints(
    ground_truth: str | Path | Mapping[str, Any],
    results: Sequence[Mapping[str, Any]],
    sigmas,
    *,
    crowdpose: bool = False,
    use_area: bool | None = None,
) -> dict[str, float]:
    """COCO keypoint AP/AR of ``results`` against ``ground_truth``, with OKS ``sigmas``.

    ``ground_truth``: path of a COCO keypoint JSON, or the loaded dict (left unchanged).
    ``results``: COCO result records (see :func:`people_to_coco_results`; left unchanged).
    ``sigmas``: one OKS sigma per joint, e.g. ``get_format("coco17").sigmas``.
    ``crowdpose``: evaluate as CrowdPose (iouType 'keypoints_crowd'): the images need a
    ``crowdIndex`` and the annotations a ``num_keypoints``; the metrics are then
    :data:`CROWDPOSE_METRICS`, with AP easy/medium/hard over images of crowd index below
    0.2, below 0.8, and the rest. Otherwise the metrics are :data:`COCO_METRICS`.
    ``use_area``: scale OKS by the annotation's ``area``; when False, by 0.53 x its box
    area, as CrowdPose and AI Challenger (no ``area`` field) need. None (the default)
    means True for COCO and False for CrowdPose.

    Returns a dict of metric name to value in [0, 1] (-1.0 where nothing is there to
    score), in xtcocotools' order; every metric is 0.0 for an empty result list.
    DatasetError when a field is missing, the sigmas do not match the annotations'
    keypoint count, or a result names an image that is not in the ground truth.
    """
    coco_api, cocoeval_api = _xtcocotools()
    if use_area is None:
        use_area = not crowdpose
    if isinstance(ground_truth, (str, Path)):
        source = str(ground_truth)
        data = read_json(source)
        if not isinstance(data, dict):
            raise DatasetError(f"{source}: expected a COCO annotation object, got {type(data).__name__}")
    elif isinstance(ground_truth, Mapping):
        source = "ground-truth dict"
        data = copy.deepcopy(dict(ground_truth))
    else:
        raise DatasetError(
            f"ground truth: expected a path or a COCO annotation dict, got {type(ground_truth).__name__}"
        )
    sigmas = np.asarray(sigmas, dtype=np.float64).reshape(-1)
    _check_ground_truth(data, source, len(sigmas), crowdpose=crowdpose, use_area=use_area)
    results = _checked_results(results, data, source, len(sigmas))
    names = CROWDPOSE_METRICS if crowdpose else COCO_METRICS
    if not results:
        return {name: 0.0 for name in names}

    evaluator_type = _crowd_evaluator(cocoeval_api, data) if crowdpose else cocoeval_api
    with contextlib.redirect_stdout(io.StringIO()):
        truth = coco_api()
        truth.dataset = data
        truth.createIndex()
        detections = truth.loadRes(results)
        evaluator = evaluator_type(
            truth, detections, "keypoints_crowd" if crowdpose else "keypoints", sigmas, use_area=use_area
        )
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    return {name: float(value) for name, value in zip(names, evaluator.stats)}


def format_metrics_table(metrics: Mapping[str, float], title: str = "") -> str:
    """A fixed-width text table of ``metrics``: one line per metric, value in percent.

    Values are shown with one decimal (0.7134 -> ``71.3``); a negative or NaN value (no
    ground truth to score) is shown as ``n/a``. ``title``, if given, heads the table.
    """
    width = max([len(str(name)) for name in metrics] + [6])
    lines = [title, "-" * max(len(title), width + 9)] if title else []
    for name, value in metrics.items():
        value = float(value)
        shown = "n/a" if math.isnan(value) or value < 0 else f"{100.0 * value:.1f}"
        lines.append(f"{str(name):<{width}}  {shown:>7}")
    return "\n".join(lines)


def _xtcocotools():
    """(COCO, COCOeval) from xtcocotools; XtcocotoolsMissing with the install command otherwise."""
    try:
        from xtcocotools.coco import COCO
        from xtcocotools.cocoeval import COCOeval
    except (ImportError, ValueError) as err:  # numpy ABI mismatch shows up as ValueError
        raise XtcocotoolsMissing(
            f"keypoint evaluation needs xtcocotools, which failed to import ({err}); "
            f"install it built against this numpy with: {_INSTALL_HINT}"
        ) from err
    return COCO, COCOeval


def _check_ground_truth(data: dict, source: str, num_sigmas: int, *, crowdpose: bool, use_area: bool):
    """Fields xtcocotools relies on, and sigmas matching every annotation's keypoints."""
    for field in ("images", "annotations", "categories"):
        if field not in data:
            raise DatasetError(f"{source}: {field}: missing; expected a list of COCO {field}")
        if not isinstance(data[field], list):
            raise DatasetError(f"{source}: {field}: expected a list, got {type(data[field]).__name__}")
    for i, image in enumerate(data["images"]):
        where = f"{source}: images[{i}]"
        if not isinstance(image, dict) or "id" not in image:
            raise DatasetError(f"{where}: id: missing; expected the image id")
        if crowdpose and "crowdIndex" not in image:
            raise DatasetError(
                f"{where} (id {image['id']}): crowdIndex: missing; CrowdPose evaluation needs "
                "each image's crowd index"
            )
    required = ["id", "image_id", "category_id", "keypoints", "bbox"]
    if crowdpose:
        required.append("num_keypoints")
    for i, ann in enumerate(data["annotations"]):
        where = f"{source}: annotations[{i}]"
        if not isinstance(ann, dict):
            raise DatasetError(f"{where}: expected an annotation object, got {type(ann).__name__}")
        for field in required:
            if field not in ann:
                raise DatasetError(f"{where}: {field}: missing; expected it in a keypoint annotation")
        if use_area and "area" not in ann:
            raise DatasetError(
                f"{where}: area: missing; pass use_area=False to scale OKS by the box instead"
            )
        count = len(ann["keypoints"])
        if count != 3 * num_sigmas:
            raise DatasetError(
                f"{source}: annotations[{i}] (id {ann['id']}) has {count // 3} keypoints "
                f"({count} values) but {num_sigmas} OKS sigmas were given"
            )


def _checked_results(results, data: dict, source: str, num_sigmas: int) -> list[dict]:
    """A deep copy of ``results`` (xtcocotools adds fields to them) after checking each record."""
    image_ids = {image["id"] for image in data["images"]}
    checked = []
    for i, result in enumerate(results):
        if not isinstance(result, Mapping):
            raise DatasetError(f"results[{i}]: expected a result object, got {type(result).__name__}")
        for field in ("image_id", "category_id", "keypoints", "score"):
            if field not in result:
                raise DatasetError(f"results[{i}]: {field}: missing; expected it in a keypoint result")
        if result["image_id"] not in image_ids:
            raise DatasetError(
                f"results[{i}]: image id {result['image_id']!r} is not in the ground truth {source}"
            )
        count = len(result["keypoints"])
        if count != 3 * num_sigmas:
            raise DatasetError(
                f"results[{i}] (image id {result['image_id']}): keypoints: expected {3 * num_sigmas} "
                f"values ({num_sigmas} joints x, y, score), got {count}"
            )
        checked.append(copy.deepcopy(dict(result)))
    return checked


def _crowd_evaluator(cocoeval_api, data: dict):
    """COCOeval whose easy/medium/hard split reads the crowd index from ``data``, not a file.

    xtcocotools re-reads the ground-truth file to split images; taking them from the loaded
    annotations lets a dict be evaluated and saves reading the file twice.
    """
    crowd_index = [(image["id"], float(image["crowdIndex"])) for image in data["images"]]

    class _CrowdEval(cocoeval_api):
        def split(self, gt_file, first=_CROWD_EASY_BELOW, second=_CROWD_HARD_FROM):
            easy = [i for i, c in crowd_index if c < first]
            medium = [i for i, c in crowd_index if first <= c < second]
            hard = [i for i, c in crowd_index if c >= second]
            return easy, medium, hard

    return _CrowdEval
