"""Non-maximum suppression of part score maps: the candidate detections of every part.

For each part separately, cells scoring at least ``threshold`` are visited from the highest
score down (ties: the lower row-major cell first); a cell is kept unless a kept cell of the same
part lies within ``radius`` cells of it (Euclidean, ``dr**2 + dc**2 <= radius**2``), and every
cell within that radius of a kept cell is suppressed. This is DeeperCut's ``nms_grid``, with the
radius used as given rather than rounded up. The loop is compiled (lib/nms_cy.pyx) and releases
the GIL.
"""
from typing import NamedTuple

import numpy as np

from lib import nms_cy as _cy
from lib.errors import PosecutError

__all__ = ["NmsError", "PartPeaks", "nms_scoremaps"]


class NmsError(PosecutError, ValueError):
    """The score maps or the suppression settings are malformed."""


class PartPeaks(NamedTuple):
    """Kept cells, grouped by part (ascending) and by falling score within a part."""

    part: np.ndarray
    """int32[N]: the part (channel) of each kept cell."""
    row: np.ndarray
    """int64[N]: its row in the score map."""
    col: np.ndarray
    """int64[N]: its column."""
    score: np.ndarray
    """float32[N]: its score."""


def nms_scoremaps(scmap, radius: float, threshold: float) -> PartPeaks:
    """Candidate cells of every part of ``scmap`` (h, w, J) after suppression within ``radius`` cells.

    ``radius`` >= 0 is in score-map cells (0 keeps every cell above the threshold);
    ``threshold`` drops cells scoring lower. NaN scores are an error.
    """
    scmap = np.asarray(scmap)
    if scmap.ndim != 3:
        raise NmsError(f"nms_scoremaps: scmap: expected an array of shape (height, width, parts), "
                       f"got shape {scmap.shape}")
    if not np.issubdtype(scmap.dtype, np.number):
        raise NmsError(f"nms_scoremaps: scmap: expected numbers, got dtype {scmap.dtype}")
    if not np.isfinite(radius) or radius < 0:
        raise NmsError(f"nms_scoremaps: radius: expected a finite value >= 0, got {radius!r}")
    if not np.isfinite(threshold):
        raise NmsError(f"nms_scoremaps: threshold: expected a finite value, got {threshold!r}")
    scmap = np.ascontiguousarray(scmap, dtype=np.float32)
    if np.isnan(scmap).any():
        where = tuple(int(i) for i in np.argwhere(np.isnan(scmap))[0])
        raise NmsError(f"nms_scoremaps: scmap: NaN score at (row, col, part) = {where}")
    return PartPeaks(*_cy.nms_scoremaps(scmap, float(radius), np.float32(threshold)))
