"""nnet.heads: the one record of the heads' channels, and DeeperCut's pair order."""
import numpy as np
import pytest

import builders
from nnet.heads import HeadLayout, grid_size, pair_index, pair_list, predicted_pairs


def test_pair_index_enumerates_ordered_pairs_like_deepercut():
    joints = 4
    expected = [(i, j) for i in range(joints) for j in range(joints) if i != j]
    assert [pair_index(i, j, joints) for i, j in expected] == list(range(len(expected)))


def test_pair_list_is_the_inverse_of_pair_index():
    pairs = pair_list(5)
    assert pairs.shape == (20, 2) and (pairs[:, 0] != pairs[:, 1]).all()
    np.testing.assert_array_equal(pair_index(pairs[:, 0], pairs[:, 1], 5), np.arange(20))


def test_grid_size_is_twice_the_ceiling_of_twice_the_stride():
    assert grid_size(480, 640, 8.0) == (60, 80)
    assert grid_size(481, 1, 8.0) == (62, 2)
    assert grid_size(16, 17, 8.0) == (2, 4)
    assert grid_size(64, 64, 4.0) == (16, 16)


def test_the_layout_comes_from_the_config_with_its_defaults():
    """The config table is the one place a default lives: DeeperCut's stride 8, locref_stdev
    7.2801 and no locref, pairwise or intermediate head unless asked for."""
    heads = builders.heads(3)
    assert heads == HeadLayout(num_joints=3, stride=8.0, locref_stdev=7.2801,
                               location_refinement=False, pairwise_predict=False,
                               intermediate_supervision=False)
    assert heads.channels() == {"part_pred": 3}
    full = builders.heads(4, location_refinement=True, pairwise_predict=True,
                          intermediate_supervision=True, stride=4.0)
    assert full.num_pairs == 12 and full.grid(30, 40) == (8, 10)
    assert full.channels() == {"part_pred": 4, "locref": 8, "pairwise_pred": 24,
                               "part_pred_interm": 4}
    assert "part_pred_interm" not in full.channels(intermediate=False)


@pytest.mark.parametrize("field, value", [("num_joints", 0), ("stride", 0.0), ("locref_stdev", -1.0)])
def test_a_layout_without_joints_or_scale_is_refused(field, value):
    values = dict(num_joints=2, stride=8.0, locref_stdev=7.2801, location_refinement=True,
                  pairwise_predict=False, intermediate_supervision=False)
    with pytest.raises(ValueError, match="must be positive"):
        HeadLayout(**{**values, field: value})


def test_predicted_pairs_are_both_directions_of_the_graph_in_pair_index_order():
    assert predicted_pairs([[2, 0], [1, 2]], 3) == ((0, 2), (1, 2), (2, 0), (2, 1))
    assert predicted_pairs([[0, 1], [1, 0], [1, 1]], 3) == ((0, 1), (1, 0))  # once; no same part
    assert predicted_pairs([], 3) == tuple(map(tuple, pair_list(3).tolist()))  # DeeperCut's
    with pytest.raises(ValueError, match=r"sparse_graph: expected joint ids in 0..2, got \[\[0, 3\]\]"):
        predicted_pairs([[0, 3]], 3)


def test_a_sparse_layout_maps_pairs_to_slots():
    heads = builders.heads(4, pairwise_predict=True, sparse_graph=[[0, 1], [1, 3]])
    assert heads.pairs == ((0, 1), (1, 0), (1, 3), (3, 1)) and heads.num_pairs == 4
    assert heads.channels()["pairwise_pred"] == 8 and not heads.full_pairs
    assert heads.pair_slot(1, 3) == 2 and heads.pair_slot(3, 1) == 3
    assert heads.pair_slot(0, 2) == -1 and heads.pair_slot(2, 2) == -1
    np.testing.assert_array_equal(heads.pair_slot([0, 1, 2], [1, 0, 3]), [0, 1, -1])
    np.testing.assert_array_equal(heads.pair_rows, pair_index([0, 1, 1, 3], [1, 0, 3, 1], 4))
    slots = heads.pair_slots
    assert slots.dtype == np.int32 and slots.shape == (4, 4) and (np.diag(slots) == -1).all()
    assert sorted(slots[slots >= 0].tolist()) == [0, 1, 2, 3]
    with pytest.raises(ValueError, match=r"pair_slot: expected joint ids in 0..3"):
        heads.pair_slot(0, 4)
    full = builders.heads(4, pairwise_predict=True)
    assert full.full_pairs and full.num_pairs == 12
    np.testing.assert_array_equal(full.pair_rows, np.arange(12))
    np.testing.assert_array_equal(full.pair_slot(*pair_list(4).T), np.arange(12))


def test_the_config_graph_chooses_the_pairs():
    """An empty sparse_graph predicts every pair (DeeperCut), a keypoint format's default graph
    its pairs, a given sparse_graph its own."""
    assert builders.heads(17, pairwise_predict=True).num_pairs == 17 * 16
    coco = builders.heads(17, pairwise_predict=True, keypoint_format="coco17")
    assert coco.num_pairs == 220 and coco.channels()["pairwise_pred"] == 440
    assert builders.heads(17, pairwise_predict=True, keypoint_format="coco17",
                          sparse_graph=[[0, 1]]).pairs == ((0, 1), (1, 0))
    wholebody = builders.heads(133, pairwise_predict=True, keypoint_format="cocowholebody133")
    assert wholebody.channels()["pairwise_pred"] == 3672  # 35,112 for every pair


@pytest.mark.parametrize("pairs, message", [
    (((0, 0),), "two different joints"), (((0, 2),), "two different joints"),
    (((1, 0), (0, 1)), "in pair_index order"), (((0, 1), (0, 1)), "each ordered pair once")])
def test_pairs_out_of_order_or_range_are_refused(pairs, message):
    with pytest.raises(ValueError, match=message):
        HeadLayout(num_joints=2, stride=8.0, locref_stdev=7.2801, location_refinement=False,
                   pairwise_predict=True, intermediate_supervision=False, pairs=pairs)


def test_a_large_full_head_is_built_with_a_warning(caplog):
    """133 joints without a graph or format: DeeperCut's meaning (every pair), but not silently."""
    with caplog.at_level("WARNING", logger="nnet.heads"):
        heads = builders.heads(133, pairwise_predict=True)
    assert heads.channels()["pairwise_pred"] == 35112
    assert "give a sparse_graph" in caplog.text and "35112 channels" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="nnet.heads"):
        builders.heads(17, pairwise_predict=True)
        builders.heads(133, pairwise_predict=True, keypoint_format="cocowholebody133")
    assert not caplog.text
