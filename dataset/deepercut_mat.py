"""DeeperCut's ``dataset.mat``: read it as ImageRecords and write ImageRecords back to it.

The file holds a 1 x N MATLAB struct array ``dataset`` with fields ``image`` (path), ``size``
([channels, height, width]) and ``joints``: a cell with one n x 3 array [joint_id, x, y] per
person (DeeperCut's prepare_training_data.m), or a bare n x 3 array for one person. Joint ids
are 0-based. Coordinates are used as stored, as DeeperCut's ``pose_dataset.py`` did (its MPII
files kept MATLAB's 1-based pixels and it never subtracted 1). Listed joints are labelled
(visibility 2), others unlabelled. No ``joints`` field (a test set) means no people.
:func:`read_deepercut_mat` gives the same records to the converter, whose records must be well
formed as a whole.
"""
from __future__ import annotations

import logging
import os
from typing import Iterable, Optional

import numpy as np
import scipy.io as sio

from dataset.keypoint_formats import KeypointFormat, registered_formats
from dataset.records import Dataset, ImageRecord, SkipLog, find_image, image_name_refusal, joint_layout
from dataset.source_data import Report, Skipped, SourceData, SourceImage, SourcePerson
from lib.errors import DatasetError

__all__ = ["MPII_FORMAT", "load_deepercut_mat", "read_deepercut_mat", "write_deepercut_mat"]

log = logging.getLogger(__name__)

_FIELDS = ("image", "size", "joints")
MPII_FORMAT = "mpii14"
"""The joints of DeeperCut's MPII dataset.mat (its MPII class fixed these 14), the format a
dataset.mat is read in when nothing else names one."""


def _read(path: str) -> np.ndarray:
    """The ``dataset`` struct array of a .mat file, flattened to one entry per image."""
    try:
        mat = sio.loadmat(path)
    except FileNotFoundError:
        raise DatasetError(f"{path}: no such dataset .mat file") from None
    except Exception as err:  # scipy raises many types for files it cannot parse
        raise DatasetError(f"{path}: cannot read as a MATLAB .mat file (v7.3 and older formats): "
                           f"{type(err).__name__}: {err}") from None
    if "dataset" not in mat:
        found = ", ".join(k for k in mat if not k.startswith("__")) or "none"
        raise DatasetError(f"{path}: dataset: missing; expected a struct array named 'dataset' "
                           f"(variables found: {found})")
    table = mat["dataset"]
    names = table.dtype.names or ()
    for field in _FIELDS[:2]:
        if field not in names:
            raise DatasetError(f"{path}: dataset.{field}: missing; expected a struct array with fields "
                               f"{', '.join(_FIELDS)} (found: {', '.join(names) or 'no fields'})")
    return table.ravel()


def _strings(value) -> list[str]:
    """The strings in a MATLAB char array or (nested) cell of them."""
    array = np.asarray(value)
    if array.dtype.kind == "U":
        return [str(s).strip() for s in array.ravel()]
    if array.dtype == object:
        return [s for v in array.ravel() for s in _strings(v)]
    raise TypeError(array.dtype)


def _image_path(value, at: str) -> str:
    """The image path an entry stores (its parts joined)."""
    try:
        parts = _strings(value)
    except TypeError:
        parts = []
    if not parts or not all(parts):
        raise DatasetError(f"{at}: image: expected a non-empty path string, got {value!r}")
    return os.path.join(*parts)


def _candidates(path: str, folder: str) -> list[str]:
    """Where an entry's image may be: as given if absolute, else the .mat's folder, then the
    working folder (where DeeperCut, which opened the path as stored, found it)."""
    return [path] if os.path.isabs(path) else [os.path.join(folder, path), os.path.join(os.getcwd(), path)]


def _size(value, at: str) -> tuple[int, int]:
    """(height, width) from [channels, height, width]."""
    size = np.asarray(value)
    if size.dtype.kind not in "iuf" or size.size != 3:
        raise DatasetError(f"{at}: size: expected [channels, height, width], got {value!r}")
    size = size.ravel().astype(np.float64)
    if not (np.isfinite(size).all() and (size == np.round(size)).all() and (size[1:] >= 1).all()):
        raise DatasetError(f"{at}: size: expected positive integers [channels, height, width], "
                           f"got {size.tolist()}")
    return int(size[1]), int(size[2])


def _people(value, at: str) -> list[tuple[int, np.ndarray]]:
    """(cell index, n x 3 float array [joint_id, x, y]) per person who has any joint listed."""
    array = np.asarray(value)
    cells = list(array.ravel()) if array.dtype == object else [array]
    people = []
    for k, cell in enumerate(cells):
        person = np.asarray(cell)
        if person.size == 0:
            continue
        if person.dtype.kind not in "iuf" or person.ndim != 2 or person.shape[1] != 3:
            raise DatasetError(f"{at}: joints (person {k}): expected an n x 3 numeric array "
                               f"[joint_id, x, y], got {person.dtype} array of shape {person.shape}")
        person = person.astype(np.float64)
        if not np.isfinite(person).all():
            raise DatasetError(f"{at}: joints (person {k}): expected finite joint ids and coordinates")
        ids = person[:, 0]
        if (ids != np.round(ids)).any() or (ids < 0).any():
            raise DatasetError(f"{at}: joints (person {k}): expected 0-based integer joint ids in column 1, "
                               f"got {ids.tolist()}")
        if len(np.unique(ids)) != len(ids):
            raise DatasetError(f"{at}: joints (person {k}): expected each joint id once, "
                               f"got {ids.astype(int).tolist()}")
        people.append((k, person))
    return people


def _joints(people: list[tuple[int, np.ndarray]], num_joints: int, at: str, joints_from: str) -> np.ndarray:
    """(P, J, 3) x, y, v from per-person [joint_id, x, y] rows."""
    out = np.zeros((len(people), num_joints, 3))
    for p, (k, person) in enumerate(people):
        ids = person[:, 0].astype(int)
        if ids.max() >= num_joints:
            raise DatasetError(f"{at}: joints (person {k}): expected joint ids below {num_joints} "
                               f"({joints_from}), got {int(ids.max())}")
        out[p, ids, 0] = person[:, 1]
        out[p, ids, 1] = person[:, 2]
        out[p, ids, 2] = 2.0
    return out


def load_deepercut_mat(path, *, keypoint_format: Optional[str] = None,
                       num_joints: Optional[int] = None, allow_absolute_paths: bool = False) -> Dataset:
    """Load a DeeperCut ``dataset.mat``; ``image_id`` is the entry's index, as in DeeperCut.

    J comes from ``keypoint_format``, else ``num_joints``, else the largest joint id + 1.
    Relative image paths are resolved against the .mat's folder, then the working folder.
    Records whose image file is missing are logged and skipped, and so are those whose path
    climbs out of the folder (``..``) or is absolute outside the .mat's folder (unless
    ``allow_absolute_paths``; :func:`write_deepercut_mat` writes such paths for images elsewhere).
    """
    mat_path = os.path.abspath(os.fspath(path))
    format_name, count = joint_layout(keypoint_format, num_joints, mat_path)
    table = _read(mat_path)
    has_joints = "joints" in table.dtype.names
    folder = os.path.dirname(mat_path)
    entries = []
    for index, entry in enumerate(table):
        at = f"{mat_path}: record {index}"
        image = _image_path(entry["image"], at)
        height, width = _size(entry["size"], at)
        people = _people(entry["joints"], at) if has_joints else []
        entries.append((index, image, height, width, people))
    joints_from = f"keypoint format {format_name!r}" if format_name else "num_joints"
    if count is None:
        ids = [int(p[:, 0].max()) for e in entries for _, p in e[4]]
        count = max(ids) + 1 if ids else None
    skips = SkipLog(mat_path)
    records = []
    for index, image, height, width, people in entries:
        at = f"{mat_path}: record {index}"
        joints = _joints(people, count or 0, at, joints_from)
        refused = image_name_refusal(image, [folder], allow_absolute_paths)
        if refused:
            skips.refused(f"record {index}", refused)
            continue
        image_path, found = find_image(_candidates(image, folder))
        if not found:
            skips.missing(f"record {index}", image_path)
            continue
        records.append(ImageRecord(image_path, index, height, width, joints))
    return Dataset(tuple(records), format_name, mat_path, count, skips.summary(len(entries)))


def read_deepercut_mat(path: str, fmt: KeypointFormat, images: Optional[str] = None, *,
                       allow_absolute_paths: bool = False) -> SourceData:
    """Read a DeeperCut dataset.mat whose joint ids are ``fmt``'s; missing images, and absolute
    image paths outside the .mat's folder (unless ``allow_absolute_paths``), are skipped records."""
    path = os.path.abspath(path)
    report = Report(path)
    if fmt.name in registered_formats():
        dataset = load_deepercut_mat(path, keypoint_format=fmt.name, allow_absolute_paths=allow_absolute_paths)
    else:
        dataset = load_deepercut_mat(path, num_joints=fmt.num_joints, allow_absolute_paths=allow_absolute_paths)
    for entry in dataset.skipped:  # the loader has logged these already
        if os.path.isabs(entry):  # the path of a missing image
            report.skipped.append(Skipped(path, f"image {entry}", "image file not found"))
        else:  # "record k: why"
            record, _, why = entry.partition(": ")
            report.skipped.append(Skipped(path, record, why))
    result = []
    for record in dataset.records:
        label = f"record {record.image_id}"
        people = [SourcePerson(np.asarray(j, dtype=np.float64), f"{label}, person {p}")
                  for p, j in enumerate(record.joints)]
        name = os.path.relpath(record.image_path, os.path.dirname(path))
        result.append(SourceImage(f"{label} ({name})", name, record.image_path, people,
                                  (record.height, record.width)))
    if images:
        report.note("--images is not used for a dataset.mat: its image paths are taken as stored")
    return SourceData(path, "deepercut-mat", fmt, result, report.skipped, report.notes)


def _relative_or_absolute(path: str, folder: str) -> str:
    """``path`` relative to ``folder`` when it lies inside it, else absolute."""
    path = os.path.abspath(path)
    rel = os.path.relpath(path, folder)
    return path if rel == os.pardir or rel.startswith(os.pardir + os.sep) else rel


def _cell(people: list[np.ndarray]) -> np.ndarray:
    """A 1 x P MATLAB cell of per-person arrays."""
    cell = np.empty((1, len(people)), dtype=object)
    for k, person in enumerate(people):
        cell[0, k] = person
    return cell


def write_deepercut_mat(records: Iterable[ImageRecord], path) -> int:
    """Write records as a DeeperCut ``dataset.mat`` that DeeperCut's own loader also reads;
    return how many image paths are written absolute.

    Image paths inside the .mat's folder are stored relative to it, others absolute (loading
    those needs ``allow_absolute_paths``, see :func:`load_deepercut_mat`). Labelled
    joints (v > 0) are stored, so hidden joints read back as visible (2); people with no labelled
    joint, ignore regions and person segmentations have no place in the format and are dropped
    (logged). An image without people gets one empty 0 x 3 array, which DeeperCut's loader needs.
    """
    mat_path = os.path.abspath(os.fspath(path))
    folder = os.path.dirname(mat_path)
    records = list(records)
    table = np.zeros((1, len(records)), dtype=[(f, object) for f in _FIELDS])
    hidden = regions = absolute = 0
    for i, record in enumerate(records):
        people = []
        for person in np.asarray(record.joints, dtype=np.float64):
            labelled = np.flatnonzero(person[:, 2] > 0)
            hidden += int((person[:, 2] == 1).sum())
            if labelled.size:
                rows = np.column_stack([labelled, person[labelled, 0], person[labelled, 1]])
                people.append(rows.astype(np.float64))
        regions += len(record.ignore_regions) + sum(r is not None for r in record.person_regions)
        size = np.array([[3, record.height, record.width]], dtype=np.float64)
        image = _relative_or_absolute(record.image_path, folder)
        absolute += os.path.isabs(image)
        table[0, i] = (image, size, _cell(people or [np.zeros((0, 3))]))
    if hidden or regions:
        log.warning("%s: the dataset.mat format keeps no visibility and no regions: %d hidden joints are "
                    "written as labelled, %d ignore/person regions are dropped", mat_path, hidden, regions)
    try:
        sio.savemat(mat_path, {"dataset": table})
    except OSError as err:
        raise DatasetError(f"{mat_path}: cannot write the dataset .mat file: {err.strerror or err}") from None
    return absolute
