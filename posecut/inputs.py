"""Which images and videos a command was given: files and folders sorted into the two kinds, with
no heavy import, so that a wrong path is refused before TensorFlow starts."""
import os

from lib.errors import DatasetError

__all__ = ["IMAGE_EXTENSIONS", "LIST_EXTENSIONS", "VIDEO_EXTENSIONS", "expand_lists", "list_inputs"]

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")
VIDEO_EXTENSIONS = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg")
LIST_EXTENSIONS = (".txt", ".lst")
"""A list file: one input path a line (relative to the list's folder); blank lines and lines
starting with # are left out."""


def expand_lists(paths):
    """``paths`` with each list file (LIST_EXTENSIONS) replaced by the paths it lists, in order.
    DatasetError naming the list and the line for a listed path that does not exist."""
    out = []
    for path in map(os.fspath, paths):
        if not (path.lower().endswith(LIST_EXTENSIONS) and os.path.isfile(path)):
            out.append(path)
            continue
        folder = os.path.dirname(os.path.abspath(path))
        with open(path, encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                entry = line.strip()
                if not entry or entry.startswith("#"):
                    continue
                listed = os.path.join(folder, os.path.expanduser(entry))
                if not os.path.exists(listed):
                    raise DatasetError(f"{path}: line {number}: {entry}: no such file or folder")
                out.append(listed)
    return out


def list_inputs(paths):
    """(image files, video files) named by ``paths``: files, list files of paths (expand_lists),
    or folders whose images are taken in sorted order. DatasetError for a missing path, an
    unknown extension or a folder without images."""
    images, videos = [], []
    for path in expand_lists(paths):
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
            raise DatasetError(f"{path}: expected an image ({', '.join(IMAGE_EXTENSIONS)}), a "
                               f"video ({', '.join(VIDEO_EXTENSIONS)}) or a list of paths "
                               f"({', '.join(LIST_EXTENSIONS)})")
    return images, videos
