"""MPII Human Pose single-person records in the JSON layout HRNet and mmpose distribute, as ImageRecords.

Each JSON record is one person: ``image`` (file name), ``center``, ``scale``, ``joints`` (16 x 2)
and ``joints_vis`` (16 flags), joints in MPII's order (keypoint format ``mpii16``). The
coordinates are MATLAB's 1-based pixels, as in MPII's own .mat release: HRNet's and mmpose's
loaders subtract 1, and so does this one. A joint with flag 0 (stored as (-1, -1)) is
unlabelled; flag 1 means labelled and becomes COCO visibility 2, since the JSON does not say
whether a labelled joint is hidden. One record per JSON entry; ``image_id`` is its index.
"""
from __future__ import annotations

import os
from typing import Optional

import imageio.v3 as iio
import numpy as np

from dataset.jsonfile import numbers, read_json, require
from dataset.records import Dataset, ImageRecord, SkipLog, find_image, joint_layout
from posecut.errors import DatasetError

__all__ = ["FORMAT", "load_mpii_json"]

FORMAT = "mpii16"
NUM_JOINTS = 16


def image_size(path: str, where: str) -> tuple[int, int]:
    """(height, width) of an image file from its header, without decoding the pixels."""
    try:
        shape = iio.improps(path, plugin="pillow").shape
    except Exception as err:  # imageio raises many types for undecodable data
        raise DatasetError(f"{where}: image: cannot read the size of {path} "
                           f"({type(err).__name__}: {err})") from None
    return int(shape[0]), int(shape[1])


def _person(entry: dict, at: str) -> np.ndarray:
    """The (1, 16, 3) x, y, v joints of one record, 0-based; no joints (test split) gives (0, 16, 3)."""
    if "joints" not in entry and "joints_vis" not in entry:
        return np.zeros((0, NUM_JOINTS, 3))
    joints = require(entry, "joints", list, at, f"{NUM_JOINTS} [x, y] pairs")
    if len(joints) != NUM_JOINTS:
        raise DatasetError(f"{at}: joints: expected {NUM_JOINTS} [x, y] pairs (MPII order, keypoint format "
                           f"{FORMAT}), got {len(joints)}")
    xy = np.stack([numbers(p, at, f"joints[{k}]", 2, "an [x, y] pair") for k, p in enumerate(joints)])
    vis = numbers(require(entry, "joints_vis", list, at, f"{NUM_JOINTS} flags 0 or 1"), at, "joints_vis",
                  NUM_JOINTS, f"{NUM_JOINTS} flags 0 or 1")
    if not np.isin(vis, (0.0, 1.0)).all():
        k = int(np.flatnonzero(~np.isin(vis, (0.0, 1.0)))[0])
        raise DatasetError(f"{at}: joints_vis[{k}]: expected 0 or 1, got {vis[k]:g}")
    labelled = vis > 0
    out = np.zeros((1, NUM_JOINTS, 3))
    out[0, labelled, :2] = xy[labelled] - 1.0
    out[0, labelled, 2] = 2.0
    return out


def load_mpii_json(path, *, keypoint_format: Optional[str] = None,
                   num_joints: Optional[int] = None) -> Dataset:
    """Load an MPII JSON file; images are looked for next to it, then in its ``images/`` folder.

    ``keypoint_format`` and ``num_joints`` may only confirm ``mpii16`` / 16. Records whose image
    file is missing are logged and skipped; image sizes are read from the image headers.
    """
    json_path = os.path.abspath(os.fspath(path))
    format_name, count = joint_layout(keypoint_format, num_joints, json_path)
    if format_name not in (None, FORMAT) or count not in (None, NUM_JOINTS):
        raise DatasetError(f"{json_path}: keypoint_format: expected {FORMAT!r} (or None) for MPII JSON "
                           f"records, got {keypoint_format!r} with {count} joints; convert the records to another "
                           "format after loading")
    data = read_json(json_path)
    if not isinstance(data, list):
        raise DatasetError(f"{json_path}: expected a list of MPII person records, got {type(data).__name__}")
    folders = [os.path.dirname(json_path), os.path.join(os.path.dirname(json_path), "images")]
    skips = SkipLog(json_path)
    records = []
    for index, entry in enumerate(data):
        at = f"{json_path}: record {index}"
        name = require(entry, "image", str, at, "the image's file name")
        joints = _person(entry, at)
        image_path, found = find_image([os.path.join(folder, name) for folder in folders])
        if not found:
            skips.missing(f"record {index}", image_path)
            continue
        height, width = image_size(image_path, at)
        records.append(ImageRecord(image_path, index, height, width, joints))
    return Dataset(tuple(records), FORMAT, json_path, NUM_JOINTS, skips.summary(len(data)))
