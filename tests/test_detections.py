"""multiperson.detections: peaks with their refined positions and pairwise offsets."""
import numpy as np

from nnet.heads import pair_index
from multiperson.detections import extract_detections


def _outputs(j=3, h=10, w=12, seed=0):
    rng = np.random.default_rng(seed)
    scmap = np.zeros((h, w, j), np.float32)
    locref = rng.normal(0, 2, (h, w, j, 2))
    pairwise = rng.normal(0, 20, (h, w, j * (j - 1), 2))
    return scmap, locref, pairwise


def test_positions_scores_and_offsets_come_from_the_peak_cells():
    scmap, locref, pairwise = _outputs()
    scmap[2, 3, 0], scmap[7, 9, 2], scmap[7, 1, 2] = 0.9, 0.8, 0.6
    dets = extract_detections(scmap, locref, pairwise, 8.0, 1.0, 0.5)
    assert dets.part.tolist() == [0, 2, 2] and len(dets) == 3
    np.testing.assert_allclose(dets.grid_xy, [[3 * 8 + 4, 2 * 8 + 4], [9 * 8 + 4, 7 * 8 + 4],
                                              [1 * 8 + 4, 7 * 8 + 4]])
    np.testing.assert_allclose(dets.xy[0], dets.grid_xy[0] + locref[2, 3, 0])
    np.testing.assert_allclose(dets.score, [0.9, 0.8, 0.6], rtol=1e-6)
    assert dets.offsets.shape == (3, 3, 2)
    np.testing.assert_allclose(dets.offsets[0, 0], 0.0)
    np.testing.assert_allclose(dets.offsets[0, 2], pairwise[2, 3, pair_index(0, 2, 3)])
    np.testing.assert_allclose(dets.offsets[1, 1], pairwise[7, 9, pair_index(2, 1, 3)])
    np.testing.assert_allclose(dets.offsets[2, 0], pairwise[7, 1, pair_index(2, 0, 3)])


def test_without_locref_or_pairwise_and_scaled():
    scmap, _, _ = _outputs()
    scmap[4, 4, 1] = 1.0
    dets = extract_detections(scmap, None, None, 8.0, 2.0, 0.1)
    assert dets.offsets is None
    np.testing.assert_allclose(dets.xy, dets.grid_xy)
    half = dets.scaled(0.5)
    np.testing.assert_allclose(half.xy, dets.xy * 0.5)


def test_no_peaks_gives_empty_arrays():
    scmap, locref, pairwise = _outputs()
    dets = extract_detections(scmap, locref, pairwise, 8.0, 2.0, 0.1)
    assert len(dets) == 0 and dets.xy.shape == (0, 2) and dets.offsets.shape == (0, 3, 2)


def test_normalised_offsets_are_denormalised_at_the_candidates_only_and_exactly():
    from nnet.heads import NormalisedOffsets

    rng = np.random.default_rng(5)
    j, h, w = 4, 9, 11
    scmap = rng.random((h, w, j)).astype(np.float32)
    raw = rng.normal(0, 1, (h, w, j * (j - 1), 2)).astype(np.float32)
    means, stds = rng.normal(0, 30, (j * (j - 1), 2)), rng.uniform(2, 9, (j * (j - 1), 2))
    lazy = NormalisedOffsets(raw, means, stds)
    eager = extract_detections(scmap, None, lazy.denormalised(), 8.0, 1.5, 0.3)
    dets = extract_detections(scmap, None, lazy, 8.0, 1.5, 0.3)
    assert len(dets) > 10
    np.testing.assert_array_equal(dets.offsets, eager.offsets)
    np.testing.assert_array_equal(lazy.denormalised(), raw * stds + means)
