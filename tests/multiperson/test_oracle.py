"""multiperson.oracle: raw outputs that reproduce the ground truth through the detection stage."""
import dataclasses

import numpy as np

import builders
from multiperson.detections import extract_detections
from multiperson.oracle import OracleNoise, oracle_outputs


def test_noise_free_oracle_gives_back_the_joints_and_their_offsets():
    joints = np.array([[[40.0, 30.0, 2], [60.0, 70.0, 2], [0, 0, 0]]])
    settings = builders.targets(3, pos_dist_thresh=10, location_refinement=True, pairwise_predict=True)
    means, stds = np.full((6, 2), 5.0), np.full((6, 2), 3.0)
    quiet = OracleNoise(score=0.0, locref_px=0.0, pairwise_px=0.0, pairwise_rel=0.0)
    raw = oracle_outputs(joints, (96, 96), settings, means, stds, quiet, 0)
    assert {name: value.shape for name, value in raw.items()} == {
        "part_prob": (1, 12, 12, 3), "locref": (1, 12, 12, 6), "pairwise_pred": (1, 12, 12, 12)}
    assert all(value.dtype == np.float32 for value in raw.values())
    dets = extract_detections(raw, means, stds, 8.0, settings.heads.locref_stdev, 3.0, 0.5)
    assert dets.part.tolist() == [0, 1]
    np.testing.assert_allclose(dets.xy, joints[0, :2, :2], atol=1e-4)
    # offsets from each candidate's cell to the other labelled joint; unlabelled: the mean
    np.testing.assert_allclose(dets.grid_xy[0] + dets.offsets[0, 1], joints[0, 1, :2], atol=1e-4)
    np.testing.assert_allclose(dets.offsets[0, 2], means[0])
    noisy = oracle_outputs(joints, (96, 96), settings, means, stds, OracleNoise(), 0)
    assert not np.allclose(noisy["pairwise_pred"], raw["pairwise_pred"])
    positive = raw["part_prob"] > 0
    assert 0.8 <= noisy["part_prob"][positive].min() and noisy["part_prob"][positive].max() <= 1.0


def test_oracle_outputs_follow_a_sparse_head():
    joints = np.array([[[40.0, 30.0, 2], [60.0, 70.0, 2], [20.0, 70.0, 2]]])
    settings = builders.targets(3, pos_dist_thresh=10, location_refinement=True, pairwise_predict=True,
                                sparse_graph=[[0, 1]])
    rng = np.random.default_rng(2)
    means, stds = rng.normal(0, 5, (6, 2)), rng.uniform(2, 4, (6, 2))
    quiet = OracleNoise(score=0.0, locref_px=0.0, pairwise_px=0.0, pairwise_rel=0.0)
    raw = oracle_outputs(joints, (96, 96), settings, means, stds, quiet, 0)
    assert raw["pairwise_pred"].shape == (1, 12, 12, 4)
    dets = extract_detections(raw, means, stds, 8.0, settings.heads.locref_stdev, 3.0, 0.5,
                              settings.heads.pair_slots)
    assert dets.part.tolist() == [0, 1, 2]
    np.testing.assert_allclose(dets.grid_xy[0] + dets.offsets[0, 1], joints[0, 1, :2], atol=1e-4)
    np.testing.assert_allclose(dets.grid_xy[1] + dets.offsets[1, 0], joints[0, 0, :2], atol=1e-4)
    assert not dets.offsets[0, 2].any() and not dets.offsets[2].any()  # no channels: 0
    full = dataclasses.replace(settings, heads=dataclasses.replace(settings.heads, pairs=None))
    channels = np.stack([2 * settings.heads.pair_rows, 2 * settings.heads.pair_rows + 1], 1)
    for seed in range(2):  # with noise: the full head's outputs at the slots' channels
        want = oracle_outputs(joints, (96, 96), full, means, stds, OracleNoise(), seed)
        got = oracle_outputs(joints, (96, 96), settings, means, stds, OracleNoise(), seed)
        np.testing.assert_allclose(got["pairwise_pred"],
                                   want["pairwise_pred"][..., channels.reshape(-1)], rtol=1e-6)
        np.testing.assert_array_equal(got["part_prob"], want["part_prob"])
