"""nnet.outputs: raw outputs to maps in pixels, and the argmax pose."""
import numpy as np
import pytest

from nnet.heads import pair_index
from nnet.outputs import argmax_pose_predict, extract_cnn_output


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
    _, _, raw = extract_cnn_output(outputs, 7.2801)
    assert raw[1, 0, pair, 0] == pytest.approx(raw_x)
