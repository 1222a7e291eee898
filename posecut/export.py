"""Export of a trained model: a TensorFlow SavedModel (any backbone) and TFLite (light backbone).

The SavedModel's ``serving_default`` signature takes one RGB image (H, W, 3, uint8 or float32)
and returns the network's outputs with DeeperCut's names and a batch axis ('part_prob' sigmoid
scores, 'locref' and 'pairwise_pred' raw); its ``assets/`` folder holds the config, the pairwise
statistics and the spatial model, so ``load_exported`` gives back a complete image-in,
people-out predictor. Grouping (NMS, multicut) stays in the compiled kernels of lib/: it is not
expressible as TensorFlow ops.
"""
import os
import shutil

import numpy as np
import tensorflow as tf

from posecut.errors import CheckpointError

__all__ = ["export_saved_model", "export_tflite", "load_exported", "tflite_forward"]

ASSETS = "assets"
CONFIG = "pose_cfg.yaml"
STATS = "pairwise_stats.mat"
SPATIAL = "pairwise_model"


class _Serving(tf.Module):
    """The network behind a fixed signature: one image in, its outputs out."""

    def __init__(self, model, names):
        super().__init__()
        self.model = model
        self.names = names

    @tf.function(input_signature=[tf.TensorSpec([None, None, 3], tf.float32, name="image")])
    def serve(self, image):
        raw = self.model(image[None], training=False)
        out = {"part_prob": tf.sigmoid(raw["part_pred"])}
        for name in self.names:
            out[name] = raw[name]
        return out


def _network(cfg, weights):
    """The folded network of a config with its weights, and the names of its optional heads."""
    from nnet.checkpoint import load_weights
    from nnet.pose_net import build_pose_net, fold_batchnorm, spec_from_config

    spec = spec_from_config(cfg)
    model = build_pose_net(spec)
    load_weights(model, weights, spec)
    heads = [n for n, on in (("locref", spec.location_refinement),
                             ("pairwise_pred", spec.pairwise_predict)) if on]
    return fold_batchnorm(model, spec), heads


def export_saved_model(cfg, weights, out_dir) -> str:
    """Write the SavedModel of a loaded config and its weights (with its grouping assets)."""
    from posecut.config import save_config

    model, heads = _network(cfg, weights)
    module = _Serving(model, heads)
    out_dir = os.fspath(out_dir)
    tf.saved_model.save(module, out_dir, signatures={"serving_default": module.serve})
    assets = os.path.join(out_dir, ASSETS)
    os.makedirs(assets, exist_ok=True)
    exported = cfg.replace(pairwise_stats_fn=STATS, pairwise_model_dir=SPATIAL, init_weights="",
                           dataset="")
    if cfg.pairwise_predict:
        shutil.copy(cfg.resolve_path(cfg.pairwise_stats_fn), os.path.join(assets, STATS))
        folder = cfg.resolve_path(cfg.pairwise_model_dir)
        if folder and os.path.isdir(folder):
            shutil.copytree(folder, os.path.join(assets, SPATIAL), dirs_exist_ok=True)
    save_config(exported, os.path.join(assets, CONFIG))
    return out_dir


class _ExportedNetwork:
    """Calls a loaded SavedModel's signature like nnet.predict.PosePredictor: numpy outputs."""

    def __init__(self, signature):
        self.signature = signature

    def __call__(self, image):
        out = self.signature(image=tf.constant(np.asarray(image), tf.float32))
        return {name: value.numpy() for name, value in out.items()}


def load_exported(out_dir):
    """(config, MultiPersonPredictor) of an exported SavedModel folder."""
    from dataset.pairwise_stats import load_pairwise_stats
    from multiperson.pairwise import load_spatial_model
    from multiperson.predict import MultiPersonPredictor, multiperson_settings_from_config
    from posecut.config import load_config

    out_dir = os.fspath(out_dir)
    config = os.path.join(out_dir, ASSETS, CONFIG)
    if not os.path.isfile(config):
        raise CheckpointError(f"{out_dir}: not an exported model (no {ASSETS}/{CONFIG})")
    cfg = load_config(config)
    try:
        loaded = tf.saved_model.load(out_dir)
    except (OSError, ValueError) as err:
        raise CheckpointError(f"{out_dir}: cannot load the SavedModel ({err})") from None
    network = _ExportedNetwork(loaded.signatures["serving_default"])
    network.loaded = loaded  # keeps the variables alive
    settings = multiperson_settings_from_config(cfg)
    stats = load_pairwise_stats(cfg.resolve_path(cfg.pairwise_stats_fn), settings.num_joints,
                                scale=cfg.global_scale)
    model = load_spatial_model(cfg.resolve_path(cfg.pairwise_model_dir), settings.num_joints)
    return cfg, MultiPersonPredictor(network, stats.means, stats.stds, model, settings)


def export_tflite(cfg, weights, path, height: int, width: int) -> str:
    """Write a TFLite flat buffer of the network for images of ``height`` x ``width``.

    Its one input is a (1, height, width, 3) float32 image; its outputs are the raw heads
    ('part_pred', 'locref', 'pairwise_pred'); ``tflite_forward`` runs it like PosePredictor.
    """
    import tempfile

    import keras

    from nnet.pose_net import is_resnet

    if is_resnet(cfg.net_type):
        raise CheckpointError(f"{cfg.source}: net_type: TFLite export is for the light "
                              f"mobilenet_v2_* backbones, got {cfg.net_type}")
    model, heads = _network(cfg, weights)
    image = keras.Input((height, width, 3), batch_size=1, name="image")
    raw = model(image)
    fixed = keras.Model(image, {name: raw[name] for name in ["part_pred", *heads]})
    with tempfile.TemporaryDirectory() as folder:
        fixed.export(folder, format="tf_saved_model", verbose=False)
        data = tf.lite.TFLiteConverter.from_saved_model(folder).convert()
    with open(path, "wb") as f:
        f.write(data)
    return os.fspath(path)


def tflite_forward(path):
    """A function image (H, W, 3) -> outputs dict as nnet.predict.PosePredictor gives them
    ('part_prob' sigmoid scores, raw 'locref' and 'pairwise_pred', batch axis), from TFLite."""
    interpreter = tf.lite.Interpreter(model_path=os.fspath(path))
    runner = interpreter.get_signature_runner()
    (name,) = runner.get_input_details()

    def run(image):
        out = runner(**{name: np.asarray(image, np.float32)[None]})
        result = {"part_prob": 1.0 / (1.0 + np.exp(-out.pop("part_pred")))}
        result.update(out)
        return result

    return run
