"""Candidate part detections: score-map peaks with their refined positions and predicted offsets."""
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from nnet.heads import NormalisedOffsets, pair_index
from lib.nms import nms_scoremaps

__all__ = ["Detections", "extract_detections"]


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


@lru_cache(maxsize=8)
def _channel_table(joints: int) -> np.ndarray:
    """(J, J) pairwise channel of the ordered part pair (k, m); 0 on the diagonal (unused)."""
    own, other = np.meshgrid(np.arange(joints), np.arange(joints), indexing="ij")
    return np.where(own == other, 0, pair_index(own, other, joints))


def extract_detections(scmap, locref, pairwise, stride: float, nms_radius: float,
                       min_score: float) -> Detections:
    """Candidates of every part of one image's network outputs.

    ``scmap`` (h, w, J) part scores; ``locref`` (h, w, J, 2) refinements in pixels or None;
    ``pairwise`` (h, w, J(J-1), 2) de-normalised offsets in DeeperCut's pair order (an array,
    or a nnet.heads.NormalisedOffsets: then only the candidates' cells are
    de-normalised), or None.
    Peaks come from lib.nms with ``nms_radius`` cells and threshold ``min_score``; a cell's centre
    is ``(col, row) * stride + stride / 2``.
    """
    scmap = np.asarray(scmap)
    height, width, joints = scmap.shape
    peaks = nms_scoremaps(scmap, nms_radius, min_score)
    grid_xy = np.stack([peaks.col, peaks.row], axis=1).astype(np.float64) * stride + 0.5 * stride
    xy = grid_xy.copy()
    if locref is not None:
        xy += locref[peaks.row, peaks.col, peaks.part]
    offsets = None
    if pairwise is not None:
        channels = _channel_table(joints)[peaks.part]
        cell = (peaks.row * width + peaks.col)[:, None]
        if isinstance(pairwise, NormalisedOffsets):
            offsets = pairwise.take(cell, channels).astype(np.float64)
        else:
            flat = np.asarray(pairwise).reshape(height * width, -1, 2)
            offsets = flat[cell, channels].astype(np.float64)
        offsets[np.arange(len(peaks.part)), peaks.part] = 0.0
    return Detections(peaks.part, xy, grid_xy, peaks.score.astype(np.float64), offsets, joints)
