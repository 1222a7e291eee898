"""The project's own exception types; each message names the file, the field and what was expected.

A leaf: it imports nothing of the project, so every layer (lib, nnet, dataset, multiperson, posecut)
can raise them without importing upward.
"""


class PosecutError(Exception):
    """Base class of every error the project raises on bad input."""


class ConfigError(PosecutError, ValueError):
    """A pose_cfg.yaml (or a config value) is malformed."""


class FormatError(PosecutError, ValueError):
    """A keypoint format declaration is malformed or unknown."""


class DatasetError(PosecutError, ValueError):
    """An annotation file, record or image cannot be used."""


class CheckpointError(PosecutError, ValueError):
    """A checkpoint does not match the network it is loaded into."""


class WriteError(PosecutError, OSError):
    """A result cannot be written (disk full, no permission); the message says what was kept."""


class InputError(PosecutError, ValueError):
    """An array or value given to the Python API has the wrong shape, type or values (NaN, a
    negative size); the message names the function and the argument."""
