"""Typed, validated configuration loaded from DeeperCut's ``pose_cfg.yaml``.

Every key is declared once, in the table of ``posecut.config.keys``; ``PoseConfig``'s fields, the
validation and docs/config.md are made from it. A config is validated once, when it is built, and
every problem found is reported in one ``ConfigError``. Modules: ``types`` (value types, checks),
``keys`` (the table), ``validate``, ``pose_config`` (the dataclass and its accessors), ``loading``
(YAML files) and ``doc`` (writes docs/config.md: ``python -m posecut.config.doc --write``).
"""

from posecut.config.keys import CONFIG_KEYS, SECTIONS
from posecut.config.loading import MAX_COMPARED_NODES, MAX_CONFIG_BYTES, load_config, save_config
from posecut.config.pose_config import (
    PoseConfig, config_from_dict, config_reference, default_config, mirror_joints_map,
)
from posecut.config.types import ConfigKey, Unimplemented

__all__ = [
    "CONFIG_KEYS",
    "ConfigKey",
    "MAX_COMPARED_NODES",
    "MAX_CONFIG_BYTES",
    "PoseConfig",
    "SECTIONS",
    "Unimplemented",
    "config_from_dict",
    "config_reference",
    "default_config",
    "load_config",
    "mirror_joints_map",
    "save_config",
]
