"""Losses against TF1's tf.compat.v1.losses, the functions DeeperCut called."""
import numpy as np
import pytest
import tensorflow as tf

import builders

from nnet.losses import (huber_loss, pose_losses, regularized_kernels,
                         sigmoid_cross_entropy, squared_loss, weight_decay_loss, weighted_mean)
from nnet.pose_net import build_pose_net

rng = np.random.default_rng(3)


def random_case(shape=(2, 5, 6, 4), zero_fraction=0.5):
    targets = rng.normal(size=shape).astype(np.float32) * 2
    predictions = rng.normal(size=shape).astype(np.float32) * 2
    weights = (rng.random(shape) > zero_fraction).astype(np.float32) * rng.uniform(0.5, 2, shape)
    return targets, predictions, weights.astype(np.float32)


def test_sigmoid_cross_entropy_matches_tf1():
    logits = rng.normal(size=(2, 4, 5, 3)).astype(np.float32) * 3
    targets = (rng.random(logits.shape) > 0.7).astype(np.float32)
    weights = rng.uniform(0, 2, logits.shape).astype(np.float32)
    weights[0, 0] = 0
    expected = tf.compat.v1.losses.sigmoid_cross_entropy(targets, logits, weights)
    assert float(sigmoid_cross_entropy(targets, logits, weights)) == pytest.approx(
        float(expected), rel=1e-5)
    unweighted = tf.compat.v1.losses.sigmoid_cross_entropy(targets, logits)
    assert float(sigmoid_cross_entropy(targets, logits)) == pytest.approx(float(unweighted),
                                                                          rel=1e-5)


def test_sigmoid_cross_entropy_by_hand():
    logits = np.array([[0.0, 2.0]], np.float32)
    targets = np.array([[1.0, 0.0]], np.float32)
    expected = (np.log(2) + np.log(1 + np.exp(2.0))) / 2
    assert float(sigmoid_cross_entropy(targets, logits)) == pytest.approx(expected, rel=1e-6)


def test_huber_loss_matches_tf1_huber_with_delta_one():
    targets, predictions, weights = random_case()
    expected = tf.compat.v1.losses.huber_loss(targets, predictions, weights, delta=1.0)
    assert float(huber_loss(targets, predictions, weights)) == pytest.approx(float(expected),
                                                                             rel=1e-5)


def test_huber_loss_by_hand():
    targets = np.zeros((1, 3), np.float32)
    predictions = np.array([[0.5, -3.0, 9.0]], np.float32)
    weights = np.array([[1.0, 1.0, 0.0]], np.float32)
    assert float(huber_loss(targets, predictions, weights)) == pytest.approx((0.125 + 2.5) / 2)


def test_squared_loss_matches_tf1_mean_squared_error():
    targets, predictions, weights = random_case()
    expected = tf.compat.v1.losses.mean_squared_error(targets, predictions, weights)
    assert float(squared_loss(targets, predictions, weights)) == pytest.approx(float(expected),
                                                                               rel=1e-5)


def test_weighted_mean_of_all_zero_weights_is_zero():
    assert float(weighted_mean(tf.ones((3, 3)), tf.zeros((3, 3)))) == 0.0


def test_pose_losses_sum_the_enabled_terms_with_their_weights():
    shape = (1, 4, 4)
    joints = 3
    outputs = {"part_pred": rng.normal(size=shape + (joints,)).astype(np.float32),
               "part_pred_interm": rng.normal(size=shape + (joints,)).astype(np.float32),
               "locref": rng.normal(size=shape + (2 * joints,)).astype(np.float32),
               "pairwise_pred": rng.normal(size=shape + (12,)).astype(np.float32)}
    batch = {"part_score_targets": (rng.random(shape + (joints,)) > 0.8).astype(np.float32),
             "part_score_weights": np.ones(shape + (joints,), np.float32),
             "locref_targets": rng.normal(size=shape + (2 * joints,)).astype(np.float32),
             "locref_mask": (rng.random(shape + (2 * joints,)) > 0.5).astype(np.float32),
             "pairwise_targets": rng.normal(size=shape + (12,)).astype(np.float32),
             "pairwise_mask": (rng.random(shape + (12,)) > 0.5).astype(np.float32)}
    settings = builders.losses(intermediate_supervision=True, location_refinement=True,
                               locref_loss_weight=0.05, pairwise_predict=True,
                               pairwise_loss_weight=0.1, pairwise_huber_loss=False)
    terms = {k: float(v) for k, v in pose_losses(outputs, batch, settings).items()}
    assert set(terms) == {"part_loss", "part_loss_interm", "locref_loss", "pairwise_loss",
                          "total_loss"}
    assert terms["locref_loss"] == pytest.approx(0.05 * float(huber_loss(
        batch["locref_targets"], outputs["locref"], batch["locref_mask"])), rel=1e-6)
    assert terms["pairwise_loss"] == pytest.approx(0.1 * float(squared_loss(
        batch["pairwise_targets"], outputs["pairwise_pred"], batch["pairwise_mask"])), rel=1e-6)
    parts = sum(v for k, v in terms.items() if k != "total_loss")
    assert terms["total_loss"] == pytest.approx(parts, rel=1e-6)
    plain = pose_losses(outputs, batch, builders.losses())
    assert set(plain) == {"part_loss", "total_loss"}


def test_weight_decay_is_slims_l2_regularizer_over_conv_kernels():
    spec = builders.spec("mobilenet_v2_0.35", 2, location_refinement=True)
    model = build_pose_net(spec)
    kernels = regularized_kernels(model)
    names = {k.path.split("/")[0] for k in kernels}
    assert "pose.part_pred.block4" in names
    assert not any("depthwise" in n or "BatchNorm" in n for n in names)
    expected = 1e-4 * sum(float(np.sum(np.square(np.asarray(k)))) / 2 for k in kernels)
    assert float(weight_decay_loss(kernels, 1e-4)) == pytest.approx(expected, rel=1e-5)
    assert float(weight_decay_loss(kernels, 0.0)) == 0.0


def test_zero_part_weights_drop_cells_even_without_weighing():
    logits = rng.normal(size=(1, 3, 3, 2)).astype(np.float32)
    targets = (rng.random(logits.shape) > 0.5).astype(np.float32)
    weights = np.full(logits.shape, 2.0, np.float32)
    weights[0, 0] = 0.0
    batch = {"part_score_targets": targets, "part_score_weights": weights}
    outputs = {"part_pred": logits}
    unweighted = float(pose_losses(outputs, batch, builders.losses())
                       ["part_loss"])
    kept = weights > 0
    assert unweighted == pytest.approx(float(tf.compat.v1.losses.sigmoid_cross_entropy(
        targets[kept], logits[kept])), rel=1e-5)
    weighted = float(pose_losses(outputs, batch, builders.losses(
        weigh_part_predictions=True))["part_loss"])
    assert weighted == pytest.approx(2 * unweighted, rel=1e-5)
