"""multiperson.predict: the whole grouping on oracle outputs, and the predictor's set-up."""
import numpy as np
import pytest

from dataset.pairwise_stats import compute_pairwise_stats, save_pairwise_stats
from dataset.synthetic import render_scene
from multiperson.detections import extract_detections
from multiperson.fit_pairwise import PairSamples, fit_spatial_model, match_detections, pair_samples
from multiperson.oracle import OracleNoise, oracle_outputs
from multiperson.pairwise import save_spatial_model
from multiperson.predict import STAGES, multiperson_settings_from_config, people_from_raw_outputs
from posecut.build import setup_multiperson_prediction
from posecut.config import config_from_dict
from lib.errors import CheckpointError, ConfigError

import builders

J = 17
TARGETS = builders.targets(J, keypoint_format="coco17", pos_dist_thresh=8, location_refinement=True,
                           pairwise_predict=True)  # the format's graph: a sparse pairwise head
NOISE = OracleNoise(score=0.1, locref_px=0.5, pairwise_px=1.0, pairwise_rel=0.05)


def _scenes(count, seed):
    rng = np.random.default_rng(seed)
    return [render_scene(rng, 160, 160, 3, min_height=70)[1] for _ in range(count)]


@pytest.fixture(scope="module")
def fitted():
    """Statistics and a spatial model fitted on oracle outputs of synthetic scenes."""
    train = _scenes(12, 0)
    stats = compute_pairwise_stats(train, J)
    settings = builders.grouping(J, keypoint_format="coco17", nms_radius=2.0, det_min_score=0.3,
                                 min_person_parts=3, edge_gate_stds=0.0, edge_offset_gate_px=None)
    samples = PairSamples(J)
    for i, joints in enumerate(train):
        raw = oracle_outputs(joints, (160, 160), TARGETS, stats.means, stats.stds, NOISE, i)
        dets = extract_detections(raw, stats.means, stats.stds, 8.0, 7.2801, 2.0, 0.3,
                                  TARGETS.heads.pair_slots)
        pair_samples(dets, match_detections(dets, joints, 8.0), settings.pair_mask, samples)
    model, _ = fit_spatial_model(samples, np.argwhere(np.triu(settings.pair_mask, 1)))
    return stats, model, settings


def test_every_person_is_recovered_from_oracle_outputs(fitted):
    stats, model, settings = fitted
    found = total = 0
    for i, joints in enumerate(_scenes(6, 1)):
        raw = oracle_outputs(joints, (160, 160), TARGETS, stats.means, stats.stds, NOISE, 100 + i)
        timings = {}
        people = people_from_raw_outputs(raw, stats.means, stats.stds, model, settings, timings)
        assert set(timings) == {"nms", "pairwise", "solver", "assembly"}
        for person in joints:
            labelled = person[:, 2] > 0
            if labelled.sum() < 5:
                continue
            total += 1
            error = np.linalg.norm(people.poses[:, labelled, :2] - person[None, labelled, :2],
                                   axis=2)
            found += bool((np.median(error, axis=1) < 3.0).any())
    assert total >= 10
    assert found >= 0.8 * total


def test_settings_from_config_use_the_format_graph_and_deepercuts_defaults():
    """A config without our keys groups as DeeperCut did: the NMS radius rounded up to whole
    cells (DeeperCut's grid), no distance or offset gate, every cluster kept."""
    cfg = config_from_dict({"num_joints": 17, "keypoint_format": "coco17", "nms_radius": 2.5})
    settings = multiperson_settings_from_config(cfg)
    assert settings.nms_radius == 3.0 and settings.min_person_parts == 1
    assert settings.edge_gate_stds == 0.0 and settings.offset_gate is None
    assert settings.pair_mask[5, 9] and not settings.pair_mask[0, 16]
    assert multiperson_settings_from_config(cfg.replace(keypoint_format=None)).pair_mask.all()


def test_predictor_runs_a_network_and_times_every_stage(fitted, tmp_path):
    stats, model, _ = fitted
    save_pairwise_stats(stats, tmp_path / "pairwise_stats.mat")
    save_spatial_model(model, tmp_path / "pairwise_model")
    cfg = config_from_dict({"num_joints": J, "keypoint_format": "coco17",
                            "net_type": "mobilenet_v2_0.35", "location_refinement": True,
                            "pairwise_predict": True, "pairwise_model_dir": "pairwise_model",
                            "det_min_score": 0.3, "global_scale": 0.5},
                           config_dir=str(tmp_path))
    predictor = setup_multiperson_prediction(cfg, untrained=True)
    image = np.random.default_rng(0).integers(0, 255, (120, 100, 3), dtype=np.uint8)
    people = predictor(image)
    assert set(predictor.timings) == set(STAGES)
    assert people.poses.ndim == 3 and people.poses.shape[1:] == (J, 3)
    # global_scale: the network sees the image at half size, people come back in its pixels
    import cv2
    import dataclasses

    from multiperson.predict import MultiPersonPredictor

    unscaled = MultiPersonPredictor(predictor.network, predictor.means, predictor.stds,
                                    predictor.model,
                                    dataclasses.replace(predictor.settings, global_scale=1.0))
    half = unscaled(cv2.resize(image, (50, 60), interpolation=cv2.INTER_LINEAR))
    assert len(half.poses) == len(people.poses) > 0
    np.testing.assert_allclose(people.poses[..., :2], 2 * half.poses[..., :2], rtol=1e-5)
    with pytest.raises(ConfigError, match="pairwise_predict"):
        setup_multiperson_prediction(cfg.replace(pairwise_predict=False), untrained=True)
    with pytest.raises(CheckpointError, match="no spatial_model_cidx"):
        setup_multiperson_prediction(cfg, model_dir=str(tmp_path), untrained=True)


def test_the_bundled_single_person_picture_is_one_person_not_two(root):
    """The bundled model finds each leg as both its left and its right knee and ankle; the
    leftover labels made a second "person" on top of the first, which duplicate_person_px drops."""
    import dataclasses

    from dataset.images import read_image
    from posecut.build import setup_multiperson_prediction
    from posecut.config import load_config

    cfg = load_config(root / "models" / "synthetic_multi" / "pose_cfg.yaml")
    predictor = setup_multiperson_prediction(cfg, str(root / "models" / "synthetic_multi" / "model" / "weights"))
    image = read_image(root / "demo" / "images" / "person.png")
    assert len(predictor(image).scores) == 1
    predictor.settings = dataclasses.replace(predictor.settings, duplicate_px=0.0)
    twice = predictor(image)
    assert len(twice.scores) == 2 and (twice.poses[1, :, 2] > 0).sum() == 4
