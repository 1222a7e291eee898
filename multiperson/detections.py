"""Candidate part detections: score-map peaks with their refined positions and predicted offsets."""
from dataclasses import dataclass

import math
from collections.abc import Mapping

import numpy as np

from lib.errors import InputError
from lib.people_cy import candidates

__all__ = ["Detections", "check_settings", "extract_detections", "raw_arrays", "slot_table",
           "statistics"]


@dataclass(frozen=True, eq=False)
class Detections:
    """N candidates of J parts, grouped by part; coordinates in pixels of the network's input.

    ``offsets[i, m]`` is the offset the network predicts from candidate i's cell centre to joint
    m of the same person (row ``part[i]`` is 0); None without a pairwise head.
    """

    part: np.ndarray
    """int32[N]: part of each candidate."""
    xy: np.ndarray
    """float64[N, 2]: refined position (cell centre plus locref)."""
    grid_xy: np.ndarray
    """float64[N, 2]: centre of the candidate's score-map cell."""
    score: np.ndarray
    """float64[N]: score-map value."""
    offsets: np.ndarray | None
    """float64[N, J, 2] or None."""
    num_joints: int

    def __len__(self) -> int:
        return len(self.part)

    def scaled(self, factor: float) -> "Detections":
        """The same candidates in an image resized by ``factor`` (positions and offsets)."""
        offsets = None if self.offsets is None else self.offsets * factor
        return Detections(self.part, self.xy * factor, self.grid_xy * factor, self.score,
                          offsets, self.num_joints)


def raw_arrays(raw, num_joints: int, caller: str, num_pairs: int | None = None
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(part_prob (h, w, J), locref (h, w, 2J), pairwise (h, w, 2P)) float32, contiguous, of
    one image's raw outputs (nnet.predict.PosePredictor's dict, batch axis of 1), P the ordered
    pairs the pairwise head predicts (``num_pairs``, nnet.heads.HeadLayout; None: J(J-1),
    DeeperCut's full head); a head the network lacks comes back empty. Shapes that disagree, or values that are not numbers, are an
    InputError naming ``caller`` and the array (NaN values are the compiled code's to find)."""
    j = num_joints
    if not isinstance(raw, Mapping) or "part_prob" not in raw:
        raise InputError(f"{caller}: raw: expected the network's outputs, a dict with 'part_prob' "
                         f"(and 'locref', 'pairwise_pred'), got {type(raw).__name__}"
                         + (f" with keys {sorted(map(str, raw))}" if isinstance(raw, Mapping) else ""))
    prob = _floats(raw["part_prob"], caller, "part_prob")
    if prob.ndim != 4 or prob.shape[0] != 1 or prob.shape[3] != j or min(prob.shape[1:3]) < 1:
        raise InputError(f"{caller}: part_prob: expected shape (1, h, w, {j}) with h, w >= 1, "
                         f"got {prob.shape}")
    h, w = prob.shape[1:3]
    arrays = [np.ascontiguousarray(prob[0])]
    pairs = j * (j - 1) if num_pairs is None else int(num_pairs)
    for name, channels in (("locref", 2 * j), ("pairwise_pred", 2 * pairs)):
        if name not in raw:
            arrays.append(np.zeros((0, 0, 0), np.float32))
            continue
        value = _floats(raw[name], caller, name)
        if value.shape != (1, h, w, channels):
            raise InputError(f"{caller}: {name}: expected shape (1, {h}, {w}, {channels}), "
                             f"got {value.shape}")
        arrays.append(np.ascontiguousarray(value[0]))
    return tuple(arrays)


def _floats(values, caller: str, name: str, dtype=np.float32) -> np.ndarray:
    """``values`` as an array of ``dtype``; InputError naming ``caller`` and ``name`` when they
    are not numbers."""
    try:
        return np.asarray(values, dtype)
    except (TypeError, ValueError) as err:
        raise InputError(f"{caller}: {name}: expected an array of numbers ({err})") from None


def slot_table(pair_slots, num_joints: int, caller: str) -> np.ndarray:
    """``pair_slots`` (nnet.heads.HeadLayout.pair_slots) as contiguous int32 (J, J), checked:
    slots 0..P-1 each once in pair_index order, -1 elsewhere and on the diagonal; None gives
    DeeperCut's full head (slot = pair_index)."""
    j = num_joints
    if pair_slots is None:
        slots = np.full((j, j), -1, np.int32)
        first, second = np.nonzero(~np.eye(j, dtype=bool))
        slots[first, second] = np.arange(len(first), dtype=np.int32)
        return slots
    slots = np.ascontiguousarray(_floats(pair_slots, caller, "pair_slots", np.int32))
    if slots.shape != (j, j):
        raise InputError(f"{caller}: pair_slots: expected shape ({j}, {j}), the outputs' joints, "
                         f"got {slots.shape}")
    used = slots[slots >= 0]  # row-major order is pair_index order
    if ((slots < -1).any() or (np.diag(slots) != -1).any()
            or not np.array_equal(used, np.arange(len(used)))):
        raise InputError(f"{caller}: pair_slots: expected slots 0, 1, ... in pair_index order and "
                         f"-1 elsewhere (nnet.heads.HeadLayout.pair_slots), got {slots.tolist()[:3]}...")
    return slots


def check_settings(caller: str, stride: float, locref_stdev: float, nms_radius: float,
                   min_score: float) -> None:
    """InputError naming ``caller`` and the argument unless the stride and locref_stdev are
    finite and positive, nms_radius finite and >= 0 and min_score finite: a NaN or infinite
    setting would make the compiled code find nothing, or everything, without a word."""
    for name, value, low in (("stride", stride, "> 0"), ("locref_stdev", locref_stdev, "> 0"),
                             ("nms_radius", nms_radius, ">= 0"), ("min_score", min_score, None)):
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise InputError(f"{caller}: {name}: expected a number, got {value!r}") from None
        if not math.isfinite(number) or (low == "> 0" and number <= 0) or (low == ">= 0" and number < 0):
            raise InputError(f"{caller}: {name}: expected a finite number{' ' + low if low else ''}, "
                             f"got {value!r}")


def statistics(means, stds, num_joints: int, caller: str) -> tuple[np.ndarray, np.ndarray]:
    """The pairwise statistics as contiguous float64 (J(J-1), 2), or empty ones when not given."""
    if means is None and stds is None:
        return np.zeros((0, 2)), np.zeros((0, 2))
    shape = (num_joints * (num_joints - 1), 2)
    means = np.ascontiguousarray(_floats(means, caller, "means", np.float64))
    stds = np.ascontiguousarray(_floats(stds, caller, "stds", np.float64))
    if means.shape != shape or stds.shape != shape:
        raise InputError(f"{caller}: expected pairwise means and stds of shape {shape}, got "
                         f"{means.shape} and {stds.shape}")
    for name, values in (("means", means), ("stds", stds)):
        if not np.isfinite(values).all():
            raise InputError(f"{caller}: pairwise {name}: expected finite numbers, got "
                             f"{values[~np.isfinite(values)][0]} at row "
                             f"{int(np.argwhere(~np.isfinite(values))[0, 0])}")
    if (stds <= 0).any():
        raise InputError(f"{caller}: pairwise stds: expected positive numbers, got "
                         f"{stds[stds <= 0][0]} at row {int(np.argwhere(stds <= 0)[0, 0])}")
    return means, stds


def extract_detections(raw, means, stds, stride: float, locref_stdev: float, nms_radius: float,
                       min_score: float, pair_slots=None) -> Detections:
    """Candidates of every part of one image's raw network outputs (lib/people.hpp's, as the
    predictor finds them).

    ``raw``: nnet.predict.PosePredictor's dict ('part_prob', and 'locref' and 'pairwise_pred'
    where the network has those heads, batch axis of 1); ``means``, ``stds`` (J(J-1), 2) the
    pairwise statistics that de-normalise the offsets (None without a pairwise head). Peaks come
    from lib/nms.hpp with ``nms_radius`` cells and threshold ``min_score``; a cell's centre is
    ``(col, row) * stride + stride / 2``, refined by ``locref * locref_stdev``.

    ``pair_slots`` (J, J): the pairwise head's slot of each ordered pair, -1 where it has none
    (nnet.heads.HeadLayout.pair_slots); None: DeeperCut's full head. Offsets to joints the head
    predicts none for are 0.
    """
    caller = "extract_detections"
    check_settings(caller, stride, locref_stdev, nms_radius, min_score)
    shape = np.shape(raw.get("part_prob")) if isinstance(raw, Mapping) else ()
    joints = shape[-1] if shape else 0
    slots = slot_table(pair_slots, joints, caller)
    prob, locref, pairwise = raw_arrays(raw, joints, caller, int((slots >= 0).sum()))
    means, stds = statistics(means, stds, joints, caller)
    if pairwise.size and not means.size:
        raise InputError(f"{caller}: the pairwise offsets need the pairwise statistics")
    try:
        part, xy, grid_xy, score, offsets = candidates(
            prob, locref, pairwise, means, stds, slots, float(stride), np.float32(locref_stdev),
            float(nms_radius), np.float32(min_score))
    except ValueError as err:  # the compiled code's check of the maps' values (NaN)
        raise InputError(f"{caller}: {err}") from None
    return Detections(part, xy, grid_xy, score, offsets if pairwise.size else None, joints)
