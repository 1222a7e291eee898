"""DeepLabCut labeled-data tables (CollectedData_<scorer>.csv or .h5) in a keypoint format the user declares.

Header rows, named in the first column: ``scorer``, ``individuals`` (multi-animal projects only),
``bodyparts`` and ``coords`` (x or y per column; ``likelihood`` columns are ignored). The H5 file,
which DeepLabCut itself reads (the CSV is its human-readable copy), holds the same table as a
pandas DataFrame whose column levels are those rows; it is turned into the CSV's rows and read by
the same code. The leading
columns of each data row are the image path, one column ("labeled-data/video1/img001.png") or
split over several ("labeled-data", "video1", "img001.png"). An empty or NaN cell is unlabelled;
labelled points are visible (2), as DeepLabCut keeps no visibility. Each individual with a
labelled part is one person (boxes come from its joints); the ``single`` individual holds
multi-animal projects' unique body parts, which are no animal, and is not converted. Body part
names must be joint names of the declared format; a joint of the format that no frame of the table
labels (no column, or only empty cells) is reported by name.
"""
from __future__ import annotations

import csv
import math
import os
from typing import Optional

import numpy as np

from dataset.keypoint_formats import KeypointFormat
from dataset.records import image_name_refusal
from dataset.source_data import Report, SourceData, SourceImage, SourcePerson, first_file
from lib.errors import DatasetError

__all__ = ["HEADER_ROWS", "H5_SUFFIXES", "read_deeplabcut_csv", "read_deeplabcut_table", "unlabelled_joints"]

HEADER_ROWS = ("scorer", "individuals", "bodyparts", "coords")
UNIQUE_INDIVIDUAL = "single"
_COORDS = ("x", "y", "likelihood")
H5_SUFFIXES = (".h5", ".hdf5")
"""File name endings read as DeepLabCut's H5 tables; any other is read as CSV."""


def _cell(value) -> str:
    """A DataFrame value as the CSV writes it: empty for NaN or None, floats exactly (repr)."""
    if value is None:
        return ""
    if isinstance(value, (float, np.floating)):
        return "" if math.isnan(value) else repr(float(value))
    return str(value)


def _h5_rows(path: str) -> list[list[str]]:
    """The rows of the CSV that DeepLabCut writes beside an H5 table: one header row per column
    level (its name first), then one row per frame (its path, one cell per index level)."""
    try:
        import pandas as pd

        frame = pd.read_hdf(path)
    except FileNotFoundError:
        raise DatasetError(f"{path}: cannot read the DeepLabCut table: no such file") from None
    except (ImportError, OSError, ValueError, KeyError, TypeError, RuntimeError) as err:
        raise DatasetError(f"{path}: not a readable DeepLabCut H5 table (pandas.read_hdf: "
                           f"{str(err)[:200]})") from None
    if not isinstance(frame, pd.DataFrame) or not isinstance(frame.columns, pd.MultiIndex):
        raise DatasetError(f"{path}: expected a DataFrame whose column levels are "
                           f"{', '.join(HEADER_ROWS)} (individuals only in multi-animal projects), "
                           f"got a {type(frame).__name__} with one column level")
    pad = [""] * (frame.index.nlevels - 1)
    rows = [[str(name)] + pad + [str(v) for v in frame.columns.get_level_values(level)]
            for level, name in enumerate(frame.columns.names)]
    for index, values in zip(frame.index, frame.itertuples(index=False, name=None)):
        parts = list(index) if isinstance(index, tuple) else [index]
        rows.append([_cell(p) for p in parts] + [_cell(v) for v in values])
    return rows


def _rows(path: str) -> list[list[str]]:
    """The table's rows as text cells, from the CSV or (by its name) the H5 file."""
    if path.lower().endswith(H5_SUFFIXES):
        return _h5_rows(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            return list(csv.reader(f))
    except OSError as err:
        raise DatasetError(f"{path}: cannot read the DeepLabCut table: {err.strerror or err}") from None
    except (UnicodeDecodeError, csv.Error) as err:
        raise DatasetError(f"{path}: not a readable CSV table: {err}") from None


def _header(rows: list, path: str) -> tuple[dict, int]:
    """(header row name -> cells, number of header rows)."""
    header = {}
    for row in rows:
        key = row[0].strip().lower() if row else ""
        if key not in HEADER_ROWS:
            break
        header[key] = row
    missing = [k for k in ("bodyparts", "coords") if k not in header]
    if missing:
        raise DatasetError(f"{path}: {', '.join(missing)}: missing; expected DeepLabCut's header rows "
                           f"{', '.join(HEADER_ROWS)} (individuals only in multi-animal projects) named in "
                           "the first column")
    return header, len(header)


def _columns(header: dict, path: str, fmt: KeypointFormat, report: Report) -> tuple[int, dict]:
    """(number of index columns, {(individual, joint index): {coord: column}})."""
    coords = [c.strip().lower() for c in header["coords"]]
    start = next((i for i, c in enumerate(coords) if i > 0 and c in _COORDS), None)
    if start is None:
        raise DatasetError(f"{path}: coords: expected x and y columns after the image path, found none")
    parts = header["bodyparts"]
    individuals = header.get("individuals")
    columns, unknown, unique = {}, [], set()
    for c in range(start, len(coords)):
        if coords[c] not in _COORDS:
            raise DatasetError(f"{path}: coords, column {c + 1}: expected x, y or likelihood, got {coords[c]!r}")
        part = parts[c].strip() if c < len(parts) else ""
        who = individuals[c].strip() if individuals is not None and c < len(individuals) else ""
        if not part:
            raise DatasetError(f"{path}: bodyparts, column {c + 1}: expected a body part name, got an empty cell")
        if who == UNIQUE_INDIVIDUAL:
            unique.add(part)
            continue
        if part not in fmt.joints:
            if part not in unknown:
                unknown.append(part)
            continue
        if coords[c] != "likelihood":
            slot = columns.setdefault((who, fmt.joints.index(part)), {})
            if coords[c] in slot:
                raise DatasetError(f"{path}: column {c + 1}: {who + ' ' if who else ''}{part} {coords[c]} "
                                   "appears twice")
            slot[coords[c]] = c
    if unknown:
        raise DatasetError(f"{path}: bodyparts: {', '.join(unknown)} are not joints of keypoint format "
                           f"{fmt.name!r}; its joints are {', '.join(fmt.joints)}. Name the body parts as "
                           "the format does, or declare the format your project uses (--format)")
    for (who, j), slot in columns.items():
        if set(slot) != {"x", "y"}:
            raise DatasetError(f"{path}: {who + ' ' if who else ''}{fmt.joints[j]}: expected an x and a y "
                               f"column, got {', '.join(sorted(slot))}")
    if unique:
        report.note(f"unique body parts ({', '.join(sorted(unique))}, individual {UNIQUE_INDIVIDUAL!r}) "
                    "belong to no animal and are not converted")
    return start, columns


def _number(cell: str) -> Optional[float]:
    """A coordinate cell: None when empty or NaN; ValueError when not a number."""
    text = cell.strip()
    if not text or text.lower() == "nan":
        return None
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def _people(row: list, columns: dict, fmt: KeypointFormat) -> list:
    """(individual, (J, 3) joints) for each individual with a labelled part; ValueError on a bad cell."""
    found: dict[str, np.ndarray] = {}
    for (who, j), slot in columns.items():
        cells = [row[slot[k]] if slot[k] < len(row) else "" for k in ("x", "y")]
        try:
            x, y = (_number(cell) for cell in cells)
        except ValueError:
            raise ValueError(f"{who + ' ' if who else ''}{fmt.joints[j]}: expected numbers or empty cells, "
                             f"got {cells[0]!r}, {cells[1]!r}") from None
        if (x is None) != (y is None):
            raise ValueError(f"{who + ' ' if who else ''}{fmt.joints[j]}: x and y must both be given or both "
                             f"be empty, got {cells[0]!r}, {cells[1]!r}")
        if x is not None:
            found.setdefault(who, np.zeros((fmt.num_joints, 3)))[j] = (x, y, 2.0)
    order = list(dict.fromkeys(who for who, _ in columns))
    return [(who, found[who]) for who in order if who in found]


def _folders(path: str, images: Optional[str]) -> list[str]:
    """Where the table's images may be: --images, the project folder, the table's folder."""
    folder = os.path.dirname(os.path.abspath(path))
    project = os.path.dirname(os.path.dirname(folder))
    return ([os.path.abspath(images)] if images else []) + [project, folder]


def _candidates(image: str, path: str, images: Optional[str]) -> list[str]:
    """Where an image named in the table may be: --images, the project folder, beside the table."""
    folder = os.path.dirname(os.path.abspath(path))
    project = os.path.dirname(os.path.dirname(folder))
    base = os.path.basename(image)
    found = [os.path.join(images, image), os.path.join(images, base)] if images else []
    return found + [os.path.join(project, image), os.path.join(folder, base), os.path.join(folder, image)]


def unlabelled_joints(people_joints, num_joints: int) -> np.ndarray:
    """The indices of the joints that no person labels (visibility 0 in every (J, 3) array of
    ``people_joints``), ascending."""
    labelled = np.zeros(num_joints, dtype=bool)
    for joints in people_joints:
        labelled |= np.asarray(joints)[:, 2] > 0
    return np.flatnonzero(~labelled)


def _note_unlabelled(report: Report, images: list, columns: dict, fmt: KeypointFormat) -> None:
    """Name the joints of the format that no frame of the table labels: those without a column,
    and those whose cells are all empty."""
    missing = unlabelled_joints((p.joints for image in images for p in image.people), fmt.num_joints)
    with_column = {j for _, j in columns}
    frames = f"{len(images)} frame{'s' * (len(images) != 1)}"
    for names, why in (([fmt.joints[j] for j in missing if j not in with_column],
                        "no column in the table"),
                       ([fmt.joints[j] for j in missing if j in with_column],
                        "its cells are empty in every row")):
        if names:
            report.note(f"bodypart{'s' * (len(names) > 1)} {', '.join(names)} of keypoint format "
                        f"{fmt.name!r}: {why}; unlabelled in all {frames}")


def read_deeplabcut_table(path: str, fmt: Optional[KeypointFormat], images: Optional[str] = None, *,
                          allow_absolute_paths: bool = False) -> SourceData:
    """Read a DeepLabCut CollectedData table, CSV or H5 (by its name's ending), whose body parts
    are joints of ``fmt``, which must be given (the table does not say). An image path that
    climbs out of its folder (``..``) is never looked for, nor an absolute one outside the
    folders searched unless ``allow_absolute_paths``. Joints of ``fmt`` that no frame labels
    are named in a note (a logged warning)."""
    if fmt is None:
        raise DatasetError("--format: the deeplabcut layout needs the keypoint format its body parts belong to: "
                           "a registered name or a YAML file (see dataset/keypoint_formats.py)")
    path = os.path.abspath(path)
    report = Report(path)
    rows = _rows(path)
    header, first = _header(rows, path)
    start, columns = _columns(header, path, fmt, report)
    result, seen = [], {}
    folders = _folders(path, images)
    for r in range(first, len(rows)):
        row = rows[r]
        if not any(cell.strip() for cell in row):
            continue
        label = f"row {r + 1}"
        image = "/".join(c.strip() for c in row[:start] if c.strip()).replace("\\", "/")
        if not image:
            report.skip(label, "no image path in the first column(s)")
            continue
        label = f"row {r + 1} ({image})"
        if image in seen:
            report.skip(label, f"the image repeats {seen[image]}")
            continue
        seen[image] = label
        try:
            people = _people(row, columns, fmt)
        except ValueError as err:
            report.skip(label, str(err))
            continue
        persons = [SourcePerson(joints, f"{label}, {who or 'animal'}") for who, joints in people]
        refused = image_name_refusal(image, folders, allow_absolute_paths)
        found = None if refused else first_file(_candidates(image, path, images))
        result.append(SourceImage(label, image, found, persons, refused=refused))
    _note_unlabelled(report, result, columns, fmt)
    return SourceData(path, "deeplabcut", fmt, result, report.skipped, report.notes)


read_deeplabcut_csv = read_deeplabcut_table
"""The reader's name in the layouts' registry (dataset.loaders), which reads H5 tables too."""
