"""Paints by slot (solid colours and patterns, shaded on the far side) and compositing: shapes
rasterised to labels, labels coloured by their paints, drawn pixels claimed in the owner map."""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import cv2
import numpy as np

from dataset.synthetic.shapes import _Packed, _pixel_bounds, _rasterise

# Paint slots of a person; a label value is slot + SHADE * shade level (far-side limbs darker).
SKIN, HAIR, TOP, SLEEVE, FOREARM, PANTS, SHIN, SHOES, DARK = range(1, 10)
MAIN, SECOND = 1, 2  # distractor slots
SHADE = 16
SHADE_FACTOR = 0.72


@dataclass(frozen=True)
class Paint:
    """How a region is coloured: solid, stripes, checker, noise or gradient of two colours."""

    kind: str = "solid"
    colour: tuple = (128, 128, 128)
    colour2: tuple = (64, 64, 64)
    angle: float = 0.0  # pattern direction, radians
    period: float = 8.0  # pattern period, pixels
    seed: int = 0  # noise field seed


@dataclass(frozen=True)
class Appearance:
    """Paint per slot (index = slot, entry 0 unused) and whether the top covers the hips."""

    paints: tuple
    long_top: bool = False


def _pattern(paint: Paint, x0, y0, h, w):
    """The paint's mix between colour2 (0) and colour (255) over an image window, h x w uint8."""
    if paint.kind == "noise":
        cell = max(paint.period / 2, 1.0)
        rng = np.random.default_rng([paint.seed, x0, y0])
        grid = rng.random((int(h / cell) + 2, int(w / cell) + 2), dtype=np.float32)
        t = cv2.resize(grid, (w, h), interpolation=cv2.INTER_LINEAR)
    else:
        ys = np.arange(y0, y0 + h, dtype=np.float32)[:, None]
        xs = np.arange(x0, x0 + w, dtype=np.float32)[None, :]
        if paint.kind == "checker":
            p = max(paint.period, 2.0)
            t = (np.floor(xs / p) + np.floor(ys / p)) % 2
        else:
            along = xs * math.cos(paint.angle) + ys * math.sin(paint.angle)
            phase = along / max(paint.period, 2.0)
            if paint.kind == "stripes":
                t = (phase - np.floor(phase)) < 0.5
            else:  # gradient: a slow triangle wave
                t = np.abs((phase / 6.0) % 2.0 - 1.0)
    return (np.asarray(t, dtype=np.float32) * 255.0).astype(np.uint8)


@functools.lru_cache(maxsize=1024)
def _ramp(paint: Paint):
    """256 x 1 x 3 colour table from colour2 to colour, for cv2.LUT."""
    t = np.linspace(0.0, 1.0, 256, dtype=np.float32)[:, None]
    c1 = np.asarray(paint.colour, dtype=np.float32)
    c2 = np.asarray(paint.colour2, dtype=np.float32)
    return (c2 + t * (c1 - c2)).round().astype(np.uint8)[:, None, :]


def _paint_window(paint: Paint, x0, y0, h, w):
    """The paint over the image window (x0, y0, w, h) as h x w x 3 uint8."""
    if paint.kind == "solid":
        return np.full((h, w, 3), paint.colour, np.uint8)
    t = _pattern(paint, x0, y0, h, w)
    return cv2.LUT(cv2.merge((t, t, t)), _ramp(paint))


@functools.lru_cache(maxsize=512)
def _palette(paints):
    """Label-to-colour table (256 x 1 x 3, plain and shaded) of paints, and the patterned slots."""
    lut = np.zeros((256, 1, 3), np.uint8)
    textured = []
    for slot, paint in enumerate(paints):
        if paint is not None:
            colour = np.asarray(paint.colour, dtype=np.float32)
            lut[slot, 0], lut[slot + SHADE, 0] = colour, colour * SHADE_FACTOR
            if paint.kind != "solid":
                textured.append(slot)
    return lut, tuple(textured)


def _apply_patterns(painted, label, paints, textured, x0, y0):
    """Overwrite the pixels of patterned slots (plain and shaded) with their pattern."""
    h, w = label.shape
    counts = cv2.calcHist([label], [0], None, [2 * SHADE], [0, 2 * SHADE]).ravel()
    windows = {}
    for slot in textured:
        if counts[slot] == 0 and counts[slot + SHADE] == 0:
            continue
        paint = paints[slot]
        if paint not in windows:
            windows[paint] = _paint_window(paint, x0, y0, h, w)
        tex = windows[paint]
        if counts[slot]:
            cv2.copyTo(tex, (label == slot).view(np.uint8), painted)
        if counts[slot + SHADE]:
            shaded = cv2.convertScaleAbs(tex, alpha=SHADE_FACTOR)
            cv2.copyTo(shaded, (label == slot + SHADE).view(np.uint8), painted)


def _composite(image, owner, index, packed: _Packed, paints, scale=1.0, origin=(0.0, 0.0),
               flip=False):
    """Draw packed shapes into a label window, paint the labelled pixels, claim them in ``owner``.

    Returns the window (x0, y0, x1, y1) in image pixels, empty when nothing lies in the image.
    """
    height, width = owner.shape
    lo_x, lo_y, hi_x, hi_y = _pixel_bounds(packed, scale, origin, flip)
    x0, y0 = max(int(math.floor(lo_x)) - 2, 0), max(int(math.floor(lo_y)) - 2, 0)
    x1, y1 = min(int(math.ceil(hi_x)) + 3, width), min(int(math.ceil(hi_y)) + 3, height)
    if x1 <= x0 or y1 <= y0:
        return (0, 0, 0, 0)
    label = np.zeros((y1 - y0, x1 - x0), np.uint8)
    _rasterise(label, packed, scale, origin, flip, x0, y0)
    lut, textured = _palette(paints)
    painted = cv2.LUT(cv2.merge((label, label, label)), lut)
    if textured:
        _apply_patterns(painted, label, paints, textured, x0, y0)
    drawn = label > 0
    cv2.copyTo(painted, drawn.view(np.uint8), image[y0:y1, x0:x1])  # writes into the view
    np.copyto(owner[y0:y1, x0:x1], index, where=drawn)
    return (x0, y0, x1, y1)
