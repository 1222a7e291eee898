"""Weights in TF-slim names: read DeeperCut's TF1 checkpoints, write ours in the same layout.

Layer names are slim scopes with '/' written as '.', so each Keras variable maps to one
checkpoint name (``resnet_v1_101/block1/unit_1/bottleneck_v1/conv1/BatchNorm/gamma``,
``pose/part_pred/block4/weights``, ...). Shapes agree as stored: conv kernels
[kh, kw, in, out], transposed-conv kernels [kh, kw, out, in]. A DeeperCut checkpoint whose
pairwise channels are in its Caffe order (``tensorflow_pairwise_order: false``) is put into
posecut's order once, when it is read; posecut's own checkpoints say they are in its order.
"""
import logging
import os
import re

import numpy as np
import tensorflow as tf
from keras import layers

from nnet.caffe_order import read_caffe_pair_slots
from nnet.checkpoint_files import checkpoint_problem, newest_in_folder
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
ORDER_MARK = "posecut/pairwise_order"
"""A variable of every checkpoint posecut writes, saying that its pairwise channels are in
pair_index order (nnet.heads), whatever a config says of DeeperCut's (tensorflow_pairwise_order)."""
ORDER_VALUE = b"pair_index"
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
    """A checkpoint prefix from a prefix or a folder (its newest snapshot <name>-<step>, else the
    checkpoint its TensorFlow 'checkpoint' file names)."""
    path = os.fspath(path)
    problem = checkpoint_problem(path)
    if problem:
        raise CheckpointError(problem)
    if os.path.isdir(path):
        newest = newest_in_folder(path)
        if newest is not None:
            return newest[1]
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


def _caffe_slots(prefix, stored, spec):
    """The Caffe slots of the checkpoint's pairwise head where the spec says DeeperCut's Caffe
    order (``spec.caffe_pairwise_stats``) and the checkpoint was not written by posecut (whose
    checkpoints hold ORDER_MARK and are in pair_index order); None otherwise."""
    if spec is None or not spec.caffe_pairwise_stats:
        return None
    if not any(name.startswith(_PAIRWISE_SCOPE) for name in stored):
        return None
    if ORDER_MARK in stored:
        log.info("%s: written by posecut, so its pairwise channels are in posecut's order; "
                 "tensorflow_pairwise_order: false applies to DeeperCut's checkpoints only", prefix)
        return None
    log.info("%s: pairwise channels read in DeeperCut's Caffe order, the graph of %s", prefix,
             spec.caffe_pairwise_stats)
    return read_caffe_pair_slots(spec.caffe_pairwise_stats, spec.heads.num_joints)


def _pairwise_channels(name, stored, expected, spec, caffe_slots):
    """Output channels of a checkpoint's full pairwise head (DeeperCut's 2J(J-1)) that the network
    takes, in its slot order (``spec.heads.pairs``, all or a sparse graph's), read from the Caffe
    slots where ``caffe_slots`` is given; None unless ``name`` is that head's kernel or bias, only
    its output channels differ from the network's, and they need choosing or reordering."""
    if spec is None or not name.startswith(_PAIRWISE_SCOPE) or len(stored) != len(expected):
        return None
    heads = spec.heads
    full = 2 * heads.num_joints * (heads.num_joints - 1)
    axis = len(stored) - 2 if len(stored) == 4 else 0  # kernel [kh, kw, out, in], bias [out]
    if len(stored) not in (1, 4) or stored[axis] != full or expected[axis] != 2 * heads.num_pairs:
        return None
    if any(a != b for i, (a, b) in enumerate(zip(stored, expected)) if i != axis):
        return None
    if caffe_slots is None and stored == expected:
        return None
    rows = np.asarray(heads.pair_rows, np.int64)
    if caffe_slots is not None:
        rows = caffe_slots[rows]
    return np.stack([2 * rows, 2 * rows + 1], axis=1).reshape(-1)


def load_weights(model, path, spec=None, allow_missing=()):
    """Assign the model's variables from a TF checkpoint with slim names; return the names read.

    Every variable must be present with its shape, except names starting with one of
    ``allow_missing``: those the checkpoint lacks or holds with another shape (heads of another
    joint count) keep their initial values, and a warning names them (e.g. ``("pose/",)`` to
    start from an ImageNet backbone, or from a model of other joints). A checkpoint with
    DeeperCut's full pairwise head (2J(J-1) channels) loads into a network whose ``spec`` has a
    sparse one: the kernel and bias of the pairs it predicts are kept. Where the spec says the
    head is in DeeperCut's Caffe order (``caffe_pairwise_stats``), its channels are put into
    pair_index order here, unless posecut wrote the checkpoint (ORDER_MARK). Other variables of the
    checkpoint (optimizer slots, global_step, heads this config does not use) are ignored. A
    mismatch elsewhere raises CheckpointError listing every problem.
    """
    prefix = resolve_checkpoint(path)
    try:
        reader = tf.train.load_checkpoint(prefix)
    except (tf.errors.OpError, ValueError) as err:
        raise CheckpointError(f"{prefix}: cannot read checkpoint ({err})") from None
    stored = reader.get_variable_to_shape_map()
    caffe_slots = _caffe_slots(prefix, stored, spec)
    wanted = slim_variables(model)
    missing, mismatched, left_out, loaded = [], [], [], []
    sliced = {}  # name -> channels of a full pairwise head the network keeps, in its order
    for name, variable in wanted.items():
        optional = name.startswith(tuple(allow_missing))
        if name not in stored:
            (left_out if optional else missing).append(f"  {name}: not in the checkpoint")
            continue
        channels = _pairwise_channels(name, tuple(stored[name]), tuple(variable.shape), spec,
                                      caffe_slots)
        if channels is not None:
            sliced[name] = channels
            loaded.append(name)
        elif tuple(stored[name]) != tuple(variable.shape):
            line = _describe_mismatch(name, tuple(variable.shape), stored[name])
            (left_out if optional else mismatched).append(line)
        else:
            loaded.append(name)
    if missing or mismatched:
        raise CheckpointError(_mismatch_message(prefix, missing, mismatched, stored, spec))
    for name in loaded:
        value = _tensor(reader, prefix, name)
        if name in sliced:  # kernel [kh, kw, out, in] or bias [out]: the used outputs, in order
            value = np.take(value, sliced[name], axis=value.ndim - 2 if value.ndim == 4 else 0)
        wanted[name].assign(value.astype(wanted[name].dtype))
    if sliced:
        log.debug("%s: the full pairwise head read into the network's %d channels", prefix,
                  2 * spec.heads.num_pairs)
    if left_out:
        log.warning("%s: %d variables keep their initial values (the checkpoint lacks them or "
                    "holds them with another shape):\n%s", prefix, len(left_out),
                    "\n".join(left_out))
    unused = sorted(set(stored) - set(wanted) - {ORDER_MARK})
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
    """Write the model's weights as a TF checkpoint with slim names (loadable by TF1 too), with
    ORDER_MARK, which says its pairwise channels are in pair_index order."""
    prefix = os.fspath(prefix)
    os.makedirs(os.path.dirname(os.path.abspath(prefix)), exist_ok=True)
    named = sorted(slim_variables(model).items())
    tensors = [tf.convert_to_tensor(np.asarray(v)) for _, v in named]
    tf.raw_ops.SaveV2(
        prefix=prefix,
        tensor_names=[name for name, _ in named] + [ORDER_MARK],
        shape_and_slices=[""] * (len(named) + 1),
        tensors=tensors + [tf.constant(ORDER_VALUE)],
    )
    return prefix
