"""COCO-style keypoint JSON (COCO, CrowdPose, OCHuman, any registered format) as ImageRecords.

Follows DeeperCut's ``dataset/mscoco.py``: images in the JSON's order; people with at least one
labelled joint become rows of ``joints``; people without (num_keypoints 0) are ignored in the
loss rather than taught as background, and so are crowd regions (DeeperCut dropped crowd
annotations altogether). An image counts as showing people when it has a non-crowd person
annotation, labelled or not, as in DeeperCut. The ``area`` field is never needed (CrowdPose has none).
"""
from __future__ import annotations

import logging
import os
from collections import defaultdict
from typing import Any, Optional

import numpy as np

from dataset.jsonfile import is_integer, numbers, pixel_size, read_json, require
from dataset.keypoint_formats import get_format, registered_formats
from dataset.records import (Dataset, ImageRecord, Region, SkipLog, find_image, joint_layout,
                             leaves_folder, outside_image)
from lib.errors import DatasetError

log = logging.getLogger(__name__)

__all__ = ["image_entry", "infer_format", "load_coco", "locate_coco"]

# When a category's joint names match several registered formats, these win, in this order.
_PREFERRED = ("coco17",)


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


def image_entry(image: Any, index: int, where: str = "") -> tuple[Any, str, int, int]:
    """(id, file_name, height, width) of entry ``index`` of a COCO file's ``images``; the one check
    of an image entry, for training and conversion alike. ``where`` prefixes messages."""
    prefix = f"{where}: " if where else ""
    at = f"{prefix}images[{index}]"
    image_id = require(image, "id", (int, str), at, "an integer or string image id")
    at = f"{prefix}image id {image_id}"
    file_name = require(image, "file_name", str, at, "the image's file name")
    return (image_id, file_name, *pixel_size(image, at))


def _segmentation(ann: dict, at: str, height: int, width: int, origin: str) -> Optional[Region]:
    """The annotation's segmentation as a Region (polygons or RLE), or None when it has none."""
    seg = ann.get("segmentation")
    if seg is None or seg == [] or seg == {}:
        return None
    if isinstance(seg, list):
        polygons = []
        for k, poly in enumerate(seg):
            coords = numbers(poly, at, f"segmentation[{k}]",
                             expected="a polygon: a flat list of x, y numbers")
            if len(coords) % 2:
                raise DatasetError(f"{at}: segmentation[{k}]: expected an even number of coordinates "
                                   f"(x, y pairs), got {len(coords)}")
            if len(coords) >= 6:  # fewer than three corners enclose no pixel
                polygons.append(tuple(float(c) for c in coords))
        return Region("polygons", tuple(polygons), origin) if polygons else None
    if isinstance(seg, dict):
        counts = seg.get("counts")
        size = seg.get("size")
        if not (isinstance(size, list) and len(size) == 2 and all(is_integer(s) for s in size)):
            raise DatasetError(f"{at}: segmentation.size: expected [height, width] of the RLE, got {size!r}")
        if [int(s) for s in size] != [height, width]:
            raise DatasetError(f"{at}: segmentation.size: expected [{height}, {width}] (the image's height "
                               f"and width), got {size}")
        if isinstance(counts, list):
            runs = numbers(counts, at, "segmentation.counts", expected="a list of run lengths")
            if (runs < 0).any() or (runs != np.round(runs)).any() or runs.sum() != height * width:
                raise DatasetError(f"{at}: segmentation.counts: expected non-negative integer run lengths "
                                   f"adding up to {height} x {width} = {height * width} pixels")
            return Region("rle", (tuple(int(r) for r in runs), (height, width)), origin)
        if isinstance(counts, str):
            return Region("rle", (counts, (height, width)), origin)
        raise DatasetError(f"{at}: segmentation.counts: expected a compressed RLE string or a list of run "
                           f"lengths, got {type(counts).__name__}")
    raise DatasetError(f"{at}: segmentation: expected a list of polygons or an RLE object, "
                       f"got {type(seg).__name__}")


def _box(ann: dict, at: str, origin: str) -> Optional[Region]:
    """The annotation's bbox as a Region, or None when it has none."""
    if ann.get("bbox") is None:
        return None
    box = numbers(ann["bbox"], at, "bbox", 4, "[x, y, width, height]")
    if box[2] < 0 or box[3] < 0:
        raise DatasetError(f"{at}: bbox: expected a non-negative width and height, got {ann['bbox']}")
    return Region("box", tuple(float(b) for b in box), origin)


def _keypoints(ann: dict, at: str, num_joints: Optional[int], joints_from: str) -> np.ndarray:
    """The (J, 3) x, y, v rows of one annotation; unlabelled joints (v = 0) become (0, 0, 0)."""
    if num_joints is None:
        raise DatasetError(f"{at}: keypoints: expected x, y, v numbers per joint, "
                           f"got {ann.get('keypoints')!r}; nothing tells the number of joints: "
                           "give keypoint_format or num_joints")
    if "keypoints" not in ann:
        raise DatasetError(f"{at}: keypoints: missing; expected {3 * num_joints} numbers "
                           f"({num_joints} joints x 3, from {joints_from})")
    flat = numbers(ann["keypoints"], at, "keypoints", 3 * num_joints,
                   f"{3 * num_joints} numbers ({num_joints} joints x 3, from {joints_from})")
    rows = flat.reshape(num_joints, 3)
    bad = ~np.isin(rows[:, 2], (0.0, 1.0, 2.0))
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise DatasetError(f"{at}: keypoints[{3 * k + 2}]: expected visibility 0, 1 or 2 for joint {k}, "
                           f"got {rows[k, 2]:g}")
    rows[rows[:, 2] == 0] = 0.0
    return rows


def _joint_count(anns: list, where: str) -> Optional[int]:
    """Joint count from the first annotation with keypoints (a last resort)."""
    for ann in anns:
        if isinstance(ann, dict) and isinstance(ann.get("keypoints"), list) and ann["keypoints"]:
            n = len(ann["keypoints"])
            if n % 3:
                raise DatasetError(f"{where}: annotation id {ann.get('id')}: keypoints: expected a multiple "
                                   f"of 3 numbers (x, y, v per joint), got {n}")
            return n // 3
    return None


def _group(anns: list, image_ids: set, where: str) -> dict:
    """Annotations by image id, each checked for an id and a known image_id."""
    groups = defaultdict(list)
    for i, ann in enumerate(anns):
        ann_id = require(ann, "id", (int, str), f"{where}: annotations[{i}]", "an annotation id")
        at = f"{where}: annotation id {ann_id}"
        image_id = require(ann, "image_id", (int, str), at, "the id of an image listed in images")
        if image_id not in image_ids:
            raise DatasetError(f"{at}: image_id: expected the id of an image listed in images, "
                               f"got {image_id!r}")
        groups[image_id].append(ann)
    return groups


def _people(anns: list, where: str, image_id, height: int, width: int, num_joints: Optional[int],
            joints_from: str):
    """(joints (P, J, 3), person segmentations, ignore regions, has_people, labelled joints
    outside the image, made unlabelled) of one image."""
    people, segments, ignore = [], [], []
    has_people, dropped = False, 0
    for ann in anns:
        at = f"{where}: image id {image_id}: annotation id {ann['id']}"
        crowd = ann.get("iscrowd", 0)
        if crowd not in (0, 1):
            raise DatasetError(f"{at}: iscrowd: expected 0 or 1, got {crowd!r}")
        rows = None if crowd else _keypoints(ann, at, num_joints, joints_from)
        if rows is not None:
            outside = outside_image(rows, height, width)
            rows[outside] = 0.0
            dropped += int(outside.sum())
        has_people = has_people or not crowd
        if rows is not None and (rows[:, 2] > 0).any():
            people.append(rows)
            segments.append(_segmentation(ann, at, height, width, f"{at} (person)"))
            continue
        reason = "crowd" if crowd else "person without labelled keypoints"
        origin = f"{at} ({reason})"
        region = _segmentation(ann, at, height, width, origin) or _box(ann, at, origin)
        if region is None:
            raise DatasetError(f"{at}: segmentation, bbox: expected one of them to mark the ignored area "
                               f"of this {reason}; found neither")
        ignore.append(region)
    joints = np.stack(people) if people else np.zeros((0, num_joints or 0, 3))
    return joints, tuple(segments), tuple(ignore), has_people, dropped


def load_coco(path, *, keypoint_format: Optional[str] = None, num_joints: Optional[int] = None,
              phase: str = "train2014", ann: str = "person_keypoints",
              only_images_with_people: bool = True) -> Dataset:
    """Load a COCO keypoint JSON, or a COCO root folder (see :func:`locate_coco`), as a Dataset.

    Every annotation must have 3 x J keypoint values, J from ``keypoint_format``, else
    ``num_joints``, else the registered format whose joint names the person category lists, else
    the first annotation. A file without ``annotations`` (image info) gives images without
    people. Records whose image file is missing are logged and skipped.
    """
    json_path, folders = locate_coco(path, phase, ann)
    data = read_json(json_path)
    if not isinstance(data, dict):
        raise DatasetError(f"{json_path}: expected a COCO object with images and annotations, "
                           f"got {type(data).__name__}")
    images = require(data, "images", list, json_path, "a list of image entries")
    anns = data.get("annotations", [])
    if not isinstance(anns, list):
        raise DatasetError(f"{json_path}: annotations: expected a list of annotations, "
                           f"got {type(anns).__name__}")
    format_name, count = joint_layout(keypoint_format, num_joints, json_path)
    joints_from = f"keypoint format {format_name!r}" if format_name else "num_joints"
    if format_name is None and count is None:
        format_name, count = infer_format(data.get("categories"))
        joints_from = (f"keypoint format {format_name!r}, whose joint names the category lists" if format_name
                       else f"the {count} keypoint names of the person category")
    if count is None:
        count = _joint_count(anns, json_path)
        joints_from = "the first annotation with keypoints"

    entries = [image_entry(image, i, json_path) for i, image in enumerate(images)]
    ids = [e[0] for e in entries]
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise DatasetError(f"{json_path}: image id {dup!r}: id: expected unique image ids, this one repeats")
    groups = _group(anns, set(ids), json_path)
    skips = SkipLog(json_path)
    records, dropped = [], 0
    for image_id, file_name, height, width in entries:
        joints, segments, ignore, has_people, outside = _people(
            groups.get(image_id, []), json_path, image_id, height, width, count, joints_from)
        dropped += outside
        if only_images_with_people and not has_people:
            continue
        if leaves_folder(file_name):
            raise DatasetError(f"{json_path}: image id {image_id}: file_name: {file_name!r} climbs "
                               f"out of the image folder (..); not read")
        image_path, found = find_image([os.path.join(folder, file_name) for folder in folders])
        if not found:
            skips.missing(f"image id {image_id}", image_path)
            continue
        records.append(ImageRecord(image_path, image_id, height, width, joints, ignore, segments))
    if dropped:
        log.warning("%s: %d labelled joints lay outside their image and were made unlabelled",
                    json_path, dropped)
    skipped = skips.summary(len(records) + len(skips.paths))
    return Dataset(tuple(records), format_name, json_path, count, skipped)
