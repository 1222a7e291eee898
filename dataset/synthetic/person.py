"""One person to draw: the spec (pose, build, view, appearance, height, position), random people,
and where a person lands in pixels (drawn box, centring, joint positions)."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from dataset.synthetic.appearance import _sample_appearance
from dataset.synthetic.body import Build, Pose, View
from dataset.synthetic.figure import _Model, _person_model
from dataset.synthetic.paint import Appearance
from dataset.synthetic.poses import _sample_build, _sample_view, sample_pose


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


def _joint_pixels(spec: PersonSpec, model: _Model):
    """Joint positions (17 x 2, pixels) of a placed person."""
    return np.asarray(spec.origin) + spec.height * model.joints[:, :2] * (1.0, -1.0)


def joint_positions(spec: PersonSpec) -> np.ndarray:
    """Where a placed person's 17 joints are (x, y pixels), inside the image or not."""
    return _joint_pixels(spec, _model_of(spec))
