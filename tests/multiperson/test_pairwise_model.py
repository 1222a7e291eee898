"""multiperson.pairwise: DeeperCut's features, probabilities and .mat layout."""
import math
import os

import numpy as np
import pytest
import scipy.io as sio

import grouping_reference as ref
from lib.errors import CheckpointError
from multiperson.pairwise import SpatialModel, edge_features, load_spatial_model, save_spatial_model


def _two_candidates():
    part = np.array([0, 1])
    xy = np.array([[10.0, 10.0], [40.0, 10.0]])
    grid_xy = np.array([[12.0, 12.0], [36.0, 12.0]])
    offsets = np.zeros((2, 2, 2))
    offsets[0, 1] = [30.0, -2.0]   # predicted from 0 towards part 1
    offsets[1, 0] = [0.0, -20.0]   # predicted from 1 towards part 0: 90 degrees off
    return part, xy, grid_xy, offsets


def test_features_by_hand():
    part, xy, grid_xy, offsets = _two_candidates()
    feats = edge_features(xy, grid_xy, offsets, part, np.array([0]), np.array([1]))[0]
    forward_real = xy[1] - grid_xy[0]            # (28, -2)
    backward_real = xy[0] - grid_xy[1]           # (-26, -2)
    assert feats[0] == pytest.approx(np.linalg.norm(forward_real - [30, -2]))
    a = math.atan2(-2, 28) - math.atan2(-2, 30)
    assert feats[1] == pytest.approx(abs(a))
    assert feats[2] == pytest.approx(np.linalg.norm(backward_real - [0, -20]))
    b = abs(math.atan2(-2, -26) - math.atan2(-20, 0))
    assert feats[3] == pytest.approx(min(b, 2 * math.pi - b))
    np.testing.assert_allclose(feats[4:], np.exp(-feats[:4]))


def test_compiled_features_are_the_numpy_reference():
    rng = np.random.default_rng(4)
    n, j = 60, 5
    part = rng.integers(0, j, n)
    xy = rng.uniform(0, 300, (n, 2))
    offsets = rng.normal(0, 40, (n, j, 2))
    offsets[:3] = 0.0  # zero predicted offsets: angle 0
    first, second = np.nonzero(part[:, None] != part[None, :])
    grid_xy = xy + rng.normal(0, 3, (n, 2))
    got = edge_features(xy, grid_xy, offsets, part, first, second)
    want = ref.edge_features(xy, grid_xy, offsets, part, first, second)
    assert got.shape == (len(first), 8) and len(first) > 1000
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-15)
    with pytest.raises(ValueError, match="pairs of one part"):
        edge_features(xy, grid_xy, offsets, np.zeros(n, int), [0], [1])
    with pytest.raises(ValueError, match=r"second holds indices outside \[0, 60\)"):
        edge_features(xy, grid_xy, offsets, part, [0], [60])


def test_probabilities_use_the_pair_model_in_either_order_and_same_part_rule():
    part, xy, grid_xy, offsets = _two_candidates()
    w = np.array([-1.0, 0, -1.0, 0, 0, 0, 0, 0, 2.0])
    model = SpatialModel.empty(2).with_pair(1, 0, w, np.zeros(8), np.full(8, 10.0))
    feats = edge_features(xy, grid_xy, offsets, part, np.array([0]), np.array([1]))[0]
    want = 1 / (1 + np.exp(-(feats / 10.0) @ w[:-1] - w[-1]))
    got = ref.edge_probabilities(model, xy, grid_xy, offsets, part, [0, 1], [1, 0])
    np.testing.assert_allclose(got, [want, want])
    same = ref.edge_probabilities(model, xy, grid_xy, offsets, np.array([0, 0]), [0], [1])
    np.testing.assert_allclose(same, 1 / (1 + np.exp(0.2 * 30.0 - 7.5)))
    fitted = model.with_same_part([0.1, 0.5], [1.0, 2.0])
    same = ref.edge_probabilities(fitted, xy, grid_xy, offsets, np.array([1, 1]), [0], [1])
    np.testing.assert_allclose(same, 1 / (1 + np.exp(0.5 * 30.0 - 2.0)))
    assert ref.same_part_probability(0.0) > 0.99 and ref.same_part_probability(100.0) < 1e-5
    with pytest.raises(ValueError, match=r"no spatial model for part pairs \[\(0, 1\)\]"):
        ref.edge_probabilities(SpatialModel.empty(2), xy, grid_xy, offsets, part, [0], [1])


def test_save_and_load_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    model = SpatialModel.empty(4)
    for k, m in [(0, 1), (1, 3)]:
        model = model.with_pair(k, m, rng.normal(size=9), rng.random(8), 1 + rng.random(8))
    model = model.with_same_part(rng.random(4), rng.normal(size=4))
    paths = save_spatial_model(model, tmp_path)
    assert sorted(os.path.basename(p) for p in paths) == ["same_part_model.mat",
                                                          "spatial_model_cidx_1_2.mat",
                                                          "spatial_model_cidx_2_4.mat"]
    loaded = load_spatial_model(tmp_path, 4)
    assert loaded.pairs().tolist() == [[0, 1], [1, 3]]
    for name in ("weights", "x_min", "x_max", "same_coef", "same_bias"):
        np.testing.assert_allclose(getattr(loaded, name), getattr(model, name))
    os.remove(tmp_path / "same_part_model.mat")  # DeeperCut's files: its constants
    deepercut = load_spatial_model(tmp_path, 4)
    np.testing.assert_allclose(deepercut.same_coef, 0.2)
    np.testing.assert_allclose(deepercut.same_bias, 7.5)


def test_loads_matlab_structs_with_column_and_cell_wrapped_fields(tmp_path):
    """liblinear writes log_reg.w as a 1 x 9 row (what we write); a 9 x 1 column, and a field
    wrapped in a 1 x 1 cell, load the same."""
    w, lo, hi = np.arange(9.0), np.arange(8.0), np.arange(8.0) + 3
    cell = np.empty((1, 1), dtype=object)
    cell[0, 0] = hi[None]
    sio.savemat(tmp_path / "spatial_model_cidx_2_3.mat",
                {"spatial_model": {"log_reg": {"w": w[:, None]},
                                   "training_opts": {"X_min": lo[None], "X_max": cell}}})
    model = load_spatial_model(tmp_path, 3)
    assert model.pairs().tolist() == [[1, 2]]
    np.testing.assert_allclose(model.weights[1, 2], w)
    np.testing.assert_allclose(model.x_min[1, 2], lo)
    np.testing.assert_allclose(model.x_max[1, 2], hi)


def _deepercut_probability(path, features):
    """DeeperCut's reading of a spatial model file, re-implemented from its description: loadmat
    without squeezing, the first row of log_reg.w as the 9 weights (bias last), X_min and X_max
    as rows; the probability of each row of ``features`` (E, 8)."""
    data = sio.loadmat(path)["spatial_model"]
    w = data["log_reg"][0, 0]["w"][0, 0][0, :]
    x_min = data["training_opts"][0, 0]["X_min"][0, 0]
    x_max = data["training_opts"][0, 0]["X_max"][0, 0]
    scaled = (features - x_min) / (x_max - x_min)
    return 1 / (1 + np.exp(-np.dot(np.hstack([scaled, np.ones((len(scaled), 1))]), w)))


def test_deepercut_reads_the_spatial_models_we_write(tmp_path):
    rng = np.random.default_rng(5)
    lo = rng.random(8)
    model = SpatialModel.empty(3).with_pair(0, 2, rng.normal(size=9), lo, lo + 1 + rng.random(8))
    save_spatial_model(model, tmp_path)
    assert sio.loadmat(tmp_path / "spatial_model_cidx_1_3.mat")["spatial_model"]["log_reg"][
        0, 0]["w"][0, 0].shape == (1, 9)
    n = 6
    part = np.array([0, 0, 0, 2, 2, 2])
    xy = rng.uniform(0, 100, (n, 2))
    offsets = rng.normal(0, 30, (n, 3, 2))
    first, second = np.array([0, 1, 2]), np.array([3, 4, 5])
    features = edge_features(xy, xy + 1.0, offsets, part, first, second)
    want = ref.edge_probabilities(load_spatial_model(tmp_path, 3), xy, xy + 1.0, offsets, part,
                                  first, second)
    np.testing.assert_allclose(_deepercut_probability(tmp_path / "spatial_model_cidx_1_3.mat",
                                                      features), want, rtol=1e-9)


def test_load_errors_name_the_file(tmp_path):
    with pytest.raises(CheckpointError, match="no spatial_model_cidx"):
        load_spatial_model(tmp_path, 3)
    sio.savemat(tmp_path / "spatial_model_cidx_1_5.mat", {"spatial_model": {}})
    with pytest.raises(CheckpointError, match=r"cidx_1_5.mat: part pair \(1, 5\) does not fit 3"):
        load_spatial_model(tmp_path, 3)
    os.remove(tmp_path / "spatial_model_cidx_1_5.mat")
    sio.savemat(tmp_path / "spatial_model_cidx_1_2.mat",
                {"spatial_model": {"log_reg": {"w": np.zeros(4)},
                                   "training_opts": {"X_min": np.zeros(8), "X_max": np.ones(8)}}})
    with pytest.raises(CheckpointError, match=r"cidx_1_2.mat: w: expected 9 finite numbers"):
        load_spatial_model(tmp_path, 3)
