"""DeepLabCut's CollectedData tables: the H5 file read as its CSV is, and the body parts of the
format that no frame labels named."""
import logging
import os

import imageio.v3 as iio
import numpy as np
import pandas as pd
import pytest

from dataset.deeplabcut import read_deeplabcut_csv, read_deeplabcut_table, unlabelled_joints
from dataset.keypoint_formats import KeypointFormat
from lib.errors import DatasetError

MOUSE = KeypointFormat("mouse", "", ("snout", "leftear", "rightear", "tailbase"), ((1, 2),), (),
                       (0.1,) * 4)
FRAMES = ("img000.png", "img001.png", "img002.png")
# Frame by frame, per part, x and y (NaN: not labelled).
VALUES = np.array([[10.5, 20.25, 12.0, 18.0, 14.0, 18.5, 30.125, 40.0],
                   [np.nan, np.nan, 22.0, 23.0, np.nan, np.nan, 31.0, 41.0],
                   [1.0 / 3.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]])


def _project(tmp_path):
    """labeled-data/video1/ with three 64x48 frames; the folder."""
    folder = tmp_path / "project" / "labeled-data" / "video1"
    folder.mkdir(parents=True)
    for name in FRAMES:
        iio.imwrite(folder / name, np.full((48, 64, 3), 90, np.uint8))
    return folder


def _frame(parts=MOUSE.joints, values=VALUES, individuals=None, index_levels=3):
    """The table as DeepLabCut keeps it: columns (scorer, [individuals,] bodyparts, coords), rows
    the frames' paths (split over three index levels, or one string)."""
    names = ["scorer", "bodyparts", "coords"]
    tuples = [("alex", p, c) for p in parts for c in ("x", "y")]
    if individuals is not None:
        names.insert(1, "individuals")
        tuples = [("alex", who, p, c) for who, p in zip(individuals, parts) for c in ("x", "y")]
    columns = pd.MultiIndex.from_tuples(tuples, names=names)
    rows = [("labeled-data", "video1", f) for f in FRAMES]
    index = (pd.MultiIndex.from_tuples(rows) if index_levels == 3
             else pd.Index(["/".join(r) for r in rows]))
    return pd.DataFrame(values, index=index, columns=columns)


def _people(source):
    return [np.stack([p.joints for p in image.people]) if image.people else None
            for image in source.images]


@pytest.mark.parametrize("index_levels, table_format", [(3, "fixed"), (1, "table")])
def test_an_h5_table_reads_as_the_csv_deeplabcut_writes_beside_it(tmp_path, index_levels, table_format):
    folder = _project(tmp_path)
    frame = _frame(index_levels=index_levels)
    frame.to_hdf(folder / "CollectedData_alex.h5", key="df_with_missing", mode="w", format=table_format)
    frame.to_csv(folder / "CollectedData_alex.csv")
    h5 = read_deeplabcut_table(str(folder / "CollectedData_alex.h5"), MOUSE)
    csv = read_deeplabcut_table(str(folder / "CollectedData_alex.csv"), MOUSE)
    assert [i.file_name for i in h5.images] == [f"labeled-data/video1/{f}" for f in FRAMES]
    assert [i.path for i in h5.images] == [str(folder / f) for f in FRAMES]
    for got, expected in zip(_people(h5), _people(csv)):
        np.testing.assert_array_equal(got, expected)
    first, second, third = (p[0] for p in _people(h5))
    np.testing.assert_array_equal(first[:, :2], VALUES[0].reshape(4, 2))  # exact, not rounded
    assert third[0, 0] == 1.0 / 3.0
    np.testing.assert_array_equal(second, [[0, 0, 0], [22, 23, 2], [0, 0, 0], [31, 41, 2]])
    assert h5.skipped == [] and h5.notes == [] and read_deeplabcut_csv is read_deeplabcut_table


def test_a_multi_animal_h5_table_gives_one_animal_per_individual_without_the_unique_parts(tmp_path):
    folder = _project(tmp_path)
    parts = ("snout", "tailbase", "snout", "tailbase", "tray")
    values = np.array([[1, 2, 3, 4, 5, 6, 7, 8, 9, 9], [np.nan] * 4 + [11, 12, 13, 14, 9, 9],
                       [np.nan] * 10], dtype=float)
    _frame(parts, values, individuals=("m1", "m1", "m2", "m2", "single")).to_hdf(
        folder / "CollectedData_alex.h5", key="df_with_missing")
    fmt = KeypointFormat("two", "", ("snout", "tailbase"), (), (), (0.1, 0.1))
    source = read_deeplabcut_table(str(folder / "CollectedData_alex.h5"), fmt)
    first, second, third = _people(source)
    np.testing.assert_array_equal(first, [[[1, 2, 2], [3, 4, 2]], [[5, 6, 2], [7, 8, 2]]])
    np.testing.assert_array_equal(second, [[[11, 12, 2], [13, 14, 2]]])
    assert third is None
    assert any("tray" in note and "not converted" in note for note in source.notes)


def test_a_bodypart_no_frame_labels_is_named_with_the_file(tmp_path, caplog):
    """A part of the format without a column, and one whose cells are all empty, are each named
    in a warning with the table's path; the labelled parts convert as before."""
    folder = _project(tmp_path)
    values = VALUES[:, :6].copy()
    values[:, 4:6] = np.nan
    _frame(MOUSE.joints[:3], values).to_csv(folder / "CollectedData_alex.csv")
    path = str(folder / "CollectedData_alex.csv")
    with caplog.at_level(logging.WARNING):
        source = read_deeplabcut_table(path, MOUSE)
    assert source.notes == [
        "bodypart tailbase of keypoint format 'mouse': no column in the table; unlabelled in all 3 frames",
        "bodypart rightear of keypoint format 'mouse': its cells are empty in every row; unlabelled "
        "in all 3 frames"]
    logged = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(m.startswith(path) and "tailbase" in m for m in logged)
    assert len(source.images) == 3 and source.skipped == []


def test_unlabelled_joints_are_those_no_person_labels():
    a = np.zeros((4, 3))
    a[1, 2] = 2
    b = np.zeros((4, 3))
    b[3, 2] = 1
    assert unlabelled_joints([a, b], 4).tolist() == [0, 2]
    assert unlabelled_joints([], 3).tolist() == [0, 1, 2]


def test_a_file_that_is_no_deeplabcut_h5_table_is_an_error_naming_it(tmp_path):
    folder = _project(tmp_path)
    bad = folder / "CollectedData_alex.h5"
    bad.write_bytes(b"not an hdf5 file")
    with pytest.raises(DatasetError, match=rf"{bad}: not a readable DeepLabCut H5 table"):
        read_deeplabcut_table(str(bad), MOUSE)
    pd.DataFrame({"x": [1.0]}).to_hdf(bad, key="df_with_missing", mode="w")
    with pytest.raises(DatasetError, match=rf"{bad}: expected a DataFrame whose column levels are scorer"):
        read_deeplabcut_table(str(bad), MOUSE)
    with pytest.raises(DatasetError, match="no such file"):
        read_deeplabcut_table(os.path.join(folder, "gone.h5"), MOUSE)
