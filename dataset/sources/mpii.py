"""MPII records in JSON (one person per record, HRNet / mmpose layout) and DeeperCut's dataset.mat.

MPII JSON: ``image``, ``joints`` (16 [x, y], mpii16 order), ``joints_vis`` (16 flags, the
``mpii_json`` visibility table); records of one image become one image with several people.
Coordinates are MATLAB's 1-based pixels and lose 1; ``dataset.mpii`` (the training loader) reads
each record with ``entry_joints`` too.
MPII has no boxes: they come from the joints. A ``dataset.mat`` is read with the project's
loader, whose joints are all labelled and visible; its records must be well formed as a whole.
"""
from __future__ import annotations

import os
from typing import Optional

import numpy as np

from dataset.deepercut_mat import load_deepercut_mat
from dataset.joint_mappings import visibility_table
from dataset.jsonfile import numbers, read_json, require
from dataset.keypoint_formats import KeypointFormat, registered_formats
from dataset.sources.base import Report, Skipped, SourceData, SourceImage, SourcePerson, image_file, image_folders, reason
from lib.errors import DatasetError

__all__ = ["entry_joints", "read_deepercut_mat", "read_mpii_json"]

LAYOUT = "mpii_json"


def entry_joints(entry, where: str, fmt: KeypointFormat) -> Optional[np.ndarray]:
    """(J, 3) 0-based x, y, COCO v of one MPII JSON record; None for a record without joints (test
    split). The one parser of a record, for conversion and for training (dataset.mpii)."""
    if "joints" not in entry and "joints_vis" not in entry:
        return None
    count = fmt.num_joints
    points = require(entry, "joints", list, where, f"{count} [x, y] pairs")
    if len(points) != count:
        raise DatasetError(f"{where}: joints: expected {count} [x, y] pairs ({fmt.name} order), got {len(points)}")
    xy = np.stack([numbers(p, where, f"joints[{j}]", 2, "an [x, y] pair") for j, p in enumerate(points)])
    flags = numbers(require(entry, "joints_vis", list, where, f"{count} flags 0 or 1"), where, "joints_vis",
                    count, f"{count} flags 0 or 1")
    v = visibility_table(LAYOUT).translate(flags, where, "joints_vis")
    rows = np.column_stack([xy - 1.0, v])
    rows[v == 0] = 0.0
    return rows


def read_mpii_json(path: str, fmt: KeypointFormat, images: Optional[str] = None, *,
                   allow_absolute_paths: bool = False) -> SourceData:
    """Read MPII JSON records (``fmt`` is mpii16), grouping the people of each image in first-seen
    order (an absolute image name outside the image folders only with ``allow_absolute_paths``)."""
    path = os.path.abspath(path)
    report = Report(path)
    data = read_json(path)
    if not isinstance(data, list):
        raise DatasetError(f"{path}: expected a list of MPII person records (image, joints, joints_vis), "
                           f"got {type(data).__name__}")
    folders = image_folders(path, images)
    groups: dict[str, SourceImage] = {}
    bad: dict[str, str] = {}
    for k, entry in enumerate(data):
        where = f"record {k}"
        try:
            name = require(entry, "image", str, where, "the image's file name")
            where = f"record {k} ({name})"
            joints = entry_joints(entry, where, fmt)
        except DatasetError as err:
            if isinstance(entry, dict) and isinstance(entry.get("image"), str):
                bad.setdefault(entry["image"], f"{where}: {reason(err, where)}")
            else:
                report.skip(where, reason(err, where))
            continue
        if name not in groups:
            found, refused = image_file([name], folders, allow_absolute_paths)
            groups[name] = SourceImage(f"image {name}", name, found, [], refused=refused)
        image = groups[name]
        if joints is None:
            continue
        if not (joints[:, 2] > 0).any():
            report.skip(where, "no labelled joint and no box: nothing says where this person is")
            continue
        image.people.append(SourcePerson(joints, where))
    for name, why in bad.items():
        report.skip(f"image {name}", why)
    result = [image for name, image in groups.items() if name not in bad]
    return SourceData(path, LAYOUT, fmt, result, report.skipped, report.notes)


def read_deepercut_mat(path: str, fmt: KeypointFormat, images: Optional[str] = None, *,
                       allow_absolute_paths: bool = False) -> SourceData:
    """Read a DeeperCut dataset.mat whose joint ids are ``fmt``'s; missing images, and absolute
    image paths outside the .mat's folder (unless ``allow_absolute_paths``), are skipped records."""
    path = os.path.abspath(path)
    report = Report(path)
    if fmt.name in registered_formats():
        dataset = load_deepercut_mat(path, keypoint_format=fmt.name, allow_absolute_paths=allow_absolute_paths)
    else:
        dataset = load_deepercut_mat(path, num_joints=fmt.num_joints, allow_absolute_paths=allow_absolute_paths)
    for entry in dataset.skipped:  # the loader has logged these already
        if os.path.isabs(entry):  # the path of a missing image
            report.skipped.append(Skipped(path, f"image {entry}", "image file not found"))
        else:  # "record k: why"
            record, _, why = entry.partition(": ")
            report.skipped.append(Skipped(path, record, why))
    result = []
    for record in dataset.records:
        label = f"record {record.image_id}"
        people = [SourcePerson(np.asarray(j, dtype=np.float64), f"{label}, person {p}")
                  for p, j in enumerate(record.joints)]
        name = os.path.relpath(record.image_path, os.path.dirname(path))
        result.append(SourceImage(f"{label} ({name})", name, record.image_path, people,
                                  (record.height, record.width)))
    if images:
        report.note("--images is not used for a dataset.mat: its image paths are taken as stored")
    return SourceData(path, "deepercut-mat", fmt, result, report.skipped, report.notes)
