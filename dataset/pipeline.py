"""The training input pipeline on tf.data: decode, augment and build targets in parallel, pad, batch.

Each sample's randomness comes from ``(seed, sample number)``, so the stream is the same
whatever the number of parallel workers, and resuming at step ``s`` can skip straight to
sample ``s * batch_size``. An image that cannot be read is logged with its path and skipped.
"""
import logging
from dataclasses import dataclass
from typing import Optional

import numpy as np
import tensorflow as tf

from dataset.augment import AugmentSettings, augment, draw_scale
from dataset.images import read_image
from dataset.targets import TargetSettings, compute_targets
from lib.errors import DatasetError

log = logging.getLogger(__name__)

IMAGE_KEY = "inputs"


@dataclass(frozen=True)
class SampleSettings:
    """Everything that turns one record into one training sample."""

    augment: AugmentSettings
    targets: TargetSettings
    pairwise_means: Optional[np.ndarray] = None
    pairwise_stds: Optional[np.ndarray] = None


def target_keys(targets):
    """Names of the target arrays a sample carries, in a fixed order."""
    keys = ["part_score_targets", "part_score_weights"]
    if targets.heads.location_refinement:
        keys += ["locref_targets", "locref_mask"]
    if targets.heads.pairwise_predict:
        keys += ["pairwise_targets", "pairwise_mask"]
    return keys


def make_sample(record, rng, settings):
    """Read, augment and build targets for one record; None when it must be skipped (logged)."""
    try:
        image = read_image(record.image_path)
        ignore = record.ignore_mask()
    except DatasetError as err:
        log.warning("skipping unreadable training image: %s", err)
        return None
    scale = draw_scale(rng, settings.augment)
    out = augment(rng, image, np.asarray(record.joints, np.float32), ignore,
                  settings=settings.augment, scale=scale)
    if out is None:
        log.info("skipping %s: larger than max_input_size after scaling", record.image_path)
        return None
    image, joints, ignore = out
    targets = compute_targets(joints, image.shape[:2], settings.targets, settings.pairwise_means,
                              settings.pairwise_stds, ignore, scale=scale)
    return {IMAGE_KEY: image, **targets}


def _channels(targets):
    """Channels of each target array."""
    j, pairs = targets.heads.num_joints, targets.heads.num_pairs
    return {"part_score_targets": j, "part_score_weights": j, "locref_targets": 2 * j,
            "locref_mask": 2 * j, "pairwise_targets": 2 * pairs, "pairwise_mask": 2 * pairs}


def _is_ok(sample, ok):
    return ok


def _sample_only(sample, ok):
    return sample


def training_dataset(records, settings, batch_size, seed, shuffle=True, start_sample=0,
                     workers=0, mean_pixel=(123.68, 116.779, 103.939)):
    """An endless tf.data stream of padded batches: 'inputs' (B, H, W, 3) float32 and the targets.

    Batches are padded to their largest image; padded pixels take ``mean_pixel`` and padded
    cells get zero weights and masks, so padding never trains.
    """
    if not records:
        raise DatasetError("the training set is empty: no image to train on")
    keys = target_keys(settings.targets)
    channels = _channels(settings.targets)
    count = len(records)

    def load(sample_number, index):
        rng = np.random.default_rng([seed, int(sample_number)])
        sample = make_sample(records[int(index)], rng, settings)
        if sample is None:
            return [np.zeros((0, 0, 3), np.uint8)] + [
                np.zeros((0, 0, channels[k]), np.float32) for k in keys] + [False]
        return [sample[IMAGE_KEY]] + [sample[k].astype(np.float32) for k in keys] + [True]

    def tf_load(sample_number, index):
        outputs = tf.numpy_function(load, [sample_number, index],
                                    [tf.uint8] + [tf.float32] * len(keys) + [tf.bool],
                                    stateful=False)
        sample = {IMAGE_KEY: tf.ensure_shape(outputs[0], [None, None, 3])}
        for key, tensor in zip(keys, outputs[1:-1]):
            sample[key] = tf.ensure_shape(tensor, [None, None, channels[key]])
        sample["image_size"] = tf.shape(outputs[0])[:2]
        return sample, outputs[-1]

    indices = tf.data.Dataset.range(count)
    if shuffle:
        indices = indices.shuffle(count, seed=seed, reshuffle_each_iteration=True)
    stream = tf.data.Dataset.zip(tf.data.Dataset.range(2 ** 62), indices.repeat())
    stream = stream.skip(start_sample)
    parallel = workers if workers > 0 else tf.data.AUTOTUNE
    stream = stream.map(tf_load, num_parallel_calls=parallel, deterministic=True)
    stream = stream.filter(_is_ok).map(_sample_only)
    stream = stream.padded_batch(batch_size, padding_values={
        IMAGE_KEY: tf.constant(0, tf.uint8), "image_size": 0,
        **{k: 0.0 for k in keys}})
    mean = tf.constant(mean_pixel, tf.float32)

    def fill_padding(batch):
        images = tf.cast(batch.pop(IMAGE_KEY), tf.float32)
        sizes = batch.pop("image_size")
        rows = tf.range(tf.shape(images)[1])[None, :, None] < sizes[:, 0, None, None]
        cols = tf.range(tf.shape(images)[2])[None, None, :] < sizes[:, 1, None, None]
        inside = (rows & cols)[..., None]
        batch[IMAGE_KEY] = tf.where(inside, images, mean)
        return batch

    return stream.map(fill_padding, num_parallel_calls=tf.data.AUTOTUNE).prefetch(
        tf.data.AUTOTUNE)
