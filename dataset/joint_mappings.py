"""Mappings between keypoint formats and visibility codes of annotation layouts, read from data.

A mapping is a YAML file ``dataset/mappings/<source>_to_<target>.yaml`` (or a user's own file
with the same schema): ``source`` and ``target`` (format names), ``description`` (optional) and
``joints``, which lists every target joint with the source joint that feeds it, or null for a
joint the source does not have (unlabelled in the output). Source joints not named are dropped.
A format maps onto itself without a file. ``dataset/mappings/visibility.yaml`` says how each
annotation layout's visibility codes become COCO's (0 unlabelled, 1 hidden, 2 visible).
"""
from __future__ import annotations

import difflib
import functools
import os
import re
from dataclasses import dataclass
from importlib import resources
from typing import Optional, Union

import numpy as np
import yaml

from dataset.keypoint_formats import KeypointFormat, get_format, read_yaml_file
from lib.errors import DatasetError, FormatError

__all__ = ["JointMapping", "VisibilityTable", "available_mappings", "get_mapping", "identity_mapping",
           "load_mapping", "visibility_table"]

_FIELDS = ("source", "target", "description", "joints")
_FILE = re.compile(r"^(?P<source>.+)_to_(?P<target>.+)\.yaml$")
_VISIBILITY_FILE = "visibility.yaml"


@dataclass(frozen=True)
class JointMapping:
    """Which source joint feeds each target joint: ``index[t]`` is a source joint index or -1."""

    source: KeypointFormat
    target: KeypointFormat
    index: tuple[int, ...]
    origin: str
    description: str = ""

    def apply(self, joints: np.ndarray) -> np.ndarray:
        """(..., source joints, 3) x, y, v -> (..., target joints, 3); unfed joints are (0, 0, 0)."""
        joints = np.asarray(joints, dtype=np.float64)
        out = np.zeros(joints.shape[:-2] + (self.target.num_joints, 3))
        fed = np.array([i >= 0 for i in self.index], dtype=bool)
        out[..., fed, :] = joints[..., [i for i in self.index if i >= 0], :]
        return out

    @property
    def dropped(self) -> tuple[str, ...]:
        """Source joints that feed no target joint."""
        used = set(self.index)
        return tuple(name for i, name in enumerate(self.source.joints) if i not in used)

    @property
    def unfed(self) -> tuple[str, ...]:
        """Target joints that no source joint feeds (always unlabelled in the output)."""
        return tuple(name for name, i in zip(self.target.joints, self.index) if i < 0)


def identity_mapping(fmt: KeypointFormat) -> JointMapping:
    """A format onto itself: every joint carries over."""
    return JointMapping(fmt, fmt, tuple(range(fmt.num_joints)), "identity")


def _resolve(value, field: str, given: Optional[KeypointFormat], origin: str) -> KeypointFormat:
    """The format a mapping names: the one the caller gave (names must agree), else a registered one."""
    if not isinstance(value, str) or not value:
        raise FormatError(f"{origin}: {field}: expected the name of a keypoint format, got {value!r}")
    if given is not None:
        if given.name != value:
            raise FormatError(f"{origin}: {field}: expected {given.name!r} (the {field} format in use), "
                              f"got {value!r}")
        return given
    try:
        return get_format(value)
    except FormatError as err:
        raise FormatError(f"{origin}: {field}: {err}") from None


def _near(name: str, names) -> str:
    near = difflib.get_close_matches(name, names, n=2)
    return f" (did you mean {' or '.join(map(repr, near))}?)" if near else ""


def _side(name: str) -> Optional[str]:
    """"left" or "right" from a joint name's prefix, else None."""
    for prefix, side in (("left_", "left"), ("l_", "left"), ("right_", "right"), ("r_", "right")):
        if name.startswith(prefix):
            return side
    return None


def _check(data, origin: str, source: Optional[KeypointFormat],
           target: Optional[KeypointFormat]) -> JointMapping:
    """Validate raw mapping data; one FormatError lists every problem, naming the file and joint."""
    if not isinstance(data, dict):
        raise FormatError(f"{origin}: expected a mapping with fields {', '.join(_FIELDS)}, "
                          f"got {type(data).__name__}")
    problems = [f"unknown field {key!r}{_near(str(key), _FIELDS)}" for key in data if key not in _FIELDS]
    for key in ("source", "target", "joints"):
        if key not in data:
            problems.append(f"field {key!r}: missing")
    if problems:
        raise FormatError(f"{origin}: invalid joint mapping:\n  - " + "\n  - ".join(problems))
    src = _resolve(data["source"], "source", source, origin)
    dst = _resolve(data["target"], "target", target, origin)
    description = data.get("description") or ""
    joints = data["joints"]
    if not isinstance(joints, dict):
        raise FormatError(f"{origin}: joints: expected target joint: source joint (or null) pairs, "
                          f"got {type(joints).__name__}")
    for name, feed in joints.items():
        if name not in dst.joints:
            problems.append(f"joints: {name!r} is not a joint of target format {dst.name!r}"
                            f"{_near(str(name), dst.joints)}")
        if feed is not None and feed not in src.joints:
            problems.append(f"joints: {name}: {feed!r} is not a joint of source format {src.name!r}"
                            f"{_near(str(feed), src.joints)}")
    missing = [n for n in dst.joints if n not in joints]
    if missing:
        problems.append(f"joints: missing target joints {', '.join(missing)}; list each target joint, "
                        "with null where the source has no such joint")
    feeds = [f for f in joints.values() if f is not None]
    repeated = sorted({f for f in feeds if feeds.count(f) > 1})
    if repeated:
        problems.append(f"joints: source joints feeding several target joints: {', '.join(map(str, repeated))}")
    if problems:
        raise FormatError(f"{origin}: invalid joint mapping:\n  - " + "\n  - ".join(problems))
    for name, feed in joints.items():
        if feed is not None and None not in (_side(name), _side(feed)) and _side(name) != _side(feed):
            problems.append(f"joints: {name}: {feed} is a {_side(feed)} joint feeding a {_side(name)} one; "
                            "a mapping keeps left and right")
    if problems:
        raise FormatError(f"{origin}: invalid joint mapping:\n  - " + "\n  - ".join(problems))
    index = tuple(src.joints.index(joints[n]) if joints[n] is not None else -1 for n in dst.joints)
    source_pairs = {frozenset(p) for p in src.flip_pairs}
    for a, b in dst.flip_pairs:
        ia, ib = index[a], index[b]
        if (ia < 0) != (ib < 0) or ia >= 0 and frozenset((ia, ib)) not in source_pairs:
            problems.append(f"joints: {dst.joints[a]} and {dst.joints[b]} mirror each other, so their "
                            f"sources must too; got {src.joints[ia] if ia >= 0 else None} and "
                            f"{src.joints[ib] if ib >= 0 else None}")
    if problems:
        raise FormatError(f"{origin}: invalid joint mapping:\n  - " + "\n  - ".join(problems))
    return JointMapping(src, dst, index, origin, " ".join(str(description).split()))


def load_mapping(path, source: Optional[KeypointFormat] = None,
                 target: Optional[KeypointFormat] = None) -> JointMapping:
    """Load and validate a mapping YAML file; ``source``/``target`` stand for unregistered formats."""
    path = os.fspath(path)
    data = read_yaml_file(path, "joint mapping")
    return _check(data, path, source, target)


def _folder():
    return resources.files(__package__).joinpath("mappings")


@functools.cache
def available_mappings() -> tuple[tuple[str, str], ...]:
    """(source, target) names of the bundled mapping files, sorted."""
    pairs = []
    for entry in _folder().iterdir():
        match = _FILE.match(entry.name)
        if match:
            pairs.append((match["source"], match["target"]))
    return tuple(sorted(pairs))


@functools.cache
def _bundled(source: str, target: str) -> JointMapping:
    entry = _folder().joinpath(f"{source}_to_{target}.yaml")
    origin = f"dataset/mappings/{entry.name}"
    try:
        data = yaml.safe_load(entry.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise FormatError(f"{origin}: not valid YAML: {err}") from None
    mapping = _check(data, origin, None, None)
    if (mapping.source.name, mapping.target.name) != (source, target):
        raise FormatError(f"{origin}: source, target: expected {source!r} and {target!r} as the file name "
                          f"says, got {mapping.source.name!r} and {mapping.target.name!r}")
    return mapping


def get_mapping(source: Union[str, KeypointFormat], target: Union[str, KeypointFormat]) -> JointMapping:
    """The mapping from ``source`` to ``target``: identity for one format, else the bundled file.

    FormatError when there is none, listing the targets that ``source`` can map onto.
    """
    src = source if isinstance(source, KeypointFormat) else get_format(source)
    dst = target if isinstance(target, KeypointFormat) else get_format(target)
    if src.name == dst.name and src.joints == dst.joints:
        return identity_mapping(src)
    if (src.name, dst.name) in available_mappings():
        mapping = _bundled(src.name, dst.name)
        if mapping.source.joints == src.joints and mapping.target.joints == dst.joints:
            return mapping
    targets = [t for s, t in available_mappings() if s == src.name]
    known = f"it maps onto {', '.join([src.name] + targets)}" if targets else "it maps only onto itself"
    raise FormatError(f"no joint mapping from keypoint format {src.name!r} to {dst.name!r}; {known}. "
                      f"Write one (dataset/mappings/{src.name}_to_{dst.name}.yaml lists every {dst.name} "
                      "joint with the source joint that feeds it, or null) and pass it with --mapping")


@dataclass(frozen=True)
class VisibilityTable:
    """One layout's visibility codes -> COCO codes; ``other_positive`` covers any other value > 0."""

    name: str
    codes: tuple[tuple[float, int], ...]
    other_positive: Optional[int] = None
    description: str = ""

    def translate(self, values, where: str, field: str = "visibility") -> np.ndarray:
        """COCO codes for ``values``; DatasetError naming ``where``, ``field`` and the first bad code."""
        values = np.asarray(values, dtype=np.float64)
        out = np.full(values.shape, -1.0)
        for code, coco in self.codes:
            out[values == code] = coco
        if self.other_positive is not None:
            out[(out < 0) & (values > 0)] = self.other_positive
        bad = np.flatnonzero(out.ravel() < 0)
        if bad.size:
            k = int(bad[0])
            allowed = ", ".join(f"{c:g}" for c, _ in self.codes)
            extra = " or any positive value" if self.other_positive is not None else ""
            raise DatasetError(f"{where}: {field} of joint {k}: expected a {self.name} visibility code "
                               f"({allowed}{extra}), got {values.ravel()[k]:g}")
        return out


@functools.cache
def _visibility_tables() -> dict[str, VisibilityTable]:
    origin = f"dataset/mappings/{_VISIBILITY_FILE}"
    data = yaml.safe_load(_folder().joinpath(_VISIBILITY_FILE).read_text(encoding="utf-8"))
    tables = {}
    for name, entry in (data or {}).items():
        codes = entry.get("codes") if isinstance(entry, dict) else None
        if not isinstance(codes, dict) or not all(v in (0, 1, 2) for v in codes.values()):
            raise FormatError(f"{origin}: {name}.codes: expected source code: COCO code (0, 1 or 2) pairs")
        other = entry.get("other_positive")
        if other not in (None, 0, 1, 2):
            raise FormatError(f"{origin}: {name}.other_positive: expected a COCO code 0, 1 or 2, got {other!r}")
        tables[name] = VisibilityTable(name, tuple((float(k), int(v)) for k, v in codes.items()), other,
                                       " ".join(str(entry.get("description", "")).split()))
    return tables


def visibility_table(layout: str) -> VisibilityTable:
    """The visibility table of annotation layout ``layout`` (a key of visibility.yaml)."""
    tables = _visibility_tables()
    if layout not in tables:
        raise FormatError(f"dataset/mappings/{_VISIBILITY_FILE}: no visibility table {layout!r}; "
                          f"known: {', '.join(sorted(tables))}")
    return tables[layout]
