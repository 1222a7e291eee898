"""lib.nms against a plain-Python greedy suppression, and its errors."""
import numpy as np
import pytest

from lib.nms import NmsError, nms_scoremaps


def reference_nms(scmap, radius, threshold):
    """Greedy suppression written out cell by cell."""
    height, width, parts = scmap.shape
    kept = []
    for j in range(parts):
        cells = [(-scmap[r, c, j], r * width + c) for r in range(height) for c in range(width)
                 if scmap[r, c, j] >= threshold]
        taken = set()
        for neg, cell in sorted(cells):
            if cell in taken:
                continue
            r, c = divmod(cell, width)
            kept.append((j, r, c, -neg))
            for rr in range(height):
                for cc in range(width):
                    if (rr - r) ** 2 + (cc - c) ** 2 <= radius ** 2:
                        taken.add(rr * width + cc)
    return kept


@pytest.mark.parametrize("radius", [0.0, 1.0, 1.5, 2.0, 3.7])
def test_matches_the_reference(radius):
    rng = np.random.default_rng(int(radius * 10))
    scmap = rng.random((13, 17, 3)).astype(np.float32)
    scmap[rng.random(scmap.shape) < 0.3] = 0.5  # ties
    peaks = nms_scoremaps(scmap, radius, 0.3)
    got = list(zip(peaks.part.tolist(), peaks.row.tolist(), peaks.col.tolist(),
                   peaks.score.tolist()))
    want = [(j, r, c, float(np.float32(s))) for j, r, c, s in reference_nms(scmap, radius, 0.3)]
    assert got == want


def test_negative_scores_and_signed_zeros_order_like_the_reference():
    # Scores need not be probabilities: below zero, -0.0 tied with +0.0, a threshold below 0.
    rng = np.random.default_rng(3)
    scmap = rng.uniform(-2.0, 1.0, (11, 9, 2)).astype(np.float32)
    scmap[rng.random(scmap.shape) < 0.2] = -0.0
    scmap[rng.random(scmap.shape) < 0.2] = 0.0
    scmap[rng.random(scmap.shape) < 0.1] = -1.25
    peaks = nms_scoremaps(scmap, 1.5, -1.5)
    got = list(zip(peaks.part.tolist(), peaks.row.tolist(), peaks.col.tolist(),
                   peaks.score.tolist()))
    want = [(j, r, c, float(np.float32(s))) for j, r, c, s in reference_nms(scmap, 1.5, -1.5)]
    assert got == want


def test_isolated_peaks_are_found_and_neighbours_suppressed():
    scmap = np.zeros((20, 20, 2), np.float32)
    scmap[5, 5, 0], scmap[5, 6, 0], scmap[15, 15, 0] = 0.9, 0.8, 0.7
    scmap[10, 3, 1] = 0.95
    peaks = nms_scoremaps(scmap, 2.0, 0.1)
    assert peaks.part.tolist() == [0, 0, 1]
    assert list(zip(peaks.row.tolist(), peaks.col.tolist())) == [(5, 5), (15, 15), (10, 3)]
    np.testing.assert_allclose(peaks.score, [0.9, 0.7, 0.95])
    assert len(nms_scoremaps(scmap, 2.0, 0.99).part) == 0


def test_zero_radius_keeps_every_cell_above_threshold():
    scmap = np.random.default_rng(1).random((6, 7, 2))
    assert len(nms_scoremaps(scmap, 0.0, 0.5).part) == int((scmap >= 0.5).sum())


@pytest.mark.parametrize("scmap, radius, threshold, words", [
    (np.zeros((4, 4)), 1.0, 0.1, "shape (height, width, parts)"),
    (np.zeros((4, 4, 1)), -1.0, 0.1, "radius"),
    (np.zeros((4, 4, 1)), float("nan"), 0.1, "radius"),
    (np.zeros((4, 4, 1)), 1.0, float("inf"), "threshold"),
    (np.full((4, 4, 1), np.nan), 1.0, 0.1, "NaN score at (row, col, part) = (0, 0, 0)"),
])
def test_errors_name_the_argument(scmap, radius, threshold, words):
    with pytest.raises(NmsError, match=words.replace("(", r"\(").replace(")", r"\)")):
        nms_scoremaps(scmap, radius, threshold)
