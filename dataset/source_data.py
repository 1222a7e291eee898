"""What every source reader returns: images with their people in the source's keypoint format.

Readers translate visibility codes to COCO's at the border, so a :class:`SourcePerson`'s joints
are (J, 3) x, y, v with v in {0, 1, 2} and unlabelled rows (0, 0, 0). A record that cannot be
used is reported through :class:`Report` (a logged warning naming file, record and reason) and
left out; a file that cannot be read as the layout at all raises DatasetError.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Any, Optional, Sequence, Union

import numpy as np

from dataset.keypoint_formats import KeypointFormat
from dataset.records import find_image, image_name_refusal
from lib.errors import DatasetError

__all__ = ["Report", "Skipped", "SourceData", "SourceImage", "SourcePerson", "first_file", "image_file",
           "image_folders", "reason"]

log = logging.getLogger(__name__)


@dataclass
class SourcePerson:
    """One person: joints in the source format, and what the source says about its box and mask."""

    joints: np.ndarray
    label: str
    bbox: Optional[tuple[float, float, float, float]] = None
    area: Optional[float] = None
    iscrowd: int = 0
    segmentation: Any = None
    source_id: Optional[int] = None


@dataclass
class SourceImage:
    """One image: its name in the source, the file found for it (or None) and its people;
    ``refused`` says why its name was not looked for (it leaves the image folders), else None."""

    label: str
    file_name: str
    path: Optional[str]
    people: list
    size: Optional[tuple[int, int]] = None
    source_id: Optional[Union[int, str]] = None
    """The source's id of the image (written only when every image has an integer one)."""
    refused: Optional[str] = None


@dataclass(frozen=True)
class Skipped:
    """A record left out: which file, which record, and why."""

    file: str
    record: str
    reason: str


@dataclass
class SourceData:
    """Everything read from one annotation file."""

    path: str
    layout: str
    format: KeypointFormat
    images: list
    skipped: list = field(default_factory=list)
    notes: list = field(default_factory=list)


class Report:
    """Collects skipped records, logging a warning for each, and notes for the summary."""

    def __init__(self, path: str):
        self.path = path
        self.skipped: list[Skipped] = []
        self.notes: list[str] = []

    def skip(self, record: str, why: str) -> None:
        """Report that ``record`` of this file is left out because of ``why``."""
        log.warning("%s: %s: %s; record skipped", self.path, record, why)
        self.skipped.append(Skipped(self.path, record, why))

    def note(self, text: str) -> None:
        """Something the user should know that is not a skipped record (logged once)."""
        if text not in self.notes:
            log.warning("%s: %s", self.path, text)
            self.notes.append(text)


def reason(err: DatasetError, where: str) -> str:
    """The message of ``err`` without a leading ``where: `` (the record is named separately)."""
    text = str(err)
    prefix = f"{where}: "
    return text[len(prefix):] if text.startswith(prefix) else text


def image_folders(annotation_path: str, images: Optional[str]) -> list[str]:
    """Where to look for images: the --images folder, else beside the file and in its images/."""
    if images:
        return [os.path.abspath(images)]
    folder = os.path.dirname(os.path.abspath(annotation_path))
    return [folder, os.path.join(folder, "images")]


def first_file(candidates: Sequence[str]) -> Optional[str]:
    """The absolute path of the first candidate that is a file, or None."""
    candidates = list(candidates)
    if not candidates:
        return None
    path, found = find_image(candidates)
    return path if found else None


def image_file(names: Sequence[str], folders: Sequence[str],
               allow_absolute_paths: bool = False) -> tuple[Optional[str], Optional[str]]:
    """(path, refused): the first existing file among every folder joined with every name, or
    None; and why no name may be looked for, or None. A relative name that climbs out of its
    folder is never looked for, nor an absolute one outside ``folders`` unless
    ``allow_absolute_paths`` (see dataset.records.image_name_refusal)."""
    refusals = [image_name_refusal(name, folders, allow_absolute_paths) for name in names]
    usable = [name for name, why in zip(names, refusals) if why is None]
    if not usable:
        return None, next((why for why in refusals if why), None)
    return first_file([os.path.join(folder, name) for name in usable for folder in folders]), None
