"""nnet.predict: the network of a spec or config with its weights, compiled."""
import numpy as np
import pytest

from nnet.checkpoint import save_weights
from nnet.pose_net import build_pose_net, spec_from_config
from nnet.predict import setup_pose_prediction

import builders


def test_predictor_loads_weights_and_matches_the_plain_model(tmp_path):
    spec = builders.spec("mobilenet_v2_0.35", 2, location_refinement=True, pairwise_predict=True)
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
    from lib.errors import CheckpointError, ConfigError

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
