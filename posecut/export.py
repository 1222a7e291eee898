"""Export of a trained model: a TensorFlow SavedModel (any backbone) and TFLite (light backbone).

The SavedModel's ``serving_default`` signature takes one RGB image (H, W, 3, float32 0-255)
and returns people: 'poses' (K, J, 3) as x, y, score in the image's pixels and 'scores' (K,),
as multiperson.predict.MultiPersonPredictor gives them. Everything after the network runs in
the compiled op of lib/people_op.cc (the same C++ as the Python pipeline's kernels), so a
process must load that op before the SavedModel (``load_exported`` does). A single-person
model (no pairwise head) returns its argmax pose as one person. The ``network`` signature
returns the raw outputs with DeeperCut's names and a batch axis ('part_prob' sigmoid scores,
'locref' and 'pairwise_pred' raw). ``assets/`` holds the config, the pairwise statistics and
the spatial model, and the temporal model where the config has one: tracking is a stage after
the ``network`` signature (a tracker of posecut.build.tracker_factory on the exported config, fed by
posecut.tracking_run.track_frames with ExportedPeople.network), so people stay per frame in the
SavedModel itself.
"""
import logging
import os
import shutil
import tempfile

import cv2
import keras
import numpy as np
import tensorflow as tf

from dataset.images import read_image
from dataset.loaders import load_dataset_from_config
from lib.errors import CheckpointError, DatasetError
from lib.people_op import load as load_people_op
from multiperson.assemble import People
from multiperson.graph import graph_arrays
from nnet.outputs import argmax_pose_tf
from nnet.pose_net import is_resnet
from nnet.predict import prediction_outputs, setup_pose_prediction, tflite_forward
from posecut.build import grouping_assets_from_config
from posecut.config import load_config, save_config
from posecut.int8_check import write_tflite_info
from posecut.tracking_run import temporal_model_path

__all__ = ["ExportedPeople", "calibration_images", "export_saved_model", "export_tflite",
           "load_exported", "tflite_forward"]

log = logging.getLogger(__name__)

ASSETS = "assets"
CONFIG = "pose_cfg.yaml"
STATS = "pairwise_stats.mat"
SPATIAL = "pairwise_model"
TEMPORAL = "temporal_model.npz"
_IMAGE = tf.TensorSpec([None, None, 3], tf.float32, name="image")


def _resized(image, scale: float):
    """The image resized by ``scale`` (bilinear, as nnet.outputs.scale_image); unchanged at 1."""
    if scale == 1.0:
        return image
    size = tf.maximum(1.0, tf.round(tf.cast(tf.shape(image)[:2], tf.float64) * scale))
    return tf.image.resize(image, tf.cast(size, tf.int32), method="bilinear")


def _argmax_person(prob, locref, stride: float, locref_stdev: float):
    """(poses (1, J, 3), scores (1,)) of the best cell per joint (nnet.outputs.argmax_pose_tf)
    from batched raw outputs."""
    offsets = None
    if locref is not None:
        shape = tf.shape(locref)
        offsets = tf.reshape(locref[0], [shape[1], shape[2], -1, 2]) * np.float32(locref_stdev)
    pose = argmax_pose_tf(prob[0], offsets, stride)
    return pose[None], tf.reduce_mean(pose[:, 2])[None]


class _Serving(tf.Module):
    """The network and its grouping behind fixed signatures: people, and the raw outputs."""

    def __init__(self, model, cfg, grouping):
        super().__init__()
        self.model = model
        self.scale = float(cfg.global_scale)
        self.stride = float(cfg.stride)
        self.locref_stdev = float(cfg.locref_stdev)
        self.grouping = grouping

    def _outputs(self, image):
        return prediction_outputs(self.model(image[None], training=False))

    @tf.function(input_signature=[_IMAGE])
    def network(self, image):
        return self._outputs(image)

    @tf.function(input_signature=[_IMAGE])
    def people(self, image):
        out = self._outputs(_resized(image, self.scale))
        if self.grouping is None:
            poses, scores = _argmax_person(out["part_prob"], out.get("locref"), self.stride,
                                           self.locref_stdev)
        else:
            args, attrs = self.grouping
            poses, scores = load_people_op().posecut_people(
                out["part_prob"], out["locref"], out["pairwise_pred"], *args, **attrs)
        if self.scale != 1.0:
            poses = tf.concat([poses[..., :2] / self.scale, poses[..., 2:]], axis=-1)
        return {"poses": poses, "scores": scores}


def _f64(values):
    return tf.constant(np.asarray(values, np.float64))


def _grouping(cfg):
    """The PosecutPeople op's constant inputs and attributes for a multi-person config."""
    if not cfg.location_refinement:
        raise CheckpointError(f"{cfg.source}: location_refinement: the exported grouping needs "
                              f"the locref head (true), got false")
    settings, means, stds, model, gates = grouping_assets_from_config(cfg)
    missing = np.triu(settings.pair_mask & ~np.asarray(model.fitted, bool), 1)
    if missing.any():
        k, m = (int(i) for i in np.argwhere(missing)[0])
        raise CheckpointError(f"{cfg.source}: pairwise_model_dir: no spatial model for the linked "
                              f"part pair ({k}, {m}); fit it with `posecut fit-pairwise`")
    graph = graph_arrays(model, settings.pair_mask, gates, settings.offset_gate)
    args = (_f64(means), _f64(stds),
            tf.constant(np.asarray(settings.heads.pair_slots, np.int32)),
            tf.constant(graph.linked.astype(bool)),
            tf.constant(graph.fitted.astype(bool)), _f64(graph.coef), _f64(graph.bias),
            _f64(graph.same_coef), _f64(graph.same_bias), _f64(graph.max_dist2),
            _f64([settings.heads.stride, settings.nms_radius, graph.gate_px, graph.gate_rel]))
    attrs = {"locref_stdev": settings.heads.locref_stdev, "det_min_score": settings.det_min_score,
             "min_person_parts": settings.min_person_parts,
             "duplicate_px": settings.duplicate_px}
    return args, attrs


def _network(cfg, weights, portable=False):
    """The folded network of a config with its weights (nnet.predict.setup_pose_prediction's);
    ``portable`` computes in float32 whatever the config's precision (TFLite has no bfloat16
    kernels)."""
    return setup_pose_prediction(cfg.replace(precision="float32") if portable else cfg,
                                 weights).model


def export_saved_model(cfg, weights, out_dir) -> str:
    """Write the SavedModel of a loaded config and its weights (with its grouping assets)."""
    grouping = _grouping(cfg) if cfg.pairwise_predict else None
    module = _Serving(_network(cfg, weights), cfg, grouping)
    out_dir = os.fspath(out_dir)
    tf.saved_model.save(module, out_dir, signatures={"serving_default": module.people,
                                                     "network": module.network})
    assets = os.path.join(out_dir, ASSETS)
    os.makedirs(assets, exist_ok=True)
    temporal = temporal_model_path(cfg) if cfg.pairwise_predict else ""
    temporal = temporal if os.path.isfile(temporal) else ""
    exported = cfg.replace(pairwise_stats_fn=STATS if cfg.pairwise_predict else "",
                           pairwise_model_dir=SPATIAL if cfg.pairwise_predict else "",
                           temporal_model=TEMPORAL if temporal else "", init_weights="", dataset="")
    if cfg.pairwise_predict:
        shutil.copy(cfg.resolve_path(cfg.pairwise_stats_fn), os.path.join(assets, STATS))
        shutil.copytree(cfg.resolve_path(cfg.pairwise_model_dir), os.path.join(assets, SPATIAL),
                        dirs_exist_ok=True)
    if temporal:
        shutil.copy(temporal, os.path.join(assets, TEMPORAL))
    save_config(exported, os.path.join(assets, CONFIG))
    return out_dir


class ExportedPeople:
    """A loaded SavedModel: call it on an RGB image for its People; ``network(image)`` gives
    the raw outputs as nnet.predict.PosePredictor does (numpy, batch axis)."""

    def __init__(self, loaded):
        self.loaded = loaded  # keeps the variables alive
        self._people = loaded.signatures["serving_default"]
        self._network = loaded.signatures["network"]

    def __call__(self, image):
        out = self._people(image=tf.constant(np.asarray(image), tf.float32))
        return People(out["poses"].numpy(), out["scores"].numpy())

    def network(self, image):
        out = self._network(image=tf.constant(np.asarray(image), tf.float32))
        return {name: value.numpy() for name, value in out.items()}


def load_exported(out_dir):
    """(config, ExportedPeople) of an exported SavedModel folder; registers the grouping op
    (lib/people_op.py) first, which the SavedModel needs."""
    out_dir = os.fspath(out_dir)
    config = os.path.join(out_dir, ASSETS, CONFIG)
    if not os.path.isfile(config):
        raise CheckpointError(f"{out_dir}: not an exported model (no {ASSETS}/{CONFIG})")
    cfg = load_config(config)
    load_people_op()
    try:
        loaded = tf.saved_model.load(out_dir)
    except (OSError, ValueError) as err:
        if "PosecutPeople" in str(err):
            raise CheckpointError(f"{out_dir}: exported by an older posecut, whose grouping op "
                                  f"took other inputs (before the pairwise head's pair slots); "
                                  f"export it again with `posecut export`") from None
        raise CheckpointError(f"{out_dir}: cannot load the SavedModel ({err})") from None
    if "network" not in loaded.signatures:
        raise CheckpointError(f"{out_dir}: exported by an older posecut (no 'network' "
                              f"signature); export it again with `posecut export`")
    return cfg, ExportedPeople(loaded)


def export_tflite(cfg, weights, path, height: int, width: int, calibration=None) -> str:
    """Write a TFLite flat buffer of the network for images of ``height`` x ``width``.

    It computes in float32 whatever the config's precision (``precision: auto`` picks bfloat16
    on CPUs with avx512_bf16, which TFLite's kernels lack). Its one input is a (1, height,
    width, 3) float32 image; its outputs are nnet.predict.prediction_outputs ('part_prob',
    'locref', 'pairwise_pred'); ``tflite_forward`` runs it like PosePredictor. With
    ``calibration`` (RGB images, e.g. calibration_images), it is quantised after training to
    int8 (weights and activations; input and output stay float32), the activations' ranges
    taken from those images resized to the model's size.
    """
    if is_resnet(cfg.net_type):
        raise CheckpointError(f"{cfg.source}: net_type: TFLite export is for the light "
                              f"mobilenet_v2_* backbones, got {cfg.net_type}")
    calibration = None if calibration is None else [
        cv2.resize(np.asarray(image, np.float32), (width, height))[None] for image in calibration]
    if calibration is not None and not calibration:
        raise DatasetError(f"{cfg.source}: int8 export: no calibration image")
    model = _network(cfg, weights, portable=True)
    image = keras.Input((height, width, 3), batch_size=1, name="image")
    raw = model(image)
    fixed = keras.Model(image, prediction_outputs(raw))
    with tempfile.TemporaryDirectory() as folder:
        fixed.export(folder, format="tf_saved_model", verbose=False)
        converter = tf.lite.TFLiteConverter.from_saved_model(folder)
        if calibration is not None:
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
            converter.representative_dataset = lambda: ([c] for c in calibration)
        data = converter.convert()
    with open(path, "wb") as f:
        f.write(data)
    write_tflite_info(path, None if calibration is None else
                      {"calibration_images": len(calibration), "check": None})
    return os.fspath(path)


def calibration_images(cfg, count: int = 32) -> list:
    """The first ``count`` readable images of the config's training data set (``dataset``), to
    calibrate an int8 export on what the network was trained on; unreadable ones are skipped."""
    images = []
    for record in load_dataset_from_config(cfg).records:
        if len(images) >= count:
            break
        try:
            images.append(read_image(record.image_path))
        except DatasetError as err:
            log.warning("calibration: skipped %s", err)
    if not images:
        raise DatasetError(f"{cfg.source}: dataset: no readable image to calibrate the int8 "
                           f"model on")
    return images
