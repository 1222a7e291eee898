"""multiperson.oracle: raw outputs that reproduce the ground truth through the detection stage."""
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
