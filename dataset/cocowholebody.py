"""COCO-WholeBody's keypoint JSON: COCO-style, with the foot, face and hand points in lists of
their own beside the body's ``keypoints``, joined here in ``cocowholebody133`` order.

A part whose ``*_valid`` flag is false is unlabelled; everything else is read as
:func:`dataset.coco.read_coco_style` reads any COCO-style file.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from dataset.coco import keypoint_rows, read_coco_style
from dataset.jsonfile import read_json
from dataset.keypoint_formats import KeypointFormat
from dataset.source_data import SourceData
from lib.errors import DatasetError

__all__ = ["WHOLEBODY_PARTS", "read_cocowholebody"]

# COCO-WholeBody's lists in cocowholebody133 order: field, joints, visibility layout, valid flag.
WHOLEBODY_PARTS = (
    ("keypoints", 17, "coco", None),
    ("foot_kpts", 6, "coco", "foot_valid"),
    ("face_kpts", 68, "cocowholebody_parts", "face_valid"),
    ("lefthand_kpts", 21, "cocowholebody_parts", "lefthand_valid"),
    ("righthand_kpts", 21, "cocowholebody_parts", "righthand_valid"),
)


def _wholebody_keypoints(ann: dict, where: str) -> np.ndarray:
    """The 133 rows of one COCO-WholeBody annotation; a part flagged not valid is unlabelled."""
    rows = []
    for field, count, layout, valid in WHOLEBODY_PARTS:
        if ann.get(field) is None or (valid is not None and ann.get(valid) is False):
            rows.append(np.zeros((count, 3)))
        else:
            rows.append(keypoint_rows(ann[field], count, layout, where, field))
    return np.concatenate(rows)


def read_cocowholebody(path: str, fmt: KeypointFormat, images: Optional[str] = None, *,
                       allow_absolute_paths: bool = False) -> SourceData:
    """Read a COCO-WholeBody JSON: body, foot, face and hand lists joined in cocowholebody133 order."""
    expected = sum(part[1] for part in WHOLEBODY_PARTS)
    if fmt.num_joints != expected:
        raise DatasetError(f"{path}: keypoint format {fmt.name!r} has {fmt.num_joints} joints; "
                           f"COCO-WholeBody has {expected} (cocowholebody133)")
    data = read_json(path)
    anns = data.get("annotations") if isinstance(data, dict) else None
    extra = [part[0] for part in WHOLEBODY_PARTS[1:]]
    if isinstance(anns, list) and anns and not any(isinstance(a, dict) and any(f in a for f in extra)
                                                   for a in anns):
        raise DatasetError(f"{path}: annotations: expected COCO-WholeBody's {', '.join(extra)} lists; "
                           "no annotation has any (is this a plain COCO file? use --from coco)")
    return read_coco_style(path, fmt, images, read_keypoints=_wholebody_keypoints,
                           category_joints=fmt.joints[:17], data=data, allow_absolute_paths=allow_absolute_paths)
