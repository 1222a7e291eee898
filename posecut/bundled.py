"""The model that ships with the project (models/synthetic_multi), and the config and weights a
command or the Python entry point falls back to when given none."""
import os

__all__ = ["BUNDLED_CONFIG", "BUNDLED_MODEL", "BUNDLED_WEIGHTS", "DEFAULT_CONFIG", "model_paths"]

BUNDLED_MODEL = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "models",
                             "synthetic_multi")
BUNDLED_CONFIG = os.path.join(BUNDLED_MODEL, "pose_cfg.yaml")
BUNDLED_WEIGHTS = os.path.join(BUNDLED_MODEL, "model", "weights")
DEFAULT_CONFIG = "pose_cfg.yaml"
"""The config a command reads when given none, in the working folder (as DeeperCut)."""


def model_paths(config=None, weights=None):
    """(config path, weights or None) to predict with: ``config``, else ./pose_cfg.yaml if present,
    else the bundled model's; the bundled config comes with the bundled weights unless ``weights``
    names others. None weights mean the config's init_weights."""
    config = os.fspath(config) if config else (DEFAULT_CONFIG if os.path.isfile(DEFAULT_CONFIG)
                                               else BUNDLED_CONFIG)
    if weights is None and os.path.abspath(config) == BUNDLED_CONFIG:
        weights = BUNDLED_WEIGHTS
    return config, None if weights is None else os.fspath(weights)
