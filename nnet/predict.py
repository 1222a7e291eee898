"""Inference: the network built from a spec, its weights restored, a compiled forward pass."""
import os
from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from nnet.checkpoint import load_weights
from nnet.checkpoint_files import config_weights
from nnet.heads import grid_size
from nnet.pose_net import PoseNetSpec, build_pose_net, fold_batchnorm, spec_from_config
from lib.errors import CheckpointError, InputError


def prediction_outputs(raw) -> dict:
    """The raw head outputs as prediction reads them, with DeeperCut's names: 'part_prob' the
    sigmoid of 'part_pred', and 'locref' and 'pairwise_pred' as they are (still normalised).
    The one place the sigmoid is taken: the predictor, the SavedModel and the TFLite model."""
    out = {"part_prob": keras.ops.sigmoid(raw["part_pred"])}
    out.update({name: raw[name] for name in ("locref", "pairwise_pred") if name in raw})
    return out


def compile_forward(model, jit_compile=False):
    """A tf.function over the model for images of any size (float32 or uint8, N x H x W x 3),
    giving its prediction_outputs."""

    @tf.function(input_signature=[tf.TensorSpec([None, None, None, 3], tf.float32)],
                 jit_compile=jit_compile)
    def forward(images):
        return prediction_outputs(model(images, training=False))

    def run(images):
        images = np.asarray(images)
        if images.ndim == 3:
            images = images[None]
        if images.ndim != 4 or images.shape[-1] != 3 or min(images.shape[:3]) < 1:
            raise InputError(f"image: expected an RGB image H x W x 3 or a batch N x H x W x 3 "
                             f"with N, H, W >= 1, got shape {images.shape}")
        if images.dtype.kind not in "biuf":
            raise InputError(f"image: expected numbers (uint8 or float), got {images.dtype}")
        if images.dtype.kind == "f" and not np.isfinite(images).all():
            raise InputError("image: expected finite pixel values, got NaN or infinity")
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
        return {name: value.numpy() for name, value in self.forward(image).items()}


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


@dataclass
class TFLitePredictor:
    """A TFLite network (tflite_forward) with its config's spec, called as PosePredictor is, so
    that the single-person argmax (nnet.outputs.predict_single_person) reads its head layout."""

    run: object
    spec: PoseNetSpec

    def __call__(self, image):
        return self.run(image)


def tflite_quantised(path) -> bool:
    """Whether the TFLite file at ``path`` computes in int8 (posecut export --int8): a tensor of
    its graph is int8."""
    interpreter = tf.lite.Interpreter(model_path=os.fspath(path))
    return any(d["dtype"] == np.int8 for d in interpreter.get_tensor_details())


def tflite_forward(path, stride=None):
    """A function image (H, W, 3) -> outputs dict as nnet.predict.PosePredictor gives them
    ('part_prob' sigmoid scores, raw 'locref' and 'pairwise_pred', batch axis), from TFLite on
    every core. Images smaller than the model's fixed input are padded at the bottom and right,
    which keeps their coordinates, and with the network's ``stride`` the outputs are cut to the
    image's own grid (nnet.heads.grid_size); a larger image is an InputError."""
    interpreter = tf.lite.Interpreter(model_path=os.fspath(path), num_threads=os.cpu_count())
    runner = interpreter.get_signature_runner()
    (name,) = runner.get_input_details()
    height, width = (int(v) for v in runner.get_input_details()[name]["shape"][1:3])

    def run(image):
        image = np.asarray(image, np.float32)
        h, w = image.shape[:2]
        if h > height or w > width:
            raise InputError(f"{path}: an image of {h}x{w} is larger than the TFLite model's "
                             f"input of {height}x{width}; export it with --tflite-size at least "
                             f"{h} {w}")
        padded = np.zeros((1, height, width, 3), np.float32)
        padded[0, :h, :w] = image[..., :3]
        outputs = runner(**{name: padded})
        if stride is None:
            return outputs
        rows, cols = grid_size(h, w, stride)
        return {key: value[:, :rows, :cols] for key, value in outputs.items()}

    return run
