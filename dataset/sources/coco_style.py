"""COCO-style keypoint JSON in any keypoint format (COCO, CrowdPose, OCHuman's COCO release, Halpe),
and COCO-WholeBody, whose face, hand and foot points sit in lists of their own.

Boxes (x, y, width, height), areas, crowd flags and segmentations are kept as the file gives
them. A bad annotation makes its whole image a skipped record, since keeping the image without
that person would teach the person as background.
"""
from __future__ import annotations

import os
from typing import Any, Callable, Optional, Sequence

import numpy as np

from dataset.joint_mappings import visibility_table
from dataset.jsonfile import numbers, pixel_size, read_json, require
from dataset.keypoint_formats import KeypointFormat
from dataset.records import segmentation_region
from dataset.sources.base import Report, SourceData, SourceImage, SourcePerson, image_file, image_folders, reason
from lib.errors import DatasetError

__all__ = ["WHOLEBODY_PARTS", "image_entry", "keypoint_rows", "read_coco_style", "read_cocowholebody"]

# COCO-WholeBody's lists in cocowholebody133 order: field, joints, visibility layout, valid flag.
WHOLEBODY_PARTS = (
    ("keypoints", 17, "coco", None),
    ("foot_kpts", 6, "coco", "foot_valid"),
    ("face_kpts", 68, "cocowholebody_parts", "face_valid"),
    ("lefthand_kpts", 21, "cocowholebody_parts", "lefthand_valid"),
    ("righthand_kpts", 21, "cocowholebody_parts", "righthand_valid"),
)

KeypointReader = Callable[[dict, str], np.ndarray]


def image_entry(image: Any, index: int, where: str = "") -> tuple[Any, str, int, int]:
    """(id, file_name, height, width) of entry ``index`` of a COCO file's ``images``; the one check
    of an image entry, for training and conversion alike. ``where`` prefixes messages."""
    prefix = f"{where}: " if where else ""
    at = f"{prefix}images[{index}]"
    image_id = require(image, "id", (int, str), at, "an integer or string image id")
    at = f"{prefix}image id {image_id}"
    file_name = require(image, "file_name", str, at, "the image's file name")
    return (image_id, file_name, *pixel_size(image, at))


def keypoint_rows(values, count: int, layout: str, where: str, field: str = "keypoints") -> np.ndarray:
    """(count, 3) x, y, COCO v from a flat x, y, v list whose codes follow ``layout``."""
    flat = numbers(values, where, field, 3 * count, f"{3 * count} numbers ({count} joints x 3: x, y, v)")
    rows = flat.reshape(count, 3).copy()
    rows[:, 2] = visibility_table(layout).translate(rows[:, 2], where, field)
    rows[rows[:, 2] == 0] = 0.0
    return rows


def _called(fmt: KeypointFormat) -> str:
    """How messages name a format."""
    return f"keypoint format {fmt.name!r}" if fmt.name else f"the {fmt.num_joints} joints the data names"


def _person_categories(data: dict, path: str, expected: tuple, fmt: KeypointFormat) -> Optional[set]:
    """Ids of the person categories (None: no categories, every annotation is a person).

    A category that lists keypoint names must list ``expected`` (unless empty): other names mean
    the file is in another layout than the one declared.
    """
    categories = data.get("categories")
    if categories is None:
        return None
    if not isinstance(categories, list):
        raise DatasetError(f"{path}: categories: expected a list of categories, got {type(categories).__name__}")
    ids = set()
    for k, cat in enumerate(categories):
        if not isinstance(cat, dict):
            raise DatasetError(f"{path}: categories[{k}]: expected an object, got {type(cat).__name__}")
        names = cat.get("keypoints")
        if expected and isinstance(names, list) and names and tuple(names) != expected:
            raise DatasetError(
                f"{path}: categories[{k}].keypoints: expected the joints of {_called(fmt)} "
                f"({len(expected)}: {', '.join(expected[:6])}, ...), got {len(names)} names "
                f"({', '.join(map(str, names[:6]))}, ...); give the keypoint format that matches the file")
        if isinstance(names, list) or cat.get("name") == "person":
            ids.add(cat.get("id"))
    return ids or None


def _person(ann: dict, where: str, fmt: KeypointFormat, read_keypoints: KeypointReader,
            size: tuple[int, int]) -> SourcePerson:
    """One annotation of an image of ``size`` (H, W) as a SourcePerson; DatasetError naming the
    field when unusable."""
    crowd = ann.get("iscrowd", 0)
    if crowd not in (0, 1) or isinstance(crowd, bool):
        raise DatasetError(f"{where}: iscrowd: expected 0 or 1, got {crowd!r}")
    has_points = not crowd and ann.get("keypoints") not in (None, [])  # a crowd's points mean nothing
    joints = read_keypoints(ann, where) if has_points else np.zeros((fmt.num_joints, 3))
    bbox = None
    if ann.get("bbox") is not None:
        box = numbers(ann["bbox"], where, "bbox", 4, "[x, y, width, height]")
        if box[2] < 0 or box[3] < 0:
            raise DatasetError(f"{where}: bbox: expected a non-negative width and height, got {ann['bbox']}")
        bbox = tuple(float(b) for b in box)
    area = None
    if ann.get("area") is not None:
        value = ann["area"]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
            raise DatasetError(f"{where}: area: expected a non-negative number, got {value!r}")
        area = float(value)
    segmentation = ann.get("segmentation")
    if segmentation in ([], {}, [[]]):
        segmentation = None
    segmentation_region(segmentation, where, *size, where)
    ann_id = ann["id"]
    return SourcePerson(joints, where, bbox, area, int(crowd), segmentation,
                        ann_id if isinstance(ann_id, int) else None)


def read_coco_style(path: str, fmt: KeypointFormat, images: Optional[str] = None, *,
                    layout: str = "coco", read_keypoints: Optional[KeypointReader] = None,
                    category_joints: Optional[tuple] = None, data=None,
                    folders: Optional[Sequence[str]] = None, allow_absolute_paths: bool = False) -> SourceData:
    """Read a COCO-style keypoint JSON whose ``keypoints`` are in ``fmt``, with COCO visibility:
    the one parser of such files, for conversion and training alike.

    ``read_keypoints(annotation, where)`` reads other layouts (COCO-WholeBody), and
    ``category_joints`` are the names the person category must list (default: ``fmt``'s joints;
    empty: any); ``data`` is the file's parsed JSON when the caller has read it already;
    ``folders`` are where to look for images (default: see image_folders); an absolute file
    name outside them is refused unless ``allow_absolute_paths``. A file without
    ``annotations`` (COCO's image info) gives images without people.
    """
    path = os.path.abspath(path)
    report = Report(path)
    data = read_json(path) if data is None else data
    if not isinstance(data, dict):
        raise DatasetError(f"{path}: expected a COCO object with images, annotations and categories, "
                           f"got {type(data).__name__}")
    entries = require(data, "images", list, path, "a list of image entries")
    anns = data.get("annotations", [])
    if not isinstance(anns, list):
        raise DatasetError(f"{path}: annotations: expected a list of person annotations, "
                           f"got {type(anns).__name__}")
    if "annotations" not in data:
        report.note("no annotations: every image is without people")
    person_ids = _person_categories(data, path, fmt.joints if category_joints is None else category_joints,
                                    fmt)
    read_keypoints = read_keypoints or (lambda ann, where: keypoint_rows(ann["keypoints"], fmt.num_joints,
                                                                         layout, where))
    folders = image_folders(path, images) if folders is None else list(folders)

    order, info = [], {}
    for k, entry in enumerate(entries):
        try:
            image_id, name, height, width = image_entry(entry, k)
            size = (height, width)
        except DatasetError as err:
            report.skip(f"images[{k}]", reason(err, f"images[{k}]"))
            continue
        if image_id in info:
            report.skip(f"images[{k}]", f"image id {image_id!r} repeats images[{info[image_id][0]}]")
            continue
        info[image_id] = (k, name, size)
        order.append(image_id)

    people = {image_id: [] for image_id in order}
    bad: dict = {}
    other_categories = 0
    for k, ann in enumerate(anns):
        where = f"annotations[{k}]"
        try:
            ann_id = require(ann, "id", (int, str), where, "an annotation id")
            where = f"annotation id {ann_id}"
            image_id = require(ann, "image_id", (int, str), where, "the id of an image listed in images")
        except DatasetError as err:
            report.skip(where, reason(err, where))
            continue
        if person_ids is not None and ann.get("category_id", next(iter(person_ids))) not in person_ids:
            other_categories += 1
            continue
        if image_id not in people:
            report.skip(where, f"image_id: {image_id!r} is not the id of a usable image in images")
            continue
        try:
            people[image_id].append(_person(ann, where, fmt, read_keypoints, info[image_id][2]))
        except DatasetError as err:
            bad.setdefault(image_id, f"{where}: {reason(err, where)}")
    if other_categories:
        report.note(f"{other_categories} annotations of other categories than person are not converted")

    result = []
    for image_id in order:
        k, name, size = info[image_id]
        label = f"image id {image_id} ({name})"
        if image_id in bad:
            report.skip(label, bad[image_id])
            continue
        found, refused = image_file([name], folders, allow_absolute_paths)
        result.append(SourceImage(label, name, found, people[image_id], size, image_id, refused))
    return SourceData(path, layout, fmt, result, report.skipped, report.notes)


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
