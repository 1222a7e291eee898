"""Weights in TF-slim names: read DeeperCut's TF1 checkpoints, write ours in the same layout.

Layer names are slim scopes with '/' written as '.', so each Keras variable maps to one
checkpoint name (``resnet_v1_101/block1/unit_1/bottleneck_v1/conv1/BatchNorm/gamma``,
``pose/part_pred/block4/weights``, ...). Shapes agree as stored: conv kernels
[kh, kw, in, out], transposed-conv kernels [kh, kw, out, in].
"""
import logging
import os
import re

import numpy as np
import tensorflow as tf
from keras import layers

from nnet.checkpoint_files import checkpoint_problem
from nnet.layers import FrozenBatchNorm
from lib.errors import CheckpointError

log = logging.getLogger(__name__)

_SUFFIXES = {
    layers.Conv2DTranspose: {"kernel": "weights", "bias": "biases"},
    layers.DepthwiseConv2D: {"kernel": "depthwise_weights", "bias": "biases"},
    layers.Conv2D: {"kernel": "weights", "bias": "biases"},
    FrozenBatchNorm: {name: name for name in ("gamma", "beta", "moving_mean", "moving_variance")},
}
_PAIRWISE_SCOPE = "pose/pairwise_pred/block4/"
_HEAD_PATTERN = re.compile(r"^pose/(part_pred|intermediate_supervision)/block4/biases$")


def slim_variables(model):
    """Checkpoint name -> Keras variable for every weight of the model."""
    names = {}
    for layer in model.layers:
        suffixes = next((s for cls, s in _SUFFIXES.items() if isinstance(layer, cls)), None)
        if suffixes is None:
            continue
        scope = layer.name.replace(".", "/")
        for attr, suffix in suffixes.items():
            variable = getattr(layer, attr, None)
            if variable is not None:
                names[f"{scope}/{suffix}"] = variable
    return names


def resolve_checkpoint(path):
    """A checkpoint prefix from a prefix or a folder (its latest checkpoint)."""
    path = os.fspath(path)
    problem = checkpoint_problem(path)
    if problem:
        raise CheckpointError(problem)
    if os.path.isdir(path):
        latest = tf.train.latest_checkpoint(path)
        if latest is None:
            raise CheckpointError(f"{path}: folder holds no TensorFlow checkpoint")
        return latest
    return path


def _describe_mismatch(name, expected, found):
    """One line about a shape mismatch, saying the joint count where a head disagrees."""
    line = f"  {name}: checkpoint has shape {list(found)}, the network expects {list(expected)}"
    if _HEAD_PATTERN.match(name):
        line += f" (the checkpoint predicts {found[0]} joints, the config has {expected[0]})"
    return line


def _pairwise_slice(name, stored, expected, spec):
    """Output channels of a checkpoint's full pairwise head (DeeperCut's 2J(J-1)) that a network
    with a sparse one (``spec.heads.pairs``) keeps, in its slot order; None unless ``name`` is that
    head's kernel or bias and only its output channels differ, from J(J-1) pairs to the spec's."""
    if spec is None or not name.startswith(_PAIRWISE_SCOPE) or len(stored) != len(expected):
        return None
    heads = spec.heads
    full = 2 * heads.num_joints * (heads.num_joints - 1)
    axis = len(stored) - 2 if len(stored) == 4 else 0  # kernel [kh, kw, out, in], bias [out]
    if len(stored) not in (1, 4) or stored[axis] != full or expected[axis] != 2 * heads.num_pairs:
        return None
    if any(a != b for i, (a, b) in enumerate(zip(stored, expected)) if i != axis):
        return None
    rows = np.asarray(heads.pair_rows, np.int64)
    return np.stack([2 * rows, 2 * rows + 1], axis=1).reshape(-1)


def load_weights(model, path, spec=None, allow_missing=()):
    """Assign the model's variables from a TF checkpoint with slim names; return the names read.

    Every variable must be present with its shape, except names starting with one of
    ``allow_missing``: those the checkpoint lacks or holds with another shape (heads of another
    joint count) keep their initial values, and a warning names them (e.g. ``("pose/",)`` to
    start from an ImageNet backbone, or from a model of other joints). A checkpoint with
    DeeperCut's full pairwise head (2J(J-1) channels) loads into a network whose ``spec`` has a
    sparse one: the kernel and bias of the pairs it predicts are kept. Other variables of the
    checkpoint (optimizer slots, global_step, heads this config does not use) are ignored. A
    mismatch elsewhere raises CheckpointError listing every problem.
    """
    prefix = resolve_checkpoint(path)
    try:
        reader = tf.train.load_checkpoint(prefix)
    except (tf.errors.OpError, ValueError) as err:
        raise CheckpointError(f"{prefix}: cannot read checkpoint ({err})") from None
    stored = reader.get_variable_to_shape_map()
    wanted = slim_variables(model)
    missing, mismatched, left_out, loaded = [], [], [], []
    sliced = {}  # name -> channels of a full pairwise head that a sparse one keeps
    for name, variable in wanted.items():
        optional = name.startswith(tuple(allow_missing))
        if name not in stored:
            (left_out if optional else missing).append(f"  {name}: not in the checkpoint")
        elif tuple(stored[name]) != tuple(variable.shape):
            channels = _pairwise_slice(name, tuple(stored[name]), tuple(variable.shape), spec)
            if channels is not None:
                sliced[name] = channels
                loaded.append(name)
                continue
            line = _describe_mismatch(name, tuple(variable.shape), stored[name])
            (left_out if optional else mismatched).append(line)
        else:
            loaded.append(name)
    if missing or mismatched:
        raise CheckpointError(_mismatch_message(prefix, missing, mismatched, stored, spec))
    for name in loaded:
        value = _tensor(reader, prefix, name)
        if name in sliced:  # kernel [kh, kw, out, in] or bias [out]: keep the used outputs
            value = np.take(value, sliced[name], axis=value.ndim - 2 if value.ndim == 4 else 0)
        wanted[name].assign(value.astype(wanted[name].dtype))
    if sliced:
        log.debug("%s: the full pairwise head sliced to the %d channels of the sparse graph's pairs",
                  prefix, 2 * spec.heads.num_pairs)
    if left_out:
        log.warning("%s: %d variables keep their initial values (the checkpoint lacks them or "
                    "holds them with another shape):\n%s", prefix, len(left_out),
                    "\n".join(left_out))
    unused = sorted(set(stored) - set(wanted))
    if unused:
        log.info("%s: %d checkpoint variables not used by this network (first: %s)",
                 prefix, len(unused), unused[0])
    return loaded


def _tensor(reader, prefix, name):
    """One stored variable; a truncated or damaged data file, or one missing beside its index, is a
    CheckpointError naming the checkpoint and the variable."""
    try:
        return reader.get_tensor(name)
    except (tf.errors.OpError, IndexError, ValueError) as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise CheckpointError(f"{prefix}: {name}: cannot read the stored values; the data file is "
                              f"missing, truncated or damaged ({first[:200]})") from None


def _mismatch_message(prefix, missing, mismatched, stored, spec):
    """The error text: every missing and mismatched variable, and the backbones stored."""
    lines = [f"{prefix}: checkpoint does not match the network"
             + (f" ({spec.net_type}, {spec.num_joints} joints)" if spec is not None else "")]
    stored_scopes = sorted({name.split("/")[0] for name in stored} - {"pose", "global_step"})
    if stored_scopes:
        lines.append(f"  checkpoint scopes: {', '.join(stored_scopes[:6])}")
    if mismatched:
        lines.append(f"{len(mismatched)} variables with another shape:")
        lines.extend(mismatched)
    if missing:
        lines.append(f"{len(missing)} variables missing from the checkpoint:")
        lines.extend(f"  {name}" for name in missing[:20])
        if len(missing) > 20:
            lines.append(f"  ... and {len(missing) - 20} more")
    return "\n".join(lines)


def save_weights(model, prefix):
    """Write the model's weights as a TF checkpoint with slim names (loadable by TF1 too)."""
    prefix = os.fspath(prefix)
    os.makedirs(os.path.dirname(os.path.abspath(prefix)), exist_ok=True)
    named = sorted(slim_variables(model).items())
    tf.raw_ops.SaveV2(
        prefix=prefix,
        tensor_names=[name for name, _ in named],
        shape_and_slices=[""] * len(named),
        tensors=[tf.convert_to_tensor(np.asarray(v)) for _, v in named],
    )
    return prefix
