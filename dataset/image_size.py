"""An image's size from its file header alone, without decoding the pixels."""
from __future__ import annotations

import os

from lib.errors import DatasetError

__all__ = ["frame_size", "read_image_size"]


def frame_size(shape) -> tuple[int, int]:
    """(height, width) of the first image of an array ``shape`` as imageio gives it: (H, W),
    (H, W, C) with at most 4 channels, or pages (frames) first, (N, H, W) or (N, H, W, C), as a
    multi-page TIFF or an animated GIF reads."""
    if len(shape) >= 3 and shape[-1] <= 4:
        return int(shape[-3]), int(shape[-2])
    return int(shape[-2]), int(shape[-1])


def read_image_size(path) -> tuple[int, int]:
    """(height, width) of the image at ``path`` (of its first page), read from its header
    (imageio's properties, the same reader as dataset.images, without decoding).

    Only the header is parsed, so converting a large data set costs no decoding time and a
    truncated file still reports its size; DatasetError naming the file if the header is unreadable.
    """
    import imageio.v3 as iio

    path = os.fspath(path)
    if not os.path.isfile(path):
        raise DatasetError(f"{path}: image file not found")
    try:
        shape = iio.improps(path).shape
    except Exception as err:  # imageio's plugins raise many types for unreadable headers
        raise DatasetError(f"{path}: cannot read the image size from its header "
                           f"({type(err).__name__}: {err})") from None
    if len(shape) < 2:
        raise DatasetError(f"{path}: cannot read the image size from its header (shape {shape})")
    return frame_size(shape)
