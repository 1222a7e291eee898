"""PoseTrack 2017 and 2018 video annotations as a source of still training images.

Each labelled frame becomes one image; its people keep their joints in the file's keypoint
format (``posetrack15`` for 2017, the category's joint names for 2018: ``posetrack18``, or
``coco17`` for the synthetic clips) and drop their track ids, which COCO training files do not
hold. Frames are looked for under the names the file gives (PoseTrack's ``images/...`` paths are
relative to the data set's root: pass it with ``--images``), also without a leading ``images/``.
Prediction files (joint scores, no visibility) are not training data and are refused.
"""
from __future__ import annotations

import os
from typing import Optional

from dataset.keypoint_formats import KeypointFormat
from dataset.posetrack import FORMAT_2018, read_posetrack
from dataset.sources.base import SourceData, SourceImage, SourcePerson, image_file, image_folders
from lib.errors import DatasetError

__all__ = ["read_posetrack_source"]

_IMAGES_PREFIX = "images/"


def _names(file_name: str) -> list[str]:
    """Where a frame may be, relative to an image folder: as named, and without ``images/``."""
    names = [file_name]
    if file_name.startswith(_IMAGES_PREFIX):
        names.append(file_name[len(_IMAGES_PREFIX):])
    return names


def read_posetrack_source(path: str, fmt: KeypointFormat, images: Optional[str] = None, *,
                          allow_absolute_paths: bool = False) -> SourceData:
    """Read a PoseTrack file's labelled frames as SourceImages (people without track ids); an
    absolute frame name outside the image folders is refused unless ``allow_absolute_paths``.

    ``fmt`` is taken as declared only when it is not the layout's default (``posetrack18``):
    a file that names its joints is read in its own format.
    """
    path = os.path.abspath(path)
    declared = None if fmt.name == FORMAT_2018 else fmt
    data = read_posetrack(path, declared)
    if data.predictions:
        raise DatasetError(f"{path}: holds predictions (joint scores), not ground truth; only annotated "
                           "frames convert to training data")
    folders = image_folders(path, images)
    result = []
    for k, (name, people) in enumerate(zip(data.video.frames, data.video.people)):
        if not data.video.is_labelled(k):
            continue
        image_id = data.image_ids[k]
        label = f"image id {image_id} ({name})" if image_id is not None else f"frame {k} ({name})"
        persons = [SourcePerson(pose.copy(), f"{label}, track {int(track)}")
                   for track, pose in zip(people.track_ids, people.poses)]
        found, refused = image_file(_names(name), folders, allow_absolute_paths)
        result.append(SourceImage(label, name, found, persons, data.sizes[k],
                                  image_id if isinstance(image_id, int) else None, refused))
    notes = list(data.notes)
    unlabelled = sum(1 for k in range(len(data.video.frames)) if not data.video.is_labelled(k))
    if unlabelled:
        notes.append(f"{unlabelled} frames without annotations (is_labeled 0, or skipped) are not converted")
    return SourceData(path, f"posetrack{data.year % 100}", data.format, result, data.skipped, notes)
