"""An image's size from its file header alone, without decoding the pixels."""
from __future__ import annotations

import os

from posecut.errors import DatasetError

__all__ = ["read_image_size"]


def read_image_size(path) -> tuple[int, int]:
    """(height, width) of the image at ``path``, read from its header (Pillow opens files lazily).

    Only the header is parsed, so converting a large data set costs no decoding time and a
    truncated file still reports its size; DatasetError naming the file if the header is unreadable.
    """
    from PIL import Image, UnidentifiedImageError

    path = os.fspath(path)
    try:
        with Image.open(path) as image:
            width, height = image.size
    except FileNotFoundError:
        raise DatasetError(f"{path}: image file not found") from None
    except (OSError, UnidentifiedImageError, ValueError) as err:
        raise DatasetError(f"{path}: cannot read the image size from its header "
                           f"({type(err).__name__}: {err})") from None
    return int(height), int(width)
