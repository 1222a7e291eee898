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


def test_colours_depths_and_pages_are_read_as_rgb_0_to_255(tmp_path, caplog):
    """CMYK converted (not taken as RGB), grey+alpha, 1-bit, float in 0..1 and 16-bit scaled,
    the first page of a multi-page TIFF with a note."""
    from PIL import Image

    Image.new("CMYK", (8, 6), (0, 255, 0, 0)).save(tmp_path / "cmyk.jpg", quality=100)
    got = read_image(tmp_path / "cmyk.jpg")
    assert got.shape == (6, 8, 3) and np.abs(got[0, 0].astype(int) - [255, 0, 255]).max() <= 2
    Image.new("LA", (8, 6), (100, 200)).save(tmp_path / "la.png")
    np.testing.assert_array_equal(read_image(tmp_path / "la.png")[0, 0], [100, 100, 100])
    Image.new("1", (8, 6), 1).save(tmp_path / "bit.png")
    assert read_image(tmp_path / "bit.png").max() == 255
    Image.fromarray(np.full((6, 8), 0.5, np.float32), mode="F").save(tmp_path / "f.tiff")
    np.testing.assert_array_equal(read_image(tmp_path / "f.tiff")[0, 0], [128, 128, 128])
    iio.imwrite(tmp_path / "deep.png", np.full((6, 8), 0x8000, np.uint16))
    assert read_image(tmp_path / "deep.png")[0, 0, 0] == 128
    pages = [Image.new("RGB", (8, 6), (10, 20, 30)), Image.new("RGB", (8, 6), (40, 50, 60))]
    pages[0].save(tmp_path / "multi.tiff", save_all=True, append_images=pages[1:])
    np.testing.assert_array_equal(read_image(tmp_path / "multi.tiff")[0, 0], [10, 20, 30])
    assert "2 pages; the first is read" in caplog.text


def test_an_image_above_the_pixel_limit_is_refused_from_its_header(tmp_path, monkeypatch):
    import dataset.images as images

    iio.imwrite(tmp_path / "big.png", np.zeros((40, 50, 3), np.uint8))
    monkeypatch.setattr(images, "MAX_PIXELS", 1999)
    with pytest.raises(DatasetError, match=r"big.png: image of \(40, 50\) pixels is above"):
        read_image(tmp_path / "big.png")
    monkeypatch.setattr(images, "MAX_PIXELS", 2000)
    assert read_image(tmp_path / "big.png").shape == (40, 50, 3)
