"""Reading images as RGB uint8 arrays, with errors that name the file.

Whatever the file holds becomes RGB 0..255: grey and grey+alpha are repeated, alpha dropped,
CMYK converted (not taken as RGB), 1-bit scaled to 0/255, 16-bit shifted to 8, floats in 0..1
scaled by 255; of a multi-page file (TIFF) the first page is read, with a note. Images above
MAX_PIXELS are refused from their header, before any decoding.
"""
import logging
import os

import imageio.v3 as iio
import numpy as np

from dataset.image_size import frame_size
from lib.errors import DatasetError

__all__ = ["MAX_PIXELS", "read_image"]

log = logging.getLogger(__name__)

MAX_PIXELS = 50_000_000
"""Largest image read (50 megapixels, 8660 x 5774): a larger one would take the network's
memory; downscale it first."""


def _decode(path):
    """The first image of the file as imageio decodes it, CMYK converted to RGB."""
    try:
        image = np.asarray(iio.imread(path, index=0))
        # four channels are RGBA or CMYK; only the file's mode tells which (a second header read,
        # so it is asked only then)
        four = image.ndim == 3 and image.shape[2] == 4
        if four and iio.immeta(path, index=0).get("mode") == "CMYK":
            image = np.asarray(iio.imread(path, index=0, mode="RGB"))
    except Exception as err:  # imageio raises many types for undecodable data
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        if "Could not find a backend" in reason:
            reason = "not an image file this reader knows (PNG, JPEG, BMP, TIFF, WebP, ...)"
        raise DatasetError(f"{path}: cannot decode image ({reason})") from None
    return image


def _to_uint8(image):
    """0..255 uint8 of any depth: 1-bit, 16-bit, floats in 0..1 (else clipped to 0..255)."""
    if image.dtype == np.uint8:
        return image
    if image.dtype == np.bool_:
        return image.astype(np.uint8) * 255
    if image.dtype == np.uint16:
        return (image >> 8).astype(np.uint8)
    if image.dtype.kind == "f":
        finite = np.nan_to_num(image, nan=0.0, posinf=255.0, neginf=0.0)
        if finite.size and finite.min() >= 0.0 and finite.max() <= 1.0:
            finite = finite * 255.0
        return np.clip(np.round(finite), 0, 255).astype(np.uint8)
    return np.clip(image, 0, 255).astype(np.uint8)


def read_image(path):
    """The image at ``path`` as an H x W x 3 uint8 RGB array (see the module's conversions)."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise DatasetError(f"{path}: image file not found")
    try:
        shape = iio.improps(path).shape
    except Exception:  # an unreadable header: decoding below says what is wrong
        shape = ()
    if len(shape) >= 2 and np.prod(frame_size(shape)) > MAX_PIXELS:
        raise DatasetError(f"{path}: image of {frame_size(shape)} pixels is above the "
                           f"{MAX_PIXELS // 1_000_000} megapixels read; downscale it")
    image = _decode(path)
    if image.ndim == 4 or (image.ndim == 3 and image.shape[2] > 4):
        log.warning("%s: %d pages; the first is read", path, image.shape[0])
        image = image[0]
    if image.ndim == 3 and image.shape[2] == 2:  # grey + alpha
        image = image[..., 0]
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=2)
    if image.ndim != 3 or image.shape[2] not in (3, 4) or min(image.shape[:2]) < 1:
        raise DatasetError(f"{path}: expected an RGB or grey image, got array shape {image.shape}")
    return np.ascontiguousarray(_to_uint8(image[..., :3]))
