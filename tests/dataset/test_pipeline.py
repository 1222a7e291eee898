"""The tf.data training pipeline: batches, padding, determinism, skipping bad images."""
import logging

import imageio.v3 as iio
import numpy as np
import pytest
from fake_records import Record

from dataset.augment import AugmentSettings
from dataset.pipeline import SampleSettings, make_sample, training_dataset
from nnet.heads import grid_size
from lib.errors import DatasetError
import builders


SETTINGS = SampleSettings(
    AugmentSettings(global_scale=1.0, scale_jitter_lo=0.8, scale_jitter_up=1.2, mirror=True,
                    crop=False, crop_pad=0, max_input_size=1000, flip_index=(1, 0, 2)),
    builders.targets(3, location_refinement=True, pairwise_predict=True))


@pytest.fixture()
def records(tmp_path):
    rng = np.random.default_rng(0)
    out = []
    for i, (h, w) in enumerate([(40, 56), (64, 48), (33, 71)]):
        path = tmp_path / f"{i}.png"
        iio.imwrite(path, rng.integers(0, 256, (h, w, 3), dtype=np.uint8))
        joints = np.array([[[10, 12, 2], [20, 15, 2], [15, 25, 1]]], np.float32)
        out.append(Record(str(path), joints))
    return out


def batches(records, count, **kwargs):
    stream = training_dataset(records, SETTINGS, batch_size=2, seed=5, **kwargs)
    return [{k: v.numpy() for k, v in b.items()} for b in stream.take(count)]


def test_batches_are_padded_with_mean_pixels_and_zero_weights(records):
    for batch in batches(records, 3):
        images = batch["inputs"]
        assert images.shape[0] == 2 and images.dtype == np.float32
        h, w = grid_size(images.shape[1], images.shape[2], 8.0)
        assert batch["part_score_targets"].shape == (2, h, w, 3)
        assert batch["pairwise_mask"].shape == (2, h, w, 12)
        for i in range(2):
            filled = np.all(images[i] == np.array([123.68, 116.779, 103.939], np.float32), -1)
            rows_used = np.where(~filled.all(axis=1))[0].max() + 1
            cols_used = np.where(~filled.all(axis=0))[0].max() + 1
            gh, gw = grid_size(rows_used, cols_used, 8.0)
            assert np.all(batch["part_score_weights"][i, gh:] == 0)
            assert np.all(batch["part_score_weights"][i, :, gw:] == 0)
            assert np.all(batch["part_score_weights"][i, :gh, :gw] > 0)
        assert batch["part_score_targets"].sum() > 0


def test_stream_is_the_same_whatever_the_workers_and_resumes_by_skipping(records):
    one = batches(records, 3, workers=1)
    two = batches(records, 3, workers=2)
    for a, b in zip(one, two):
        for key in a:
            np.testing.assert_array_equal(a[key], b[key])
    resumed = batches(records, 1, start_sample=4)
    for key in resumed[0]:
        np.testing.assert_array_equal(resumed[0][key], one[2][key])


def test_an_undecodable_image_is_logged_and_skipped(records, tmp_path, caplog):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not a png")
    mixed = [Record(str(bad), records[0].joints)] + records
    with caplog.at_level(logging.WARNING):
        got = batches(mixed, 3, shuffle=False)
    assert len(got) == 3
    assert "bad.png" in caplog.text
    assert make_sample(mixed[0], np.random.default_rng(0), SETTINGS) is None


def test_an_empty_training_set_is_a_clear_error():
    with pytest.raises(DatasetError, match="training set is empty"):
        training_dataset([], SETTINGS, 1, 0)
