"""posecut.single_person: the argmax pose of each labelled image, scored in pixels and as PCK."""
from types import SimpleNamespace

import imageio.v3 as iio
import numpy as np
import pytest

from dataset.records import ImageRecord
from lib.errors import PosecutError
from posecut.single_person import (format_pck, format_pixel_errors, pixel_error_report,
                                   single_person_poses)

STRIDE = 8.0


class _BrightestCell:
    """A network stand-in: one joint, its score map peaking at the cell of the image's brightest
    pixel (no location refinement), as nnet.predict.PosePredictor is called."""

    spec = SimpleNamespace(heads=SimpleNamespace(stride=STRIDE, locref_stdev=7.2801))

    def __call__(self, image):
        h, w = -(-image.shape[0] // 8), -(-image.shape[1] // 8)
        y, x = np.unravel_index(np.argmax(image[..., 0]), image.shape[:2])
        scores = np.zeros((1, h, w, 1), np.float32)
        scores[0, int(y) // 8, int(x) // 8, 0] = 0.9
        return {"part_prob": scores}


def _record(tmp_path, name, x, y, image_id):
    image = np.zeros((32, 48, 3), np.uint8)
    image[y, x, 0] = 255
    iio.imwrite(tmp_path / name, image)
    return ImageRecord(str(tmp_path / name), image_id, 32, 48, np.array([[[x, y, 2.0]]]))


def test_poses_land_on_the_cell_centres_and_unreadable_images_are_skipped(tmp_path):
    records = [_record(tmp_path, "a.png", 10, 20, 1), _record(tmp_path, "b.png", 40, 3, 2)]
    (tmp_path / "bad.png").write_bytes(b"not an image")
    records.append(ImageRecord(str(tmp_path / "bad.png"), 3, 32, 48, np.zeros((1, 1, 3))))
    predicted, truth, read, skipped = single_person_poses(_BrightestCell(), records, 1.0,
                                                          progress=False, source="set.json")
    # the cell of (10, 20) is (1, 2), its centre (12, 20); of (40, 3): (5, 0), centre (44, 4)
    assert predicted[:, 0, :2].tolist() == [[12.0, 20.0], [44.0, 4.0]]
    assert [r.image_id for r in read] == [1, 2] and truth.shape == (2, 1, 3)
    assert len(skipped) == 1 and "bad.png" in skipped[0]
    with pytest.raises(PosecutError, match="set.json: none of its 1 images could be read"):
        single_person_poses(_BrightestCell(), records[2:], 1.0, progress=False, source="set.json")


def test_the_pixel_error_report_and_its_table():
    predicted = np.array([[[3.0, 4.0, 0.9], [0.0, 0.0, 0.2]]])
    truth = np.array([[[0.0, 0.0, 2.0], [6.0, 8.0, 2.0]]])
    report = pixel_error_report(predicted, truth, 0.5, [5.0, 10.0])
    assert report["all"]["mean"] == pytest.approx(7.5) and report["all"]["count"] == 2
    assert report["p>=0.5"]["count"] == 1 and report["p>=0.5"]["mean"] == pytest.approx(5.0)
    table = format_pixel_errors(report, ["nose", "tail"], [5.0, 10.0], 0.5).splitlines()
    assert table[0].split() == ["joints", "mean", "rmse", "%", "<=5px", "%", "<=10px"]
    assert table[1].split() == ["all", "2", "7.50", str(round(np.sqrt(62.5), 2)), "50.0", "100.0"]
    assert table[2].split()[:5] == ["p", ">=", "0.5", "1", "5.00"]
    assert table[3].split() == ["nose", "mean", "5.00", "px"]
    assert format_pck([0.5, 1.0], ["nose", "tail"]).splitlines() == ["  nose              50.0 %",
                                                                    "  tail             100.0 %"]
