"""Synthetic multi-person images with exact COCO-17 ground truth (tests, benchmarks, training).

People are articulated 3-D bodies (human proportions, joint-angle limits, poses from standing to
crouching, any facing) projected orthographically and painted as filled capsules, polygons and
ellipses over cluttered backgrounds, together with distractor shapes that are not people. Every
drawn pixel also goes into an owner map (which item painted it last), so joint visibility follows
the picture exactly: 2 visible, 1 covered by something drawn later (self-occlusion counts as
visible), 0 outside the image with x = y = 0, as COCO does.

Coordinates are pixel indices: pixel (row r, column c) has its centre at (x, y) = (c, r); a joint
is inside the image when 0 <= x <= width - 1 and 0 <= y <= height - 1, and the pixel under it is
(round(y), round(x)).

Command: ``python -m dataset.synthetic --out DIR --num N --size H W --people MIN MAX --seed S
[--min-height PX]``.
"""
from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import logging
import math
import os
import time
from dataclasses import dataclass, field
from typing import NamedTuple

import cv2
import numpy as np
from tqdm import tqdm

from dataset.keypoint_formats import get_format
from lib.errors import DatasetError

__all__ = [
    "Arm",
    "Leg",
    "Pose",
    "View",
    "Build",
    "Paint",
    "Appearance",
    "PersonSpec",
    "Distractor",
    "Scene",
    "Skeleton",
    "JOINT_LIMITS",
    "POSE_KINDS",
    "sample_pose",
    "sample_person",
    "sample_distractor",
    "polygon_distractor",
    "joint_positions",
    "skeleton_3d",
    "clip_pose",
    "compose_scene",
    "draw_scene",
    "render_scene",
    "generate_dataset",
    "main",
]

logger = logging.getLogger(__name__)

FORMAT = get_format("coco17")
JOINTS = FORMAT.joints
NUM_JOINTS = FORMAT.num_joints
BACKGROUND = -1

# Paint slots of a person; a label value is slot + SHADE * shade level (far-side limbs darker).
SKIN, HAIR, TOP, SLEEVE, FOREARM, PANTS, SHIN, SHOES, DARK = range(1, 10)
MAIN, SECOND = 1, 2  # distractor slots
SHADE = 16
SHADE_FACTOR = 0.72
_SHIFT = 4  # cv2 sub-pixel bits
_ONE = 1 << _SHIFT

POSE_KINDS = (
    "stand", "walk", "run", "arms_up", "gesture", "sit", "crouch", "kneel", "bend", "random",
)
_KIND_P = (0.18, 0.14, 0.06, 0.12, 0.10, 0.10, 0.07, 0.05, 0.08, 0.10)

# Joint-angle limits in degrees (the one place they are declared); clip_pose enforces them.
JOINT_LIMITS = {
    "arm.abduction": (-30.0, 180.0),
    "arm.flexion": (-60.0, 180.0),
    "arm.rotation": (-70.0, 90.0),
    "arm.elbow": (0.0, 150.0),
    "leg.flexion": (-30.0, 125.0),
    "leg.abduction": (-20.0, 50.0),
    "leg.rotation": (-30.0, 45.0),
    "leg.knee": (0.0, 150.0),
    "leg.ankle": (-30.0, 40.0),
    "lean": (-20.0, 60.0),
    "side_bend": (-25.0, 25.0),
    "twist": (-35.0, 35.0),
    "head_yaw": (-70.0, 70.0),
    "head_pitch": (-35.0, 40.0),
    "head_roll": (-25.0, 25.0),
}


# ---------------------------------------------------------------------------------------------
# Records: pose, view, build, appearance, people, distractors, scenes.


@dataclass(frozen=True)
class Arm:
    """One arm's angles (degrees): sideways and forward raise, humeral rotation, elbow bend."""

    abduction: float = 0.0  # 0 hanging, 90 horizontal to the side, 180 overhead
    flexion: float = 0.0  # forward raise; negative swings the arm backward
    rotation: float = 0.0  # positive turns the forearm's bend outward (external rotation)
    elbow: float = 0.0  # 0 straight; the forearm only bends toward the front of the upper arm


@dataclass(frozen=True)
class Leg:
    """One leg's angles (degrees): hip flexion, abduction, rotation, knee and ankle bend."""

    flexion: float = 0.0  # thigh forward; 90 is sitting
    abduction: float = 0.0
    rotation: float = 0.0
    knee: float = 0.0  # 0 straight; the shank only bends backward
    ankle: float = 0.0


@dataclass(frozen=True)
class Pose:
    """A whole-body pose: four limbs, torso lean/bend/twist (at the hips) and head turn."""

    left_arm: Arm = Arm()
    right_arm: Arm = Arm()
    left_leg: Leg = Leg()
    right_leg: Leg = Leg()
    lean: float = 0.0
    side_bend: float = 0.0
    twist: float = 0.0
    head_yaw: float = 0.0
    head_pitch: float = 0.0
    head_roll: float = 0.0
    kind: str = "custom"


@dataclass(frozen=True)
class View:
    """How the camera sees a person: yaw 0 faces the camera, 180 shows the back, 90 faces right."""

    yaw: float = 0.0
    roll: float = 0.0  # in-image tilt, counter-clockwise
    pitch: float = 0.0  # camera elevation


@dataclass(frozen=True)
class Build:
    """Body proportions as factors of the average adult (1.0 each)."""

    head: float = 1.0
    shoulders: float = 1.0
    hips: float = 1.0
    girth: float = 1.0
    arms: float = 1.0
    legs: float = 1.0


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


@dataclass(frozen=True)
class PersonSpec:
    """Everything needed to draw one person: pose, body, view, paints, standing height (px) and
    the pixel position of the point between the hip joints."""

    pose: Pose
    build: Build
    view: View
    appearance: Appearance
    height: float
    origin: tuple


@dataclass(frozen=True)
class Distractor:
    """A non-person item: shapes in pixels (drawn in order) and its paints by slot."""

    kind: str
    shapes: tuple
    paints: tuple


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


class _Shape(NamedTuple):
    """A drawing primitive: poly, capsule, ellipsoid (2x2 covariance), ellipse (axes) or dot."""

    kind: str
    label: int
    points: np.ndarray
    size: tuple = ()
    min_scale: float = 0.0  # drawn only when the person is at least this tall (px)


class _Model(NamedTuple):
    """A person in body-height units, camera frame (x right, y up): 17 joints and packed shapes."""

    joints: np.ndarray
    packed: "_Packed"


# ---------------------------------------------------------------------------------------------
# Body geometry.


def _rx(deg):
    """Rotation about x (positive turns +y toward +z)."""
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    return np.array([[1.0, 0, 0], [0, c, -s], [0, s, c]])


def _ry(deg):
    """Rotation about y (positive turns +z toward +x)."""
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    return np.array([[c, 0, s], [0, 1.0, 0], [-s, 0, c]])


def _rz(deg):
    """Rotation about z (positive turns +x toward +y)."""
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1.0]])


_DOWN = np.array([0.0, -1.0, 0.0])
_FOOT = np.array([0.0, -0.3, 1.0]) / math.hypot(0.3, 1.0)

# Lengths in units of standing height; body frame x = the person's left, y up, z forward,
# origin between the hip joints (0.52 above the floor).
_HIP_HALF, _THIGH, _SHANK, _FOOT_LEN = 0.062, 0.24, 0.24, 0.11
_SHOULDER_HALF, _SHOULDER_Y, _NECK_Y, _NECK_LEN = 0.1, 0.292, 0.325, 0.095
_UPPER_ARM, _FOREARM, _HAND = 0.175, 0.15, 0.07
_HEAD_AXES = np.array([0.046, 0.062, 0.054])
_FACE_POINTS = {  # head frame, relative to the head centre
    "nose": (0.0, -0.006, 0.056),
    "left_eye": (0.02, 0.012, 0.043),
    "right_eye": (-0.02, 0.012, 0.043),
    "left_ear": (0.047, 0.0, -0.004),
    "right_ear": (-0.047, 0.0, -0.004),
}
# Torso cross-sections: height, half width, half depth, frame (0 pelvis, 1 chest).
_TORSO = (
    (-0.055, 0.090, 0.055, 0),
    (0.0, 0.106, 0.064, 0),
    (0.07, 0.097, 0.060, 0),
    (0.14, 0.088, 0.056, 1),
    (0.22, 0.100, 0.068, 1),
    (0.285, 0.112, 0.062, 1),
    (0.325, 0.060, 0.045, 1),
)
_LONG_TOP_LEVEL = (-0.035, 0.097, 0.061, 0)


class Skeleton(NamedTuple):
    """A posed body in the body frame: named 3-D points and the rotation frames that placed them."""

    points: dict
    frames: dict


def skeleton_3d(pose: Pose, build: Build = Build()) -> Skeleton:
    """The 3-D joints and segment frames of ``pose`` (x left, y up, z forward; unit height).

    Frames: ``chest``, ``head``, and per side ``{side}_leg`` / ``{side}_arm`` (hip and shoulder
    rotations); the knee bends about ``{side}_leg`` x, the elbow about ``{side}_arm`` -x.
    """
    chest = _rx(pose.lean) @ _rz(pose.side_bend) @ _ry(pose.twist)
    head = chest @ _ry(pose.head_yaw) @ _rx(pose.head_pitch) @ _rz(pose.head_roll)
    points = {"pelvis": np.zeros(3)}
    frames = {"chest": chest, "head": head}
    for side, s, leg, arm in (
        ("left", 1.0, pose.left_leg, pose.left_arm),
        ("right", -1.0, pose.right_leg, pose.right_arm),
    ):
        hip = np.array([s * _HIP_HALF * build.hips, 0.0, 0.0])
        r_leg = _rz(s * leg.abduction) @ _rx(-leg.flexion) @ _ry(s * leg.rotation)
        r_shank = r_leg @ _rx(leg.knee)
        knee = hip + _THIGH * build.legs * (r_leg @ _DOWN)
        ankle = knee + _SHANK * build.legs * (r_shank @ _DOWN)
        toe = ankle + _FOOT_LEN * (r_shank @ _rx(-leg.ankle) @ _FOOT)
        shoulder = chest @ np.array([s * _SHOULDER_HALF * build.shoulders, _SHOULDER_Y, 0.0])
        r_arm = chest @ _rz(s * arm.abduction) @ _rx(-arm.flexion) @ _ry(s * arm.rotation)
        r_fore = r_arm @ _rx(-arm.elbow)
        elbow = shoulder + _UPPER_ARM * build.arms * (r_arm @ _DOWN)
        wrist = elbow + _FOREARM * build.arms * (r_fore @ _DOWN)
        hand = wrist + _HAND * build.arms * (r_fore @ _DOWN)
        points.update({
            f"{side}_hip": hip, f"{side}_knee": knee, f"{side}_ankle": ankle,
            f"{side}_toe": toe, f"{side}_shoulder": shoulder, f"{side}_elbow": elbow,
            f"{side}_wrist": wrist, f"{side}_hand": hand,
        })
        frames[f"{side}_leg"] = r_leg
        frames[f"{side}_arm"] = r_arm
    neck = chest @ np.array([0.0, _NECK_Y, 0.0])
    head_centre = neck + head @ np.array([0.0, _NECK_LEN, 0.008])
    points["neck"] = neck
    points["head"] = head_centre
    for name, offset in _FACE_POINTS.items():
        points[name] = head_centre + build.head * (head @ np.asarray(offset))
    return Skeleton(points, frames)


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


# ---------------------------------------------------------------------------------------------
# Shapes: packing, bounds, rasterisation.

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


# ---------------------------------------------------------------------------------------------
# Paints and compositing.


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


# ---------------------------------------------------------------------------------------------
# Sampling: poses, views, bodies, appearance, people, distractors, backgrounds.


def _limit(name, value):
    """``value`` clipped to the JOINT_LIMITS entry ``name``."""
    lo, hi = JOINT_LIMITS[name]
    return float(min(max(value, lo), hi))


def clip_pose(pose: Pose) -> Pose:
    """``pose`` with every angle clipped to JOINT_LIMITS."""
    arms = [Arm(*(_limit(f"arm.{f.name}", getattr(a, f.name)) for f in dataclasses.fields(Arm)))
            for a in (pose.left_arm, pose.right_arm)]
    legs = [Leg(*(_limit(f"leg.{f.name}", getattr(g, f.name)) for f in dataclasses.fields(Leg)))
            for g in (pose.left_leg, pose.right_leg)]
    rest = {k: _limit(k, getattr(pose, k))
            for k in ("lean", "side_bend", "twist", "head_yaw", "head_pitch", "head_roll")}
    return Pose(arms[0], arms[1], legs[0], legs[1], kind=pose.kind, **rest)


def _relaxed_arm(rng):
    """An arm hanging near the body, elbow a little bent."""
    u = rng.uniform
    return Arm(u(2, 22), u(-15, 25), u(-20, 40), u(0, 35))


def _raised_arm(rng):
    """An arm raised sideways or forward above the shoulder."""
    u = rng.uniform
    if rng.random() < 0.5:
        return Arm(u(100, 178), u(-10, 30), u(0, 80), u(0, 90))
    return Arm(u(0, 40), u(100, 178), u(-20, 60), u(0, 90))


def _gesture_arm(rng):
    """Pointing, waving, hand on hip, or hand to face/chest."""
    u = rng.uniform
    k = rng.integers(4)
    if k == 0:  # pointing / reaching
        return Arm(u(-10, 60), u(50, 120), u(-20, 40), u(0, 25))
    if k == 1:  # waving
        return Arm(u(60, 140), u(-10, 40), u(50, 90), u(60, 130))
    if k == 2:  # hand on hip
        return Arm(u(25, 50), u(-25, 5), u(-70, -35), u(80, 130))
    return Arm(u(0, 40), u(20, 70), u(-50, 10), u(90, 145))  # hand to face or chest


def _standing_leg(rng):
    """A standing leg: nearly straight, slightly apart and turned out."""
    u = rng.uniform
    return Leg(u(-5, 10), u(0, 10), u(-5, 25), u(0, 12), u(-5, 5))


def _walk_pose(rng, run):
    """Legs and arms in counter-phase; running swings wider with bent elbows."""
    u = rng.uniform
    phase = u(0, 2 * math.pi)
    amp = u(30, 55) if run else u(12, 32)
    sin, cos = math.sin(phase), math.cos(phase)
    knee_extra = (1.6 if run else 1.0) * amp
    legs = [Leg(s * amp * sin + u(-3, 3), u(0, 8), u(0, 20),
                u(0, 10) + max(0.0, s * knee_extra * cos), u(-10, 15)) for s in (1.0, -1.0)]
    elbow_range = (70, 110) if run else (5, 40)
    arms = [Arm(u(3, 15), -s * 0.8 * amp * sin, u(-10, 30), u(*elbow_range)) for s in (1.0, -1.0)]
    return arms, legs, (u(5, 20) if run else u(-3, 8))


def _limbs_for(kind, rng):
    """Arms, legs and torso lean for one pose kind."""
    u = rng.uniform
    if kind in ("walk", "run"):
        return _walk_pose(rng, kind == "run")
    if kind == "arms_up":
        arms = [_raised_arm(rng), _raised_arm(rng) if rng.random() < 0.6 else _relaxed_arm(rng)]
        return arms, [_standing_leg(rng), _standing_leg(rng)], u(-10, 10)
    if kind == "gesture":
        arms = [_gesture_arm(rng), _gesture_arm(rng) if rng.random() < 0.4 else _relaxed_arm(rng)]
        return arms, [_standing_leg(rng), _standing_leg(rng)], u(-5, 12)
    if kind == "sit":
        legs = [Leg(u(70, 100), u(0, 25), u(-10, 30), u(70, 110), u(-10, 20)) for _ in range(2)]
        arms = [Arm(u(0, 20), u(0, 60), u(-30, 30), u(20, 100)) for _ in range(2)]
        return arms, legs, u(-15, 15)
    if kind == "crouch":
        legs = [Leg(u(90, 125), u(5, 35), u(0, 35), u(110, 150), u(10, 35)) for _ in range(2)]
        arms = [Arm(u(0, 30), u(0, 80), u(-30, 40), u(10, 110)) for _ in range(2)]
        return arms, legs, u(15, 55)
    if kind == "kneel":
        legs = [Leg(u(-5, 15), u(0, 15), u(-5, 20), u(80, 110), u(-20, 10)),
                Leg(u(70, 100), u(0, 15), u(-5, 20), u(70, 100), u(-10, 15))]
        return [_relaxed_arm(rng), _gesture_arm(rng)], legs, u(-5, 15)
    if kind == "bend":
        arms = [Arm(u(0, 30), u(20, 100), u(-30, 30), u(0, 60)) for _ in range(2)]
        return arms, [_standing_leg(rng), _standing_leg(rng)], u(25, 60)
    if kind == "random":
        arms = [Arm(u(-20, 170), u(-40, 150), u(-60, 80), u(0, 140)) for _ in range(2)]
        legs = [Leg(u(-20, 110), u(-10, 40), u(-20, 40), u(0, 140), u(-20, 30)) for _ in range(2)]
        return arms, legs, u(-15, 45)
    arms = [_relaxed_arm(rng), _relaxed_arm(rng)]
    return arms, [_standing_leg(rng), _standing_leg(rng)], u(-5, 10)


def sample_pose(rng, kind: str | None = None) -> Pose:
    """A random plausible pose of ``kind`` (one of POSE_KINDS; any when None) within limits."""
    rng = np.random.default_rng(rng)
    if kind is None:
        kind = POSE_KINDS[rng.choice(len(POSE_KINDS), p=_KIND_P)]
    if kind not in POSE_KINDS:
        raise DatasetError(f"pose kind {kind!r}: expected one of {', '.join(POSE_KINDS)}")
    arms, legs, lean = _limbs_for(kind, rng)
    if rng.random() < 0.5:
        arms, legs = arms[::-1], legs[::-1]
    pose = Pose(arms[0], arms[1], legs[0], legs[1], lean=lean,
                side_bend=rng.normal(0, 6), twist=rng.normal(0, 10), head_yaw=rng.normal(0, 25),
                head_pitch=rng.normal(0, 12), head_roll=rng.normal(0, 7), kind=kind)
    return clip_pose(pose)


def _sample_view(rng) -> View:
    """Facing: mostly front, back or profile, sometimes any; a few people lean sideways."""
    u = rng.uniform
    r = rng.random()
    if r < 0.35:
        yaw = rng.normal(0, 20)
    elif r < 0.55:
        yaw = 180 + rng.normal(0, 20)
    elif r < 0.8:
        yaw = rng.choice([-90.0, 90.0]) + rng.normal(0, 20)
    else:
        yaw = u(-180, 180)
    roll = u(-25, 25) if rng.random() < 0.15 else rng.normal(0, 3)
    return View(float((yaw + 180) % 360 - 180), float(roll), float(u(-5, 20)))


def _sample_build(rng) -> Build:
    """Adult proportions varied by about +-10 % (head, shoulders, hips, limbs), girth more."""
    u = rng.uniform
    return Build(u(0.9, 1.1), u(0.88, 1.15), u(0.88, 1.15), u(0.8, 1.3), u(0.95, 1.05),
                 u(0.95, 1.05))


def _colour(rng, lo=0, hi=256):
    """A random RGB colour with channels in [lo, hi)."""
    return tuple(int(c) for c in rng.integers(lo, hi, 3))


_SKIN_LIGHT = np.array([250.0, 222.0, 196.0])
_SKIN_DARK = np.array([72.0, 46.0, 32.0])
_HAIR = ((25, 20, 18), (60, 40, 28), (110, 75, 45), (215, 185, 120), (150, 65, 30), (165, 165, 160))


def _skin_paint(rng) -> Paint:
    """A skin tone from light to dark, sometimes mottled, rarely any colour (paint, gloves)."""
    if rng.random() < 0.04:
        return Paint("solid", _colour(rng))
    c = _SKIN_DARK + rng.random() * (_SKIN_LIGHT - _SKIN_DARK) + rng.normal(0, 8, 3)
    c = tuple(int(v) for v in np.clip(c, 0, 255))
    if rng.random() < 0.2:
        dark = tuple(int(v * 0.85) for v in c)
        return Paint("noise", c, dark, period=4.0, seed=int(rng.integers(1 << 30)))
    return Paint("solid", c)


def _hair_paint(rng, skin: Paint) -> Paint:
    """A natural hair colour, sometimes dyed, sometimes none (bald: the skin)."""
    r = rng.random()
    if r < 0.05:
        return skin  # bald
    if r < 0.1:
        return Paint("solid", _colour(rng))
    base = np.array(_HAIR[rng.integers(len(_HAIR))], dtype=np.float64) + rng.normal(0, 10, 3)
    return Paint("solid", tuple(int(v) for v in np.clip(base, 0, 255)))


def _clothing_paint(rng, height) -> Paint:
    """Solid, striped, checked, noisy or graded cloth with a period that suits the person's size."""
    kind = ("solid", "stripes", "checker", "noise", "gradient")[
        rng.choice(5, p=(0.4, 0.2, 0.1, 0.15, 0.15))]
    c1 = _colour(rng)
    c2 = _colour(rng) if rng.random() < 0.6 else tuple(int(v * 0.55) for v in c1)
    period = max(2.0, float(rng.uniform(0.02, 0.09) * height))
    return Paint(kind, c1, c2, float(rng.uniform(0, math.pi)), period, int(rng.integers(1 << 30)))


def _sample_appearance(rng, height) -> Appearance:
    """Skin, hair, two-tone clothes (sleeves, shorts, sleeveless), shoes and face details."""
    skin = _skin_paint(rng)
    top = _clothing_paint(rng, height)
    pants = _clothing_paint(rng, height)
    r = rng.random()
    sleeve = top if r < 0.6 else (_clothing_paint(rng, height) if r < 0.85 else skin)
    forearm = sleeve if rng.random() < 0.5 else skin
    shin = pants if rng.random() < 0.7 else skin
    shoes = Paint("solid", _colour(rng, 0, 120) if rng.random() < 0.7 else _colour(rng))
    dark = Paint("solid", _colour(rng, 10, 50))
    paints = (None, skin, _hair_paint(rng, skin), top, sleeve, forearm, pants, shin, shoes, dark)
    return Appearance(paints, bool(rng.random() < 0.3))


def sample_person(rng, height_px: float, centre=(0.0, 0.0), *, kind: str | None = None,
                  view: View | None = None) -> PersonSpec:
    """A random person ``height_px`` tall (standing), drawn box centred at ``centre`` (x, y)."""
    rng = np.random.default_rng(rng)
    pose = sample_pose(rng, kind)
    build = _sample_build(rng)
    view = _sample_view(rng) if view is None else view
    appearance = _sample_appearance(rng, height_px)
    return _place(PersonSpec(pose, build, view, appearance, float(height_px), (0.0, 0.0)), centre)


def _model_of(spec: PersonSpec) -> _Model:
    """The (cached) unit-height model of a person."""
    return _person_model(spec.pose, spec.build, spec.view, spec.appearance.long_top)


def _place(spec: PersonSpec, centre) -> PersonSpec:
    """``spec`` moved so that its drawn box is centred at ``centre``."""
    xmin, ymin, xmax, ymax = _model_of(spec).packed.bounds
    s = spec.height
    origin = (float(centre[0] - s * 0.5 * (xmin + xmax)),
              float(centre[1] + s * 0.5 * (ymin + ymax)))
    return dataclasses.replace(spec, origin=origin)


def _extent(spec: PersonSpec):
    """Width and height (px) of the person's drawn box."""
    xmin, ymin, xmax, ymax = _model_of(spec).packed.bounds
    return spec.height * (xmax - xmin), spec.height * (ymax - ymin)


def _single_person(rng, height, width) -> PersonSpec:
    """One whole, roughly centred person filling 60-92 % of the image (single-person training)."""
    spec = sample_person(rng, height)
    w, h = _extent(spec)
    fill = rng.uniform(0.6, 0.92)
    spec = dataclasses.replace(spec, height=spec.height * fill / max(w / width, h / height))
    w, h = _extent(spec)
    jx, jy = 0.5 * max(0.0, 0.96 * width - w), 0.5 * max(0.0, 0.96 * height - h)
    centre = (width / 2 + 0.5 * rng.uniform(-jx, jx), height / 2 + 0.5 * rng.uniform(-jy, jy))
    return _place(spec, centre)


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


# ---------------------------------------------------------------------------------------------
# Scenes.


def _joint_pixels(spec: PersonSpec, model: _Model):
    """Joint positions (17 x 2, pixels) of a placed person."""
    return np.asarray(spec.origin) + spec.height * model.joints[:, :2] * (1.0, -1.0)


def joint_positions(spec: PersonSpec) -> np.ndarray:
    """Where a placed person's 17 joints are (x, y pixels), inside the image or not."""
    return _joint_pixels(spec, _model_of(spec))


def polygon_distractor(points, colour=(0, 0, 0)) -> Distractor:
    """A solid polygon (N x 2 pixel corners) that is no person: an occluder for built scenes."""
    shape = _Shape("poly", MAIN, np.asarray(points, dtype=np.float64))
    return Distractor("polygon", (shape,), (None, Paint("solid", tuple(int(c) for c in colour))))


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


# ---------------------------------------------------------------------------------------------
# Datasets on disk.


def _check_size(height, width):
    """DatasetError unless the image is at least 8 x 8."""
    if int(height) < 8 or int(width) < 8:
        raise DatasetError(f"image size: expected height and width >= 8, got {height} x {width}")


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


def _category():
    """The COCO person category with coco17 keypoint names and the 1-based skeleton."""
    return {
        "id": 1, "name": "person", "supercategory": "person",
        "keypoints": list(JOINTS),
        "skeleton": [[a + 1, b + 1] for a, b in FORMAT.skeleton],
    }


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
        "categories": [_category()],
    }
    json_path = os.path.join(out_dir, "person_keypoints.json")
    with open(json_path, "w", encoding="utf-8") as f:
        json.dump(coco, f, separators=(",", ":"))
    logger.info("wrote %d images, %d people to %s", len(images), len(annotations), json_path)
    return json_path


def main(argv=None):
    """Command line: write a synthetic COCO keypoints dataset and print a one-line summary."""
    parser = argparse.ArgumentParser(prog="python -m dataset.synthetic",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--num", type=int, default=100, help="number of images")
    parser.add_argument("--size", type=int, nargs=2, default=(320, 320), metavar=("H", "W"))
    parser.add_argument("--people", type=int, nargs=2, default=(1, 12), metavar=("MIN", "MAX"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--format", choices=("png", "jpg"), default="png")
    parser.add_argument("--min-height", type=float, default=30.0,
                        help="smallest standing height of a person in pixels (multi-person scenes)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        path = generate_dataset(args.out, args.num, args.size[0], args.size[1], tuple(args.people),
                                args.seed, args.format, progress=True,
                                min_height=args.min_height)
    except DatasetError as err:
        parser.error(str(err))
    with open(path, encoding="utf-8") as f:
        count = len(json.load(f)["annotations"])
    print(f"wrote {args.num} images ({args.size[0]}x{args.size[1]}), {count} people, "
          f"to {path} in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
