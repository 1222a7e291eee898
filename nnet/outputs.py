"""The network's raw outputs decoded: score maps and offsets in pixels, the argmax pose.

Numpy only (importing it does not start TensorFlow), so the tools that read outputs need not
load the network's framework; the argmax pose's TensorFlow twin, for graphs that must stay in
TensorFlow ops (the exported signature), imports it when called.
"""
import math

import cv2
import numpy as np

from lib.errors import InputError
from lib.grid import cell_centres


def extract_cnn_output(outputs, locref_stdev, pairwise_means=None, pairwise_stds=None,
                       pair_rows=None):
    """Score map (h, w, J), locref (h, w, J, 2) in pixels, pairwise offsets (h, w, P, 2).

    Takes the first image of the batch. The pairwise head's P slots are the ordered pairs of
    its head layout (``nnet.heads.HeadLayout.pairs``; all J(J-1) in DeeperCut's order for the
    full head). Its offsets are de-normalised with the per-pair statistics (arrays of shape
    (J(J-1), 2), x then y, in DeeperCut's pair order) when given, row ``pair_rows[s]`` for slot
    ``s`` (``HeadLayout.pair_rows``; None: the full head, rows in order). The grouping does not
    need these maps: lib/people.hpp reads the raw outputs and de-normalises only its
    candidates' cells.
    """
    scmap = np.asarray(outputs["part_prob"])[0]
    locref = pairwise = None
    if "locref" in outputs:
        raw = np.asarray(outputs["locref"])[0]
        locref = raw.reshape(raw.shape[0], raw.shape[1], -1, 2) * locref_stdev
    if "pairwise_pred" in outputs:
        raw = np.asarray(outputs["pairwise_pred"])[0]
        pairwise = raw.reshape(raw.shape[0], raw.shape[1], -1, 2)
        if pairwise_means is not None:
            means, stds = np.asarray(pairwise_means), np.asarray(pairwise_stds)
            if pair_rows is not None:
                means, stds = means[np.asarray(pair_rows)], stds[np.asarray(pair_rows)]
            if means.shape != pairwise.shape[2:]:
                raise InputError(f"extract_cnn_output: pairwise statistics of shape {means.shape} "
                                 f"for {pairwise.shape[2]} pairwise slots; give the head "
                                 f"layout's pair_rows for a sparse head")
            pairwise = pairwise * stds + means
    return scmap, locref, pairwise


def argmax_pose_predict(scmap, offmat, stride):
    """Single-person pose (J, 3): per joint the best cell's centre plus its refinement, and its score.

    ``scmap`` is (h, w, J); ``offmat`` (h, w, J, 2) offsets in pixels (x, y) or None.
    """
    height, width, joints = scmap.shape
    best = scmap.reshape(-1, joints).argmax(axis=0)
    rows, cols = np.unravel_index(best, (height, width))
    ids = np.arange(joints)
    xy = cell_centres(np.stack([cols, rows], axis=1).astype(np.float64), stride)
    if offmat is not None:
        xy += offmat[rows, cols, ids]
    return np.column_stack([xy, scmap[rows, cols, ids]])


def argmax_pose_tf(scmap, offmat, stride):
    """:func:`argmax_pose_predict` in TensorFlow ops: the same cells, centres and refinement,
    x and y summed in float64, returned as a (J, 3) float32 tensor.

    ``scmap`` is an (h, w, J) tensor; ``offmat`` (h, w, J, 2) offsets in pixels (x, y) or None.
    """
    import tensorflow as tf

    shape = tf.shape(scmap)
    width, joints = shape[1], shape[2]
    flat = tf.reshape(scmap, [-1, joints])
    best = tf.argmax(flat, axis=0, output_type=tf.int32)
    score = tf.cast(tf.reduce_max(flat, axis=0), tf.float32)
    xy = cell_centres(tf.cast(tf.stack([best % width, best // width], axis=1), tf.float64), stride)
    if offmat is not None:
        cells = tf.reshape(offmat, [-1, joints, 2])
        xy += tf.cast(tf.gather_nd(cells, tf.stack([best, tf.range(joints)], axis=1)), tf.float64)
    return tf.concat([tf.cast(xy, tf.float32), score[:, None]], axis=1)


def scale_image(image, scale):
    """The image resized by ``scale`` (bilinear) as the network sees it; unchanged at 1. An
    image without pixels, or a scale that is not a finite positive number, is an InputError."""
    shape = np.shape(image)
    if len(shape) < 2 or min(shape[:2]) < 1:
        raise InputError(f"image: expected an image of H x W pixels with H, W >= 1, got shape {shape}")
    if not (math.isfinite(scale) and scale > 0):
        raise InputError(f"scale: expected a finite number > 0, got {scale!r}")
    if scale == 1.0:
        return image
    height, width = image.shape[:2]
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_LINEAR)


def predict_single_person(predictor, image, scale=1.0):
    """The argmax pose (J, 3) of one image in its own pixels, the network run at ``scale``."""
    return outputs_argmax_pose(predictor(scale_image(image, scale)), predictor.spec.heads, scale)


def outputs_argmax_pose(raw, heads, scale=1.0):
    """The argmax pose (J, 3), in the pixels of the image before it was resized by ``scale``, of
    the raw outputs of a network with the head layout ``heads``."""
    scmap, locref, _ = extract_cnn_output(raw, heads.locref_stdev)
    pose = argmax_pose_predict(scmap, locref, heads.stride)
    pose[:, :2] /= scale
    return pose
