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

Modules, each importing only those listed before it: ``body`` (pose, build, view, skeleton),
``shapes`` (primitives, rasterisation), ``paint`` (paints, compositing), ``figure`` (a posed
body as shapes), ``poses`` and ``appearance`` (random poses and looks), ``person``,
``distractors``, ``background``, ``scene`` (composition and annotations), ``coco_files`` (data
sets on disk) and ``cli``. This package re-exports their public names.
"""
from dataset.synthetic.body import (
    JOINT_LIMITS, Arm, Build, Leg, Pose, Skeleton, View, clip_pose, skeleton_3d,
)
from dataset.synthetic.cli import main
from dataset.synthetic.coco_files import generate_dataset
from dataset.synthetic.distractors import Distractor, polygon_distractor, sample_distractor
from dataset.synthetic.paint import Appearance, Paint
from dataset.synthetic.person import PersonSpec, joint_positions, sample_person
from dataset.synthetic.poses import POSE_KINDS, sample_pose
from dataset.synthetic.scene import BACKGROUND, Scene, compose_scene, draw_scene, render_scene

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
    "BACKGROUND",
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
