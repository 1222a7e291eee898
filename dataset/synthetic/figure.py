"""A posed body seen from a view, as the shapes that draw it (torso, limbs, head and face, far to
near) and its 17 joints in the camera frame; cached, since people share poses across renders."""
from __future__ import annotations

import functools
import math
from typing import NamedTuple

import numpy as np

from dataset.synthetic.body import (
    _HEAD_AXES, _LONG_TOP_LEVEL, _TORSO, JOINTS, Build, Pose, View, _rx, _ry, _rz, skeleton_3d,
)
from dataset.synthetic.paint import (
    DARK, FOREARM, HAIR, PANTS, SHADE, SHIN, SHOES, SKIN, SLEEVE, TOP,
)
from dataset.synthetic.shapes import _Packed, _pack, _Shape


class _Model(NamedTuple):
    """A person in body-height units, camera frame (x right, y up): 17 joints and packed shapes."""

    joints: np.ndarray
    packed: "_Packed"


def _view_rotation(view: View) -> np.ndarray:
    """Body frame to camera frame (x right, y up, z toward the camera)."""
    return _rz(view.roll) @ _rx(view.pitch) @ _ry(view.yaw)


def _ellipsoid(centre, frame, axes, label, min_scale=0.0) -> _Shape:
    """Orthographic outline of an ellipsoid: its centre and the 2x2 covariance of the projection."""
    m = frame * np.asarray(axes)
    cov = (m @ m.T)[:2, :2]
    size = (cov[0, 0], cov[0, 1], cov[1, 1])
    return _Shape("ellipsoid", label, centre[None, :2], size, min_scale)


def _capsule(a, b, r1, r2, label) -> _Shape:
    """A limb: tapered capsule between two 3-D points (camera frame) with end radii."""
    return _Shape("capsule", label, np.array((a[:2], b[:2])), (r1, r2))


def _torso_outline(levels) -> np.ndarray:
    """Silhouette polygon of stacked elliptic cross-sections (centre, lateral, forward, w, d)."""
    centres = np.array([lv[0][:2] for lv in levels])
    tangents = np.empty_like(centres)
    tangents[1:-1] = centres[2:] - centres[:-2]
    tangents[0], tangents[-1] = centres[1] - centres[0], centres[-1] - centres[-2]
    lengths = np.linalg.norm(tangents, axis=1, keepdims=True)
    tangents = np.where(lengths > 1e-6, tangents / np.maximum(lengths, 1e-9), [0.0, 1.0])
    normals = np.stack([-tangents[:, 1], tangents[:, 0]], axis=1)
    half = np.array([
        math.hypot(w * (lat[:2] @ n), d * (fwd[:2] @ n))
        for (_, lat, fwd, w, d), n in zip(levels, normals)
    ])
    left = centres + half[:, None] * normals
    right = centres - half[:, None] * normals
    return np.concatenate([left, right[::-1]])


def _torso_levels(chest_cam, pelvis_cam, build, long_top):
    """Camera-frame cross-sections of the torso: (centre, lateral axis, forward axis, w, d)."""
    levels = []
    spec = list(_TORSO)
    if long_top:
        spec.insert(1, _LONG_TOP_LEVEL)
    for y, w, d, which in spec:
        frame = chest_cam if which else pelvis_cam
        width = w * (build.shoulders if which else build.hips) * (0.5 + 0.5 * build.girth)
        centre = frame @ np.array([0.0, y, 0.0])
        levels.append((centre, frame[:, 0], frame[:, 2], width, d * build.girth))
    return levels


def _head_shapes(pts, head_cam, build, shade):
    """Hair, face, ears, nose, eyes and mouth, ordered so the visible side is drawn last."""
    axes = _HEAD_AXES * build.head
    facing = head_cam[2, 2]  # how much the face points at the camera
    centre = pts["head"]
    hair = _ellipsoid(centre + head_cam @ (build.head * np.array([0, 0.012, -0.01])), head_cam,
                      axes * (1.02, 1.0, 1.0), HAIR + shade)
    face = _ellipsoid(centre + head_cam @ (build.head * np.array([0, -0.006, 0.008])), head_cam,
                      axes * (0.87, 0.92, 0.87), SKIN + shade)
    ear_axes = build.head * np.array([0.006, 0.016, 0.011])
    ears_back, ears_front = [], []
    for name, s in (("left_ear", 1.0), ("right_ear", -1.0)):
        ear = _ellipsoid(pts[name], head_cam, ear_axes, SKIN + shade)
        (ears_front if (head_cam @ np.array([s, 0, 0]))[2] > 0.3 else ears_back).append(ear)
    nose_axes = build.head * np.array([0.009, 0.012, 0.01])
    nose = _ellipsoid(pts["nose"], head_cam, nose_axes, SKIN + shade)
    details = []
    for name, s in (("left_eye", 1.0), ("right_eye", -1.0)):
        normal = head_cam @ (np.array([0.35 * s, 0.0, 1.0]) / math.hypot(0.35, 1.0))
        if normal[2] > 0.2:
            eye_axes = build.head * np.array([0.008, 0.006, 0.004])
            details.append(_ellipsoid(pts[name], head_cam, eye_axes, DARK, min_scale=45.0))
    if facing > 0.35:
        mouth = centre + head_cam @ (build.head * np.array([0.0, -0.036, 0.044]))
        mouth_axes = build.head * np.array([0.014, 0.004, 0.003])
        details.append(_ellipsoid(mouth, head_cam, mouth_axes, DARK, min_scale=70.0))
    if facing > -0.25:
        return ears_back + [hair, face, nose] + details + ears_front
    return ears_back + [nose, face, hair] + ears_front


def _joint_labels(facing, shades):
    """Slot under each joint's anchor dot (so a joint is always on its own body)."""
    face = SKIN if facing > -0.25 else HAIR
    per_joint = [face] * 5 + [TOP, TOP, SLEEVE, SLEEVE, FOREARM, FOREARM,
                              PANTS, PANTS, PANTS, PANTS, SHIN, SHIN]
    return [lab + shades.get(name, 0) for lab, name in zip(per_joint, JOINTS)]


@functools.lru_cache(maxsize=256)
def _person_model(pose: Pose, build: Build, view: View, long_top: bool) -> _Model:
    """Project the posed body and list its shapes in drawing order (anchors, then far to near)."""
    sk = skeleton_3d(pose, build)
    rot = _view_rotation(view)
    pts = {k: rot @ v for k, v in sk.points.items()}
    chest_cam = rot @ sk.frames["chest"]
    head_cam = rot @ sk.frames["head"]
    g = build.girth
    levels = _torso_levels(chest_cam, rot, build, long_top)
    torso_depth = float(np.mean([lv[0][2] for lv in levels])) + 0.01
    parts = []  # (depth, shapes), sorted far to near below
    shades = {}
    for side in ("left", "right"):
        for name, a, b, r1, r2, label in (
            ("thigh", "hip", "knee", 0.058 * g, 0.045 * g, PANTS),
            ("shank", "knee", "ankle", 0.044 * g, 0.03 * g, SHIN),
            ("foot", "ankle", "toe", 0.028, 0.024, SHOES),
            ("upper_arm", "shoulder", "elbow", 0.04 * g, 0.033 * g, SLEEVE),
            ("forearm", "elbow", "wrist", 0.031 * g, 0.024 * g, FOREARM),
            ("hand", "wrist", "hand", 0.024, 0.021, SKIN),
        ):
            pa, pb = pts[f"{side}_{a}"], pts[f"{side}_{b}"]
            depth = 0.5 * (pa[2] + pb[2])
            shade = SHADE if depth < torso_depth - 0.05 else 0
            shades.setdefault(f"{side}_{a}", shade)
            parts.append((depth, [_capsule(pa, pb, r1, r2, label + shade)]))
    torso = [
        _Shape("poly", PANTS, _torso_outline(levels[: 4 if long_top else 3])),
        _Shape("poly", TOP, _torso_outline(levels[1 if long_top else 2:])),
    ]
    if chest_cam[2, 2] > 0.2:
        neckline = pts["neck"] + chest_cam @ np.array([0.0, -0.012, 0.045 * g])
        torso.append(_ellipsoid(neckline, chest_cam, (0.035, 0.024, 0.004), SKIN, min_scale=40.0))
    parts.append((torso_depth, torso))
    head_shade = SHADE if pts["head"][2] < torso_depth - 0.12 else 0
    chin = 0.5 * (pts["neck"] + pts["head"])
    neck = _capsule(pts["neck"], chin, 0.028 * g, 0.026 * g, SKIN + head_shade)
    parts.append((0.5 * (pts["neck"][2] + pts["head"][2]) + 0.012, [neck]))
    parts.append((pts["head"][2] + 0.025, _head_shapes(pts, head_cam, build, head_shade)))
    parts.sort(key=lambda p: p[0])
    joints = np.array([pts[name] for name in JOINTS])
    labels = _joint_labels(head_cam[2, 2], shades)
    anchors = [_Shape("dot", lab, joints[j : j + 1, :2]) for j, lab in enumerate(labels)]
    shapes = tuple(anchors + [sh for _, group in parts for sh in group])
    return _Model(joints, _pack(shapes, flip=True))
