"""nnet.outputs: raw outputs to maps in pixels, and the argmax pose."""
import numpy as np
import pytest

from nnet.heads import pair_index
from nnet.outputs import argmax_pose_predict, argmax_pose_tf, extract_cnn_output


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


@pytest.mark.parametrize("seed, stride, with_offsets", [(0, 8.0, True), (1, 7.5, True), (2, 16.0, False),
                                                       (3, 4.0, True)])
def test_argmax_pose_in_tensorflow_equals_the_numpy_one(seed, stride, with_offsets):
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    height, width, joints = (int(n) for n in rng.integers(1, 30, 3))
    scmap = rng.random((height, width, joints)).astype(np.float32)
    offmat = (rng.normal(scale=10, size=(height, width, joints, 2)).astype(np.float32)
              if with_offsets else None)
    want = argmax_pose_predict(scmap, offmat, stride)
    got = argmax_pose_tf(tf.constant(scmap), None if offmat is None else tf.constant(offmat), stride)
    assert got.dtype == tf.float32 and got.shape == (joints, 3)
    np.testing.assert_array_equal(got.numpy(), want.astype(np.float32))


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


def test_extract_cnn_output_denormalises_a_sparse_head_with_its_rows():
    rng = np.random.default_rng(1)
    rows = np.array([1, 4])  # the slots' pairs (0, 2) and (2, 0) of 3 joints
    outputs = {"part_prob": rng.random((1, 2, 3, 3)),
               "pairwise_pred": rng.normal(size=(1, 2, 3, 4))}
    means, stds = rng.normal(size=(6, 2)) * 10, rng.uniform(1, 5, size=(6, 2))
    _, _, pairwise = extract_cnn_output(outputs, 7.2801, means, stds, rows)
    assert pairwise.shape == (2, 3, 2, 2)
    assert pairwise[1, 2, 1, 1] == pytest.approx(outputs["pairwise_pred"][0, 1, 2, 3] * stds[4, 1]
                                                 + means[4, 1])
    with pytest.raises(ValueError, match="give the head layout's pair_rows"):
        extract_cnn_output(outputs, 7.2801, means, stds)
