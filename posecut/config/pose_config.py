"""``PoseConfig``: the frozen, validated configuration, one field per row of the key table, and the
accessors callers use instead of reaching into the keypoint-format registry themselves."""

from __future__ import annotations

import dataclasses
import os
from typing import Any, Optional

from dataset.keypoint_formats import DEFAULT_FORMAT, KeypointFormat, get_format, joint_names
from lib.errors import ConfigError
from nnet.heads import default_sparse_graph
from posecut.config.keys import CONFIG_KEYS, KEYS
from posecut.config.types import plain, show
from posecut.config.validate import DEFAULTS, raise_problems, unknown_keys, validate

__all__ = ["PoseConfig", "config_from_dict", "config_reference", "default_config", "mirror_joints_map"]


def mirror_joints_map(all_joints, num_joints: int) -> tuple[int, ...]:
    """Per joint, the index of the joint it becomes when the image is mirrored (pairs of all_joints swap)."""
    res = list(range(num_joints))
    for group in all_joints:
        if len(group) == 2:
            a, b = group
            res[a], res[b] = b, a
    return tuple(res)


class _ConfigMethods:
    """What a PoseConfig does besides holding its keys: validation when built, changed copies,
    paths relative to its file, and the joints and keypoint format it names."""

    def __post_init__(self):
        values, problems = validate({k: getattr(self, k) for k in KEYS}, self.config_dir)
        raise_problems(self.source, problems)
        for name, value in values.items():
            object.__setattr__(self, name, value)

    def replace(self, **changes) -> "PoseConfig":
        """A new validated config with some keys changed; derived joint keys are not re-derived."""
        raise_problems(self.source, unknown_keys([k for k in changes if k not in KEYS]))
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        """Every key with its value as plain lists, in table order."""
        return {k: plain(getattr(self, k)) for k in KEYS}

    def resolve_path(self, value: str | os.PathLike) -> str:
        """``value`` made absolute relative to the config's folder (or the working folder); '' stays ''."""
        value = os.path.expanduser(os.fspath(value))
        if not value:
            return ""
        return os.path.normpath(os.path.join(self.config_dir or os.getcwd(), value))

    def require_joints(self) -> int:
        """num_joints, or a ConfigError when the config does not say how many joints there are."""
        if self.num_joints is None:
            raise ConfigError(f"{self.source}: num_joints: required here but not set; "
                              "add num_joints (and all_joints, all_joints_names) to the configuration")
        return self.num_joints

    @property
    def format(self) -> Optional[KeypointFormat]:
        """The keypoint format the config names (keypoint_format), or None where it names none."""
        return get_format(self.keypoint_format) if self.keypoint_format else None

    def require_format(self, purpose: str) -> KeypointFormat:
        """The config's keypoint format, or a ConfigError saying that ``purpose`` (e.g. "drawing
        the skeleton") needs one; also one where the format's joints are not num_joints."""
        fmt = self.format
        if fmt is None:
            raise ConfigError(f"{self.source}: keypoint_format: {purpose} needs a keypoint format "
                              f"(a registered one such as {DEFAULT_FORMAT}, or a format YAML "
                              "file), got null")
        if self.num_joints is not None and fmt.num_joints != self.num_joints:
            raise ConfigError(f"{self.source}: num_joints: expected {fmt.num_joints}, the joints of "
                              f"keypoint_format {fmt.name}, got {self.num_joints}")
        return fmt

    @property
    def joint_names(self) -> tuple[str, ...]:
        """One name per joint: the keypoint format's, else joint0, joint1, ..."""
        return joint_names(self.keypoint_format, self.require_joints())

    @property
    def linked_pairs(self) -> tuple[tuple[int, int], ...]:
        """The part pairs (k, m) of the grouping graph, which the pairwise head predicts (both
        directions): sparse_graph; empty, with a keypoint_format, the format's default graph (pairs
        at most four skeleton edges apart, nnet.heads.default_sparse_graph); else empty, meaning
        every pair (DeeperCut)."""
        fmt = self.format
        if self.sparse_graph or fmt is None:
            return tuple(self.sparse_graph)
        return tuple(map(tuple, default_sparse_graph(fmt.skeleton, self.require_joints()).tolist()))

    @property
    def mirror_map(self) -> tuple[int, ...]:
        """Per joint, the index of its mirror image (itself unless in a group of two)."""
        return mirror_joints_map(self.all_joints, self.require_joints())


PoseConfig = dataclasses.make_dataclass(
    "PoseConfig",
    [(k.name, k.type.annotation, dataclasses.field(default=DEFAULTS[k.name])) for k in CONFIG_KEYS]
    + [("source", str, dataclasses.field(default="<defaults>", compare=False)),
       ("config_dir", Optional[str], dataclasses.field(default=None, compare=False))],
    bases=(_ConfigMethods,), frozen=True, kw_only=True,
    namespace={"__doc__": """The frozen, validated configuration: one attribute per row of
    CONFIG_KEYS, in its order, with its type and default from there (docs/config.md lists them).

    ``source`` names where it came from (for messages) and ``config_dir`` is the folder of the
    loaded file (None otherwise); neither takes part in equality. Building one validates it.
    """},
)
PoseConfig.__module__ = "posecut.config"


def config_reference() -> list[tuple[str, str, Any, str]]:
    """(key, type, default, description) for every key, in table order; defaults as plain lists."""
    return [(k.name, k.type.name, plain(DEFAULTS[k.name]), k.description) for k in CONFIG_KEYS]


def default_config() -> PoseConfig:
    """The configuration with every key at its default."""
    return PoseConfig()


def config_from_dict(d: dict, source: str = "<dict>", config_dir: Optional[str] = None) -> PoseConfig:
    """Merge ``d`` over the defaults and validate; ``source`` names it in error messages."""
    if not isinstance(d, dict):
        raise ConfigError(f"{source}: expected a mapping of keys to values, got {show(d)}")
    known = {k: v for k, v in d.items() if k in KEYS}
    problems = unknown_keys([k for k in d if k not in KEYS])
    if problems:
        raise_problems(source, problems + validate({**DEFAULTS, **known}, config_dir)[1])
    return PoseConfig(**known, source=source, config_dir=config_dir)
