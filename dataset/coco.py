"""COCO-style keypoint JSON in any keypoint format (COCO, CrowdPose, OCHuman's COCO release, Halpe,
a user's own): the one parser of such files, for conversion and for training.

Boxes (x, y, width, height), areas, crowd flags and segmentations are kept as the file gives
them. A bad annotation makes its whole image a skipped record, since keeping the image without
that person would teach the person as background.

Training (:func:`load_coco`) follows DeeperCut's ``dataset/mscoco.py``: images in the JSON's
order; people with at least one labelled joint become rows of ``joints``; people without
(num_keypoints 0) are ignored in the loss rather than taught as background, and so are crowd
regions (DeeperCut dropped crowd annotations altogether). An image counts as showing people
when it has a non-crowd person annotation, labelled or not, as in DeeperCut. The ``area`` field
is never needed (CrowdPose has none).
"""
from __future__ import annotations

import logging
import os
from dataclasses import replace
from typing import Any, Callable, Optional, Sequence

import numpy as np

from dataset.conversion import convert, image_records
from dataset.joint_mappings import identity_mapping, visibility_table
from dataset.jsonfile import numbers, pixel_size, read_json, require
from dataset.keypoint_formats import (DEFAULT_FORMAT, KeypointFormat, get_format, joint_names, registered_formats,
                                      unnamed_format)
from dataset.records import Dataset, joint_layout, segmentation_region
from dataset.source_data import Report, SourceData, SourceImage, SourcePerson, image_file, image_folders, reason
from lib.errors import DatasetError

log = logging.getLogger(__name__)

__all__ = ["detect_format", "image_entry", "infer_format", "keypoint_rows", "load_coco", "locate_coco",
           "read_coco_style"]

# When a category's joint names match several registered formats, these win, in this order.
_PREFERRED = (DEFAULT_FORMAT,)

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


def read_coco_style(path: str, fmt: Optional[KeypointFormat], images: Optional[str] = None, *,
                    layout: str = "coco", read_keypoints: Optional[KeypointReader] = None,
                    category_joints: Optional[tuple] = None, data=None,
                    folders: Optional[Sequence[str]] = None, allow_absolute_paths: bool = False) -> SourceData:
    """Read a COCO-style keypoint JSON whose ``keypoints`` are in ``fmt`` (None: the one
    :func:`detect_format` finds, else the default format), with COCO visibility.

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
    if fmt is None:
        fmt = get_format(detect_format(data) or DEFAULT_FORMAT)
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


def locate_coco(path, phase: str, ann: str) -> tuple[str, list[str]]:
    """(annotation JSON, folders to look for images in, in order) for a JSON path or a COCO root.

    A root folder follows DeeperCut's layout: ``annotations/{ann}_{phase}.json`` and images in
    ``images/{phase}/``. Images are also looked for next to the JSON and in an ``images/``
    folder beside it (how ``dataset.synthetic`` writes them).
    """
    path = os.path.abspath(os.fspath(path))
    if os.path.isdir(path):
        json_path = os.path.join(path, "annotations", f"{ann}_{phase}.json")
        if not os.path.isfile(json_path):
            raise DatasetError(f"{path}: expected the COCO annotation file annotations/{ann}_{phase}.json "
                               f"(dataset_ann {ann!r}, dataset_phase {phase!r}) in this folder; not found")
        root = path
    elif os.path.isfile(path):
        json_path = path
        parent = os.path.dirname(path)
        root = os.path.dirname(parent) if os.path.basename(parent) == "annotations" else None
    else:
        raise DatasetError(f"{path}: no such annotation file or COCO folder")
    json_dir = os.path.dirname(json_path)
    folders = [json_dir, os.path.join(json_dir, "images")]
    if root is not None:
        folders.insert(0, os.path.join(root, "images", phase))
    return json_path, folders


def infer_format(categories: Any) -> tuple[Optional[str], Optional[int]]:
    """(format name, joint count) from the one category that lists keypoint names; Nones if none.

    The format is the registered one with exactly these joint names (coco17 before its twin
    ochuman); with no match the name is None and the count is the number of names.
    """
    if not isinstance(categories, list):
        return None, None
    lists = [c["keypoints"] for c in categories
             if isinstance(c, dict) and isinstance(c.get("keypoints"), list)]
    if len(lists) != 1 or not lists[0]:
        return None, None
    names = tuple(lists[0])
    matches = [n for n in registered_formats() if get_format(n).joints == names]
    for name in _PREFERRED:
        if name in matches:
            return name, len(names)
    return (matches[0] if len(matches) == 1 else None), len(names)


def _first_with_keypoints(anns: Any) -> Optional[dict]:
    """The first annotation that lists keypoints, or None (also when ``anns`` is not a list)."""
    if not isinstance(anns, list):
        return None
    return next((ann for ann in anns if isinstance(ann, dict) and isinstance(ann.get("keypoints"), list)
                 and ann["keypoints"]), None)


def _joint_count(anns: Any, where: str) -> Optional[int]:
    """Joint count from the first annotation with keypoints (a last resort)."""
    ann = _first_with_keypoints(anns)
    if ann is None:
        return None
    n = len(ann["keypoints"])
    if n % 3:
        raise DatasetError(f"{where}: annotation id {ann.get('id')}: keypoints: expected a multiple "
                           f"of 3 numbers (x, y, v per joint), got {n}")
    return n // 3


def detect_format(data: Any) -> Optional[str]:
    """The registered format a parsed COCO-style file is in: the one whose joint names its person
    category lists, else the only one (the default format first) with as many joints as its
    first annotation has; None when nothing decides."""
    if not isinstance(data, dict):
        return None
    name, _ = infer_format(data.get("categories"))
    if name is not None:
        return name
    first = _first_with_keypoints(data.get("annotations"))
    if first is None or len(first["keypoints"]) % 3:
        return None
    matches = [n for n in registered_formats() if get_format(n).num_joints == len(first["keypoints"]) // 3]
    preferred = [n for n in _PREFERRED if n in matches]
    return preferred[0] if preferred else matches[0] if len(matches) == 1 else None


def _format(data: Any, json_path: str, keypoint_format: Optional[str], num_joints: Optional[int]):
    """(KeypointFormat to read with, registered name or None, whether the category's names are
    checked): from ``keypoint_format``, else ``num_joints``, else the category's joint names, else
    the first annotation. A format the config names is taken at its word: the category's names
    may be spelled otherwise, as long as the count of keypoints fits."""
    format_name, count = joint_layout(keypoint_format, num_joints, json_path)
    if format_name is not None:  # the name a format file declares is not registered: read the file
        return get_format(keypoint_format), format_name, False
    categories = data.get("categories")
    if count is None:
        format_name, count = infer_format(categories)
        if format_name is not None:
            return get_format(format_name), format_name, True
    names = [c["keypoints"] for c in categories if isinstance(c, dict) and isinstance(c.get("keypoints"), list)
             and c["keypoints"]] if isinstance(categories, list) else []
    if count is None:
        count = _joint_count(data.get("annotations"), json_path)
    if count is None:
        raise DatasetError(f"{json_path}: keypoints: nothing tells the number of joints (no labelled "
                           "annotation, no keypoint names in categories): give keypoint_format or num_joints")
    if len(names) == 1 and len(names[0]) == count:
        return unnamed_format(tuple(names[0])), None, True
    return unnamed_format(joint_names(None, count)), None, False


def load_coco(path, *, keypoint_format: Optional[str] = None, num_joints: Optional[int] = None,
              phase: str = "train2014", ann: str = "person_keypoints",
              only_images_with_people: bool = True, allow_absolute_paths: bool = False) -> Dataset:
    """Load a COCO keypoint JSON, or a COCO root folder (see :func:`locate_coco`), as a Dataset.

    The file is read by :func:`read_coco_style`, as the converter reads it: an image whose
    entry or annotations are malformed, or whose file is missing, is skipped with a warning
    naming the record and the reason, and listed in ``Dataset.skipped``. J comes from
    ``keypoint_format``, else ``num_joints``, else the registered format whose joint names the
    person category lists, else the first annotation. A file without ``annotations`` (image
    info) gives images without people. An absolute ``file_name`` outside the folders searched
    (see :func:`locate_coco`) is a skipped record unless ``allow_absolute_paths``.
    """
    json_path, folders = locate_coco(path, phase, ann)
    data = read_json(json_path)
    if not isinstance(data, dict):
        raise DatasetError(f"{json_path}: expected a COCO object with images and annotations, "
                           f"got {type(data).__name__}")
    require(data, "images", list, json_path, "a list of image entries")
    fmt, format_name, check_names = _format(data, json_path, keypoint_format, num_joints)
    source = read_coco_style(json_path, fmt, data=data, folders=folders,
                             category_joints=None if check_names else (),
                             allow_absolute_paths=allow_absolute_paths)
    if only_images_with_people:
        source = replace(source, images=[i for i in source.images if any(not p.iscrowd for p in i.people)])
    conversion = convert(source, identity_mapping(fmt), read_sizes=False)
    skipped = tuple(f"{s.record}: {s.reason}" for s in conversion.skipped)
    if skipped:
        log.warning("%s: skipped %d of %d images (see the warnings above)", json_path, len(skipped),
                    len(skipped) + len(conversion.images))
    return Dataset(tuple(image_records(conversion)), format_name, json_path, fmt.num_joints, skipped)
