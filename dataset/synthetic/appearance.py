"""Random looks: skin tones, hair, clothing colours and patterns per paint slot of a person; the
random colours and cloth are reused by distractors and backgrounds so they resemble people."""
from __future__ import annotations

import math

import numpy as np

from dataset.synthetic.paint import Appearance, Paint


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
