"""Cluttered backgrounds (gradients, blotches, floors, shapes, grain) and camera-like degradations
of a finished image; neither changes any annotation."""
from __future__ import annotations

import functools

import cv2
import numpy as np

from dataset.synthetic.appearance import _clothing_paint, _colour
from dataset.synthetic.paint import _paint_window


def _background(rng, height, width) -> np.ndarray:
    """Clutter: colour gradient with blotches, sometimes a textured floor, random shapes, grain."""
    u = rng.uniform
    c1, c2 = np.array(_colour(rng), np.float32), np.array(_colour(rng), np.float32)
    grid = (c1 + (c2 - c1) * rng.random((2, 2, 1))).astype(np.float32)
    image = cv2.resize(grid, (width, height), interpolation=cv2.INTER_LINEAR)
    cells = int(rng.integers(3, 24))
    blotch = rng.normal(0, u(5, 35), (cells, cells, 3)).astype(np.float32)
    image += cv2.resize(blotch, (width, height), interpolation=cv2.INTER_LINEAR)
    image = np.clip(image, 0, 255).astype(np.uint8)
    if rng.random() < 0.5:
        y0 = int(u(0.3, 0.85) * height)
        floor = _clothing_paint(rng, u(40, 400))
        image[y0:] = _paint_window(floor, 0, y0, height - y0, width)
    for _ in range(int(rng.integers(3, 20))):
        _background_shape(rng, image)
    if rng.random() < 0.4:
        image = _grain(rng, image, int(rng.integers(2, 5)))
    return image


@functools.lru_cache(maxsize=4)
def _grain_bank(height, width):
    """Fixed uniform noise, 2 x (H + 64) x (W + 64) x 3 uint8, cropped at random offsets."""
    shape = (2, height + 64, width + 64, 3)
    return np.random.default_rng(20240).integers(0, 256, shape, dtype=np.uint8)


def _grain(rng, image, bits):
    """Add and subtract uniform noise of up to 2**bits - 1 levels (saturating), cheaply."""
    h, w = image.shape[:2]
    bank = _grain_bank(-(-h // 256) * 256, -(-w // 256) * 256)
    oy, ox = rng.integers(0, 64, 2)
    shift = 8 - bits
    up = bank[0, oy:oy + h, ox:ox + w] >> shift
    down = bank[1, oy:oy + h, ox:ox + w] >> shift
    return cv2.subtract(cv2.add(image, up), down)


def _background_shape(rng, image):
    """One random rectangle, ellipse, polygon, line or textured patch painted on the background."""
    height, width = image.shape[:2]
    u = rng.uniform
    size = min(height, width)
    colour = _colour(rng)
    k = rng.integers(5)
    if k == 0:
        x, y = int(u(0, width)), int(u(0, height))
        corner = (x + int(u(4, 0.5 * width)), y + int(u(4, 0.5 * height)))
        cv2.rectangle(image, (x, y), corner, colour, -1)
    elif k == 1:
        cv2.ellipse(image, (int(u(0, width)), int(u(0, height))),
                    (int(u(2, 0.25 * size)), int(u(2, 0.25 * size))), u(0, 180), 0, 360, colour, -1)
    elif k == 2:
        centre = np.array([u(0, width), u(0, height)])
        pts = (centre + rng.normal(0, 0.15 * size, (5, 2))).astype(np.int32)
        cv2.fillPoly(image, [pts], colour)
    elif k == 3:
        p = (int(u(0, width)), int(u(0, height)))
        q = (int(u(0, width)), int(u(0, height)))
        cv2.line(image, p, q, colour, int(rng.integers(1, 6)))
    else:
        x, y = int(u(0, width)), int(u(0, height))
        w, h = int(u(4, 0.4 * width)), int(u(4, 0.4 * height))
        w, h = min(w, width - x), min(h, height - y)
        if w > 0 and h > 0:
            image[y:y + h, x:x + w] = _paint_window(_clothing_paint(rng, u(30, 300)), x, y, h, w)


def _postprocess(rng, image) -> np.ndarray:
    """Camera-like degradations that leave geometry alone: blur, brightness/contrast, grain."""
    if rng.random() < 0.25:
        image = cv2.GaussianBlur(image, (3, 3), rng.uniform(0.5, 1.0))
    if rng.random() < 0.3:
        gain, bias = rng.uniform(0.7, 1.3), rng.uniform(-30, 30)
        lut = np.clip(np.arange(256) * gain + bias, 0, 255).astype(np.uint8)
        image = cv2.LUT(image, lut)
    if rng.random() < 0.2:
        image = _grain(rng, image, int(rng.integers(2, 4)))
    return image
