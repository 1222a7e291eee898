"""A held-out split of a COCO keypoint file by image, fixed by the seed: the same seed and file
give the same split on any machine, so a training set and its test set stay apart."""
from __future__ import annotations

import json
import os

import numpy as np

from dataset.coco_writer import file_name_for
from dataset.jsonfile import read_json, require
from lib.errors import DatasetError

__all__ = ["split_coco", "split_image_ids", "write_split"]


def split_image_ids(image_ids, test_fraction: float, seed: int) -> tuple[list, list]:
    """(train ids, test ids): round(test_fraction * N) images, at least one of each side when
    there are two or more, drawn with the seed; both lists keep the order given."""
    ids = list(image_ids)
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction: expected a value in (0, 1), got {test_fraction}")
    if len(ids) < 2:
        raise ValueError(f"expected at least 2 images to split, got {len(ids)}")
    count = min(max(1, round(test_fraction * len(ids))), len(ids) - 1)
    chosen = set(np.random.default_rng(seed).choice(len(ids), count, replace=False).tolist())
    return ([i for k, i in enumerate(ids) if k not in chosen],
            [i for k, i in enumerate(ids) if k in chosen])


def split_coco(data: dict, test_fraction: float, seed: int, source: str = "<coco>"):
    """(train, test) COCO dicts: the images split by split_image_ids, each with its own
    annotations; every other field (categories, info) is kept in both."""
    images = require(data, "images", list, source, "a list of image records")
    annotations = require(data, "annotations", list, source, "a list of annotations")
    ids = [require(image, "id", int, f"{source}: images[{k}]", "an integer image id")
           for k, image in enumerate(images)]
    if len(set(ids)) != len(ids):
        raise DatasetError(f"{source}: images: expected unique ids, some repeat")
    try:
        _, test_ids = split_image_ids(ids, test_fraction, seed)
    except ValueError as err:
        raise DatasetError(f"{source}: {err}") from None
    test_ids = set(test_ids)
    parts = []
    for keep in (lambda i: i not in test_ids, lambda i: i in test_ids):
        parts.append({**data,
                      "images": [im for im in images if keep(im["id"])],
                      "annotations": [a for a in annotations
                                      if isinstance(a, dict) and keep(a.get("image_id"))]})
    return parts[0], parts[1]


def write_split(path: str, out_dir: str, test_fraction: float, seed: int) -> tuple[str, str, int]:
    """Split the COCO file ``path`` into ``out_dir``/train.json and test.json: (their paths, how
    many image names are written as absolute paths). Each image keeps the file the loader finds
    for it (beside ``path`` or in its images/ folder), named relative to ``out_dir`` where it lies
    below it, else by its absolute path (which the loaders read only with
    allow_absolute_image_paths)."""
    data = read_json(path)
    folder = os.path.dirname(os.path.abspath(path))
    out_dir = os.path.abspath(out_dir)
    train, test = split_coco(data, test_fraction, seed, source=path)
    os.makedirs(out_dir, exist_ok=True)
    written, absolute = [], 0
    for name, part in (("train.json", train), ("test.json", test)):
        for image in part["images"]:
            given = image.get("file_name")
            if not isinstance(given, str):
                continue
            places = ([given] if os.path.isabs(given) else
                      [os.path.join(folder, given), os.path.join(folder, "images", given)])
            found = next((p for p in places if os.path.exists(p)), None)
            image["file_name"] = file_name_for(found or places[0], True, out_dir)
            absolute += os.path.isabs(image["file_name"])
        out = os.path.join(out_dir, name)
        with open(out, "w", encoding="utf-8") as f:
            json.dump(part, f)
        written.append(out)
    return written[0], written[1], absolute
