"""Which images and videos a command was given: files and folders sorted into the two kinds, with
no heavy import, so that a wrong path is refused before TensorFlow starts."""
import os

from lib.errors import DatasetError

__all__ = ["IMAGE_EXTENSIONS", "VIDEO_EXTENSIONS", "list_inputs"]

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")
VIDEO_EXTENSIONS = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg")


def list_inputs(paths):
    """(image files, video files) named by ``paths``: files, or folders whose images are taken in
    sorted order. DatasetError for a missing path, an unknown extension or a folder without
    images."""
    images, videos = [], []
    for path in paths:
        path = os.fspath(path)
        if os.path.isdir(path):
            found = sorted(os.path.join(path, n) for n in os.listdir(path)
                           if n.lower().endswith(IMAGE_EXTENSIONS))
            if not found:
                raise DatasetError(f"{path}: no image files ({', '.join(IMAGE_EXTENSIONS)}) "
                                   f"in this folder")
            images += found
        elif not os.path.isfile(path):
            raise DatasetError(f"{path}: no such file or folder")
        elif path.lower().endswith(VIDEO_EXTENSIONS):
            videos.append(path)
        elif path.lower().endswith(IMAGE_EXTENSIONS):
            images.append(path)
        else:
            raise DatasetError(f"{path}: expected an image ({', '.join(IMAGE_EXTENSIONS)}) or a "
                               f"video ({', '.join(VIDEO_EXTENSIONS)})")
    return images, videos
