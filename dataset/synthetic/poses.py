"""Random plausible poses by kind (standing, walking, sitting, kneeling, ...), facings and body
builds, clipped to the joint limits, for varied but anatomically possible people."""
from __future__ import annotations

import math

import numpy as np

from dataset.synthetic.body import Arm, Build, Leg, Pose, View, clip_pose
from lib.errors import DatasetError

POSE_KINDS = (
    "stand", "walk", "run", "arms_up", "gesture", "sit", "crouch", "kneel", "bend", "random",
)
_KIND_P = (0.18, 0.14, 0.06, 0.12, 0.10, 0.10, 0.07, 0.05, 0.08, 0.10)


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
