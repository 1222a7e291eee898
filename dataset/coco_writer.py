"""Writing a Conversion as COCO keypoint JSON that pycocotools and ``dataset.coco`` both load."""
from __future__ import annotations

import json
import os

from dataset.conversion import Conversion
from lib.errors import DatasetError

__all__ = ["coco_document", "file_name_for", "person_category", "write_coco_json"]

CATEGORY_ID = 1


def _number(value: float):
    """An int for whole numbers (as COCO writes them), else the float at full precision."""
    value = float(value)
    return int(value) if value.is_integer() else value


def file_name_for(path: str, found: bool, folder: str) -> str:
    """Relative to ``folder`` when the image lies below it, else absolute; as given when missing."""
    if not found:
        return path
    path = os.path.abspath(path)
    rel = os.path.relpath(path, folder)
    return path if rel == os.pardir or rel.startswith(os.pardir + os.sep) else rel.replace(os.sep, "/")


def person_category(fmt) -> dict:
    """COCO's person category for a keypoint format: its joint names and 1-based skeleton."""
    return {"id": CATEGORY_ID, "name": "person", "supercategory": "person",
            "keypoints": list(fmt.joints), "skeleton": [[a + 1, b + 1] for a, b in fmt.skeleton]}


def coco_document(conversion: Conversion, json_path) -> dict:
    """The COCO keypoint JSON object of ``conversion``, with image paths set for ``json_path``."""
    folder = os.path.dirname(os.path.abspath(os.fspath(json_path)))
    fmt = conversion.mapping.target
    source = conversion.source
    images, annotations = [], []
    for image in conversion.images:
        images.append({"id": image.image_id, "file_name": file_name_for(image.path, image.found, folder),
                       "height": image.height, "width": image.width})
        for person in image.people:
            ann = {"id": person.ann_id, "image_id": image.image_id, "category_id": CATEGORY_ID,
                   "iscrowd": person.iscrowd,
                   "keypoints": [_number(v) for v in person.joints.reshape(-1)],
                   "num_keypoints": person.num_keypoints,
                   "bbox": [_number(b) for b in person.bbox], "area": _number(person.area)}
            if person.segmentation is not None:
                ann["segmentation"] = person.segmentation
            annotations.append(ann)
    return {
        "info": {"description": f"{os.path.basename(source.path)} ({source.layout}, keypoint format "
                                f"{source.format.name}) converted to {fmt.name} by posecut convert-dataset"},
        "licenses": [],
        "categories": [person_category(fmt)],
        "images": images,
        "annotations": annotations,
    }


def write_coco_json(conversion: Conversion, path) -> int:
    """Write ``conversion`` to ``path`` as COCO keypoint JSON (folders are created); return how
    many image file names are written as absolute paths (images outside the JSON's folder),
    which the loaders read only with ``allow_absolute_image_paths``."""
    path = os.path.abspath(os.fspath(path))
    document = coco_document(conversion, path)
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            json.dump(document, f)
    except OSError as err:
        raise DatasetError(f"{path}: cannot write the COCO JSON: {err.strerror or err}") from None
    return sum(os.path.isabs(image["file_name"]) for image in document["images"])
