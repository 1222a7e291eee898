"""DeepLabCut's pose files: a video's poses as the H5 and CSV that DeepLabCut's own tools read.

A pandas DataFrame, one row per frame indexed by the frame's number, with MultiIndex columns
(scorer, bodyparts, coords) for one animal per frame, or (scorer, individuals, bodyparts, coords)
for several, coords being x, y and likelihood; the H5 holds it under the key "df_with_missing" in
PyTables' "table" format, the CSV has one header row per level, as DeepLabCut writes them.
"""
import os
import re
from typing import NamedTuple, Optional

import numpy as np
import pandas as pd

from dataset.keypoint_formats import is_format_file, registered_formats
from lib.errors import DatasetError

__all__ = ["COORDS", "H5_KEY", "PoseFile", "PoseFrames", "is_person_format", "pose_dataframe",
           "pose_file_paths", "read_pose_file", "scorer_name", "write_pose_files"]

COORDS = ("x", "y", "likelihood")
H5_KEY = "df_with_missing"
"""The key DeepLabCut stores its pose tables under in an H5 file."""
_LEVELS = ("scorer", "individuals", "bodyparts", "coords")


def is_person_format(keypoint_format: Optional[str]) -> bool:
    """True when the config's ``keypoint_format`` names a registered format (the bundled ones are
    all people's layouts); False for a format file of one's own, as a DeepLabCut project's
    bodyparts become, or no format at all (parts named joint0, joint1, ...)."""
    return bool(keypoint_format) and not is_format_file(keypoint_format) and \
        keypoint_format in registered_formats()


def scorer_name(config_path: str, weights: Optional[str]) -> str:
    """The scorer of the files predict writes, "posecut_<config folder>_<snapshot>" (DeepLabCut's
    is "DLC_<net>_<Task><date>shuffle<N>_<iterations>"): the name of the folder that holds the
    config and the checkpoint's (or TFLite file's) name, in letters, digits, '.', '_' and '-'."""
    folder = os.path.basename(os.path.dirname(os.path.abspath(config_path)))
    snapshot = os.path.basename(os.path.normpath(weights)) if weights else ""
    stem, ext = os.path.splitext(snapshot)
    snapshot = stem if ext.lower() in (".tflite", ".keras", ".index") else snapshot
    words = [re.sub(r"[^A-Za-z0-9._-]+", "-", word).strip("-") for word in (folder, snapshot)]
    return "_".join(["posecut"] + [word for word in words if word])


def pose_file_paths(out_dir: str, stem: str, scorer: str) -> tuple[str, str]:
    """(H5 path, CSV path) of a video's poses, ``<stem>_<scorer>.h5`` and ``.csv``: named after the
    video and the scorer, as DeepLabCut names its own."""
    base = os.path.join(out_dir, f"{stem}_{scorer}")
    return base + ".h5", base + ".csv"


def pose_dataframe(poses, part_names, scorer: str, frames=None, multi: bool = False) -> pd.DataFrame:
    """DeepLabCut's table of ``poses``: (T, J, 3) x, y, score of one animal per frame, or with
    ``multi`` (T, K, J, 3) of K individuals named individual1..individualK (in the order of the
    rows of each frame, not identities across frames). A part not found (score 0, or coordinates
    not finite) has NaN x and y and keeps its score (0 where not finite); a row of NaN scores is
    an individual absent from that frame. Rows are indexed by ``frames`` (default 0..T-1)."""
    poses = np.asarray(poses, np.float64)
    names = [str(name) for name in part_names]
    want = 4 if multi else 3
    if poses.ndim != want or poses.shape[-2:] != (len(names), 3):
        shape = "(frames, individuals, parts, 3)" if multi else "(frames, parts, 3)"
        raise ValueError(f"pose_dataframe: expected poses of shape {shape} with {len(names)} "
                         f"parts, got {poses.shape}")
    values = poses.copy()
    missing = ~((values[..., 2] > 0) & np.isfinite(values[..., :2]).all(axis=-1))
    values[..., :2][missing] = np.nan
    absent = np.isnan(poses[..., 2])
    values[..., 2] = np.where(np.isfinite(values[..., 2]) | absent, values[..., 2], 0.0)
    levels = [[scorer], names, list(COORDS)]
    if multi:
        levels.insert(1, [f"individual{k + 1}" for k in range(poses.shape[1])])
    columns = pd.MultiIndex.from_product(levels, names=[n for n in _LEVELS
                                                        if multi or n != "individuals"])
    index = np.arange(len(poses)) if frames is None else np.asarray(frames, np.int64)
    return pd.DataFrame(values.reshape(len(poses), -1), index=index, columns=columns)


def write_pose_files(table: pd.DataFrame, h5_path: str, csv_path: str) -> tuple[str, str]:
    """Write DeepLabCut's H5 (key "df_with_missing", format "table") and CSV of ``table``."""
    table.to_hdf(h5_path, key=H5_KEY, format="table", mode="w")
    table.to_csv(csv_path)
    return h5_path, csv_path


class PoseFile(NamedTuple):
    """A pose file read back: the poses as (T, I, J, 3) x, y, likelihood (I = 1 for a file without
    individuals), the frame numbers (T,), and the names of its levels."""

    poses: np.ndarray
    frames: np.ndarray
    scorer: str
    individuals: tuple
    parts: tuple
    multi: bool


def _read_table(path: str) -> pd.DataFrame:
    """The DataFrame of an H5 or CSV pose file; DatasetError naming the file when it is neither."""
    if not os.path.isfile(path):
        raise DatasetError(f"{path}: no such file (expected a pose file, .h5 or .csv, as predict "
                           f"writes in DeepLabCut's layout)")
    try:
        if path.lower().endswith((".h5", ".hdf5")):
            return pd.read_hdf(path)
        if path.lower().endswith(".csv"):
            with open(path, encoding="utf-8") as handle:
                second = handle.readlines(4096)[1:2]
            levels = 4 if second and second[0].startswith("individuals,") else 3
            return pd.read_csv(path, header=list(range(levels)), index_col=0)
    except (OSError, ValueError, KeyError, IndexError, TypeError) as err:
        raise DatasetError(f"{path}: cannot read it as a pose table ({err})") from None
    raise DatasetError(f"{path}: expected a pose file ending in .h5 or .csv")


def read_pose_file(path: str) -> PoseFile:
    """The poses of a DeepLabCut-layout H5 or CSV (predict's, or DeepLabCut's own): its column
    levels must be scorer, [individuals,] bodyparts, coords with coords x, y, likelihood."""
    path = os.fspath(path)
    table = _read_table(path)
    names = list(table.columns.names)
    multi = names == list(_LEVELS)
    if not (multi or names == [n for n in _LEVELS if n != "individuals"]):
        raise DatasetError(f"{path}: columns: expected the levels scorer, [individuals,] "
                           f"bodyparts, coords, got {names}")
    scorers = table.columns.unique("scorer")
    if len(scorers) != 1:
        raise DatasetError(f"{path}: columns: expected one scorer, got {list(scorers)}")
    individuals = tuple(table.columns.unique("individuals")) if multi else ("",)
    parts = tuple(table.columns.unique("bodyparts"))
    full = [(scorers[0],) + ((ind,) if multi else ()) + (part, coord)
            for ind in individuals for part in parts for coord in COORDS]
    lacking = [column for column in full if column not in table.columns]
    if lacking:
        raise DatasetError(f"{path}: columns: expected x, y and likelihood of every part, "
                           f"missing {lacking[0]}")
    values = table[full].to_numpy(np.float64)
    poses = values.reshape(len(table), len(individuals), len(parts), 3)
    return PoseFile(poses, table.index.to_numpy(), str(scorers[0]), individuals, parts, multi)


class PoseFrames:
    """The poses of a video gathered frame by frame (the ``add`` of a PoseTable), then written as
    DeepLabCut's files: one animal per frame, or with ``multi`` up to the most individuals any
    frame had, in each frame's own order (no tracking)."""

    def __init__(self, part_names, multi: bool = False):
        self.names, self.multi = tuple(part_names), multi
        self.frames, self.poses = [], []

    def add(self, source, frame, poses):
        """The poses (K, J, 3) of frame number ``frame`` of ``source``; one pose at most without
        ``multi`` (none: a row of NaN)."""
        poses = np.asarray(poses, np.float64).reshape(-1, len(self.names), 3)
        if not self.multi and len(poses) > 1:
            raise ValueError(f"{source}: frame {frame}: one animal per frame expected, got "
                             f"{len(poses)} poses")
        self.frames.append(frame)
        self.poses.append(poses)

    def dataframe(self, scorer: str) -> pd.DataFrame:
        """The frames added so far as DeepLabCut's table (pose_dataframe)."""
        count = max([len(p) for p in self.poses] + [1])
        stacked = np.full((len(self.poses), count, len(self.names), 3), np.nan)
        for row, poses in enumerate(self.poses):
            stacked[row, :len(poses)] = poses
        return pose_dataframe(stacked if self.multi else stacked[:, 0], self.names, scorer,
                              self.frames, self.multi)
