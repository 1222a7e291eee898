"""posecut.export: the SavedModel and TFLite give the outputs (and people) of their source."""
import numpy as np
import pytest

from dataset.pairwise_stats import PairwiseStats, save_pairwise_stats
from multiperson.pairwise import SpatialModel, save_spatial_model
from multiperson.predict import setup_multiperson_prediction
from nnet.checkpoint import save_weights
from nnet.pose_net import build_pose_net, spec_from_config
from posecut.cli import main
from posecut.config import config_from_dict, save_config
from posecut.errors import CheckpointError
from posecut.export import export_saved_model, export_tflite, load_exported, tflite_forward

J = 4


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny multi-person model on disk: config, random weights, statistics, spatial model."""
    folder = tmp_path_factory.mktemp("model")
    rng = np.random.default_rng(0)
    pairs = J * (J - 1)
    save_pairwise_stats(PairwiseStats(rng.normal(0, 20, (pairs, 2)), 5 + rng.random((pairs, 2)),
                                      np.full(pairs, 10)), folder / "stats.mat")
    model = SpatialModel.empty(J)
    for k in range(J):
        for m in range(k + 1, J):
            model = model.with_pair(k, m, rng.normal(size=9), np.zeros(8), np.ones(8) * 50)
    save_spatial_model(model, folder / "spatial")
    cfg = config_from_dict({"num_joints": J, "net_type": "mobilenet_v2_0.35",
                            "location_refinement": True, "pairwise_predict": True,
                            "pairwise_stats_fn": "stats.mat", "pairwise_model_dir": "spatial",
                            "det_min_score": 0.3, "min_person_parts": 1},
                           source=str(folder / "pose_cfg.yaml"), config_dir=str(folder))
    save_config(cfg, folder / "pose_cfg.yaml")
    weights = save_weights(build_pose_net(spec_from_config(cfg)), folder / "weights")
    return cfg, weights, folder


def test_saved_model_gives_the_same_people(trained, tmp_path):
    cfg, weights, _ = trained
    export_saved_model(cfg, weights, tmp_path / "saved")
    loaded_cfg, exported = load_exported(tmp_path / "saved")
    assert loaded_cfg.num_joints == J and loaded_cfg.pairwise_model_dir == "pairwise_model"
    original = setup_multiperson_prediction(cfg, weights)
    image = np.random.default_rng(1).integers(0, 255, (72, 88, 3), dtype=np.uint8)
    want, got = original.network(image), exported.network(image)
    for name in ("part_prob", "locref", "pairwise_pred"):
        np.testing.assert_allclose(got[name], want[name], atol=1e-5)
    people, exported_people = original(image), exported(image)
    assert len(people.poses) > 0
    np.testing.assert_allclose(exported_people.poses, people.poses, atol=1e-4)


def test_tflite_gives_the_same_outputs(trained, tmp_path):
    cfg, weights, _ = trained
    path = export_tflite(cfg, weights, tmp_path / "model.tflite", 64, 80)
    run = tflite_forward(path)
    original = setup_multiperson_prediction(cfg, weights)
    image = np.random.default_rng(2).integers(0, 255, (64, 80, 3), dtype=np.uint8)
    want, got = original.network(image), run(image)
    assert set(got) == set(want)
    for name in want:
        np.testing.assert_allclose(got[name], want[name], atol=1e-4)


def test_errors_and_the_command(trained, tmp_path, capsys):
    cfg, weights, folder = trained
    with pytest.raises(CheckpointError, match="TFLite export is for the light"):
        export_tflite(cfg.replace(net_type="resnet_50"), weights, tmp_path / "x.tflite", 32, 32)
    with pytest.raises(CheckpointError, match="not an exported model"):
        load_exported(tmp_path)
    assert main(["export", str(folder / "pose_cfg.yaml"), "--weights", weights, "--output",
                 str(tmp_path / "cli"), "--tflite", str(tmp_path / "cli.tflite"),
                 "--tflite-size", "32", "48"]) == 0
    out = capsys.readouterr().out
    assert "SavedModel written" in out and "TFLite written" in out
    assert (tmp_path / "cli.tflite").stat().st_size > 0
