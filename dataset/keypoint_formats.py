"""Keypoint formats declared once, as data: joint names, flip pairs, skeleton, OKS sigmas.

Each bundled format is a YAML file in ``dataset/formats/``; targets, mirroring, evaluation,
drawing and converters all read the same :class:`KeypointFormat`. A user's own format is a
YAML file with the same schema, loaded with :func:`load_format` and added with
:func:`register_format`.

Schema: ``name`` (str), ``description`` (str, optional), ``joints`` (list of unique names),
``flip_pairs`` and ``skeleton`` (lists of ``[i, j]`` 0-based joint indices; flip pairs
disjoint), ``sigmas`` (optional: one positive OKS sigma per joint, else DEFAULT_SIGMA each).
"""

from __future__ import annotations

import difflib
import functools
import logging
import math
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from lib.errors import FormatError

__all__ = [
    "KeypointFormat",
    "DEFAULT_FORMAT",
    "DEFAULT_SIGMA",
    "get_format",
    "is_format_file",
    "joint_names",
    "load_format",
    "read_yaml_file",
    "register_format",
    "registered_formats",
]

_FIELDS = ("name", "description", "joints", "flip_pairs", "skeleton", "sigmas")
_OPTIONAL = ("description", "sigmas")
# OKS sigma of every joint of a format that declares none (a mouse's ears have no measured
# sigma): near COCO's largest (0.107, the hips), so that OKS stays lenient where nobody measured.
DEFAULT_SIGMA = 0.1
DEFAULT_FORMAT = "coco17"
"""The format of DeeperCut's MSCOCO data and of a COCO file that names no other."""
log = logging.getLogger(__name__)
_SIDE_PREFIXES = ("left_", "right_", "l_", "r_")


@dataclass(frozen=True)
class KeypointFormat:
    """One keypoint layout: ordered joint names, left/right pairs, drawing edges, OKS sigmas."""

    name: str
    description: str
    joints: tuple[str, ...]
    flip_pairs: tuple[tuple[int, int], ...]
    skeleton: tuple[tuple[int, int], ...]
    sigmas: tuple[float, ...]

    @property
    def num_joints(self) -> int:
        """Number of joints."""
        return len(self.joints)

    @property
    def flip_index(self) -> np.ndarray:
        """Per joint, the index of its mirror image (itself if none): the horizontal-flip map."""
        index = np.arange(self.num_joints)
        for a, b in self.flip_pairs:
            index[a], index[b] = b, a
        return index

    def index(self, name: str) -> int:
        """Index of the joint called ``name``; FormatError (with the nearest names) if absent."""
        try:
            return self.joints.index(name)
        except ValueError:
            near = difflib.get_close_matches(name, self.joints, n=3)
            hint = f"; did you mean {', '.join(map(repr, near))}?" if near else ""
            raise FormatError(
                f"keypoint format {self.name!r} has no joint {name!r}{hint}"
            ) from None

    def all_joints(self) -> tuple[list[list[int]], list[str]]:
        """DeeperCut's ``all_joints`` groups and ``all_joints_names``.

        A left/right pair forms one group, any other joint a group of its own, ordered by the
        lowest joint id; a group's name is its first joint's name without the side prefix.
        """
        mirror = self.flip_index
        groups, names = [], []
        for i in range(self.num_joints):
            j = int(mirror[i])
            if j < i:
                continue
            groups.append([i] if j == i else [i, j])
            names.append(_strip_side(self.joints[i]))
        return groups, names

    def sigmas_array(self) -> np.ndarray:
        """OKS sigmas as a float64 array of shape (num_joints,)."""
        return np.asarray(self.sigmas, dtype=np.float64)


def _strip_side(name: str) -> str:
    """Joint name without a left_/right_/l_/r_ prefix."""
    for prefix in _SIDE_PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _index_pairs(value, field: str, num_joints: int, problems: list[str]) -> tuple:
    """Check a list of [i, j] joint-index pairs; collect problems, return the valid pairs."""
    if not isinstance(value, list):
        problems.append(
            f"field {field!r}: expected a list of [i, j] joint-index pairs, "
            f"got {type(value).__name__}"
        )
        return ()
    pairs = []
    for k, pair in enumerate(value):
        if not (isinstance(pair, list) and len(pair) == 2 and all(map(_is_int, pair))):
            problems.append(
                f"field {field!r}, entry {k}: expected a pair of integers [i, j], got {pair!r}"
            )
            continue
        bad = [i for i in pair if not 0 <= i < num_joints]
        if bad:
            problems.append(
                f"field {field!r}, entry {k}: index {bad[0]} out of range, "
                f"expected 0..{num_joints - 1}"
            )
            continue
        if pair[0] == pair[1]:
            problems.append(
                f"field {field!r}, entry {k}: expected two different joints, got {pair!r}"
            )
            continue
        pairs.append((pair[0], pair[1]))
    return tuple(pairs)


def _check(data, source: str) -> KeypointFormat:
    """Validate raw declaration data and build the format; one FormatError lists every problem."""
    if not isinstance(data, dict):
        raise FormatError(
            f"{source}: expected a mapping with fields {', '.join(_FIELDS)}, "
            f"got {type(data).__name__}"
        )
    problems = []
    for key in data:
        if key not in _FIELDS:
            near = difflib.get_close_matches(str(key), _FIELDS, n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            problems.append(f"unknown field {key!r}{hint}; expected only {', '.join(_FIELDS)}")
    for key in _FIELDS:
        if key not in data and key not in _OPTIONAL:
            problems.append(f"field {key!r}: missing")

    name = data.get("name")
    if "name" in data and not (isinstance(name, str) and name.strip()):
        problems.append(f"field 'name': expected a non-empty string, got {name!r}")
    description = data.get("description", "")
    if not isinstance(description, str):
        problems.append(
            f"field 'description': expected a string, got {type(description).__name__}"
        )

    joints = data.get("joints", [])
    if not (isinstance(joints, list) and joints and all(isinstance(j, str) and j for j in joints)):
        if "joints" in data:
            problems.append(
                f"field 'joints': expected a non-empty list of joint names (strings), "
                f"got {joints!r}"
            )
        joints = []
    duplicates = sorted({j for j in joints if joints.count(j) > 1})
    if duplicates:
        problems.append(
            f"field 'joints': expected unique names, repeated: {', '.join(duplicates)}"
        )
    num_joints = len(joints)

    flip_pairs = skeleton = ()
    if num_joints:
        if "flip_pairs" in data:
            flip_pairs = _index_pairs(data["flip_pairs"], "flip_pairs", num_joints, problems)
        used = [i for pair in flip_pairs for i in pair]
        shared = sorted({i for i in used if used.count(i) > 1})
        if shared:
            problems.append(
                "field 'flip_pairs': expected disjoint pairs (each joint mirrored at most once), "
                f"joints in several pairs: {', '.join(f'{i} ({joints[i]})' for i in shared)}"
            )
        if "skeleton" in data:
            skeleton = _index_pairs(data["skeleton"], "skeleton", num_joints, problems)

    sigmas = data.get("sigmas", [])
    if "sigmas" in data:
        if not isinstance(sigmas, list):
            problems.append(
                f"field 'sigmas': expected a list of positive numbers, got {type(sigmas).__name__}"
            )
            sigmas = []
        for k, s in enumerate(sigmas):
            if not (isinstance(s, (int, float)) and not isinstance(s, bool)
                    and math.isfinite(s) and s > 0):
                problems.append(
                    f"field 'sigmas', entry {k}: expected a positive finite number, got {s!r}"
                )
        if num_joints and len(sigmas) != num_joints:
            problems.append(
                f"field 'sigmas': expected one per joint ({num_joints}), got {len(sigmas)}"
            )

    if problems:
        raise FormatError(f"{source}: invalid keypoint format:\n  - " + "\n  - ".join(problems))
    if "sigmas" not in data:
        log.info("%s: no OKS sigmas declared; every joint gets %g", source, DEFAULT_SIGMA)
        sigmas = [DEFAULT_SIGMA] * num_joints
    return KeypointFormat(
        name=name,
        description=description.strip(),
        joints=tuple(joints),
        flip_pairs=flip_pairs,
        skeleton=skeleton,
        sigmas=tuple(float(s) for s in sigmas),
    )


def _parse(text: str, source: str) -> Any:
    """The YAML data of ``text``; FormatError naming ``source`` when it is not valid YAML."""
    try:
        return yaml.safe_load(text)
    except (yaml.YAMLError, RecursionError) as err:
        raise FormatError(f"{source}: not valid YAML: {str(err)[:300]}") from None


def read_yaml_file(path, what: str) -> Any:
    """The YAML data of a user's file (a keypoint format, a joint mapping); FormatError naming the
    file when it cannot be read, is not UTF-8 or not valid YAML. ``what`` names the kind of file."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as err:
        raise FormatError(f"{path}: cannot read {what} file: {err.strerror or err}") from None
    except UnicodeDecodeError as err:
        raise FormatError(f"{path}: expected a UTF-8 text (YAML) file; byte {err.start} is "
                          f"{err.object[err.start]:#04x}") from None
    return _parse(text, os.fspath(path))


def load_format(path: str | Path) -> KeypointFormat:
    """Load and validate a user's keypoint format from a YAML file (not registered)."""
    return _check(read_yaml_file(path, "keypoint format"), os.fspath(path))


@functools.cache
def _bundled() -> dict[str, KeypointFormat]:
    """The formats shipped in ``dataset/formats/*.yaml``, read once on first use."""
    formats = {}
    folder = resources.files(__package__).joinpath("formats")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".yaml"):
            continue
        source = f"dataset/formats/{entry.name}"
        fmt = _check(_parse(entry.read_text(encoding="utf-8"), source), source)
        if fmt.name != entry.name[: -len(".yaml")]:
            raise FormatError(
                f"dataset/formats/{entry.name}: field 'name' is {fmt.name!r}, "
                "expected the file stem"
            )
        formats[fmt.name] = fmt
    return formats


_user_formats: dict[str, KeypointFormat] = {}


def _registry() -> dict[str, KeypointFormat]:
    return {**_bundled(), **_user_formats}


def registered_formats() -> list[str]:
    """Names of all registered formats (bundled and user-registered), sorted."""
    return sorted(_registry())


def is_format_file(value: str) -> bool:
    """True when ``value`` names a format YAML file rather than a registered format."""
    return str(value).lower().endswith((".yaml", ".yml"))


@functools.cache
def _load_file(path: str) -> KeypointFormat:
    return load_format(path)


def get_format(name: str) -> KeypointFormat:
    """The registered format called ``name``, or the user's format in the YAML file ``name``
    (read once); FormatError listing the registered ones if unknown."""
    if is_format_file(name):
        return _load_file(os.path.abspath(name))
    registry = _registry()
    if name not in registry:
        raise FormatError(
            f"unknown keypoint format {name!r}; registered formats: {', '.join(sorted(registry))}"
        )
    return registry[name]


def joint_names(format_name: str | None, num_joints: int) -> tuple[str, ...]:
    """The joints' names: the format's, or "joint0", "joint1", ... where no format is named (names
    that a CSV header or a table can carry); FormatError when the format's count differs."""
    if not format_name:
        return tuple(f"joint{j}" for j in range(num_joints))
    fmt = get_format(format_name)
    if fmt.num_joints != num_joints:
        raise FormatError(f"keypoint format {fmt.name!r} has {fmt.num_joints} joints, expected "
                          f"{num_joints}")
    return tuple(fmt.joints)


def unnamed_format(joints: tuple) -> KeypointFormat:
    """A format known only by its joint names (a file or config that names no registered one):
    no flip pairs, no skeleton, and COCO's median body sigma for every joint."""
    names = tuple(str(j) for j in joints)
    return KeypointFormat("", f"{len(names)} joints named by the data", names, (), (), (0.072,) * len(names))


def register_format(fmt: KeypointFormat, replace: bool = False) -> KeypointFormat:
    """Validate ``fmt`` and make it available to :func:`get_format` under ``fmt.name``.

    Registering an identical format again is a no-op; a different format under a taken name
    is an error unless ``replace`` is true.
    """
    if not isinstance(fmt, KeypointFormat):
        raise FormatError(
            f"register_format: expected a KeypointFormat, got {type(fmt).__name__}"
        )
    raw = {
        "name": fmt.name,
        "description": fmt.description,
        "joints": list(fmt.joints),
        "flip_pairs": [list(p) for p in fmt.flip_pairs],
        "skeleton": [list(p) for p in fmt.skeleton],
        "sigmas": list(fmt.sigmas),
    }
    checked = _check(raw, f"register_format({fmt.name!r})")
    existing = _registry().get(checked.name)
    if existing is not None and existing != checked and not replace:
        raise FormatError(
            f"register_format: a different keypoint format is already registered as "
            f"{checked.name!r}; pass replace=True to override it"
        )
    _user_formats[checked.name] = checked
    return checked
