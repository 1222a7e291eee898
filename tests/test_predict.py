"""Prediction: raw outputs to maps, the argmax pose, and the compiled predictor."""
import numpy as np
import pytest

from nnet.checkpoint import save_weights
from nnet.pose_net import PoseNetSpec, build_pose_net, spec_from_config
from nnet.predict import (argmax_pose_predict, extract_cnn_output, pair_index,
                          setup_pose_prediction)


def test_argmax_pose_by_hand():
    scmap = np.zeros((4, 5, 2))
    scmap[1, 3, 0] = 0.9
    scmap[2, 0, 1] = 0.7
    locref = np.zeros((4, 5, 2, 2))
    locref[1, 3, 0] = [1.5, -2.0]
    pose = argmax_pose_predict(scmap, locref, 8.0)
    np.testing.assert_allclose(pose, [[3 * 8 + 4 + 1.5, 1 * 8 + 4 - 2.0, 0.9],
                                      [0 * 8 + 4, 2 * 8 + 4, 0.7]])
    np.testing.assert_allclose(argmax_pose_predict(scmap, None, 8.0)[:, :2],
                               [[28, 12], [4, 20]])


def test_pair_index_enumerates_ordered_pairs_like_deepercut():
    joints = 4
    expected = [(i, j) for i in range(joints) for j in range(joints) if i != j]
    assert [pair_index(i, j, joints) for i, j in expected] == list(range(len(expected)))


def test_extract_cnn_output_scales_locref_and_denormalises_pairwise():
    rng = np.random.default_rng(0)
    joints = 3
    outputs = {"part_prob": rng.random((1, 2, 3, joints)),
               "locref": rng.normal(size=(1, 2, 3, 2 * joints)),
               "pairwise_pred": rng.normal(size=(1, 2, 3, 2 * joints * (joints - 1)))}
    means = rng.normal(size=(6, 2)) * 10
    stds = rng.uniform(1, 5, size=(6, 2))
    scmap, locref, pairwise = extract_cnn_output(outputs, 7.2801, means, stds)
    assert scmap.shape == (2, 3, 3)
    assert locref[1, 2, 2, 1] == pytest.approx(outputs["locref"][0, 1, 2, 5] * 7.2801)
    pair = pair_index(2, 0, joints)
    raw_x = outputs["pairwise_pred"][0, 1, 0, 2 * pair]
    assert pairwise[1, 0, pair, 0] == pytest.approx(raw_x * stds[pair, 0] + means[pair, 0])
    _, _, raw = extract_cnn_output(outputs)
    assert raw[1, 0, pair, 0] == pytest.approx(raw_x)


def test_predictor_loads_weights_and_matches_the_plain_model(tmp_path):
    spec = PoseNetSpec(net_type="mobilenet_v2_0.35", num_joints=2, pairwise_predict=True)
    model = build_pose_net(spec)
    for variable in model.weights:
        variable.assign(np.random.default_rng(2).normal(0, 0.1, variable.shape).astype("float32"))
    prefix = save_weights(model, tmp_path / "w")
    predictor = setup_pose_prediction(spec, prefix)
    image = np.random.default_rng(3).integers(0, 256, (45, 61, 3), dtype=np.uint8)
    outputs = predictor(image)
    expected = model(image[None].astype(np.float32))
    np.testing.assert_allclose(outputs["part_prob"],
                               1 / (1 + np.exp(-np.asarray(expected["part_pred"]))), atol=1e-5)
    np.testing.assert_allclose(outputs["pairwise_pred"], np.asarray(expected["pairwise_pred"]),
                               atol=1e-4)
    other = predictor(np.zeros((20, 30, 3), np.uint8))
    assert other["part_prob"].shape == (1, 4, 4, 2)
    with pytest.raises(ValueError, match="expected an RGB image"):
        predictor(np.zeros((20, 30), np.uint8))


def test_without_weights_the_config_init_weights_are_restored_as_in_deepercut(tmp_path):
    from posecut.config import config_from_dict
    from posecut.errors import CheckpointError, ConfigError

    cfg = config_from_dict({"net_type": "mobilenet_v2_0.35", "num_joints": 2,
                            "precision": "float32", "init_weights": "w"},
                           source=str(tmp_path / "pose_cfg.yaml"), config_dir=str(tmp_path))
    spec = spec_from_config(cfg)
    model = build_pose_net(spec)
    for variable in model.weights:
        variable.assign(np.abs(np.random.default_rng(4).normal(0, 0.1, variable.shape)).astype("float32"))
    prefix = save_weights(model, tmp_path / "w")
    image = np.random.default_rng(5).integers(0, 256, (33, 41, 3), dtype=np.uint8)
    restored = setup_pose_prediction(cfg)(image)["part_prob"]
    np.testing.assert_array_equal(restored, setup_pose_prediction(cfg, prefix)(image)["part_prob"])
    untrained = setup_pose_prediction(cfg, untrained=True)(image)["part_prob"]
    assert np.abs(untrained - restored).max() > 1e-3
    with pytest.raises(ConfigError, match=r"pose_cfg.yaml: init_weights: expected the checkpoint"):
        setup_pose_prediction(cfg.replace(init_weights=""))
    with pytest.raises(CheckpointError, match="PoseNetSpec"):
        setup_pose_prediction(spec)
    with pytest.raises(CheckpointError, match="untrained=True"):
        setup_pose_prediction(cfg, prefix, untrained=True)


def test_lazy_pairwise_reads_the_same_offsets():
    from dataset.pairwise_stats import NormalisedOffsets

    rng = np.random.default_rng(1)
    outputs = {"part_prob": rng.random((1, 2, 3, 3)),
               "pairwise_pred": rng.normal(size=(1, 2, 3, 12)).astype(np.float32)}
    means, stds = rng.normal(size=(6, 2)) * 10, rng.uniform(1, 5, size=(6, 2))
    _, _, eager = extract_cnn_output(outputs, 7.2801, means, stds)
    _, _, lazy = extract_cnn_output(outputs, 7.2801, means, stds, lazy_pairwise=True)
    assert isinstance(lazy, NormalisedOffsets)
    np.testing.assert_array_equal(lazy.denormalised(), eager)
    cells, channels = np.array([[4], [0]]), np.array([[5, 1], [2, 3]])
    np.testing.assert_array_equal(lazy.take(cells, channels),
                                  eager.reshape(6, 6, 2)[cells, channels])
