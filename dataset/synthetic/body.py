"""The body model: pose (joint angles), build (proportions) and view records, the joint-angle
limits, and the posed 3-D skeleton they give; the one place body measurements are declared."""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from dataset.keypoint_formats import get_format

FORMAT = get_format("coco17")
JOINTS = FORMAT.joints
NUM_JOINTS = FORMAT.num_joints

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
