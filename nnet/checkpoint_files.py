"""Checkpoints found and judged from their files alone (no TensorFlow import), so that a command
refuses a wrong path, or picks the newest snapshot, before it spends seconds starting TensorFlow.

Training writes weights snapshots ``<snapshot_prefix>-<step>`` (an ``.index`` and a data file,
TF-slim names: what prediction loads) and the training state it resumes from, the network with the
optimizer's variables, in the folder ``<snapshot_prefix>_resume_state/`` (``resume_state_dir``).
"""
import glob
import os
import re
from dataclasses import dataclass

from lib.errors import ConfigError

__all__ = ["IMAGENET", "RESUME_STATE_SUFFIX", "WeightsChoice", "checkpoint_problem",
           "config_weights", "default_weights", "newest_in_folder", "newest_snapshot",
           "resume_state_dir", "resume_state_of", "snapshots", "weights_in"]

RESUME_STATE_SUFFIX = "_resume_state"
"""The training state's folder is the snapshot prefix with this added."""
_OLDER_STATE_SUFFIX = "_state"
"""The name the training state's folder had before; such folders still resume and are still
recognised."""
IMAGENET = "imagenet"
"""The init_weights value that starts training from ImageNet weights (nnet.imagenet)."""
_SNAPSHOT = re.compile(r"^(?P<name>.+)-(?P<step>\d+)\.index$")
_IMAGENET_FILE = re.compile(r"^(resnet_v1_\d+|mobilenet_v2_[\d.]+_\d+)\.ckpt$")
"""TF-slim's published ImageNet checkpoints, which DeeperCut's training configs start from."""


def resume_state_dir(prefix) -> str:
    """The folder of the training state of the snapshots ``prefix``: ``prefix`` + "_resume_state",
    or the older ``prefix`` + "_state" where only that one exists (its training still resumes)."""
    prefix = os.fspath(prefix)
    current, older = prefix + RESUME_STATE_SUFFIX, prefix + _OLDER_STATE_SUFFIX
    if not os.path.isdir(current) and os.path.isfile(os.path.join(older, "checkpoint")):
        return older
    return current


def snapshots(prefix) -> list[tuple[int, str]]:
    """(step, checkpoint prefix) of each weights snapshot ``prefix-<step>`` that has its .index
    file, by step."""
    prefix = os.fspath(prefix)
    found = []
    for index in glob.glob(glob.escape(prefix) + "-*.index"):
        step = os.path.basename(index)[len(os.path.basename(prefix)) + 1:-len(".index")]
        if step.isdigit():
            found.append((int(step), index[:-len(".index")]))
    return sorted(found)


def newest_snapshot(prefix) -> tuple[int, str] | None:
    """(step, checkpoint prefix) of the snapshot ``prefix-<step>`` with the highest step, or None."""
    found = snapshots(prefix)
    return found[-1] if found else None


def newest_in_folder(folder) -> tuple[int, str] | None:
    """(step, checkpoint prefix) of the checkpoint ``<name>-<step>`` in ``folder`` with the highest
    step (ties: the last name), or None where it holds none."""
    found = []
    for entry in os.listdir(folder):
        match = _SNAPSHOT.match(entry)
        if match:
            found.append((int(match["step"]), os.path.join(folder, entry[:-len(".index")])))
    return max(found) if found else None


def resume_state_of(path) -> str | None:
    """The training-state folder that ``path`` is, or is inside (a checkpoint prefix or a file of
    it), or None: a folder named ``<prefix>_resume_state`` (or the older ``<prefix>_state``) that
    holds tf.train.CheckpointManager's files (a 'checkpoint' state file, ``ckpt-<step>.index``)."""
    path = os.path.normpath(os.fspath(path))
    for folder in (path, os.path.dirname(path)):
        if (os.path.basename(folder).endswith((RESUME_STATE_SUFFIX, _OLDER_STATE_SUFFIX))
                and os.path.isfile(os.path.join(folder, "checkpoint"))
                and glob.glob(os.path.join(glob.escape(folder), "ckpt-*.index"))):
            return folder
    return None


def _prefix_of_state(folder) -> str:
    """The snapshot prefix whose training state ``folder`` is."""
    for suffix in (RESUME_STATE_SUFFIX, _OLDER_STATE_SUFFIX):
        if folder.endswith(suffix):
            return folder[:-len(suffix)]
    return folder


def _resume_state_problem(path, folder) -> str:
    """One line: ``path`` is the training state, and the snapshot to give instead."""
    prefix = _prefix_of_state(folder)
    newest = newest_snapshot(prefix)
    instead = (f"use the newest weights snapshot beside it: --weights {newest[1]} (step "
               f"{newest[0]})" if newest else
               f"no weights snapshot {prefix}-N is beside it yet (training writes one every "
               f"save_iters steps and when it ends)")
    return (f"{path}: the training state kept for resuming `posecut train` (the network with the "
            f"optimizer's variables, stored under other names), not weights to predict with; "
            f"{instead}")


def checkpoint_problem(path) -> str | None:
    """None when ``path`` is a checkpoint prefix (``path.index`` exists) or a folder with a
    snapshot ``<name>-<step>`` or a 'checkpoint' state file; else what is wrong, naming the path
    (the training state kept for resuming gets one line naming the snapshot to use instead)."""
    path = os.fspath(path)
    state = resume_state_of(path)
    if state:
        return _resume_state_problem(path, state)
    if os.path.isdir(path):
        if newest_in_folder(path) or os.path.isfile(os.path.join(path, "checkpoint")):
            return None
        return (f"{path}: folder holds no TensorFlow checkpoint (no snapshot <name>-<step>.index "
                f"and no 'checkpoint' state file)")
    if os.path.exists(path + ".index"):
        return None
    newest = newest_snapshot(path)
    hint = f"; the newest snapshot of this prefix is {newest[1]}" if newest else ""
    return (f"{path}: no checkpoint here (expected {path}.index and its data file, or a folder "
            f"with a snapshot or a 'checkpoint' state file){hint}")


def weights_in(path) -> tuple[str, str]:
    """(checkpoint to load, the line saying what was taken or '') for a given ``path``: a folder
    becomes its newest snapshot ``<name>-<step>`` (else it stays, for TensorFlow to read its
    'checkpoint' state file); a prefix stays. Check it with checkpoint_problem first."""
    path = os.fspath(path)
    if os.path.isdir(path):
        newest = newest_in_folder(path)
        if newest:
            return newest[1], f"weights: the newest snapshot in {path}, {newest[1]} (step {newest[0]})"
    return path, ""


@dataclass(frozen=True)
class WeightsChoice:
    """The checkpoint a config runs with when none is given, and the line that says why."""

    path: str
    line: str


def _starting_point(value: str) -> bool:
    """Whether init_weights ``value`` names ImageNet weights, where training starts from only."""
    return value == IMAGENET or bool(_IMAGENET_FILE.match(os.path.basename(value)))


def default_weights(cfg) -> WeightsChoice:
    """The checkpoint a loaded config's network runs with when no weights are given.

    Precedence, first that applies:
    1. init_weights naming one of the config's own snapshots ``<snapshot_prefix>-<step>``: that
       one (a snapshot picked by hand);
    2. the newest snapshot ``<snapshot_prefix>-<step>`` (the highest step) in the config's
       folder, as DeepLabCut takes: a training config's init_weights is where training started
       (ImageNet or another model), not its result;
    3. init_weights, relative to the config's folder (DeeperCut's test configs name the trained
       model there), unless it is ImageNet weights, which have no pose heads;
    4. nothing: a ConfigError saying to train first or to give the weights.
    Weights given on the command line or to the API come before all of these.
    """
    prefix = cfg.resolve_path(cfg.snapshot_prefix)
    given = cfg.init_weights if cfg.init_weights == IMAGENET else cfg.resolve_path(cfg.init_weights)
    found = dict((path, step) for step, path in snapshots(prefix))
    if given in found:
        step, newest = found[given], max(found.values())
        which = "the newest snapshot" if step == newest else f"the newest is step {newest}"
        return WeightsChoice(given, f"weights: init_weights, {given} (step {step}; {which})")
    if found:
        step, path = max((s, p) for p, s in found.items())
        return WeightsChoice(path, f"weights: the newest snapshot, {path} (step {step})")
    if given and _starting_point(given):
        raise ConfigError(f"{cfg.source}: init_weights: {cfg.init_weights} is where training "
                          f"starts (ImageNet weights, no pose heads), and no snapshot "
                          f"{prefix}-N has been written yet; train first (posecut train "
                          f"{cfg.source}), or give the weights (--weights)")
    if not given:
        raise ConfigError(f"{cfg.source}: init_weights: expected the checkpoint to predict with, "
                          f"got '', and no snapshot {prefix}-N has been written; train first "
                          f"(posecut train {cfg.source}), or give the weights (--weights on the "
                          f"command line)")
    return WeightsChoice(given, f"weights: init_weights, {given} (no snapshot {prefix}-N beside "
                                f"the config; in a config you train, init_weights is where "
                                f"training starts, not its result)")


def config_weights(cfg) -> str:
    """The checkpoint a loaded config's network runs with when none is given (default_weights)."""
    return default_weights(cfg).path
