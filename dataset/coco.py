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
from dataclasses import replace
from typing import Any, Optional

from dataset.conversion import convert, image_records
from dataset.joint_mappings import identity_mapping
from dataset.jsonfile import read_json, require
from dataset.keypoint_formats import DEFAULT_FORMAT, get_format, joint_names, registered_formats, unnamed_format
from dataset.records import Dataset, joint_layout
from dataset.sources.coco_style import read_coco_style
from lib.errors import DatasetError

log = logging.getLogger(__name__)

__all__ = ["infer_format", "load_coco", "locate_coco"]

# When a category's joint names match several registered formats, these win, in this order.
_PREFERRED = (DEFAULT_FORMAT,)


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
        count = _joint_count(data.get("annotations") or [], json_path)
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

    The file is read by the converters' reader (dataset.sources.coco_style): an image whose
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
