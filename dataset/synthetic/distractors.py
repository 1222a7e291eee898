"""Items that are not people (sticks, blobs, polygons, boxes, loose limbs, head-like ellipses),
painted like people, so that a model must tell people from clutter; also built-scene occluders."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from dataset.synthetic.appearance import _clothing_paint, _colour, _skin_paint
from dataset.synthetic.paint import MAIN, SECOND, Paint
from dataset.synthetic.shapes import _Shape


@dataclass(frozen=True)
class Distractor:
    """A non-person item: shapes in pixels (drawn in order) and its paints by slot."""

    kind: str
    shapes: tuple
    paints: tuple


_DISTRACTOR_KINDS = ("stick", "blob", "polygon", "box", "limb", "head")


def sample_distractor(rng, height: int, width: int) -> Distractor:
    """A non-person item: stick, blob, polygon, box, limb-like chain or head-like ellipse."""
    rng = np.random.default_rng(rng)
    u = rng.uniform
    size = min(height, width)
    kind = _DISTRACTOR_KINDS[rng.choice(6, p=(0.25, 0.2, 0.15, 0.15, 0.15, 0.1))]
    c = np.array([u(0, width), u(0, height)])
    skinlike = _skin_paint(rng)
    if kind in ("limb", "head") and rng.random() < 0.6:
        paint = skinlike
    else:
        paint = _clothing_paint(rng, size * 0.5)
    second = Paint("solid", _colour(rng, 0, 80))
    if kind == "stick":
        angle = u(0, math.pi)
        d = u(0.05, 0.5) * size * np.array([math.cos(angle), math.sin(angle)])
        r = u(1.0, max(1.5, 0.03 * size))
        shapes = (_Shape("capsule", MAIN, np.stack([c - d / 2, c + d / 2]), (r, r)),)
    elif kind == "blob":
        axes = (u(0.02, 0.15) * size, u(0.02, 0.15) * size, u(0, 180))
        shapes = (_Shape("ellipse", MAIN, c[None], axes),)
    elif kind == "polygon":
        n = int(rng.integers(3, 8))
        ang = np.sort(rng.uniform(0, 2 * math.pi, n))
        rad = u(0.03, 0.18) * size * rng.uniform(0.5, 1.0, n)
        shapes = (_Shape("poly", MAIN, c + np.stack([rad * np.cos(ang), rad * np.sin(ang)], 1)),)
    elif kind == "box":
        half = np.array([u(0.03, 0.22), u(0.03, 0.22)]) * size
        rot = math.radians(u(-15, 15))
        m = np.array([[math.cos(rot), -math.sin(rot)], [math.sin(rot), math.cos(rot)]])
        corners = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]]) * half
        shapes = (_Shape("poly", MAIN, c + corners @ m.T),)
    elif kind == "limb":
        shapes = _limb_chain(rng, c, u(0.04, 0.25) * size)
    else:
        a, b = u(0.02, 0.08) * size, u(1.0, 1.4)
        shapes = (_Shape("ellipse", MAIN, c[None], (a * b, a, 90.0)),) + tuple(
            _Shape("ellipse", SECOND, (c + (dx * a, -0.15 * a * b))[None], (0.12 * a, 0.1 * a, 0.0))
            for dx in (-0.35, 0.35))
    return Distractor(kind, shapes, (None, paint, second))


def _limb_chain(rng, start, length):
    """Two or three connected capsules that look like a loose limb but belong to no one."""
    shapes, p = [], start
    angle = rng.uniform(0, 2 * math.pi)
    radius = max(1.0, 0.12 * length)
    for _ in range(int(rng.integers(2, 4))):
        q = p + length * np.array([math.cos(angle), math.sin(angle)])
        shapes.append(_Shape("capsule", MAIN, np.stack([p, q]), (radius, radius * 0.8)))
        p, angle, radius = q, angle + rng.uniform(-1.8, 1.8), max(1.0, radius * 0.8)
    return tuple(shapes)


def polygon_distractor(points, colour=(0, 0, 0)) -> Distractor:
    """A solid polygon (N x 2 pixel corners) that is no person: an occluder for built scenes."""
    shape = _Shape("poly", MAIN, np.asarray(points, dtype=np.float64))
    return Distractor("polygon", (shape,), (None, Paint("solid", tuple(int(c) for c in colour))))
