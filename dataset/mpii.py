"""MPII Human Pose single-person records in the JSON layout HRNet and mmpose distribute.

Each JSON record is one person: ``image`` (file name), ``center``, ``scale``, ``joints`` (16 x 2)
and ``joints_vis`` (16 flags), joints in MPII's order (keypoint format ``mpii16``). The
coordinates are MATLAB's 1-based pixels, as in MPII's own .mat release: HRNet's and mmpose's
loaders subtract 1, and so does this one. A joint with flag 0 (stored as (-1, -1)) is
unlabelled; flag 1 means labelled and becomes COCO visibility 2, since the JSON does not say
whether a labelled joint is hidden. :func:`entry_joints` is the one parser of a record.
Training (:func:`load_mpii_json`) keeps one ImageRecord per JSON entry, ``image_id`` its index;
conversion (:func:`read_mpii_json`) groups the records of one image into one image with several
people, whose boxes come from the joints (MPII has none).

The JSON carries no head rectangles. MPII's evaluation file does: HRNet's ``gt_valid.mat`` and
mmpose's ``mpii_gt_val.mat`` hold ``headboxes_src``, shape (2, 2, records): [0] the top-left and
[1] the bottom-right corner, each (x, y), one rectangle per entry of the matching validation
JSON, in the same order and the same 1-based pixels. Given that file, each record keeps its
person's rectangle as ``head_boxes`` (1, 4) x1, y1, x2, y2, moved to 0-based pixels like the
joints; without it ``head_boxes`` is None. PCKh (:func:`dataset.metrics.pckh`) needs them.
"""
from __future__ import annotations

import os
from typing import Optional

import imageio.v3 as iio
import numpy as np
import scipy.io as sio

from dataset.joint_mappings import visibility_table
from dataset.jsonfile import numbers, read_json, require
from dataset.keypoint_formats import KeypointFormat, get_format
from dataset.records import Dataset, ImageRecord, SkipLog, find_image, image_name_refusal, joint_layout
from dataset.source_data import Report, SourceData, SourceImage, SourcePerson, image_file, image_folders, reason
from lib.errors import DatasetError

__all__ = ["FORMAT", "entry_joints", "load_mpii_json", "read_head_boxes", "read_mpii_json"]

FORMAT = "mpii16"
NUM_JOINTS = 16
LAYOUT = "mpii_json"
"""The visibility table of ``joints_vis`` (dataset/mappings/visibility.yaml)."""


def image_size(path: str, where: str) -> tuple[int, int]:
    """(height, width) of an image file from its header, without decoding the pixels."""
    try:
        shape = iio.improps(path, plugin="pillow").shape
    except Exception as err:  # imageio raises many types for undecodable data
        raise DatasetError(f"{where}: image: cannot read the size of {path} "
                           f"({type(err).__name__}: {err})") from None
    return int(shape[0]), int(shape[1])


def entry_joints(entry, where: str, fmt: KeypointFormat) -> Optional[np.ndarray]:
    """(J, 3) 0-based x, y, COCO v of one MPII JSON record; None for a record without joints (test
    split)."""
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


def _person(entry: dict, at: str) -> np.ndarray:
    """The (1, 16, 3) x, y, v joints of one record, 0-based; no joints (test split) gives (0, 16, 3)."""
    joints = entry_joints(entry, at, get_format(FORMAT))
    return np.zeros((0, NUM_JOINTS, 3)) if joints is None else joints[None]


HEAD_BOXES_KEY = "headboxes_src"


def read_head_boxes(path, records: int, json_path: str) -> np.ndarray:
    """(records, 4) x1, y1, x2, y2 head rectangles, 0-based, from MPII's evaluation .mat file.

    ``path`` holds ``headboxes_src`` of shape (2, 2, ``records``), one rectangle per record of
    ``json_path`` (named in messages). Each rectangle must have x1 < x2 and y1 < y2: a flat or
    inverted one would make the PCKh threshold zero or meaningless, so it is an error here
    rather than a silently wrong score later.
    """
    mat_path = os.path.abspath(os.fspath(path))
    expected = (f"an array of shape (2, 2, {records}): top-left and bottom-right (x, y) corners of one head "
                f"rectangle per record of {json_path}")
    try:
        mat = sio.loadmat(mat_path)
    except FileNotFoundError:
        raise DatasetError(f"{mat_path}: no such head rectangle file") from None
    except Exception as err:  # scipy raises many types for a file that is not a .mat
        raise DatasetError(f"{mat_path}: cannot read MPII's head rectangles as a MATLAB file "
                           f"({type(err).__name__}: {err})") from None
    if HEAD_BOXES_KEY not in mat:
        raise DatasetError(f"{mat_path}: {HEAD_BOXES_KEY}: missing; expected {expected}")
    raw = np.asarray(mat[HEAD_BOXES_KEY])
    if raw.dtype.kind not in "iuf":
        raise DatasetError(f"{mat_path}: {HEAD_BOXES_KEY}: expected {expected}, got an array of {raw.dtype}")
    if raw.shape != (2, 2, records):
        raise DatasetError(f"{mat_path}: {HEAD_BOXES_KEY}: expected {expected}, got shape {raw.shape}")
    # (corner, coordinate, record) -> (record, [x1, y1, x2, y2]); MATLAB's 1-based pixels -> 0-based
    boxes = raw.astype(np.float64).transpose(2, 0, 1).reshape(records, 4) - 1.0
    good = np.isfinite(boxes).all(axis=1) & (boxes[:, 0] < boxes[:, 2]) & (boxes[:, 1] < boxes[:, 3])
    if not good.all():
        index = int(np.flatnonzero(~good)[0])
        shown = [float(f"{v:g}") for v in boxes[index] + 1.0]
        raise DatasetError(f"{mat_path}: record {index}: {HEAD_BOXES_KEY}[:, :, {index}]: expected a head "
                           f"rectangle with finite x1 < x2 and y1 < y2, got x1, y1, x2, y2 = {shown}")
    return boxes


def load_mpii_json(path, *, keypoint_format: Optional[str] = None, num_joints: Optional[int] = None,
                   head_boxes_file=None, allow_absolute_paths: bool = False) -> Dataset:
    """Load an MPII JSON file; images are looked for next to it, then in its ``images/`` folder.

    ``keypoint_format`` and ``num_joints`` may only confirm ``mpii16`` / 16. Records whose image
    file is missing are logged and skipped, and so are those whose name climbs out of the
    folder (``..``) or is an absolute path outside both folders (unless
    ``allow_absolute_paths``); image sizes are read from the image headers.
    ``head_boxes_file``: MPII's evaluation .mat with ``headboxes_src`` for exactly these records
    (see :func:`read_head_boxes`); each record then has ``head_boxes`` (people, 4), else None.
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
    boxes = None if head_boxes_file is None else read_head_boxes(head_boxes_file, len(data), json_path)
    folders = [os.path.dirname(json_path), os.path.join(os.path.dirname(json_path), "images")]
    skips = SkipLog(json_path)
    records = []
    for index, entry in enumerate(data):
        at = f"{json_path}: record {index}"
        name = require(entry, "image", str, at, "the image's file name")
        joints = _person(entry, at)
        refused = image_name_refusal(name, folders, allow_absolute_paths)
        if refused:
            skips.refused(f"record {index}", refused)
            continue
        image_path, found = find_image([os.path.join(folder, name) for folder in folders])
        if not found:
            skips.missing(f"record {index}", image_path)
            continue
        height, width = image_size(image_path, at)
        # a record without joints (test split) has no person for the rectangle to belong to
        head = None if boxes is None else boxes[index:index + 1][:len(joints)]
        records.append(ImageRecord(image_path, index, height, width, joints, head_boxes=head))
    return Dataset(tuple(records), FORMAT, json_path, NUM_JOINTS, skips.summary(len(data)))


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
