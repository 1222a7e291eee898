"""Whether a checkpoint can be at a path, from its files alone (no TensorFlow import), so that a
command refuses a wrong path before it spends seconds starting TensorFlow."""
import glob
import os

from lib.errors import ConfigError

__all__ = ["checkpoint_problem", "config_weights"]


def checkpoint_problem(path) -> str | None:
    """None when ``path`` is a checkpoint prefix (``path.index`` exists) or a folder with a
    'checkpoint' state file or an ``.index`` file; else what is wrong, naming the path."""
    path = os.fspath(path)
    if os.path.isdir(path):
        if os.path.isfile(os.path.join(path, "checkpoint")) or glob.glob(
                os.path.join(glob.escape(path), "*.index")):
            return None
        return f"{path}: folder holds no TensorFlow checkpoint"
    if os.path.exists(path + ".index"):
        return None
    return (f"{path}: no checkpoint here (expected {path}.index and its data file, or a folder "
            f"with a 'checkpoint' state file)")


def config_weights(cfg) -> str:
    """The checkpoint a loaded config's network runs with when none is given: its init_weights,
    relative to the config's folder (DeeperCut's test configs name the snapshot there)."""
    if not cfg.init_weights:
        raise ConfigError(f"{cfg.source}: init_weights: expected the checkpoint to predict with "
                          f"(or give the weights, --weights on the command line), got ''")
    return cfg.resolve_path(cfg.init_weights)
