"""What every data-set loader returns: image records, ignore regions and the loaded data set.

An :class:`ImageRecord` holds one image's people as a (P, J, 3) float32 array of x, y and COCO
visibility (0 unlabelled, 1 hidden, 2 visible), in pixels of the image as given, joints 0-based.
Areas the loss must not teach as background (crowds, people without keypoints) are kept as
:class:`Region` values and rasterised only when ``record.ignore_mask()`` is called.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Any, Optional, Sequence, Union

import numpy as np

from dataset.jsonfile import is_integer, numbers
from dataset.keypoint_formats import get_format
from lib.errors import DatasetError, FormatError

__all__ = ["ALLOW_ABSOLUTE_HINT", "Dataset", "ImageRecord", "Region", "SkipLog", "box_region", "find_image",
           "image_name_refusal", "inside_folder", "joint_layout", "leaves_folder", "outside_image",
           "segmentation_region"]

log = logging.getLogger(__name__)

REGION_KINDS = ("polygons", "rle", "box")


@dataclass(frozen=True)
class Region:
    """An image area in COCO form, turned into a mask on demand (pycocotools, imported lazily).

    ``kind`` is ``"polygons"`` (``data``: tuple of flat (x0, y0, x1, y1, ...) tuples, each with at
    least three points), ``"rle"`` (``data``: (counts, (height, width)), counts a compressed
    string or a tuple of run lengths, column-major as COCO stores them) or ``"box"`` (``data``:
    (x, y, w, h)). ``origin`` says where it came from, for messages.
    """

    kind: str
    data: Any
    origin: str = ""

    def __post_init__(self):
        if self.kind not in REGION_KINDS:
            raise DatasetError(f"Region {self.origin}: kind: expected one of {REGION_KINDS}, "
                               f"got {self.kind!r}")

    def rle(self, height: int, width: int) -> dict:
        """The area as one pycocotools RLE for an image of ``height`` x ``width`` pixels."""
        from pycocotools import mask as mask_utils

        if self.kind == "polygons":
            return mask_utils.merge(mask_utils.frPyObjects([list(p) for p in self.data], height, width))
        if self.kind == "box":
            return mask_utils.frPyObjects(np.array([self.data], dtype=np.float64), height, width)[0]
        counts, size = self.data
        if tuple(size) != (height, width):
            raise DatasetError(f"{self.origin}: segmentation size: expected [{height}, {width}] "
                               f"(the image's height and width), got {list(size)}")
        if isinstance(counts, str):
            return {"size": [height, width], "counts": counts.encode("ascii")}
        return mask_utils.frPyObjects({"size": [height, width], "counts": list(counts)}, height, width)

    def mask(self, height: int, width: int) -> np.ndarray:
        """The area as a ``height`` x ``width`` bool array."""
        from pycocotools import mask as mask_utils

        return mask_utils.decode(self.rle(height, width)).astype(bool)


def segmentation_region(seg: Any, at: str, height: int, width: int, origin: str) -> Optional[Region]:
    """A COCO ``segmentation`` value (polygons or RLE) of an H x W image as a Region, or None when
    empty; DatasetError naming ``at`` and the field when malformed."""
    if seg is None or seg == [] or seg == {}:
        return None
    if isinstance(seg, list):
        polygons = []
        for k, poly in enumerate(seg):
            coords = numbers(poly, at, f"segmentation[{k}]",
                             expected="a polygon: a flat list of x, y numbers")
            if len(coords) % 2:
                raise DatasetError(f"{at}: segmentation[{k}]: expected an even number of coordinates "
                                   f"(x, y pairs), got {len(coords)}")
            if len(coords) >= 6:  # fewer than three corners enclose no pixel
                polygons.append(tuple(float(c) for c in coords))
        return Region("polygons", tuple(polygons), origin) if polygons else None
    if isinstance(seg, dict):
        counts = seg.get("counts")
        size = seg.get("size")
        if not (isinstance(size, list) and len(size) == 2 and all(is_integer(s) for s in size)):
            raise DatasetError(f"{at}: segmentation.size: expected [height, width] of the RLE, got {size!r}")
        if [int(s) for s in size] != [height, width]:
            raise DatasetError(f"{at}: segmentation.size: expected [{height}, {width}] (the image's height "
                               f"and width), got {size}")
        if isinstance(counts, list):
            runs = numbers(counts, at, "segmentation.counts", expected="a list of run lengths")
            if (runs < 0).any() or (runs != np.round(runs)).any() or runs.sum() != height * width:
                raise DatasetError(f"{at}: segmentation.counts: expected non-negative integer run lengths "
                                   f"adding up to {height} x {width} = {height * width} pixels")
            return Region("rle", (tuple(int(r) for r in runs), (height, width)), origin)
        if isinstance(counts, str):
            return Region("rle", (counts, (height, width)), origin)
        raise DatasetError(f"{at}: segmentation.counts: expected a compressed RLE string or a list of run "
                           f"lengths, got {type(counts).__name__}")
    raise DatasetError(f"{at}: segmentation: expected a list of polygons or an RLE object, "
                       f"got {type(seg).__name__}")


def box_region(bbox: Optional[Sequence[float]], origin: str) -> Optional[Region]:
    """An x, y, width, height box (already checked) as a Region, or None when there is none."""
    return None if bbox is None else Region("box", tuple(float(b) for b in bbox), origin)



@dataclass(frozen=True, eq=False)
class ImageRecord:
    """One annotated image: where it is, its size, its people and the areas to ignore.

    ``joints`` is (P, J, 3) float32 x, y, v (read-only); unlabelled joints are (0, 0, 0).
    ``ignore_regions`` hold objects with ``mask(height, width) -> bool array`` (normally
    :class:`Region`); ``person_regions`` is empty or one segmentation Region (or None) per person,
    for DeeperCut's ``use_gt_segm``. ``head_boxes`` is None when the source gives no head
    rectangles (every format but MPII with its evaluation file), else a (P, 4) float32 array
    (read-only) of x1, y1, x2, y2 per person in the same pixels as ``joints``: the reference
    length of MPII's PCKh (see :func:`dataset.metrics.pckh`).
    """

    image_path: str
    image_id: Union[int, str]
    height: int
    width: int
    joints: np.ndarray
    ignore_regions: tuple = ()
    person_regions: tuple = ()
    head_boxes: Optional[np.ndarray] = None

    def __post_init__(self):
        joints = np.array(self.joints, dtype=np.float32)
        if joints.ndim != 3 or joints.shape[2] != 3:
            raise DatasetError(f"{self.image_path}: image id {self.image_id}: joints: expected an array "
                               f"of shape (people, joints, 3), got shape {joints.shape}")
        joints.flags.writeable = False
        object.__setattr__(self, "joints", joints)
        object.__setattr__(self, "ignore_regions", tuple(self.ignore_regions))
        object.__setattr__(self, "person_regions", tuple(self.person_regions))
        if self.person_regions and len(self.person_regions) != len(joints):
            raise DatasetError(f"{self.image_path}: image id {self.image_id}: person_regions: expected "
                               f"none or one per person ({len(joints)}), got {len(self.person_regions)}")
        if self.head_boxes is not None:
            object.__setattr__(self, "head_boxes", self._checked_head_boxes(len(joints)))
        if int(self.height) < 1 or int(self.width) < 1:
            raise DatasetError(f"{self.image_path}: image id {self.image_id}: size: expected height and "
                               f"width >= 1, got {self.height} x {self.width}")
        object.__setattr__(self, "height", int(self.height))
        object.__setattr__(self, "width", int(self.width))

    def _checked_head_boxes(self, people: int) -> np.ndarray:
        """``head_boxes`` as a read-only (people, 4) float32 array of finite numbers."""
        where = f"{self.image_path}: image id {self.image_id}: head_boxes"
        try:
            boxes = np.array(self.head_boxes, dtype=np.float32)
        except (TypeError, ValueError):
            raise DatasetError(f"{where}: expected None or an array of shape ({people}, 4) "
                               f"(x1, y1, x2, y2 per person), got {type(self.head_boxes).__name__}") from None
        if boxes.shape != (people, 4):
            raise DatasetError(f"{where}: expected None or an array of shape ({people}, 4) "
                               f"(x1, y1, x2, y2 per person), got shape {boxes.shape}")
        if not np.isfinite(boxes).all():
            person = int(np.flatnonzero(~np.isfinite(boxes).all(axis=1))[0])
            raise DatasetError(f"{where}[{person}]: expected finite x1, y1, x2, y2, got {boxes[person].tolist()}")
        boxes.flags.writeable = False
        return boxes

    @property
    def num_people(self) -> int:
        """Number of annotated people."""
        return int(self.joints.shape[0])

    @property
    def num_joints(self) -> int:
        """Number of joints per person."""
        return int(self.joints.shape[1])

    def ignore_mask(self) -> Optional[np.ndarray]:
        """H x W bool array of the pixels the loss ignores, or None when there are none."""
        if not self.ignore_regions:
            return None
        mask = np.zeros((self.height, self.width), dtype=bool)
        for region in self.ignore_regions:
            mask |= region.mask(self.height, self.width)
        return mask

    def person_mask(self, index: int) -> Optional[np.ndarray]:
        """H x W bool segmentation of person ``index``, or None when it has none."""
        if not self.person_regions:
            return None
        region = self.person_regions[index]
        return None if region is None else region.mask(self.height, self.width)

    def __eq__(self, other):
        if not isinstance(other, ImageRecord):
            return NotImplemented
        return ((self.image_path, self.image_id, self.height, self.width, self.ignore_regions,
                 self.person_regions)
                == (other.image_path, other.image_id, other.height, other.width, other.ignore_regions,
                    other.person_regions)
                and self.joints.shape == other.joints.shape and np.array_equal(self.joints, other.joints)
                and _same_boxes(self.head_boxes, other.head_boxes))

    __hash__ = None


def _same_boxes(a: Optional[np.ndarray], b: Optional[np.ndarray]) -> bool:
    """Whether two ``head_boxes`` values (None or arrays) are equal."""
    if a is None or b is None:
        return a is None and b is None
    return a.shape == b.shape and np.array_equal(a, b)


@dataclass(frozen=True)
class Dataset:
    """A loaded data set: its records, keypoint format name (or None), source and skipped images.

    ``num_joints`` is None only when nothing said how many joints there are (no format, no
    ``num_joints`` and no labelled person). ``skipped`` lists the records left out: the image
    path of one whose file is missing (DeeperCut's .mat, MPII JSON), else "record: reason".
    """

    records: tuple
    format_name: Optional[str]
    source: str
    num_joints: Optional[int]
    skipped: tuple = field(default=())

    @property
    def num_skipped(self) -> int:
        """How many records were skipped (image file missing or not to be read)."""
        return len(self.skipped)


def joint_layout(keypoint_format: Optional[str], num_joints: Optional[int],
                 source: str) -> tuple[Optional[str], Optional[int]]:
    """(format name, joint count) from what the caller gave; DatasetError when they disagree."""
    if num_joints is not None and (isinstance(num_joints, bool) or not isinstance(num_joints, int)
                                   or num_joints < 1):
        raise DatasetError(f"{source}: num_joints: expected a positive integer or None, got {num_joints!r}")
    if keypoint_format is None:
        return None, num_joints
    try:
        fmt = get_format(keypoint_format)
    except FormatError as err:
        raise DatasetError(f"{source}: keypoint_format: {err}") from None
    if num_joints is not None and num_joints != fmt.num_joints:
        raise DatasetError(f"{source}: num_joints: expected {fmt.num_joints}, the joint count of keypoint "
                           f"format {fmt.name!r}, got {num_joints}")
    return fmt.name, fmt.num_joints


def outside_image(joints, height: int, width: int) -> np.ndarray:
    """Which labelled joints (J, 3) lie outside an H x W image, beyond its pixels' edges by more
    than a pixel: a typo or another image's coordinates, never a place to teach the network."""
    joints = np.asarray(joints)
    x, y = joints[:, 0], joints[:, 1]
    return (joints[:, 2] > 0) & ((x < -1) | (y < -1) | (x > width) | (y > height)
                                 | ~np.isfinite(x) | ~np.isfinite(y))


def leaves_folder(name: str) -> bool:
    """Whether a relative image name climbs out of the folder it is joined to (``..``): an
    annotation file must not point the reader at any file of the machine. Absolute names are
    judged by :func:`image_name_refusal`."""
    if os.path.isabs(name):
        return False
    return os.path.normpath(name).split(os.sep)[0] == os.pardir


def inside_folder(path: str, folder: str) -> bool:
    """Whether ``path`` lies at or below ``folder``, both made absolute and normalised (``..``
    resolved as text, links not followed, as relative names are joined)."""
    path, folder = os.path.abspath(path), os.path.abspath(folder)
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


ALLOW_ABSOLUTE_HINT = ("allow it with allow_absolute_image_paths: true in the config, or "
                       "--allow-absolute-paths for convert-dataset")
"""How a user allows absolute image names that lie outside the folders a reader searches."""


def image_name_refusal(name: str, folders: Sequence[str], allow_absolute_paths: bool = False) -> Optional[str]:
    """Why an annotation's image name must not be opened, or None when it may: a relative name
    that climbs out of its folder (``..``) never may; an absolute one only when it lies inside
    one of ``folders`` (those the reader searches) or ``allow_absolute_paths`` is set."""
    if leaves_folder(name):
        return f"file_name {name}: climbs out of the image folder (..); not read"
    if not os.path.isabs(name) or allow_absolute_paths or any(inside_folder(name, f) for f in folders):
        return None
    searched = ", ".join(os.path.abspath(f) for f in folders) or "none"
    return (f"file_name {name}: an absolute path outside the image folders searched ({searched}); "
            f"not read ({ALLOW_ABSOLUTE_HINT})")


def find_image(candidates: Sequence[str]) -> tuple[str, bool]:
    """(path, found): the first candidate that is a file, else the first candidate and False."""
    for path in candidates:
        if os.path.isfile(path):
            return os.path.abspath(path), True
    return os.path.abspath(candidates[0]), False


class SkipLog:
    """Collects skipped records (image missing, or not to be read): one warning each, one
    summary at the end."""

    def __init__(self, source: str):
        self.source = source
        self.paths: list[str] = []

    def missing(self, record: str, path: str) -> None:
        """Report that ``record``'s image file ``path`` is missing; the caller skips the record."""
        log.warning("%s: %s: image file not found: %s; record skipped", self.source, record, path)
        self.paths.append(path)

    def refused(self, record: str, why: str) -> None:
        """Report that ``record``'s image is not to be read because of ``why`` (see
        :func:`image_name_refusal`); the caller skips the record."""
        log.warning("%s: %s: %s; record skipped", self.source, record, why)
        self.paths.append(f"{record}: {why}")

    def summary(self, total: int) -> tuple:
        """Log how many of ``total`` records were skipped; return the skipped paths."""
        if self.paths:
            log.warning("%s: skipped %d of %d records whose image file is missing or not to be read",
                        self.source, len(self.paths), total)
        return tuple(self.paths)
