"""multiperson.detections: peaks of the raw outputs with their refined positions and pairwise
offsets, from lib/people.hpp, against the numpy reference."""
import numpy as np
import pytest

import builders
import grouping_reference as ref
from multiperson.detections import extract_detections, slot_table
from nnet.heads import pair_index
from nnet.outputs import extract_cnn_output

LOCREF_STDEV = 7.2801


def _raw(j=3, h=10, w=12, seed=0):
    """Raw outputs (batch axis, float32) with zero scores, and pairwise statistics."""
    rng = np.random.default_rng(seed)
    raw = {"part_prob": np.zeros((1, h, w, j), np.float32),
           "locref": rng.normal(0, 0.3, (1, h, w, 2 * j)).astype(np.float32),
           "pairwise_pred": rng.normal(0, 1, (1, h, w, 2 * j * (j - 1))).astype(np.float32)}
    means, stds = rng.normal(0, 30, (j * (j - 1), 2)), rng.uniform(2, 9, (j * (j - 1), 2))
    return raw, means, stds


def test_positions_scores_and_offsets_come_from_the_peak_cells():
    raw, means, stds = _raw()
    prob = raw["part_prob"][0]
    prob[2, 3, 0], prob[7, 9, 2], prob[7, 1, 2] = 0.9, 0.8, 0.6
    dets = extract_detections(raw, means, stds, 8.0, LOCREF_STDEV, 1.0, 0.5)
    assert dets.part.tolist() == [0, 2, 2] and len(dets) == 3
    np.testing.assert_allclose(dets.grid_xy, [[3 * 8 + 4, 2 * 8 + 4], [9 * 8 + 4, 7 * 8 + 4],
                                              [1 * 8 + 4, 7 * 8 + 4]])
    locref = raw["locref"][0].reshape(10, 12, 3, 2)
    np.testing.assert_allclose(dets.xy[0], dets.grid_xy[0] + locref[2, 3, 0] * LOCREF_STDEV,
                               rtol=1e-6)
    np.testing.assert_allclose(dets.score, [0.9, 0.8, 0.6], rtol=1e-6)
    pairwise = raw["pairwise_pred"][0].reshape(10, 12, 6, 2) * stds + means
    assert dets.offsets.shape == (3, 3, 2)
    np.testing.assert_allclose(dets.offsets[0, 0], 0.0)
    np.testing.assert_allclose(dets.offsets[0, 2], pairwise[2, 3, pair_index(0, 2, 3)])
    np.testing.assert_allclose(dets.offsets[1, 1], pairwise[7, 9, pair_index(2, 1, 3)])
    np.testing.assert_allclose(dets.offsets[2, 0], pairwise[7, 1, pair_index(2, 0, 3)])


def test_without_locref_or_pairwise_and_scaled():
    raw, _, _ = _raw()
    raw["part_prob"][0, 4, 4, 1] = 1.0
    dets = extract_detections({"part_prob": raw["part_prob"]}, None, None, 8.0, LOCREF_STDEV,
                              2.0, 0.1)
    assert dets.offsets is None and len(dets) == 1
    np.testing.assert_allclose(dets.xy, dets.grid_xy)
    np.testing.assert_allclose(dets.scaled(0.5).xy, dets.xy * 0.5)


def test_no_peaks_gives_empty_arrays():
    raw, means, stds = _raw()
    dets = extract_detections(raw, means, stds, 8.0, LOCREF_STDEV, 2.0, 0.1)
    assert len(dets) == 0 and dets.xy.shape == (0, 2) and dets.offsets.shape == (0, 3, 2)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_compiled_candidates_are_the_numpy_references(seed):
    rng = np.random.default_rng(seed)
    j, h, w = 5, 23, 31
    raw, means, stds = _raw(j, h, w, seed)
    raw["part_prob"] = rng.random((1, h, w, j)).astype(np.float32)
    dets = extract_detections(raw, means, stds, 8.0, LOCREF_STDEV, 1.5, 0.3)
    want = ref.extract_detections(*extract_cnn_output(raw, LOCREF_STDEV, means, stds), 8.0, 1.5,
                                  0.3)
    assert len(dets) > 20
    np.testing.assert_array_equal(dets.part, want.part)
    for name in ("xy", "grid_xy", "score", "offsets"):
        np.testing.assert_array_equal(getattr(dets, name), getattr(want, name), err_msg=name)


def test_outputs_that_disagree_are_refused():
    raw, means, stds = _raw()
    with pytest.raises(ValueError, match=r"extract_detections: locref: expected shape \(1, 10, 12, 6\)"):
        extract_detections(dict(raw, locref=raw["locref"][..., 1:]), means, stds, 8.0, 1.0, 1.0,
                           0.1)
    with pytest.raises(ValueError, match=r"part_prob: expected shape \(1, h, w, 3\) with h, w >= 1"):
        extract_detections({"part_prob": np.zeros((1, 0, 0, 3), np.float32)}, None, None, 8.0,
                           1.0, 1.0, 0.1)
    with pytest.raises(ValueError, match="need the pairwise statistics"):
        extract_detections(raw, None, None, 8.0, 1.0, 1.0, 0.1)
    with pytest.raises(ValueError, match=r"means and stds of shape \(6, 2\)"):
        extract_detections(raw, means[:3], stds[:3], 8.0, 1.0, 1.0, 0.1)


def test_a_nan_score_is_named_by_its_cell_as_the_whole_pipeline_names_it():
    """The one check lives in the compiled candidates (lib/people.hpp extract), which the
    predictor, the tracker and this binding share."""
    prob = np.random.default_rng(3).random((1, 6, 7, 3)).astype(np.float32)
    prob[0, 4, 5, 2] = np.nan
    raw = {"part_prob": prob, "locref": np.zeros((1, 6, 7, 6), np.float32),
           "pairwise_pred": np.zeros((1, 6, 7, 12), np.float32)}
    with pytest.raises(ValueError, match=r"extract_detections: part_prob: NaN score at \(row, col, part\) = \(4, 5, 2\)"):
        extract_detections(raw, np.zeros((6, 2)), np.ones((6, 2)), 8.0, 7.2801, 1.0, 0.1)


def test_a_sparse_head_gives_the_offsets_of_its_pairs_and_zeros_elsewhere():
    """The full head's channels at the sparse head's slots give the same candidates, with the
    offsets of the pairs the head predicts; the others are 0."""
    heads = builders.heads(3, pairwise_predict=True, sparse_graph=[[0, 2]])
    raw, means, stds = _raw(seed=5)
    raw["part_prob"][0, 2, 3, 0], raw["part_prob"][0, 7, 9, 2] = 0.9, 0.8
    full = extract_detections(raw, means, stds, 8.0, LOCREF_STDEV, 1.0, 0.5)
    channels = np.stack([2 * heads.pair_rows, 2 * heads.pair_rows + 1], 1).reshape(-1)
    sparse_raw = dict(raw, pairwise_pred=raw["pairwise_pred"][..., channels])
    sparse = extract_detections(sparse_raw, means, stds, 8.0, LOCREF_STDEV, 1.0, 0.5,
                                heads.pair_slots)
    np.testing.assert_array_equal(sparse.xy, full.xy)
    np.testing.assert_array_equal(sparse.offsets[0, 2], full.offsets[0, 2])  # 0 -> 2
    np.testing.assert_array_equal(sparse.offsets[1, 0], full.offsets[1, 0])  # 2 -> 0
    assert not sparse.offsets[0, 1].any() and not sparse.offsets[1, 1].any()
    want = ref.extract_detections(*extract_cnn_output(sparse_raw, LOCREF_STDEV, means, stds,
                                                      heads.pair_rows), 8.0, 1.0, 0.5,
                                  heads.pair_slots)
    np.testing.assert_allclose(sparse.offsets, want.offsets, rtol=1e-6)
    with pytest.raises(ValueError, match=r"pairwise_pred: expected shape \(1, 10, 12, 4\)"):
        extract_detections(raw, means, stds, 8.0, LOCREF_STDEV, 1.0, 0.5, heads.pair_slots)


def test_slot_tables_are_checked():
    assert slot_table(None, 3, "f").tolist() == [[-1, 0, 1], [2, -1, 3], [4, 5, -1]]
    slots = builders.heads(3, pairwise_predict=True, sparse_graph=[[0, 2]]).pair_slots
    np.testing.assert_array_equal(slot_table(slots, 3, "f"), slots)
    with pytest.raises(ValueError, match=r"f: pair_slots: expected shape \(4, 4\)"):
        slot_table(slots, 4, "f")
    bad = np.array(slots)
    bad[0, 2], bad[2, 0] = bad[2, 0], bad[0, 2]  # not pair_index order
    with pytest.raises(ValueError, match="f: pair_slots: expected slots 0, 1, ... in pair_index order"):
        slot_table(bad, 3, "f")
