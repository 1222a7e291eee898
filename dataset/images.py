"""Reading images as RGB uint8 arrays, with errors that name the file."""
import os

import imageio.v3 as iio
import numpy as np

from lib.errors import DatasetError


def read_image(path):
    """The image at ``path`` as an H x W x 3 uint8 RGB array (grey is repeated, alpha dropped)."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise DatasetError(f"{path}: image file not found")
    try:
        image = np.asarray(iio.imread(path))
    except Exception as err:  # imageio raises many types for undecodable data
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        if "Could not find a backend" in reason:
            reason = "not an image file this reader knows (PNG, JPEG, BMP, TIFF, WebP, ...)"
        raise DatasetError(f"{path}: cannot decode image ({reason})") from None
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=2)
    if image.ndim != 3 or image.shape[2] not in (3, 4) or min(image.shape[:2]) < 1:
        raise DatasetError(f"{path}: expected an RGB or grey image, got array shape {image.shape}")
    image = image[..., :3]
    if image.dtype != np.uint8:
        if image.dtype == np.uint16:
            image = (image >> 8).astype(np.uint8)
        else:
            image = np.clip(image, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(image)
