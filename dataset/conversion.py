"""Turning what a source reader read into target-format people with sizes, boxes and stable ids.

Image sizes come from the image headers (checked against the source's own where it gives one);
joints go through a JointMapping; boxes are the source's, else the labelled source joints'
extent with a margin, clipped to the image; areas the source's, else the box's. Ids are the
source's integer ids where every image (annotation) has one, else 1, 2, ... in input order, so
every run gives the same ids. Records that cannot be used are reported and skipped.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import Any, Optional

import numpy as np

from dataset.image_size import read_image_size
from dataset.joint_mappings import JointMapping
from dataset.records import ImageRecord, box_region, outside_image, segmentation_region
from dataset.source_data import Report, SourceData
from lib.errors import DatasetError

__all__ = ["Conversion", "OutputImage", "OutputPerson", "box_from_joints", "convert", "image_records"]

DEFAULT_MARGIN = 0.1


@dataclass
class OutputPerson:
    """One person in the target format, ready to write."""

    ann_id: int
    joints: np.ndarray
    bbox: tuple[float, float, float, float]
    area: float
    iscrowd: int = 0
    segmentation: Any = None

    @property
    def num_keypoints(self) -> int:
        """How many target joints are labelled (v > 0)."""
        return int((self.joints[:, 2] > 0).sum())


@dataclass
class OutputImage:
    """One image: id, where its file is (absolute, or as the source names it when missing), size, people."""

    image_id: int
    path: str
    height: int
    width: int
    people: list
    found: bool = True
    source_id: Any = None
    """The source's own id of the image (an integer or a string), or None."""


@dataclass
class Conversion:
    """A converted data set with everything the summary reports."""

    source: SourceData
    mapping: JointMapping
    images: list
    skipped: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    @property
    def people(self) -> list:
        """Every written person, crowd regions included."""
        return [p for image in self.images for p in image.people]

    def joint_counts(self) -> np.ndarray:
        """(target joints, 2): how many people have each joint visible (v 2) and hidden (v 1)."""
        joints = [p.joints for p in self.people if not p.iscrowd]
        if not joints:
            return np.zeros((self.mapping.target.num_joints, 2), dtype=int)
        v = np.stack(joints)[:, :, 2]
        return np.stack([(v == 2).sum(axis=0), (v == 1).sum(axis=0)], axis=1)


def box_from_joints(joints: np.ndarray, height: int, width: int,
                    margin: float = DEFAULT_MARGIN) -> Optional[tuple[float, float, float, float]]:
    """x, y, w, h around the labelled joints, ``margin`` of the extent added on each side and
    clipped to the image; None when no joint is labelled."""
    labelled = joints[joints[:, 2] > 0, :2]
    if not len(labelled):
        return None
    (x0, y0), (x1, y1) = labelled.min(axis=0), labelled.max(axis=0)
    mx, my = margin * (x1 - x0), margin * (y1 - y0)
    x0, x1 = max(0.0, x0 - mx), min(float(width), x1 + mx)
    y0, y1 = max(0.0, y0 - my), min(float(height), y1 + my)
    return float(x0), float(y0), float(max(0.0, x1 - x0)), float(max(0.0, y1 - y0))


def _size(image, keep_missing: bool, read_sizes: bool) -> tuple[int, int]:
    """(height, width) of a source image, from its header unless ``read_sizes`` is false and the
    source gives one; DatasetError (the reason to skip) when unusable."""
    if image.path is None:
        if image.refused:
            raise DatasetError(image.refused)
        if keep_missing and image.size is not None:
            return image.size
        hint = ("" if image.size is None else
                " (convert-dataset --keep-missing-images keeps it with the size the file gives)")
        raise DatasetError(f"image file {image.file_name} not found{hint}")
    if not read_sizes and image.size is not None:
        return tuple(image.size)
    size = read_image_size(image.path)
    if image.size is not None and tuple(image.size) != size:
        raise DatasetError(f"size: the annotations give {image.size[1]} x {image.size[0]} pixels (width x "
                           f"height), the image file {image.path} has {size[1]} x {size[0]}")
    return size


def _segmentation_box(person, height: int, width: int) -> Optional[tuple[float, float, float, float]]:
    """x, y, w, h around a person's segmentation, or None when it has none."""
    region = segmentation_region(person.segmentation, person.label, height, width, person.label)
    if region is None:
        return None
    from pycocotools import mask as mask_utils

    return tuple(float(v) for v in mask_utils.toBbox(region.rle(height, width)))


def convert(source: SourceData, mapping: JointMapping, *, keep_missing_images: bool = False,
            margin: float = DEFAULT_MARGIN, read_sizes: bool = True) -> Conversion:
    """Map ``source`` through ``mapping`` (whose source format must be the source's).

    ``read_sizes`` false trusts the sizes the source gives instead of reading every image's
    header (training from a large COCO file).
    """
    if mapping.source.joints != source.format.joints:
        raise DatasetError(f"{source.path}: the joint mapping {mapping.origin} reads format {mapping.source.name!r}, "
                           f"the file is in {source.format.name!r}")
    report = Report(source.path)
    keep_image_ids = bool(source.images) and all(isinstance(i.source_id, int) and not isinstance(i.source_id, bool)
                                                 for i in source.images)
    all_people = [p for i in source.images for p in i.people]
    keep_ann_ids = bool(all_people) and all(p.source_id is not None for p in all_people) \
        and len({p.source_id for p in all_people}) == len(all_people)
    images, seen, next_ann, dropped = [], {}, 1, []
    for position, image in enumerate(source.images, start=1):
        try:
            height, width = _size(image, keep_missing_images, read_sizes)
        except DatasetError as err:
            report.skip(image.label, str(err))
            continue
        key = image.path or image.file_name
        if key in seen:
            report.skip(image.label, f"the same image as {seen[key]}; put its people in one record")
            continue
        seen[key] = image.label
        people = []
        for person in image.people:
            outside = outside_image(person.joints, height, width)
            if outside.any():
                joints = person.joints.copy()
                joints[outside] = 0.0
                person = replace(person, joints=joints)
                dropped.append((person.label, int(outside.sum())))
            bbox = (person.bbox or box_from_joints(person.joints, height, width, margin)
                    or _segmentation_box(person, height, width))
            if bbox is None:
                report.skip(person.label, "no labelled joint, box or segmentation: nothing says where "
                                          "this person is")
                continue
            ann_id = person.source_id if keep_ann_ids else next_ann
            next_ann += 1
            area = person.area if person.area is not None else bbox[2] * bbox[3]
            people.append(OutputPerson(ann_id, mapping.apply(person.joints), bbox, area, person.iscrowd,
                                       person.segmentation))
        image_id = image.source_id if keep_image_ids else position
        path = image.path or image.file_name
        images.append(OutputImage(image_id, path, height, width, people, image.path is not None,
                                  image.source_id))
    if dropped:
        report.note(f"{sum(n for _, n in dropped)} labelled joints of {len(dropped)} people lay "
                    f"outside their image and were dropped (made unlabelled); the first: "
                    f"{dropped[0][0]}")
    notes = list(source.notes) + report.notes
    return Conversion(source, mapping, images, list(source.skipped) + report.skipped, notes)


def image_records(conversion: Conversion) -> list[ImageRecord]:
    """The converted images as ImageRecords: people with labelled target joints (with their
    segmentations), and crowds and people without labelled joints as areas the loss ignores
    (their segmentation, else their box). Ids are the source's where every image has one."""
    source_ids = bool(conversion.images) and all(i.source_id is not None for i in conversion.images)
    records = []
    for image in conversion.images:
        joints, segments, ignore = [], [], []
        for person in image.people:
            label = f"{image.path}: annotation id {person.ann_id}"
            kind = ("crowd" if person.iscrowd else "person" if person.num_keypoints
                    else "person without labelled keypoints")
            origin = f"{label} ({kind})"
            region = segmentation_region(person.segmentation, label, image.height, image.width, origin)
            if kind == "person":
                joints.append(person.joints)
                segments.append(region)
            else:
                ignore.append(region or box_region(person.bbox, origin))
        array = np.stack(joints) if joints else np.zeros((0, conversion.mapping.target.num_joints, 3))
        records.append(ImageRecord(os.path.abspath(image.path) if image.found else image.path,
                                   image.source_id if source_ids else image.image_id,
                                   image.height, image.width, array, tuple(ignore),
                                   tuple(segments) if any(s is not None for s in segments) else ()))
    return records
