"""Training augmentation (crop around a person, scale jitter, horizontal mirror) and batch padding.

Pure numpy and OpenCV. Coordinates put pixel centres at integers: pixel (row i, column j) has its
centre at (x, y) = (j, i), so the image spans [-0.5, W - 0.5]. In that convention ``cv2.resize``
maps x to ``(x + 0.5) * W' / W - 0.5`` and a horizontal flip maps x to ``W - 1 - x``; joints move
with exactly those maps, so the pixel under a joint stays under it. Steps run in DeeperCut's
order: crop, then scale (skipping images too large), then mirror.
"""
import logging
from dataclasses import dataclass
from typing import Optional

import cv2
import numpy as np

__all__ = ["AugmentSettings", "augment", "augment_settings_from_config", "draw_scale", "pad_batch"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AugmentSettings:
    """pose_cfg.yaml values of augmentation, plus ``flip_index``: per joint, its mirror joint."""

    global_scale: float = 1.0
    scale_jitter_lo: float = 0.85
    scale_jitter_up: float = 1.15
    mirror: bool = False
    crop: bool = False
    crop_pad: int = 0
    max_input_size: int = 1500
    flip_index: Optional[tuple[int, ...]] = None

    def __post_init__(self):
        if self.flip_index is not None:
            object.__setattr__(self, "flip_index", tuple(int(i) for i in self.flip_index))
        if self.mirror and self.flip_index is None:
            raise ValueError("AugmentSettings: mirror is on but no flip_index says which joints swap")


def augment_settings_from_config(cfg, flip_index=None) -> AugmentSettings:
    """The augmentation settings of a loaded ``PoseConfig``; ``flip_index`` defaults to its all_joints pairs."""
    if flip_index is None and cfg.mirror:
        flip_index = cfg.mirror_map
    return AugmentSettings(
        global_scale=float(cfg.global_scale),
        scale_jitter_lo=float(cfg.scale_jitter_lo),
        scale_jitter_up=float(cfg.scale_jitter_up),
        mirror=bool(cfg.mirror),
        crop=bool(cfg.crop),
        crop_pad=int(cfg.crop_pad),
        max_input_size=int(cfg.max_input_size),
        flip_index=None if flip_index is None else tuple(int(i) for i in flip_index),
    )


def draw_scale(rng: np.random.Generator, settings: AugmentSettings) -> float:
    """DeeperCut's training scale: global_scale times a uniform draw in [scale_jitter_lo, scale_jitter_up]."""
    return settings.global_scale * float(rng.uniform(settings.scale_jitter_lo, settings.scale_jitter_up))


def _labelled(joints: np.ndarray) -> np.ndarray:
    """(P, J) bool: joints with visibility > 0 (the others are left untouched by every step)."""
    return joints[:, :, 2] > 0


def _move(joints: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``joints`` with labelled joints moved to (x, y)."""
    out = joints.copy()
    labelled = _labelled(joints)
    out[:, :, 0] = np.where(labelled, x, joints[:, :, 0])
    out[:, :, 1] = np.where(labelled, y, joints[:, :, 1])
    return out


def crop_box(rng: np.random.Generator, joints: np.ndarray, image_size: tuple[int, int],
             crop_pad: int) -> Optional[tuple[int, int, int, int]]:
    """A random labelled person's joint box grown by ``crop_pad``, clipped: (x0, y0, x1, y1) inclusive.

    None when nobody is labelled. Like DeeperCut's crops (one box per person, padded), but the
    person is drawn at random each time.
    """
    labelled = _labelled(joints)
    people = np.flatnonzero(labelled.any(axis=1))
    if len(people) == 0:
        return None
    person = people[rng.integers(len(people))]
    xy = joints[person, labelled[person], :2]
    height, width = image_size
    x0, y0 = np.floor(xy.min(axis=0) - crop_pad).astype(int)
    x1, y1 = np.ceil(xy.max(axis=0) + crop_pad).astype(int)
    return (int(np.clip(x0, 0, width - 1)), int(np.clip(y0, 0, height - 1)),
            int(np.clip(x1, 0, width - 1)), int(np.clip(y1, 0, height - 1)))


def _crop(image, joints, ignore_mask, box):
    """Cut ``box`` out of the image and mask; joints shift with it (those outside are kept, as DeeperCut)."""
    x0, y0, x1, y1 = box
    image = image[y0:y1 + 1, x0:x1 + 1]
    if ignore_mask is not None:
        ignore_mask = ignore_mask[y0:y1 + 1, x0:x1 + 1]
    return image, _move(joints, joints[:, :, 0] - x0, joints[:, :, 1] - y0), ignore_mask


def scaled_size(height: int, width: int, scale: float) -> tuple[int, int]:
    """Size of an image resized by ``scale``: each side rounded, at least 1."""
    return max(1, int(round(height * scale))), max(1, int(round(width * scale)))


def _resize(image, joints, ignore_mask, size):
    """Resize to ``size`` (H, W) with OpenCV; joints follow the same pixel-centre map per axis."""
    height, width = image.shape[:2]
    new_h, new_w = size
    if (new_h, new_w) == (height, width):
        return image, joints, ignore_mask
    shrinking = new_h * new_w < height * width
    resized = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)
    image = resized.reshape((new_h, new_w) + image.shape[2:])
    if ignore_mask is not None:
        ignore_mask = cv2.resize(ignore_mask.astype(np.uint8), (new_w, new_h),
                                 interpolation=cv2.INTER_NEAREST_EXACT).astype(bool)
    sx, sy = new_w / width, new_h / height
    x = (joints[:, :, 0] + 0.5) * sx - 0.5
    y = (joints[:, :, 1] + 0.5) * sy - 0.5
    return image, _move(joints, x, y), ignore_mask


def mirror(image, joints, ignore_mask, flip_index):
    """Flip left-right: x becomes W - 1 - x and each joint swaps with its ``flip_index`` partner."""
    width = image.shape[1]
    image = np.ascontiguousarray(image[:, ::-1])
    if ignore_mask is not None:
        ignore_mask = np.ascontiguousarray(ignore_mask[:, ::-1])
    flipped = _move(joints, width - 1 - joints[:, :, 0], joints[:, :, 1])
    return image, flipped[:, np.asarray(flip_index)], ignore_mask


def _check_inputs(image, joints, ignore_mask, settings):
    """Inputs as arrays: joints (P, J, 3) float64; ValueError for shapes that do not fit."""
    image = np.asarray(image)
    joints = np.asarray(joints, dtype=np.float64)
    if joints.ndim != 3 or joints.shape[2] != 3:
        raise ValueError(f"augment: expected joints of shape (P, J, 3), got {joints.shape}")
    if settings.mirror and joints.shape[1] != len(settings.flip_index):
        raise ValueError(f"augment: joints have {joints.shape[1]} joints but flip_index has "
                         f"{len(settings.flip_index)}")
    if ignore_mask is not None:
        ignore_mask = np.asarray(ignore_mask, dtype=bool)
        if ignore_mask.shape != image.shape[:2]:
            raise ValueError(f"augment: ignore_mask of shape {ignore_mask.shape} does not match the "
                             f"image's {image.shape[:2]}")
    return image, joints, ignore_mask


def augment(rng: np.random.Generator, image, joints, ignore_mask=None, *, settings: AugmentSettings,
            scale: Optional[float] = None):
    """One training sample: crop (when on), scale, mirror with probability 0.5 (when on).

    ``image``: H x W (x C); ``joints``: (P, J, 3) x, y, visibility (unlabelled joints pass through
    unchanged); ``ignore_mask``: H x W bool or None. ``scale`` defaults to :func:`draw_scale`; draw it
    yourself to pass the same value to ``compute_targets``. Returns (image, joints, ignore_mask), or
    None, logged, when the scaled image has more than ``max_input_size ** 2`` pixels (DeeperCut skips
    those).
    """
    image, joints, ignore_mask = _check_inputs(image, joints, ignore_mask, settings)
    if scale is None:
        scale = draw_scale(rng, settings)
    if settings.crop:
        box = crop_box(rng, joints, image.shape[:2], settings.crop_pad)
        if box is not None:
            image, joints, ignore_mask = _crop(image, joints, ignore_mask, box)
    height, width = image.shape[:2]
    if height * scale * width * scale > settings.max_input_size ** 2:
        log.info("skipping a %dx%d image at scale %.3f: larger than max_input_size %d squared",
                 width, height, scale, settings.max_input_size)
        return None
    image, joints, ignore_mask = _resize(image, joints, ignore_mask, scaled_size(height, width, scale))
    if settings.mirror and rng.random() < 0.5:
        image, joints, ignore_mask = mirror(image, joints, ignore_mask, settings.flip_index)
    return image, joints, ignore_mask


def _pad_to(array: np.ndarray, height: int, width: int, value) -> np.ndarray:
    """``array`` (h, w, C) placed top-left in an (height, width, C) float32 array filled with ``value``."""
    out = np.empty((height, width) + array.shape[2:], dtype=np.float32)
    out[...] = value
    out[:array.shape[0], :array.shape[1]] = array
    return out


def pad_batch(items, mean_pixel=None) -> dict:
    """Stack (image, targets) samples of different sizes into one batch, padding bottom and right.

    Images are padded with ``mean_pixel`` (zeros when None) so the centred input is 0 there; every
    target array, weights and masks included, is padded with zeros, so padding never trains.
    Returns float32 'inputs' (N, H, W, C), each target key (N, h, w, C), and 'image_sizes' (N, 2)
    int32, the (H, W) of each image before padding.
    """
    items = list(items)
    if not items:
        raise ValueError("pad_batch: no samples")
    keys = set(items[0][1])
    for i, (_, targets) in enumerate(items):
        if set(targets) != keys:
            raise ValueError(f"pad_batch: sample {i} has targets {sorted(targets)}, sample 0 {sorted(keys)}")
    images = [np.asarray(image) for image, _ in items]
    images = [im[:, :, None] if im.ndim == 2 else im for im in images]
    height = max(im.shape[0] for im in images)
    width = max(im.shape[1] for im in images)
    fill = 0.0 if mean_pixel is None else np.asarray(mean_pixel, dtype=np.float32)
    batch = {"inputs": np.stack([_pad_to(im, height, width, fill) for im in images])}
    for key in sorted(keys):
        arrays = [np.asarray(targets[key]) for _, targets in items]
        h = max(a.shape[0] for a in arrays)
        w = max(a.shape[1] for a in arrays)
        batch[key] = np.stack([_pad_to(a, h, w, 0.0) for a in arrays])
    batch["image_sizes"] = np.array([im.shape[:2] for im in images], dtype=np.int32)
    return batch
