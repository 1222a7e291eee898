"""The network's backend, chosen when prediction starts: every candidate is timed on the first
input and checked, and the fastest one that may be used runs the rest.

Candidates are TensorFlow, in the precision ``precision: auto`` picks for this CPU (always
usable: it is the reference), and a TFLite file where one is given (posecut export --tflite).
A float32 file is usable when its outputs on the probe image agree with TensorFlow float32's
within the fidelity tolerances (nnet.agreement); an int8 file cannot agree that closely, so it
is usable when its export's accuracy check (posecut.int8_check) kept it within one AP point or
one pixel of float32. ``posecut predict --backend`` overrides the choice.
"""
import time
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from lib.errors import InputError, PosecutError
from nnet.agreement import FLOAT32_TOLERANCE, agrees, output_differences

__all__ = ["Candidate", "Timed", "choose", "describe_choice", "median_seconds", "time_candidates"]


@dataclass
class Candidate:
    """A network that could run the prediction: ``backend`` 'tensorflow' or 'tflite', a
    ``name`` for the table, and ``verdict``: '' when it may be used whatever its outputs, a
    reason when it may not, None when its outputs on the probe decide (float32 agreement)."""

    backend: str
    name: str
    network: Callable
    verdict: Optional[str] = None


@dataclass
class Timed:
    """A candidate's median seconds on the probe image (None when it could not run it) and
    why it may not be used ('' when it may)."""

    candidate: Candidate
    seconds: Optional[float]
    why_not: str = ""


def median_seconds(network, image, repeats: int) -> float:
    """Median seconds of ``network(image)`` over ``repeats`` calls after one warm-up call."""
    network(image)
    times = []
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        out = network(image)
        np.asarray(out["part_prob"])
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def _agreement(candidate, image, reference) -> str:
    """Why a candidate whose outputs decide may not be used ('' when it may): its outputs on
    ``image`` against ``reference()``."""
    outputs = candidate.network(image)
    expected = reference()
    if agrees(outputs, expected):
        return ""
    differences = output_differences(outputs, expected)
    worst = max(FLOAT32_TOLERANCE, key=lambda n: differences.get(n, np.inf) / FLOAT32_TOLERANCE[n])
    return (f"its outputs differ from TensorFlow float32's by {differences.get(worst, np.inf):.2g} "
            f"in {worst} (tolerance {FLOAT32_TOLERANCE[worst]:g})")


def time_candidates(candidates, image, repeats: int, reference: Callable) -> list:
    """Timed of each candidate on ``image`` (what the network sees: already at the config's
    scale). ``reference()`` gives TensorFlow float32's outputs on it, asked for only when a
    candidate's outputs decide. A candidate that refuses the image (InputError, e.g. larger
    than a TFLite model's input) is not usable."""
    timed = []
    for candidate in candidates:
        try:
            seconds = median_seconds(candidate.network, image, repeats)
        except InputError as err:
            timed.append(Timed(candidate, None, str(err)))
            continue
        why_not = candidate.verdict
        if why_not is None:
            why_not = _agreement(candidate, image, reference)
        timed.append(Timed(candidate, seconds, why_not))
    return timed


def choose(timed) -> Timed:
    """The fastest usable candidate; a PosecutError listing why when none is."""
    usable = [t for t in timed if not t.why_not and t.seconds is not None]
    if not usable:
        raise PosecutError("no usable network: " + "; ".join(
            f"{t.candidate.name}: {t.why_not}" for t in timed))
    return min(usable, key=lambda t: t.seconds)


def describe_choice(timed, chosen, image_shape, probe: str = "the first input") -> str:
    """Lines saying which network runs: each candidate's time on the ``probe`` image and why
    it may not be used."""
    lines = [f"network: {chosen.candidate.name} (the fastest usable, timed on {probe} at "
             f"{image_shape[0]}x{image_shape[1]} as the network sees it)"]
    for t in timed:
        shown = "cannot run it" if t.seconds is None else f"{1e3 * t.seconds:.1f} ms"
        note = f": not used, {t.why_not}" if t.why_not else ""
        lines.append(f"  {t.candidate.name:<16} {shown}{note}")
    return "\n".join(lines)
