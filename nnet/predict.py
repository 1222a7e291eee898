"""Inference: a compiled forward pass, raw outputs to score maps and offsets, the argmax pose."""
from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from dataset.pairwise_stats import NormalisedOffsets
from dataset.pairwise_stats import pair_index  # noqa: F401 (DeeperCut's pairwise channel order)
from nnet.checkpoint import load_weights
from nnet.checkpoint_files import config_weights
from nnet.pose_net import PoseNetSpec, build_pose_net, fold_batchnorm, spec_from_config
from posecut.errors import CheckpointError


def compile_forward(model, jit_compile=False):
    """A tf.function over the model for images of any size (float32 or uint8, N x H x W x 3)."""

    @tf.function(input_signature=[tf.TensorSpec([None, None, None, 3], tf.float32)],
                 jit_compile=jit_compile)
    def forward(images):
        return model(images, training=False)

    def run(images):
        images = np.asarray(images)
        if images.ndim == 3:
            images = images[None]
        if images.ndim != 4 or images.shape[-1] != 3:
            raise ValueError(f"expected an RGB image H x W x 3 or a batch N x H x W x 3, "
                             f"got shape {images.shape}")
        return forward(tf.constant(images, tf.float32))

    return run


@dataclass
class PosePredictor:
    """A loaded network ready to run: call it on an RGB image to get numpy outputs.

    Outputs keep DeeperCut's names: 'part_prob' (sigmoid scores), 'locref' and
    'pairwise_pred' (raw, still normalised), each with a batch axis.
    """

    model: object
    spec: PoseNetSpec
    forward: object

    def __call__(self, image):
        raw = self.forward(image)
        outputs = {"part_prob": tf.sigmoid(raw["part_pred"]).numpy()}
        for name in ("locref", "pairwise_pred"):
            if name in raw:
                outputs[name] = raw[name].numpy()
        return outputs


def setup_pose_prediction(cfg, weights=None, fold=True, jit_compile=False, untrained=False):
    """Build the network of ``cfg`` (a loaded config or a PoseNetSpec), load weights, compile.

    ``weights``: a TF checkpoint prefix or folder with TF-slim names (DeeperCut's published
    models or ours). Without it the config's ``init_weights`` is restored, as DeeperCut's
    function does. Random weights only when asked for with ``untrained=True``. BatchNorm is
    folded for speed unless ``fold`` is off.
    """
    spec = cfg if isinstance(cfg, PoseNetSpec) else spec_from_config(cfg)
    if untrained and weights:
        raise CheckpointError(f"{weights}: weights given with untrained=True; pass one of the two")
    if not untrained and not weights:
        if isinstance(cfg, PoseNetSpec):
            raise CheckpointError("weights: expected a checkpoint prefix or folder for a network "
                                  "built from a PoseNetSpec (untrained=True for random weights)")
        weights = config_weights(cfg)
    model = build_pose_net(spec)
    if not untrained:
        load_weights(model, weights, spec)
    if fold:
        model = fold_batchnorm(model, spec)
    return PosePredictor(model, spec, compile_forward(model, jit_compile))


def extract_cnn_output(outputs, locref_stdev=7.2801, pairwise_means=None, pairwise_stds=None,
                       lazy_pairwise=False):
    """Score map (h, w, J), locref (h, w, J, 2) in pixels, pairwise offsets (h, w, J(J-1), 2).

    Takes the first image of the batch. Pairwise offsets are de-normalised with the per-pair
    statistics (arrays of shape (J(J-1), 2), x then y, in DeeperCut's pair order) when given;
    with ``lazy_pairwise`` they come as a dataset.pairwise_stats.NormalisedOffsets, which
    de-normalises only the cells read (multiperson.detections.extract_detections accepts it).
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
            pairwise = NormalisedOffsets(pairwise, pairwise_means, pairwise_stds)
            if not lazy_pairwise:
                pairwise = pairwise.denormalised()
    return scmap, locref, pairwise


def argmax_pose_predict(scmap, offmat, stride):
    """Single-person pose (J, 3): per joint the best cell's centre plus its refinement, and its score.

    ``scmap`` is (h, w, J); ``offmat`` (h, w, J, 2) offsets in pixels (x, y) or None.
    """
    height, width, joints = scmap.shape
    best = scmap.reshape(-1, joints).argmax(axis=0)
    rows, cols = np.unravel_index(best, (height, width))
    ids = np.arange(joints)
    xy = np.stack([cols, rows], axis=1).astype(np.float64) * stride + 0.5 * stride
    if offmat is not None:
        xy += offmat[rows, cols, ids]
    return np.column_stack([xy, scmap[rows, cols, ids]])


def scale_image(image, scale):
    """The image resized by ``scale`` (bilinear) as the network sees it; unchanged at 1."""
    if scale == 1.0:
        return image
    import cv2

    height, width = image.shape[:2]
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_LINEAR)


def network_outputs(predictor, image, locref_stdev, means=None, stds=None, scale=1.0):
    """(scmap, locref, pairwise) of ``image`` resized by ``scale``, as extract_cnn_output gives
    them with lazy_pairwise (de-normalised where read)."""
    return extract_cnn_output(predictor(scale_image(image, scale)), locref_stdev, means, stds,
                              lazy_pairwise=True)


def predict_single_person(predictor, image, locref_stdev, stride, scale=1.0):
    """The argmax pose (J, 3) of one image in its own pixels, the network run at ``scale``."""
    scmap, locref, _ = network_outputs(predictor, image, locref_stdev, scale=scale)
    pose = argmax_pose_predict(scmap, locref, stride)
    pose[:, :2] /= scale
    return pose
