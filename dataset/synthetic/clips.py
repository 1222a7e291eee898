"""Synthetic video clips with identities: people walk, turn, cross and occlude each other, and enter
and leave the frame, with exact COCO-17 ground truth per frame in PoseTrack 2018's JSON layout.

A clip is a static camera on a cluttered background (and a few fixed distractors); each person
walks at a speed and heading of their own, with a gait (legs and arms swing in counter-phase, the
shoulders twist), a body that sways and may turn its heading, and a head that looks around. The
ground recedes upward: a nearer person stands lower and taller, and is drawn later, so people
occlude each other by depth. Frames are painted by the still-image generator (``scene``,
``person``, ``paint``); visibility follows the picture: 2 visible, 1 covered by something nearer,
0 outside the image. A person with no joint inside the image is absent from that frame. Head
boxes surround the head and contain its five face joints.

When asked (``enter``, ``leave``, ``cross``) and the clip has at least 3 frames: person 0 enters
from outside the frame (else leaves it), person 1 crosses person 0 at another depth (leaving the
frame when both ``enter`` and ``leave`` are asked) and the others walk freely. Track ids are the
people's indices. The same seed gives the same bytes.

Command: ``python -m dataset.synthetic.clips --out DIR --clips N --frames F --size H W
--people MIN MAX --seed S`` writes ``DIR/<clip>/NNNNNN.png`` and ``DIR/<clip>.json`` per clip.
"""
from __future__ import annotations

import argparse
import dataclasses
import logging
import math
import os
import sys
import time
from dataclasses import dataclass
from typing import Optional

import cv2
import numpy as np
from tqdm import tqdm

from dataset.posetrack import write_posetrack
from dataset.synthetic.background import _background, _postprocess
from dataset.synthetic.body import _HEAD_AXES, FORMAT, NUM_JOINTS, Arm, Leg, Pose, View, clip_pose
from dataset.synthetic.distractors import Distractor, sample_distractor
from dataset.synthetic.person import PersonSpec, joint_positions, sample_person
from dataset.synthetic.scene import _check_size, compose_scene
from dataset.tracks import FramePeople, TrackedVideo, frame_people
from lib.errors import DatasetError

__all__ = ["DISTRACTOR_OWNER", "ClipFrame", "generate_clips", "main", "render_clip", "tracked_video"]

logger = logging.getLogger(__name__)

HIP_HEIGHT = 0.52
"""Height of the point between the hips above the floor, in standing heights (body.py's frame)."""
FAR_FEET, NEAR_FEET = 0.55, 0.98
"""Where the farthest (depth 0) and nearest (depth 1) people stand, as fractions of the image height."""
DEPTH_SPAN = 3.0
"""Ground depth from far to near in image heights: walking toward the camera changes depth slowly."""
HALF_WIDTH = 0.45
"""Upper bound on how far a walking person's joints reach sideways from the hips, in heights."""
DISTRACTOR_OWNER = -2
"""Owner-map value of distractor pixels (background is -1, people their track id)."""


@dataclass(frozen=True)
class ClipFrame:
    """One rendered frame: the image (H, W, 3) uint8 RGB, its ground truth (coco17, track ids,
    head boxes), each present person's depth (0 far .. 1 near; nearer is drawn later) and standing
    height in pixels, and the owner map (H, W): -1 background, -2 distractor, else a track id."""

    image: np.ndarray
    people: FramePeople
    depth: np.ndarray
    heights: np.ndarray
    owner: np.ndarray


@dataclass(frozen=True)
class _Gait:
    """A walker's fixed gait and look: swing amplitudes, resting angles, sway and head turning."""

    amp: float
    knee_amp: float
    knee: tuple
    leg_abduction: tuple
    leg_rotation: tuple
    ankle: tuple
    arm_abduction: tuple
    arm_rotation: tuple
    elbow: tuple
    lean: float
    side_bend: float
    head_pitch: float
    head_roll: float
    look: float
    look_rate: float
    look_phase: float
    sway: float
    sway_rate: float
    sway_phase: float
    view_pitch: float


@dataclass(frozen=True)
class _Walker:
    """A person's whole walk: looks (spec), per-frame hip x, depth, heading and gait phase."""

    spec: PersonSpec
    gait: _Gait
    x: np.ndarray
    z: np.ndarray
    heading: np.ndarray
    phase: np.ndarray


def _sample_gait(rng) -> _Gait:
    """Per-person gait constants, within the ranges of the still generator's walking poses."""
    u = rng.uniform
    pair = lambda lo, hi: (float(u(lo, hi)), float(u(lo, hi)))  # noqa: E731
    return _Gait(float(u(14, 30)), float(u(15, 35)), pair(2, 10), pair(0, 6), pair(0, 15), pair(-5, 10),
                 pair(3, 14), pair(-10, 25), pair(5, 40), float(u(-3, 8)), float(rng.normal(0, 3)),
                 float(rng.normal(0, 8)), float(rng.normal(0, 4)), float(u(0, 55)), float(u(0.15, 0.6)),
                 float(u(0, 2 * math.pi)), float(u(0, 20)), float(u(0.1, 0.4)), float(u(0, 2 * math.pi)),
                 float(u(-5, 15)))


def _pose(gait: _Gait, phase: float, t: int) -> Pose:
    """The walking pose at gait ``phase`` and frame ``t``: legs and arms in counter-phase."""
    sin, cos = math.sin(phase), math.cos(phase)
    legs = [Leg(s * gait.amp * sin, gait.leg_abduction[i], gait.leg_rotation[i],
                gait.knee[i] + max(0.0, s * gait.knee_amp * cos), gait.ankle[i])
            for i, s in enumerate((1.0, -1.0))]
    arms = [Arm(gait.arm_abduction[i], -s * 0.8 * gait.amp * sin, gait.arm_rotation[i], gait.elbow[i])
            for i, s in enumerate((1.0, -1.0))]
    head_yaw = gait.look * math.sin(gait.look_rate * t + gait.look_phase)
    return clip_pose(Pose(arms[0], arms[1], legs[0], legs[1], lean=gait.lean, side_bend=gait.side_bend,
                          twist=0.3 * gait.amp * sin, head_yaw=head_yaw, head_pitch=gait.head_pitch,
                          head_roll=gait.head_roll, kind="walk"))


class _Ground:
    """The scene's ground: standing height and hip line of a person at each depth."""

    def __init__(self, height: int, width: int, min_height: float, max_height: float):
        self.height, self.width = height, width
        self.min_height, self.max_height = min_height, max_height

    def person_height(self, z):
        """Standing height in pixels at depth ``z`` (log-linear from far to near)."""
        return self.min_height * (self.max_height / self.min_height) ** np.asarray(z, dtype=np.float64)

    def hip_y(self, z):
        """Image row of the hips of a person standing at depth ``z``."""
        z = np.asarray(z, dtype=np.float64)
        return self.height * (FAR_FEET + (NEAR_FEET - FAR_FEET) * z) - HIP_HEIGHT * self.person_height(z)

    def outside(self, side: float, z: float) -> float:
        """Hip x at which a person at depth ``z`` is wholly beyond the ``side`` (-1 left, +1 right) edge."""
        reach = HALF_WIDTH * float(self.person_height(z)) + 2.0
        return -reach if side < 0 else self.width - 1 + reach


def _track(frames: int, anchor_t: int, anchor_x: float, anchor_z: float, heading0: float, turn: float,
           speed: float, depth_px: float):
    """x, z (clipped to 0..1) and heading per frame of a walk through (anchor_t, anchor_x, anchor_z)."""
    t = np.arange(frames, dtype=np.float64)
    heading = heading0 + turn * (t - anchor_t)
    rad = np.radians(heading)
    vx, vz = speed * np.sin(rad), speed * np.cos(rad) / depth_px
    px = np.concatenate([[0.0], np.cumsum(vx[:-1])])
    pz = np.concatenate([[0.0], np.cumsum(vz[:-1])])
    x = anchor_x + px - px[anchor_t]
    z = np.clip(anchor_z + pz - pz[anchor_t], 0.0, 1.0)
    return x, z, heading


def _other_depth(rng, z: float) -> float:
    """A depth 0.25-0.45 nearer or farther than ``z`` (within 0..1), so two people overlap by depth."""
    gap = float(rng.uniform(0.25, 0.45))
    nearer = z + gap <= 1.0 and (z < gap or rng.random() < 0.5)
    return min(max(z + (gap if nearer else -gap), 0.0), 1.0)


def _plan(rng, frames: int, ground: _Ground, count: int, enter: bool, leave: bool, cross: bool,
          speed: tuple) -> list:
    """Each person's walk (x, depth, heading per frame), with the roles the module docstring names.

    Person 0 enters (else leaves); with both asked, person 1 leaves toward the edge person 0 came
    in from, so that the two cross; with only one asked, person 1 crosses person 0 at a frame
    where person 0 is well inside. Entering and leaving people walk sideways at a constant
    depth, at least fast enough to get from wholly outside to well inside in 60 % of the clip.
    """
    last = frames - 1
    roled = frames >= 3
    depth_px = DEPTH_SPAN * ground.height
    tracks = []
    for i in range(count):
        z = float(rng.uniform(0.15, 0.85))
        side = 1.0 if rng.random() < 0.5 else -1.0
        role = "free"
        if roled and i == 0 and (enter or leave):
            role = "enter" if enter else "leave"
        elif roled and i == 1 and enter and leave:
            role, side = "leave", -float(np.sign(np.sin(np.radians(tracks[0][2][0]))))
            z = _other_depth(rng, float(tracks[0][1][0])) if cross else z
        elif roled and i == 1 and cross:
            role = "cross"
        h = float(ground.person_height(z))
        s = float(rng.uniform(*speed)) * h
        needed = (HALF_WIDTH * h + 2.0 + 0.1 * h) / max(0.6 * last, 1.0)
        if role == "enter":
            track = _track(frames, 0, ground.outside(-side, z), z, 90.0 * side, 0.0, max(s, needed), depth_px)
        elif role == "leave":
            track = _track(frames, last, ground.outside(side, z), z, 90.0 * side, 0.0, max(s, needed), depth_px)
        elif role == "cross":
            x0, z0, heading0 = tracks[0]
            lo, hi = (0.6, 0.85) if enter else (0.15, 0.4) if leave else (0.3, 0.7)
            t_c = int(min(max(round(rng.uniform(lo, hi) * last), 1), last - 1))
            direction = -1.0 if np.sin(np.radians(heading0[t_c])) >= 0 else 1.0  # against person 0
            z = _other_depth(rng, float(z0[t_c]))
            s = float(rng.uniform(*speed)) * float(ground.person_height(z))
            track = _track(frames, t_c, float(x0[t_c]), z, 90.0 * direction, 0.0, s, depth_px)
        else:
            heading0 = side * float(rng.uniform(30, 150))
            turn = float(rng.uniform(-6, 6))
            anchor_t = int(rng.integers(0, frames))
            anchor_x = float(rng.uniform(0.1, 0.9)) * ground.width
            track = _track(frames, anchor_t, anchor_x, z, heading0, turn, s, depth_px)
        tracks.append(track)
    return tracks


def _walkers(rng, frames: int, ground: _Ground, count: int, enter: bool, leave: bool, cross: bool,
             speed: tuple) -> list:
    """The people of a clip: looks, gait and walk of each."""
    walkers = []
    for x, z, heading in _plan(rng, frames, ground, count, enter, leave, cross, speed):
        spec = sample_person(rng, float(ground.person_height(z[0])), kind="walk")
        gait = _sample_gait(rng)
        step = np.abs(np.diff(x, prepend=x[0])) + ground.height * DEPTH_SPAN * np.abs(np.diff(z, prepend=z[0]))
        stride = float(rng.uniform(1.0, 1.3)) * float(ground.person_height(z.mean()))
        phase = float(rng.uniform(0, 2 * math.pi)) + 2 * math.pi * np.cumsum(step) / stride
        walkers.append(_Walker(spec, gait, x, z, heading, phase))
    return walkers


def _placed(walker: _Walker, ground: _Ground, t: int) -> PersonSpec:
    """The walker at frame ``t``: pose, facing, height and hip position."""
    gait = walker.gait
    z = float(walker.z[t])
    h = float(ground.person_height(z))
    yaw = float(walker.heading[t]) + gait.sway * math.sin(gait.sway_rate * t + gait.sway_phase)
    view = View(float((yaw + 180.0) % 360.0 - 180.0), 0.0, gait.view_pitch)
    return dataclasses.replace(walker.spec, pose=_pose(gait, float(walker.phase[t]), t), view=view, height=h,
                               origin=(float(walker.x[t]), float(ground.hip_y(z))))


def _head_box(spec: PersonSpec) -> np.ndarray:
    """x1, y1, x2, y2 of the head: a square of the head's height around the ears' midpoint,
    grown to contain the five face joints (nose, eyes, ears)."""
    face = joint_positions(spec)[:5]
    centre = 0.5 * (face[3] + face[4])
    radius = float(_HEAD_AXES[1]) * spec.build.head * spec.height
    lo = np.minimum(centre - radius, face.min(axis=0) - 1.0)
    hi = np.maximum(centre + radius, face.max(axis=0) + 1.0)
    return np.concatenate([lo, hi])


def render_clip(rng, num_frames: int, height: int, width: int, num_people: int, *,
                min_height: Optional[float] = None, max_height: Optional[float] = None, enter: bool = True,
                leave: bool = True, cross: bool = True, speed=(0.03, 0.08), distractors: Optional[int] = None,
                degrade: bool = True) -> list:
    """The ClipFrames of one random clip of ``num_frames`` frames with ``num_people`` walkers.

    Standing heights run from ``min_height`` (farthest, default 0.35 x image height) to
    ``max_height`` (nearest, default 0.75 x); ``speed`` (min, max) is the walking speed in
    standing heights per frame (an entering or leaving person walks fast enough to make it).
    ``enter``, ``leave`` and ``cross`` ask for the roles the module docstring describes;
    ``distractors`` fixed non-person items (default 0-2); ``degrade`` one camera's blur, contrast
    and grain, the same on every frame.
    """
    rng = np.random.default_rng(rng)
    _check_size(height, width)
    if num_frames < 1 or num_people < 0:
        raise DatasetError(f"clip: expected at least 1 frame and 0 or more people, got {num_frames} frames, "
                           f"{num_people} people")
    low = 0.35 * height if min_height is None else float(min_height)
    high = 0.75 * height if max_height is None else float(max_height)
    if not 0 < low <= high:
        raise DatasetError(f"min_height/max_height: expected 0 < min_height <= max_height, got {low}, {high}")
    lo, hi = (float(v) for v in speed)
    if not 0 < lo <= hi:
        raise DatasetError(f"speed: expected 0 < min <= max standing heights per frame, got {tuple(speed)}")
    ground = _Ground(height, width, low, high)
    background = _background(rng, height, width)
    walkers = _walkers(rng, num_frames, ground, num_people, enter, leave, cross, (lo, hi))
    count = int(rng.integers(0, 3)) if distractors is None else int(distractors)
    fixed = [(float(rng.uniform(0, 1)), sample_distractor(rng, height, width)) for _ in range(count)]
    camera = int(rng.integers(1 << 31))
    return [_frame(t, walkers, fixed, ground, background, camera if degrade else None) for t in range(num_frames)]


def _frame(t: int, walkers: list, fixed: list, ground: _Ground, background: np.ndarray,
           camera: Optional[int]) -> ClipFrame:
    """Render frame ``t``: people and distractors far to near, ground truth of the people present."""
    specs = [_placed(w, ground, t) for w in walkers]
    depths = [float(w.z[t]) for w in walkers]
    items = [(z, 0, i, spec) for i, (z, spec) in enumerate(zip(depths, specs))]
    items += [(z, 1, k, item) for k, (z, item) in enumerate(fixed)]
    items.sort(key=lambda it: it[:3])
    drawn = [it[3] for it in items]
    order = [it[2] for it in items if not isinstance(it[3], Distractor)]  # person index of each drawn person
    scene = compose_scene(ground.height, ground.width, drawn, background)
    image = scene.image if camera is None else _postprocess(np.random.default_rng(camera), scene.image)
    lookup = np.array(order + [DISTRACTOR_OWNER] * len(fixed) + [-1], dtype=np.int32)
    owner = lookup[scene.owner]  # -1 (background) indexes the last entry
    rows = sorted((order[k], k) for k in range(len(order)) if (scene.keypoints[k, :, 2] > 0).any())
    ids = np.array([i for i, _ in rows], dtype=np.int64)
    poses = np.zeros((len(rows), NUM_JOINTS, 3))
    for n, (_, k) in enumerate(rows):
        poses[n] = scene.keypoints[k]  # unrounded: the pixel under each joint is the one its visibility saw
    heads = np.array([_head_box(specs[i]) for i in ids]).reshape(-1, 4)
    people = frame_people(ids, poses, np.ones(len(ids)), heads, where=f"frame {t}")
    return ClipFrame(image, people, np.array([depths[i] for i in ids]),
                     np.array([specs[i].height for i in ids]), owner)


def tracked_video(name: str, frames: list, file_names: Optional[list] = None) -> TrackedVideo:
    """The ground truth of rendered ``frames`` as a TrackedVideo in coco17 (file names default to
    ``NNNNNN.png``)."""
    names = file_names if file_names is not None else [f"{t:06d}.png" for t in range(len(frames))]
    return TrackedVideo(name, list(names), [f.people for f in frames], FORMAT.name)


def generate_clips(out_dir, num_clips: int, num_frames: int, height: int, width: int, people=(1, 4),
                   seed: int = 0, *, progress: bool = False, **options) -> list:
    """Write ``num_clips`` clips to ``out_dir``; return the paths of their PoseTrack JSON files.

    Clip c is ``out_dir/NNNNNN_synthetic/FFFFFF.png`` (frames) and ``out_dir/NNNNNN_synthetic.json``
    (PoseTrack 2018 layout, video number c, file names relative to the JSON's folder); it uses the
    seed (seed, c), so the same seed gives the same bytes. ``people`` = (min, max) walkers per
    clip; ``options`` go to render_clip.
    """
    lo, hi = (int(v) for v in people)
    if not 0 <= lo <= hi:
        raise DatasetError(f"people: expected 0 <= min <= max, got {tuple(people)}")
    if num_clips < 0:
        raise DatasetError(f"clips: expected >= 0, got {num_clips}")
    _check_size(height, width)
    os.makedirs(out_dir, exist_ok=True)
    paths = []
    for c in tqdm(range(num_clips), desc="synthetic clips", disable=not progress):
        rng = np.random.default_rng([seed, c])
        frames = render_clip(rng, num_frames, height, width, int(rng.integers(lo, hi + 1)), **options)
        name = f"{c:06d}_synthetic"
        os.makedirs(os.path.join(out_dir, name), exist_ok=True)
        names = []
        for t, frame in enumerate(frames):
            names.append(f"{name}/{t:06d}.png")
            path = os.path.join(out_dir, name, f"{t:06d}.png")
            if not cv2.imwrite(path, np.ascontiguousarray(frame.image[..., ::-1]), [cv2.IMWRITE_PNG_COMPRESSION, 1]):
                raise DatasetError(f"{path}: cannot write image")
        json_path = os.path.join(out_dir, f"{name}.json")
        write_posetrack(tracked_video(name, frames, names), json_path, vid_id=c, size=(height, width))
        paths.append(json_path)
    logger.info("wrote %d clips of %d frames to %s", num_clips, num_frames, out_dir)
    return paths


def main(argv=None) -> int:
    """Command line: write synthetic clips and print a one-line summary."""
    parser = argparse.ArgumentParser(prog="python -m dataset.synthetic.clips", description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--clips", type=int, default=4, help="number of clips")
    parser.add_argument("--frames", type=int, default=30, help="frames per clip")
    parser.add_argument("--size", type=int, nargs=2, default=(240, 320), metavar=("H", "W"))
    parser.add_argument("--people", type=int, nargs=2, default=(2, 5), metavar=("MIN", "MAX"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-enter", dest="enter", action="store_false", help="nobody has to enter the frame")
    parser.add_argument("--no-leave", dest="leave", action="store_false", help="nobody has to leave the frame")
    parser.add_argument("--no-cross", dest="cross", action="store_false", help="nobody has to cross person 0")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        paths = generate_clips(args.out, args.clips, args.frames, args.size[0], args.size[1], tuple(args.people),
                               args.seed, progress=True, enter=args.enter, leave=args.leave, cross=args.cross)
    except DatasetError as err:
        parser.error(str(err))
    print(f"wrote {len(paths)} clips of {args.frames} frames ({args.size[0]}x{args.size[1]}) to "
          f"{os.path.abspath(args.out)} in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
