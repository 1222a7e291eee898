"""Synthetic data sets on disk: random scenes written as PNG or JPEG images beside one COCO
keypoints JSON, byte-for-byte reproducible from a seed, for training, tests and benchmarks."""
from __future__ import annotations

import json
import logging
import os

import cv2
import numpy as np
from tqdm import tqdm

from dataset.coco_writer import person_category
from dataset.synthetic.body import FORMAT
from dataset.synthetic.scene import _check_size, render_scene
from lib.errors import DatasetError

logger = logging.getLogger(__name__)


def _annotations(keypoints, boxes, areas, image_id, first_id):
    """COCO annotation records for the people worth writing (visible pixels and labelled joints)."""
    records = []
    for kp, box, area in zip(keypoints, boxes, areas):
        num = int(np.count_nonzero(kp[:, 2] > 0))
        if area == 0 or num == 0:
            continue
        flat = [v for x, y, vis in kp for v in (round(float(x), 2), round(float(y), 2), int(vis))]
        records.append({
            "id": first_id + len(records), "image_id": image_id, "category_id": 1,
            "keypoints": flat, "num_keypoints": num,
            "bbox": [float(b) for b in box], "area": float(area), "iscrowd": 0,
        })
    return records


def generate_dataset(out_dir, num_images: int, height: int, width: int, people=(1, 12),
                     seed: int = 0, image_format: str = "png", *, progress: bool = False,
                     **options) -> str:
    """Write ``num_images`` scenes and a COCO keypoints JSON to ``out_dir``; return the JSON's path.

    Images are ``out_dir/NNNNNN.png`` (file_name is the bare name, relative to the JSON's folder),
    the JSON ``out_dir/person_keypoints.json``. Image i uses the seed (seed, i), so the same seed
    gives the same bytes. ``people`` = (min, max) people per image; (1, 1) gives single-person
    images. People with no visible pixel or no labelled joint are left out. ``progress`` shows a
    tqdm bar; ``options`` go to draw_scene.
    """
    _check_size(height, width)
    lo, hi = (int(v) for v in people)
    if not 0 <= lo <= hi:
        raise DatasetError(f"people: expected 0 <= min <= max, got {tuple(people)}")
    if image_format not in ("png", "jpg"):
        raise DatasetError(f"image_format: expected 'png' or 'jpg', got {image_format!r}")
    if num_images < 0:
        raise DatasetError(f"num_images: expected >= 0, got {num_images}")
    os.makedirs(out_dir, exist_ok=True)
    images, annotations = [], []
    if image_format == "jpg":
        params = [cv2.IMWRITE_JPEG_QUALITY, 92]
    else:
        params = [cv2.IMWRITE_PNG_COMPRESSION, 1]
    for i in tqdm(range(num_images), desc="synthetic images", disable=not progress):
        rng = np.random.default_rng([seed, i])
        n = int(rng.integers(lo, hi + 1))
        image, keypoints, boxes, areas = render_scene(rng, height, width, n, **options)
        name = f"{i:06d}.{image_format}"
        path = os.path.join(out_dir, name)
        if not cv2.imwrite(path, np.ascontiguousarray(image[..., ::-1]), params):
            raise DatasetError(f"{path}: cannot write image")
        images.append({"id": i + 1, "file_name": name, "width": int(width), "height": int(height)})
        annotations += _annotations(keypoints, boxes, areas, i + 1, len(annotations) + 1)
    coco = {
        "info": {"description": "posecut synthetic people", "version": "1.0", "seed": int(seed)},
        "licenses": [],
        "images": images,
        "annotations": annotations,
        "categories": [person_category(FORMAT)],
    }
    json_path = os.path.join(out_dir, "person_keypoints.json")
    with open(json_path, "w", encoding="utf-8") as f:
        json.dump(coco, f, separators=(",", ":"))
    logger.info("wrote %d images, %d people to %s", len(images), len(annotations), json_path)
    return json_path
