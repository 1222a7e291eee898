"""Reading images: formats, channels and clear errors."""
import imageio.v3 as iio
import numpy as np
import pytest

from dataset.images import read_image
from lib.errors import DatasetError


def test_reads_rgb_grey_and_rgba_as_rgb_uint8(tmp_path):
    rgb = np.random.default_rng(0).integers(0, 256, (9, 7, 3), dtype=np.uint8)
    iio.imwrite(tmp_path / "rgb.png", rgb)
    np.testing.assert_array_equal(read_image(tmp_path / "rgb.png"), rgb)
    grey = rgb[..., 0]
    iio.imwrite(tmp_path / "grey.png", grey)
    got = read_image(tmp_path / "grey.png")
    assert got.shape == (9, 7, 3) and np.array_equal(got[..., 2], grey)
    rgba = np.concatenate([rgb, np.full((9, 7, 1), 128, np.uint8)], axis=2)
    iio.imwrite(tmp_path / "rgba.png", rgba)
    np.testing.assert_array_equal(read_image(tmp_path / "rgba.png"), rgb)


def test_missing_and_corrupt_images_name_the_file(tmp_path):
    with pytest.raises(DatasetError, match="nothere.jpg: image file not found"):
        read_image(tmp_path / "nothere.jpg")
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 this is not really a jpeg")
    with pytest.raises(DatasetError, match="broken.jpg: cannot decode image"):
        read_image(broken)
