"""Drawing primitives (polygons, capsules, ellipses, dots) packed into arrays and rasterised into
a label window with cv2 in fixed point, without anti-aliasing, so that every pixel has one owner."""
from __future__ import annotations

import math
from typing import NamedTuple

import cv2
import numpy as np

_SHIFT = 4  # cv2 sub-pixel bits
_ONE = 1 << _SHIFT


class _Shape(NamedTuple):
    """A drawing primitive: poly, capsule, ellipsoid (2x2 covariance), ellipse (axes) or dot."""

    kind: str
    label: int
    points: np.ndarray
    size: tuple = ()
    min_scale: float = 0.0  # drawn only when the person is at least this tall (px)


_POLY, _CAPSULE, _ELLIPSE, _DOT = range(4)
_KIND_CODES = {
    "poly": _POLY, "capsule": _CAPSULE, "ellipse": _ELLIPSE, "ellipsoid": _ELLIPSE, "dot": _DOT,
}
_MIN_RADIUS = 0.75  # px; keeps thin limbs and tiny joints on at least one pixel


class _Packed(NamedTuple):
    """Shapes flattened into arrays, so that moving them to pixels is a few array operations."""

    kinds: tuple
    labels: tuple
    starts: np.ndarray  # (K + 1,) shape k owns points[starts[k]:starts[k + 1]]
    sizes: np.ndarray  # (K, 3): capsule r1, r2; ellipse semi-axes and angle (deg, pixel frame)
    min_scale: np.ndarray  # (K,)
    points: np.ndarray  # (N, 2)
    capsules: np.ndarray  # indices of the capsules
    bounds: np.ndarray  # xmin, ymin, xmax, ymax in the packed frame (y up when flipped)


def _ellipse_axes(cov):
    """Semi-axes and angle (degrees) of a 2x2 covariance given as (c00, c01, c11)."""
    c00, c01, c11 = cov
    mean, diff = 0.5 * (c00 + c11), math.hypot(0.5 * (c00 - c11), c01)
    major, minor = math.sqrt(max(mean + diff, 0.0)), math.sqrt(max(mean - diff, 0.0))
    angle = 0.5 * math.degrees(math.atan2(2 * c01, c00 - c11))
    return major, minor, angle


def _pack(shapes, flip: bool) -> _Packed:
    """Pack shapes; ``flip``: they are in units with y up, and will be drawn with y down."""
    kinds, labels, sizes, counts, min_scale, points, reach = [], [], [], [], [], [], []
    for sh in shapes:
        if sh.kind == "ellipsoid":
            c00, c01, c11 = sh.size
            size = _ellipse_axes((c00, -c01 if flip else c01, c11))
            extent = (math.sqrt(c00), math.sqrt(c11))
        elif sh.kind == "ellipse":
            size = sh.size
            extent = (max(sh.size[0], sh.size[1]),) * 2
        elif sh.kind == "capsule":
            size = (sh.size[0], sh.size[1], 0.0)
            extent = (max(sh.size),) * 2
        else:
            size, extent = (0.0, 0.0, 0.0), (0.0, 0.0)
        kinds.append(_KIND_CODES[sh.kind])
        labels.append(int(sh.label))
        sizes.append(size)
        counts.append(len(sh.points))
        min_scale.append(sh.min_scale)
        points.append(sh.points)
        reach.append(extent)
    points = np.concatenate(points)
    reach = np.repeat(np.asarray(reach), counts, axis=0)
    bounds = np.concatenate([(points - reach).min(axis=0), (points + reach).max(axis=0)])
    capsules = np.flatnonzero(np.asarray(kinds) == _CAPSULE)
    starts = np.cumsum([0] + counts)
    return _Packed(tuple(kinds), tuple(labels), starts, np.asarray(sizes, dtype=np.float64),
                   np.asarray(min_scale), points, capsules, bounds)


def _pixel_bounds(packed: _Packed, scale, origin, flip):
    """xmin, ymin, xmax, ymax in pixels of the packed shapes drawn at ``scale`` and ``origin``."""
    xmin, ymin, xmax, ymax = packed.bounds
    ox, oy = origin
    if flip:
        return ox + scale * xmin, oy - scale * ymax, ox + scale * xmax, oy - scale * ymin
    return ox + scale * xmin, oy + scale * ymin, ox + scale * xmax, oy + scale * ymax


def _rasterise(canvas, packed: _Packed, scale, origin, flip, x0, y0):
    """Draw every shape (no anti-aliasing) into the label window with top-left pixel (x0, y0)."""
    sy = -scale if flip else scale
    pts = (np.asarray(origin, dtype=np.float64) - (x0, y0)) + packed.points * (scale, sy)
    fixed = np.rint(pts * _ONE).astype(np.int32)
    centres = fixed.tolist()
    sizes = packed.sizes[:, :2] * scale
    starts = packed.starts
    quads, radii = _capsule_quads(pts, packed, sizes)
    for k, (kind, value) in enumerate(zip(packed.kinds, packed.labels)):
        if packed.min_scale[k] > scale:
            continue
        i = starts[k]
        if kind == _CAPSULE:
            r1, r2 = radii[k]
            if quads[k] is not None:
                cv2.fillPoly(canvas, [quads[k]], value, cv2.LINE_8, _SHIFT)
            cv2.circle(canvas, centres[i], r1, value, -1, cv2.LINE_8, _SHIFT)
            cv2.circle(canvas, centres[i + 1], r2, value, -1, cv2.LINE_8, _SHIFT)
        elif kind == _POLY:
            cv2.fillPoly(canvas, [fixed[i:starts[k + 1]]], value, cv2.LINE_8, _SHIFT)
        elif kind == _ELLIPSE:
            axes = (max(int(sizes[k, 0] * _ONE + 0.5), _ONE // 2),
                    max(int(sizes[k, 1] * _ONE + 0.5), _ONE // 2))
            cv2.ellipse(canvas, centres[i], axes, float(packed.sizes[k, 2]), 0, 360, value, -1,
                        cv2.LINE_8, _SHIFT)
        else:
            cv2.circle(canvas, centres[i], int(_MIN_RADIUS * _ONE), value, -1, cv2.LINE_8, _SHIFT)


def _capsule_quads(pts, packed: _Packed, sizes):
    """Per capsule: the fixed-point quad between its end circles (None if degenerate) and radii."""
    quads, radii = {}, {}
    idx = packed.capsules
    if len(idx) == 0:
        return quads, radii
    a = pts[packed.starts[idx]]
    b = pts[packed.starts[idx] + 1]
    r = np.maximum(sizes[idx], _MIN_RADIUS)
    d = b - a
    length = np.hypot(d[:, 0], d[:, 1])
    n = np.stack([-d[:, 1], d[:, 0]], axis=1) / np.maximum(length, 1e-9)[:, None]
    r1, r2 = r[:, :1], r[:, 1:]
    quad = np.stack([a + r1 * n, b + r2 * n, b - r2 * n, a - r1 * n], axis=1)
    quad = np.rint(quad * _ONE).astype(np.int32)
    r_fixed = np.rint(r * _ONE).astype(int).tolist()
    for j, k in enumerate(idx.tolist()):
        quads[k] = quad[j] if length[j] > 1e-6 else None
        radii[k] = r_fixed[j]
    return quads, radii
