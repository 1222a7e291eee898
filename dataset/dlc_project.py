"""A DeepLabCut project read as it stands: its ``config.yaml`` (body parts, skeleton, individuals,
scorer, pcutoff, TrainingFraction) and its labelled frames, ``labeled-data/<video>/CollectedData_<scorer>``.

As DeepLabCut does, each video folder's table is the H5 file (its source of truth; the CSV beside
it is a human-readable copy, read only where no H5 is), and only the config's scorer's tables are
read. The animal's parts become a keypoint format: the config's order, left/right flip pairs where
two names differ only by the side, the skeleton's names as indices, the default OKS sigmas. In a
multi-animal project the parts are ``multianimalbodyparts`` and each individual is one animal; the
unique body parts belong to no animal (dataset.deeplabcut leaves them out).
"""
from __future__ import annotations

import glob
import os
import re
from dataclasses import dataclass
from typing import Optional

import yaml

from dataset.deeplabcut import read_deeplabcut_table
from dataset.keypoint_formats import DEFAULT_SIGMA, KeypointFormat
from dataset.source_data import SourceData
from lib.errors import ConfigError, DatasetError

__all__ = ["DLC_DEFAULT_PCUTOFF", "DLC_DEFAULT_TRAINING_FRACTION", "DlcProject", "ProjectTables",
           "looks_like_dlc_config", "project_format", "read_dlc_config", "read_project_tables",
           "side_pairs"]

DLC_DEFAULT_PCUTOFF = 0.6
"""DeepLabCut's pcutoff where a config gives none."""
DLC_DEFAULT_TRAINING_FRACTION = 0.95
"""DeepLabCut's TrainingFraction where a config gives none."""
_DLC_ONLY_KEYS = frozenset({
    "Task", "scorer", "date", "project_path", "video_sets", "bodyparts", "start", "stop",
    "numframes2pick", "dotsize", "alphavalue", "colormap", "TrainingFraction",
    "iteration", "default_net_type", "default_augmenter", "snapshotindex", "cropping",
    "multianimalproject", "identity", "individuals", "uniquebodyparts", "multianimalbodyparts",
    "skeleton_color", "corner2move2", "move2corner"})
"""Keys of a DeepLabCut project config that no pose_cfg.yaml has; three of them together mark one
(one alone could be a typo)."""
_SIDE_WORDS = re.compile(r"left|right")
_SIDE_LETTERS = re.compile(r"(?<![a-z0-9])([lr])(?![a-z0-9])")


@dataclass(frozen=True)
class DlcProject:
    """What a DeepLabCut project's config.yaml says about its labels and training."""

    config_path: str
    folder: str
    task: str
    scorer: str
    bodyparts: tuple[str, ...]
    """The parts of one animal: bodyparts, or multianimalbodyparts in a multi-animal project."""
    skeleton: tuple[tuple[str, str], ...]
    multi_animal: bool
    individuals: tuple[str, ...]
    unique_bodyparts: tuple[str, ...]
    pcutoff: float
    training_fraction: float
    """The first value of TrainingFraction: the share of the frames trained on."""


@dataclass(frozen=True)
class ProjectTables:
    """The tables of a project, read; and what was found but not read, one line each."""

    sources: tuple[SourceData, ...]
    notes: tuple[str, ...]


def looks_like_dlc_config(data) -> bool:
    """Whether a YAML mapping is a DeepLabCut project config (it has a few keys only those have),
    so that a command given one can say what it is."""
    return isinstance(data, dict) and len(_DLC_ONLY_KEYS.intersection(map(str, data))) >= 3


def _names(data: dict, key: str, path: str, required: bool = True) -> tuple[str, ...]:
    """A list of unique non-empty names; empty when absent and not ``required``."""
    value = data.get(key)
    if value is None and not required:
        return ()
    if not (isinstance(value, list) and (value or not required)
            and all(isinstance(v, str) and v.strip() for v in value)):
        raise ConfigError(f"{path}: {key}: expected a {'non-empty ' * required}list of names, got "
                          f"{value!r}")
    repeated = sorted({v for v in value if value.count(v) > 1})
    if repeated:
        raise ConfigError(f"{path}: {key}: expected unique names, repeated: {', '.join(repeated)}")
    return tuple(v.strip() for v in value)


def _number(data: dict, key: str, path: str, default: float, low: float, high: float,
            low_open: bool = False, listed: bool = False) -> float:
    """A number in [low, high] (low excluded when ``low_open``), ``default`` when absent; the
    first of a list when ``listed``."""
    value = data.get(key, default)
    if listed and isinstance(value, list) and value:
        value = value[0]
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and \
        (low < value if low_open else low <= value) and value <= high
    if not ok:
        interval = f"{'(' if low_open else '['}{low:g}, {high:g}]"
        raise ConfigError(f"{path}: {key}: expected a number in {interval}, got {value!r}")
    return float(value)


def _skeleton(data: dict, path: str, parts: tuple, unique: tuple) -> tuple[tuple[str, str], ...]:
    """The skeleton's edges between two different parts of the animal, each once; edges that
    touch a unique body part (no animal's) are left out."""
    value = data.get("skeleton") or []
    if not isinstance(value, list):
        raise ConfigError(f"{path}: skeleton: expected a list of [part, part] pairs, got {value!r}")
    edges = []
    for k, edge in enumerate(value):
        if not (isinstance(edge, list) and len(edge) == 2 and all(isinstance(e, str) for e in edge)):
            raise ConfigError(f"{path}: skeleton, entry {k}: expected a pair of body part names, "
                              f"got {edge!r}")
        if any(e in unique for e in edge):
            continue
        unknown = [e for e in edge if e not in parts]
        if unknown:
            raise ConfigError(f"{path}: skeleton, entry {k}: {', '.join(unknown)} is not a body "
                              f"part; the parts are {', '.join(parts)}")
        if edge[0] != edge[1] and tuple(edge) not in edges and tuple(edge[::-1]) not in edges:
            edges.append(tuple(edge))
    return tuple(edges)


def read_dlc_config(path: str) -> DlcProject:
    """Read a DeepLabCut project's config.yaml; ConfigError naming the field when it cannot be
    used. The project's folder is the config's (project_path is where it was made, not where it is)."""
    path = os.path.abspath(os.fspath(path))
    try:
        with open(path, encoding="utf-8") as f:
            data = yaml.safe_load(f)
    except OSError as err:
        raise ConfigError(f"{path}: cannot read the DeepLabCut config: {err.strerror or err}") from None
    except (UnicodeDecodeError, yaml.YAMLError) as err:
        raise ConfigError(f"{path}: not a readable YAML file: {str(err)[:300]}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected DeepLabCut's project config (a mapping with "
                          f"bodyparts, scorer, TrainingFraction, ...), got {type(data).__name__}")
    multi = bool(data.get("multianimalproject"))
    if multi:
        parts = _names(data, "multianimalbodyparts", path)
        individuals = _names(data, "individuals", path)
        unique = _names(data, "uniquebodyparts", path, required=False)
    else:
        parts, individuals, unique = _names(data, "bodyparts", path), (), ()
    scorer = data.get("scorer")
    if not (isinstance(scorer, str) and scorer.strip()):
        raise ConfigError(f"{path}: scorer: expected the labeller's name (the tables are "
                          f"CollectedData_<scorer>.h5), got {scorer!r}")
    task = data.get("Task")
    return DlcProject(
        config_path=path, folder=os.path.dirname(path),
        task=str(task).strip() if task not in (None, "") else "dlc_project", scorer=scorer.strip(),
        bodyparts=parts, skeleton=_skeleton(data, path, parts, unique), multi_animal=multi,
        individuals=individuals, unique_bodyparts=unique,
        pcutoff=_number(data, "pcutoff", path, DLC_DEFAULT_PCUTOFF, 0.0, 1.0),
        training_fraction=_number(data, "TrainingFraction", path, DLC_DEFAULT_TRAINING_FRACTION,
                                  0.0, 1.0, low_open=True, listed=True))


def _other_side(name: str) -> Optional[str]:
    """``name`` in lower case with left and right swapped (also the letters l and r standing
    alone: l_ear, paw_r), or None when it names no side."""
    low = name.lower()
    swapped = _SIDE_WORDS.sub(lambda m: "right" if m.group() == "left" else "left", low)
    swapped = _SIDE_LETTERS.sub(lambda m: "r" if m.group(1) == "l" else "l", swapped)
    return None if swapped == low else swapped


def side_pairs(names) -> tuple[tuple[tuple[int, int], ...], tuple[str, ...]]:
    """(flip pairs (i, j), i < j, of the names that differ only by the side, case aside; the
    names that name a side but have no partner)."""
    lower = [n.lower() for n in names]
    pairs, unpaired = [], []
    for i, name in enumerate(names):
        other = _other_side(name)
        if other is None:
            continue
        j = lower.index(other) if lower.count(other) == 1 else -1
        if j < 0 or j == i:
            unpaired.append(name)
        elif i < j:
            pairs.append((i, j))
    return tuple(pairs), tuple(unpaired)


def project_format(project: DlcProject) -> KeypointFormat:
    """The keypoint format of the project's animal: its parts in the config's order, flip pairs
    from the side in their names, the skeleton as indices, the default OKS sigma for each."""
    parts = project.bodyparts
    pairs, _ = side_pairs(parts)
    kind = "multi-animal" if project.multi_animal else "single-animal"
    return KeypointFormat(
        name=project.task, description=f"the parts of DeepLabCut's {kind} project {project.task} "
                                       f"({project.config_path})",
        joints=parts, flip_pairs=pairs,
        skeleton=tuple((parts.index(a), parts.index(b)) for a, b in project.skeleton),
        sigmas=(DEFAULT_SIGMA,) * len(parts))


def _tables(project: DlcProject) -> tuple[list[str], list[str]]:
    """(the table of each video folder: the scorer's H5, else its CSV; notes on the folders
    without one and on the tables of other scorers, which are not read)."""
    labeled = os.path.join(project.folder, "labeled-data")
    expected = f"CollectedData_{project.scorer}.h5 (or .csv)"
    if not os.path.isdir(labeled):
        raise DatasetError(f"{labeled}: no such folder; a DeepLabCut project keeps its labelled "
                           f"frames in labeled-data/<video>/{expected}")
    tables, notes, unlabelled = [], [], []
    for folder in sorted(glob.glob(os.path.join(glob.escape(labeled), "*", ""))):
        folder = os.path.dirname(folder)
        own = [os.path.join(folder, f"CollectedData_{project.scorer}{ext}") for ext in (".h5", ".csv")]
        found = next((p for p in own if os.path.isfile(p)), None)
        if found:
            tables.append(found)
        elif not folder.endswith("_labeled"):
            unlabelled.append(os.path.basename(folder))
        others = sorted(p for p in glob.glob(os.path.join(glob.escape(folder), "CollectedData_*"))
                        if p.lower().endswith((".h5", ".csv")) and p not in own)
        if others:
            notes.append(f"{', '.join(others)}: labelled by another scorer than the config's "
                         f"{project.scorer!r}; not read (DeepLabCut reads only the config's scorer's)")
    if unlabelled:
        notes.append(f"{labeled}: no {expected} in {', '.join(unlabelled)}: not labelled, not read")
    if not tables:
        raise DatasetError(f"{labeled}: no video folder holds {expected}; label frames first, or "
                           f"check the config's scorer")
    return tables, notes


def read_project_tables(project: DlcProject, fmt: KeypointFormat) -> ProjectTables:
    """Every table of the project read in ``fmt`` (see dataset.deeplabcut), one SourceData each,
    in the order of the video folders' names."""
    tables, notes = _tables(project)
    return ProjectTables(tuple(read_deeplabcut_table(t, fmt) for t in tables), tuple(notes))
