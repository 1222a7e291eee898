"""posecut.int8_check: the accuracy of int8 beside float32, the verdict, and its record."""
import json
from types import SimpleNamespace

import imageio.v3 as iio
import numpy as np
import pytest

from lib.errors import CheckpointError, DatasetError
from nnet.heads import HeadLayout
from posecut.int8_check import (MAX_AP_DROP, MAX_PIXEL_RISE, accuracy_check, fits, int8_verdict,
                                tflite_info, write_tflite_info)


def test_the_verdict_allows_at_most_one_ap_point_or_one_pixel_worse():
    assert "not checked" in int8_verdict(None)
    ap = {"metric": "AP", "float32": 50.0, "images": 10}
    assert int8_verdict(dict(ap, int8=50.0 - 0.9 * MAX_AP_DROP)) == ""
    assert int8_verdict(dict(ap, int8=60.0)) == ""
    assert "more than 1 point lower" in int8_verdict(dict(ap, int8=50.0 - 1.1 * MAX_AP_DROP))
    px = {"metric": "mean pixel error", "float32": 4.0, "images": 10}
    assert int8_verdict(dict(px, int8=4.0 + 0.9 * MAX_PIXEL_RISE)) == ""
    assert "more than 1 px higher" in int8_verdict(dict(px, int8=4.0 + 1.1 * MAX_PIXEL_RISE))
    assert int8_verdict(dict(px, int8=float("nan"))) != ""


def test_fits_compares_the_scaled_image_with_the_input():
    record = SimpleNamespace(height=100, width=200)
    assert fits(record, (100, 200), 1.0) and not fits(record, (99, 200), 1.0)
    assert fits(record, (50, 100), 0.5) and not fits(record, (50, 99), 0.5)


def test_the_record_beside_the_file_round_trips_and_a_bad_one_is_named(tmp_path):
    path = tmp_path / "m.tflite"
    assert tflite_info(path) == {}
    check = {"metric": "AP", "float32": 5.0, "int8": 4.5, "images": 3}
    write_tflite_info(path, {"calibration_images": 4, "check": check})
    assert tflite_info(path)["check"] == check
    write_tflite_info(path, None)
    assert tflite_info(path) == {}
    (tmp_path / "m.tflite.json").write_text(json.dumps({"check": {"metric": "AP"}}))
    with pytest.raises(CheckpointError, match=r"m.tflite.json: expected an object whose 'check'"):
        tflite_info(path)
    (tmp_path / "m.tflite.json").write_text("{")
    with pytest.raises(CheckpointError, match="m.tflite.json: cannot read"):
        tflite_info(path)


class ArgmaxNetwork:
    """A stand-in network without the pairwise head whose score map peaks at a given cell."""

    def __init__(self, cells, stride=8):
        self.cells, self.spec = cells, SimpleNamespace(heads=HeadLayout(len(cells), stride, 7.2801, False, False, False))

    def __call__(self, image):
        rows, cols = image.shape[0] // 8, image.shape[1] // 8
        prob = np.zeros((1, rows, cols, len(self.cells)), np.float32)
        for j, (r, c) in enumerate(self.cells):
            prob[0, r, c, j] = 0.9
        return {"part_prob": prob}


def test_a_single_animal_model_is_checked_by_its_mean_pixel_error(tmp_path):
    image = tmp_path / "a.png"
    iio.imwrite(image, np.zeros((32, 48, 3), np.uint8))
    joints = np.array([[[12.0, 4.0, 2], [20.0, 28.0, 2]]])  # at cells (0, 1) and (3, 2)
    record = SimpleNamespace(image_path=str(image), joints=joints, num_people=1, height=32, width=48)
    check = accuracy_check([record], ArgmaxNetwork([(0, 1), (3, 2)]),
                           ArgmaxNetwork([(0, 1), (3, 3)]), 1.0)
    assert check["metric"] == "mean pixel error" and check["images"] == 1
    assert check["float32"] == pytest.approx(0.0) and check["int8"] == pytest.approx(4.0)
    with pytest.raises(DatasetError, match="no image with a labelled person"):
        accuracy_check([SimpleNamespace(num_people=0)], None, None, 1.0)
    with pytest.raises(DatasetError, match="no image to check on"):
        accuracy_check([], None, None, 1.0)
