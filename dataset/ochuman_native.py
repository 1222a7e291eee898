"""OCHuman's own ``ochuman.json`` (not its COCO-style release), read into the ``ochuman`` format.

Layout, as the OCHuman API (github.com/liruilong940607/OCHumanApi) reads it: top-level
``keypoint_names`` (19 in the release: AI Challenger's 14, then right_ear, left_ear, nose,
right_eye, left_eye), ``keypoint_visible`` ({"missing": 0, "vis": 1, "self_occluded": 2,
"others_occluded": 3}) and ``images``, each with ``file_name`` (``image_name`` is accepted too),
``height``, ``width`` and ``annotations``: ``bbox`` [x1, y1, x2, y2], ``keypoints`` (x, y, v per
keypoint name, or null for a person without keypoints) and ``segms`` (not converted).
Assumptions: without ``keypoint_names`` the points are the 17 COCO joints in COCO order; joints
are picked by name, and names the ``ochuman`` format lacks (head, neck) are dropped with a note.
Codes follow the ``ochuman_native`` visibility table (see dataset/mappings/visibility.yaml).
"""
from __future__ import annotations

import os
from typing import Optional

import numpy as np

from dataset.coco import keypoint_rows
from dataset.jsonfile import numbers, pixel_size, read_json, require
from dataset.keypoint_formats import KeypointFormat
from dataset.source_data import Report, SourceData, SourceImage, SourcePerson, image_file, image_folders, reason
from lib.errors import DatasetError

__all__ = ["VISIBLE_CODES", "read_ochuman_native"]

LAYOUT = "ochuman_native"
VISIBLE_CODES = {"missing": 0, "vis": 1, "self_occluded": 2, "others_occluded": 3}


def _names(data: dict, path: str, fmt: KeypointFormat, report: Report) -> tuple[list, list]:
    """(the file's keypoint names, for each ``fmt`` joint its index among them or -1)."""
    names = data.get("keypoint_names")
    if names is None:
        names = list(fmt.joints)
    elif not (isinstance(names, list) and names and all(isinstance(n, str) for n in names)):
        raise DatasetError(f"{path}: keypoint_names: expected a list of joint names, got {names!r}")
    pick = [names.index(j) if j in names else -1 for j in fmt.joints]
    if all(i < 0 for i in pick):
        raise DatasetError(f"{path}: keypoint_names: expected joints of keypoint format {fmt.name!r} "
                           f"({', '.join(fmt.joints)}), got none of them: {', '.join(names)}")
    extra = [n for n in names if n not in fmt.joints]
    if extra:
        report.note(f"keypoints {', '.join(extra)} have no place in format {fmt.name!r} and are not converted")
    return names, pick


def _person(ann, where: str, names: list, pick: list, fmt: KeypointFormat) -> SourcePerson:
    """One annotation; DatasetError naming the field when unusable."""
    if not isinstance(ann, dict):
        raise DatasetError(f"{where}: expected an object with bbox and keypoints, got {type(ann).__name__}")
    joints = np.zeros((fmt.num_joints, 3))
    if ann.get("keypoints") is not None:
        rows = keypoint_rows(ann["keypoints"], len(names), LAYOUT, where)
        for j, i in enumerate(pick):
            if i >= 0:
                joints[j] = rows[i]
    bbox = None
    if ann.get("bbox") is not None:
        x1, y1, x2, y2 = numbers(ann["bbox"], where, "bbox", 4, "[x1, y1, x2, y2]")
        if x2 < x1 or y2 < y1:
            raise DatasetError(f"{where}: bbox: expected x1 <= x2 and y1 <= y2, got {ann['bbox']}")
        bbox = (float(x1), float(y1), float(x2 - x1), float(y2 - y1))
    return SourcePerson(joints, where, bbox)


def _image(entry, k: int, names: list, pick: list, fmt: KeypointFormat) -> tuple:
    """(file name, (height, width), people) of images[k]; DatasetError when unusable."""
    where = f"images[{k}]"
    if isinstance(entry, dict) and "file_name" not in entry and "image_name" in entry:
        name = require(entry, "image_name", str, where, "the image's file name")
    else:
        name = require(entry, "file_name", str, where, "the image's file name")
    where = f"images[{k}] ({name})"
    size = pixel_size(entry, where)
    anns = require(entry, "annotations", list, where, "a list of person annotations")
    people = [_person(ann, f"{where}, annotations[{a}]", names, pick, fmt) for a, ann in enumerate(anns)]
    return name, size, people


def read_ochuman_native(path: str, fmt: KeypointFormat, images: Optional[str] = None, *,
                        allow_absolute_paths: bool = False) -> SourceData:
    """Read OCHuman's own JSON into ``fmt`` (the ``ochuman`` format), joints matched by name (an
    absolute image name outside the image folders only with ``allow_absolute_paths``)."""
    path = os.path.abspath(path)
    report = Report(path)
    data = read_json(path)
    if not isinstance(data, dict):
        raise DatasetError(f"{path}: expected OCHuman's object with images, keypoint_names and "
                           f"keypoint_visible, got {type(data).__name__}")
    entries = require(data, "images", list, path, "a list of images, each with its annotations")
    visible = data.get("keypoint_visible")
    if visible is not None and visible != VISIBLE_CODES:
        raise DatasetError(f"{path}: keypoint_visible: expected OCHuman's codes {VISIBLE_CODES}, got {visible!r}")
    names, pick = _names(data, path, fmt, report)
    folders = image_folders(path, images)
    result = []
    for k, entry in enumerate(entries):
        try:
            name, size, people = _image(entry, k, names, pick, fmt)
        except DatasetError as err:
            report.skip(f"images[{k}]", reason(err, f"images[{k}]"))
            continue
        found, refused = image_file([name], folders, allow_absolute_paths)
        result.append(SourceImage(f"images[{k}] ({name})", name, found, people, size, refused=refused))
    if any(isinstance(a, dict) and a.get("segms") for e in entries if isinstance(e, dict)
           for a in (e.get("annotations") or []) if isinstance(e.get("annotations"), list)):
        report.note("segmentations (segms) are not converted; people keep their boxes")
    return SourceData(path, LAYOUT, fmt, result, report.skipped, report.notes)
