"""AI Challenger's own keypoint JSON: a list of records, one per image.

Each record has ``image_id`` (the file name without ``.jpg``), ``keypoint_annotations``
({"human1": [x, y, v] * 14, ...}, joints in aic14 order, v 1 visible, 2 labelled but hidden, 3 not
labelled) and ``human_annotations`` ({"human1": [x1, y1, x2, y2], ...}). Codes are translated with
the ``aic`` visibility table; boxes become COCO's x, y, width, height. A bad person makes its
whole image a skipped record.
"""
from __future__ import annotations

import os
from typing import Optional

import numpy as np

from dataset.coco import keypoint_rows
from dataset.jsonfile import numbers, read_json, require
from dataset.keypoint_formats import KeypointFormat
from dataset.source_data import Report, SourceData, SourceImage, SourcePerson, image_file, image_folders, reason
from lib.errors import DatasetError

__all__ = ["read_aic"]

LAYOUT = "aic"


def _box(values, where: str) -> tuple[float, float, float, float]:
    """COCO x, y, width, height from AI Challenger's x1, y1, x2, y2."""
    x1, y1, x2, y2 = numbers(values, where, "human_annotations", 4, "[x1, y1, x2, y2]")
    if x2 < x1 or y2 < y1:
        raise DatasetError(f"{where}: human_annotations: expected x1 <= x2 and y1 <= y2, got {values}")
    return float(x1), float(y1), float(x2 - x1), float(y2 - y1)


def _record(entry, k: int, fmt: KeypointFormat) -> tuple[str, list]:
    """(image_id, people) of record k; DatasetError naming the record, person and field."""
    where = f"record {k}"
    image_id = require(entry, "image_id", str, where, "the image's file name without .jpg")
    where = f"record {k} (image_id {image_id})"
    points = require(entry, "keypoint_annotations", dict, where, "an object {human: [x, y, v] * 14}")
    boxes = entry.get("human_annotations", {})
    if not isinstance(boxes, dict):
        raise DatasetError(f"{where}: human_annotations: expected an object {{human: [x1, y1, x2, y2]}}, "
                           f"got {type(boxes).__name__}")
    people = []
    for human in list(points) + [h for h in boxes if h not in points]:
        at = f"{where}, {human}"
        if human in points:
            joints = keypoint_rows(points[human], fmt.num_joints, LAYOUT, at, "keypoint_annotations")
        else:
            joints = np.zeros((fmt.num_joints, 3))
        bbox = _box(boxes[human], at) if boxes.get(human) is not None else None
        people.append(SourcePerson(joints, f"{image_id} {human}", bbox))
    return image_id, people


def read_aic(path: str, fmt: KeypointFormat, images: Optional[str] = None, *,
             allow_absolute_paths: bool = False) -> SourceData:
    """Read AI Challenger's keypoint_annotations JSON (``fmt`` is aic14); images are ``<image_id>.jpg``
    (an absolute one outside the image folders only with ``allow_absolute_paths``)."""
    path = os.path.abspath(path)
    report = Report(path)
    data = read_json(path)
    if not isinstance(data, list):
        raise DatasetError(f"{path}: expected a list of AI Challenger records (image_id, keypoint_annotations, "
                           f"human_annotations), got {type(data).__name__}")
    folders = image_folders(path, images)
    result = []
    for k, entry in enumerate(data):
        try:
            image_id, people = _record(entry, k, fmt)
        except DatasetError as err:
            report.skip(f"record {k}", reason(err, f"record {k}"))
            continue
        name = image_id if image_id.lower().endswith((".jpg", ".jpeg", ".png")) else f"{image_id}.jpg"
        found, refused = image_file([name], folders, allow_absolute_paths)
        result.append(SourceImage(f"record {k} ({name})", name, found, people, refused=refused))
    return SourceData(path, LAYOUT, fmt, result, report.skipped, report.notes)
