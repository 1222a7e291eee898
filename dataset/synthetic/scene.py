"""Scenes: people and distractors composited far to near over a background, with COCO keypoint
visibility, boxes and areas read from the owner map, so annotations match the picture exactly."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from dataset.synthetic.background import _background, _postprocess
from dataset.synthetic.body import NUM_JOINTS
from dataset.synthetic.distractors import sample_distractor
from dataset.synthetic.paint import _composite
from dataset.synthetic.person import (
    PersonSpec, _extent, _joint_pixels, _model_of, _place, _single_person, sample_person,
)
from dataset.synthetic.shapes import _pack
from lib.errors import DatasetError

BACKGROUND = -1


@dataclass
class Scene:
    """A rendered scene: image, per-person COCO keypoints/boxes/areas, owner map and the specs used.

    ``owner`` holds, per pixel, -1 for background, i for person i, and P + k for distractor k.
    """

    image: np.ndarray
    keypoints: np.ndarray
    boxes: np.ndarray
    areas: np.ndarray
    owner: np.ndarray
    heights: np.ndarray
    people: tuple = field(default_factory=tuple)


def _check_size(height, width):
    """DatasetError unless the image is at least 8 x 8."""
    if int(height) < 8 or int(width) < 8:
        raise DatasetError(f"image size: expected height and width >= 8, got {height} x {width}")


def _visibility(joints, owner, index):
    """COCO (x, y, v) rows for one person's joints from the final owner map."""
    height, width = owner.shape
    x, y = joints[:, 0], joints[:, 1]
    inside = (x >= 0) & (x <= width - 1) & (y >= 0) & (y <= height - 1)
    out = np.zeros((len(joints), 3))
    rows = np.rint(y[inside]).astype(int)
    cols = np.rint(x[inside]).astype(int)
    mine = owner[rows, cols] == index
    out[inside, 0] = x[inside]
    out[inside, 1] = y[inside]
    out[inside, 2] = np.where(mine, 2.0, 1.0)
    return out


def _visible_box(owner, index, window):
    """(x, y, w, h) box and pixel count of what remains of person ``index`` within its window."""
    x0, y0, x1, y1 = window
    mask = owner[y0:y1, x0:x1] == index
    area = int(np.count_nonzero(mask))
    if area == 0:
        return np.zeros(4), 0
    cols = np.flatnonzero(mask.any(axis=0))
    rows = np.flatnonzero(mask.any(axis=1))
    box = [x0 + cols[0], y0 + rows[0], cols[-1] - cols[0] + 1, rows[-1] - rows[0] + 1]
    return np.asarray(box, dtype=np.float64), area


def compose_scene(height: int, width: int, items, background: np.ndarray | None = None) -> Scene:
    """Draw ``items`` (PersonSpec or Distractor) in order, far to near, over ``background``.

    People are numbered in the order they appear in ``items``; distractor k gets owner id P + k.
    The background defaults to flat grey; no camera degradation is applied.
    """
    if background is None:
        image = np.full((height, width, 3), 128, np.uint8)
    else:
        image = np.array(background, dtype=np.uint8, copy=True)
        if image.shape != (height, width, 3):
            raise DatasetError(
                f"background: expected shape {(height, width, 3)}, got {image.shape}")
    owner = np.full((height, width), BACKGROUND, np.int32)
    people = [it for it in items if isinstance(it, PersonSpec)]
    num_people = len(people)
    windows, joints = [], []
    distractor_id = num_people
    for item in items:
        if isinstance(item, PersonSpec):
            model = _model_of(item)
            window = _composite(image, owner, len(windows), model.packed, item.appearance.paints,
                                item.height, item.origin, flip=True)
            windows.append(window)
            joints.append(_joint_pixels(item, model))
        else:
            _composite(image, owner, distractor_id, _pack(item.shapes, flip=False), item.paints)
            distractor_id += 1
    keypoints = np.zeros((num_people, NUM_JOINTS, 3))
    boxes = np.zeros((num_people, 4))
    areas = np.zeros(num_people, np.int64)
    for i in range(num_people):
        keypoints[i] = _visibility(joints[i], owner, i)
        boxes[i], areas[i] = _visible_box(owner, i, windows[i])
    heights = np.array([p.height for p in people], dtype=np.float64)
    return Scene(image, keypoints, boxes, areas, owner, heights, tuple(people))


def draw_scene(rng, height: int, width: int, num_people: int, *, min_height: float = 30.0,
               max_height: float | None = None, num_distractors: int | None = None,
               single: bool | None = None, degrade: bool = True) -> Scene:
    """A random scene with ``num_people`` people over clutter, with its owner map and specs.

    Standing heights are log-uniform in [min_height, max_height] (default: the image height);
    people are drawn small to large (roughly far to near) with distractors interleaved.
    ``single`` (default: num_people == 1) makes one large, whole, roughly centred person.
    ``num_distractors`` defaults to 0-6 (0-2 in single mode); ``degrade`` adds blur/noise/contrast.
    """
    rng = np.random.default_rng(rng)
    _check_size(height, width)
    if num_people < 0:
        raise DatasetError(f"num_people: expected >= 0, got {num_people}")
    single = num_people == 1 if single is None else single
    if single and num_people != 1:
        raise DatasetError(f"single: needs num_people == 1, got {num_people}")
    background = _background(rng, height, width)
    if single:
        people = [_single_person(rng, height, width)]
    else:
        people = _sample_people(rng, height, width, num_people, min_height, max_height)
    if num_distractors is None:
        num_distractors = int(rng.integers(0, 3 if single else 7))
    keys = [math.log(p.height) + rng.normal(0, 0.25) for p in people]
    span = (min(keys) - 0.5, max(keys) + 0.5) if keys else (0.0, 1.0)
    items = list(zip(keys, range(len(people)), people))
    for k in range(num_distractors):
        if single:  # mostly behind the person, who should stay largely visible
            key = keys[0] + (1.0 if rng.random() < 0.25 else -1.0)
        else:
            key = rng.uniform(*span)
        items.append((key, len(people) + k, sample_distractor(rng, height, width)))
    items.sort(key=lambda t: (t[0], t[1]))
    scene = compose_scene(height, width, [it for _, _, it in items], background)
    if degrade:
        scene.image = _postprocess(rng, scene.image)
    return scene


def _sample_people(rng, height, width, num_people, min_height, max_height):
    """People with log-uniform standing heights and box centres anywhere (truncated at borders)."""
    if max_height is None:  # default: up to the image height (smaller images: smaller people)
        max_height = float(height)
        min_height = min(min_height, max_height)
    if min_height <= 0 or max_height < min_height:
        raise DatasetError(f"min_height/max_height: expected 0 < min_height <= max_height, "
                           f"got {min_height}, {max_height}")
    people = []
    for _ in range(num_people):
        h = math.exp(rng.uniform(math.log(min_height), math.log(max_height)))
        spec = sample_person(rng, h)
        w_box, h_box = _extent(spec)
        centre = (rng.uniform(-0.15 * w_box, width + 0.15 * w_box),
                  rng.uniform(-0.1 * h_box, height + 0.1 * h_box))
        people.append(_place(spec, centre))
    return people


def render_scene(rng, height: int, width: int, num_people: int, **options):
    """A random scene as arrays: image (H, W, 3) uint8, keypoints (P, 17, 3) as x, y, v,
    boxes (P, 4) as x, y, w, h, and areas (P,).

    Keypoints follow COCO visibility (2 visible, 1 hidden by something drawn later, 0 outside the
    image with x = y = 0); boxes are x, y, w, h of the person's visible pixels, areas their count
    (all zero for a person entirely hidden or outside). ``options`` go to draw_scene.
    """
    scene = draw_scene(rng, height, width, num_people, **options)
    return scene.image, scene.keypoints, scene.boxes, scene.areas
