"""A pairwise head with channels only for the part pairs the grouping links.

The bundled multi-person model was trained with DeeperCut's full head (all J(J-1) pairs); its
config links the COCO-17 default graph, so its network now has the sparse head, sliced from the
full checkpoint. Both find the same people; a 133-joint format trains and predicts with it.
"""
import dataclasses
import os

import imageio.v3 as iio
import numpy as np
import pytest
import tensorflow as tf
from fake_records import Record

import builders
from conftest import ROOT
from dataset.augment import AugmentSettings
from dataset.keypoint_formats import get_format
from dataset.pairwise_stats import compute_pairwise_stats
from dataset.pipeline import SampleSettings, training_dataset
from multiperson.pairwise import NUM_FEATURES, SpatialModel
from multiperson.predict import MultiPersonPredictor, multiperson_settings_from_config
from nnet.heads import pair_list
from nnet.pose_net import spec_from_config
from nnet.predict import setup_pose_prediction
from nnet.train import Trainer, TrainSettings, run_training
from posecut.build import grouping_assets_from_config
from posecut.config import load_config

BUNDLED = os.path.join(ROOT, "models", "synthetic_multi")


def _full(heads):
    """The same head layout with DeeperCut's full pairwise head."""
    return dataclasses.replace(heads, pairs=None)


def test_the_bundled_model_finds_the_same_people_with_the_sparse_head():
    cfg = load_config(os.path.join(BUNDLED, "pose_cfg.yaml"))
    weights = os.path.join(BUNDLED, "model", "weights")
    spec = spec_from_config(cfg)
    assert spec.heads.num_pairs == 220 and not spec.heads.full_pairs  # COCO-17's default graph
    settings, means, stds, model, gates = grouping_assets_from_config(cfg)
    sparse = setup_pose_prediction(spec, weights)  # the full checkpoint, sliced
    full = setup_pose_prediction(dataclasses.replace(spec, heads=_full(spec.heads)), weights)
    image = iio.imread(os.path.join(ROOT, "demo", "images", "people.png"))[..., :3]
    got, want = sparse(image), full(image)
    assert got["pairwise_pred"].shape[-1] == 440 and want["pairwise_pred"].shape[-1] == 544
    channels = np.stack([2 * spec.heads.pair_rows, 2 * spec.heads.pair_rows + 1], 1).reshape(-1)
    np.testing.assert_allclose(got["pairwise_pred"], want["pairwise_pred"][..., channels],
                               rtol=1e-5, atol=1e-5)
    for name in ("part_prob", "locref"):
        np.testing.assert_allclose(got[name], want[name], rtol=1e-5, atol=1e-5)

    full_settings = dataclasses.replace(settings, heads=_full(settings.heads))
    people = MultiPersonPredictor(sparse, means, stds, model, settings, gates)(image)
    reference = MultiPersonPredictor(full, means, stds, model, full_settings, gates)(image)
    assert len(people.poses) >= 6 and people.poses.shape == reference.poses.shape
    np.testing.assert_allclose(people.poses, reference.poses, atol=1e-3)
    np.testing.assert_allclose(people.scores, reference.scores, atol=1e-5)


def test_a_grouping_graph_beyond_the_head_is_refused():
    settings = builders.grouping(4, location_refinement=True, pairwise_predict=True,
                                 sparse_graph=[[0, 1], [1, 2]])
    assert settings.heads.num_pairs == 4
    wider = np.array(settings.pair_mask)
    wider[0, 3] = wider[3, 0] = True
    with pytest.raises(ValueError, match=r"sparse_graph: the part pairs \[\[0, 3\], \[3, 0\]\] are "
                                         r"linked but the pairwise head predicts no offsets"):
        dataclasses.replace(settings, pair_mask=wider)


def _wholebody_records(folder, count, rng):
    """Tiny images with one or two people of the 133 COCO-WholeBody joints (a random walk
    around a centre, every joint visible)."""
    out = []
    for i in range(count):
        image = np.full((64, 64, 3), 80, np.uint8)
        people = []
        for _ in range(rng.integers(1, 3)):
            centre = rng.uniform(16, 48, 2)
            xy = centre + rng.normal(0, 6, (133, 2))
            people.append(np.column_stack([np.clip(xy, 1, 62), np.full(133, 2.0)]))
            for x, y in people[-1][::7, :2].astype(int):
                image[max(y - 1, 0):y + 2, max(x - 1, 0):x + 2] = (230, 60, 40)
        iio.imwrite(folder / f"{i}.png", image)
        out.append(Record(str(folder / f"{i}.png"), np.array(people, np.float32)))
    return out


def test_coco_wholebody_trains_and_predicts_with_pairs_only_on_its_graph(tmp_path):
    cfg = builders.config(keypoint_format="cocowholebody133", net_type="mobilenet_v2_0.35",
                          location_refinement=True, pairwise_predict=True, pos_dist_thresh=8,
                          min_person_parts=1, det_min_score=0.05)
    spec = spec_from_config(cfg)
    graph = np.array(cfg.linked_pairs)
    assert spec.num_joints == 133 and len(graph) == 918  # the format's default graph
    assert spec.head_channels()["pairwise_pred"] == 2 * 2 * 918 == 3672  # not 2 * 133 * 132
    pairs = np.array(spec.heads.pairs)
    assert {tuple(p) for p in pairs} == {(k, m) for a, b in graph for k, m in ((a, b), (b, a))}

    rng = np.random.default_rng(0)
    records = _wholebody_records(tmp_path, 4, rng)
    stats = compute_pairwise_stats((r.joints for r in records), 133)
    samples = SampleSettings(
        AugmentSettings(global_scale=1.0, scale_jitter_lo=1.0, scale_jitter_up=1.0, mirror=False,
                        crop=False, crop_pad=0, max_input_size=500, flip_index=None),
        builders.targets(133, **{k: getattr(cfg, k) for k in (
            "keypoint_format", "location_refinement", "pairwise_predict", "pos_dist_thresh")}),
        stats.means, stats.stds)
    tf.keras.utils.set_random_seed(0)
    trainer = Trainer(spec, builders.losses(133, keypoint_format="cocowholebody133",
                                            location_refinement=True, pairwise_predict=True),
                      TrainSettings(multi_step=((0.01, 3),), optimizer="adam", display_iters=1,
                                    save_iters=100, snapshot_prefix=str(tmp_path / "snapshot"),
                                    log_dir=str(tmp_path / "log")))
    result = run_training(trainer, lambda start: training_dataset(
        records, samples, 2, seed=1, start_sample=2 * start), progress=False)
    assert result["step"] == 3 and np.isfinite(result["history"][-1]["pairwise_loss"])
    assert trainer.model.get_layer("pose.pairwise_pred.block4").kernel.shape[2] == 3672

    # predict people with the trained network and a spatial model of the graph's pairs
    j = 133
    fitted = np.zeros((j, j), bool)
    fitted[np.minimum(graph[:, 0], graph[:, 1]), np.maximum(graph[:, 0], graph[:, 1])] = True
    weights = np.where(fitted[..., None], rng.normal(0, 0.1, (j, j, NUM_FEATURES + 1)), 0.0)
    model = SpatialModel(weights, np.zeros((j, j, NUM_FEATURES)), np.ones((j, j, NUM_FEATURES)),
                         fitted)
    settings = multiperson_settings_from_config(cfg)
    network = setup_pose_prediction(spec, str(tmp_path / "snapshot-3"))
    predictor = MultiPersonPredictor(network, stats.means, stats.stds, model, settings)
    image = iio.imread(records[0].image_path)
    raw = network(image)
    assert raw["pairwise_pred"].shape == (1, 8, 8, 3672)
    people = predictor(image)
    assert people.poses.shape[1:] == (133, 3) and len(people.poses) >= 1
    assert np.isfinite(people.poses).all()
    assert len(pair_list(j)) == 17556  # what a full head would predict
    assert get_format("cocowholebody133").num_joints == j
