"""DeeperCut's training losses: weighted sigmoid cross-entropy, Huber/squared regression, L2 decay.

Reductions follow TF1's ``tf.losses`` default (SUM_BY_NONZERO_WEIGHTS): the weighted sum
divided by the number of non-zero weights, so masked-out cells neither count nor dilute.
"""
from dataclasses import dataclass

import tensorflow as tf
from keras import layers

from nnet.heads import HeadLayout, head_layout_from_config


@dataclass(frozen=True)
class LossSettings:
    """Which loss terms are on (the head layout's heads) and how they are weighted (pose_cfg.yaml)."""

    heads: HeadLayout
    weigh_part_predictions: bool
    locref_huber_loss: bool
    locref_loss_weight: float
    pairwise_huber_loss: bool
    pairwise_loss_weight: float


def loss_settings_from_config(cfg):
    """The loss settings named by a loaded pose config."""
    return LossSettings(
        heads=head_layout_from_config(cfg),
        weigh_part_predictions=bool(cfg.weigh_part_predictions),
        locref_huber_loss=bool(cfg.locref_huber_loss),
        locref_loss_weight=float(cfg.locref_loss_weight),
        pairwise_huber_loss=bool(cfg.pairwise_huber_loss),
        pairwise_loss_weight=float(cfg.pairwise_loss_weight),
    )


def weighted_mean(losses, weights):
    """Sum of weights * losses over the count of non-zero weights (0 when all are zero)."""
    weights = tf.broadcast_to(tf.cast(weights, losses.dtype), tf.shape(losses))
    present = tf.math.count_nonzero(weights, dtype=losses.dtype)
    return tf.math.divide_no_nan(tf.reduce_sum(losses * weights), present)


def sigmoid_cross_entropy(targets, logits, weights=1.0):
    """Weighted sigmoid cross-entropy of part-score logits against 0/1 targets."""
    logits = tf.cast(logits, tf.float32)
    losses = tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.cast(targets, tf.float32),
                                                     logits=logits)
    return weighted_mean(losses, weights)


def huber_loss(targets, predictions, weights, delta=1.0):
    """Weighted Huber loss: quadratic below ``delta``, linear above (DeeperCut's k = 1)."""
    diff = tf.cast(predictions, tf.float32) - tf.cast(targets, tf.float32)
    absolute = tf.abs(diff)
    losses = tf.where(absolute < delta, 0.5 * tf.square(diff), delta * absolute - 0.5 * delta ** 2)
    return weighted_mean(losses, weights)


def squared_loss(targets, predictions, weights):
    """Weighted squared error (TF1's mean_squared_error with weights)."""
    diff = tf.cast(predictions, tf.float32) - tf.cast(targets, tf.float32)
    return weighted_mean(tf.square(diff), weights)


def pose_losses(outputs, batch, settings):
    """Each loss term and their sum ('total_loss') for network outputs and a target batch.

    ``outputs``: raw head outputs of ``build_pose_net``; ``batch``: DeeperCut's target names
    ('part_score_targets', 'part_score_weights', 'locref_targets', 'locref_mask',
    'pairwise_targets', 'pairwise_mask'). Part-score weights count as given with
    weigh_part_predictions; otherwise only where they are zero (ignored regions, batch
    padding), which then drop out of the loss.
    """
    part_weights = batch.get("part_score_weights", 1.0)
    if not settings.weigh_part_predictions and "part_score_weights" in batch:
        part_weights = tf.cast(tf.not_equal(part_weights, 0), tf.float32)
    terms = {"part_loss": sigmoid_cross_entropy(batch["part_score_targets"],
                                                outputs["part_pred"], part_weights)}
    if settings.heads.intermediate_supervision and "part_pred_interm" in outputs:
        terms["part_loss_interm"] = sigmoid_cross_entropy(
            batch["part_score_targets"], outputs["part_pred_interm"], part_weights)
    for head, on, huber, weight in (
            ("locref", settings.heads.location_refinement, settings.locref_huber_loss,
             settings.locref_loss_weight),
            ("pairwise", settings.heads.pairwise_predict, settings.pairwise_huber_loss,
             settings.pairwise_loss_weight)):
        if not on:
            continue
        prediction = outputs["locref" if head == "locref" else "pairwise_pred"]
        loss = huber_loss if huber else squared_loss
        terms[f"{head}_loss"] = weight * loss(batch[f"{head}_targets"], prediction,
                                              batch[f"{head}_mask"])
    terms["total_loss"] = tf.add_n(list(terms.values()))
    return terms


def regularized_kernels(model):
    """The kernels TF-slim regularises: every (transposed) convolution's weights, not depthwise."""
    return [layer.kernel for layer in model.layers
            if isinstance(layer, (layers.Conv2D, layers.Conv2DTranspose))]


def weight_decay_loss(kernels, weight_decay):
    """Slim's l2_regularizer summed: weight_decay * sum(w ** 2) / 2 over the kernels."""
    if not kernels or not weight_decay:
        return tf.constant(0.0)
    return weight_decay * tf.add_n([tf.nn.l2_loss(tf.cast(k, tf.float32)) for k in kernels])
