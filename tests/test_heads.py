"""nnet.heads: the one record of the heads' channels, and DeeperCut's pair order."""
import numpy as np
import pytest

import builders
from nnet.heads import HeadLayout, grid_size, pair_index, pair_list


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
