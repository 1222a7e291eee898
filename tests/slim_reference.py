"""Independent reference of DeeperCut's original TF1 / tf_slim pose network.

This module rebuilds the network of pose-tensorflow's ``nnet/pose_net.py``
with the very same building blocks the original used (``tf_slim``'s
``resnet_v1`` under ``resnet_arg_scope`` plus ``slim.conv2d_transpose``
prediction heads), in TF1 graph mode.  Tests use it as ground truth for the
TF2 / Keras 3 re-implementation:

* :func:`build_reference` fills every variable with seeded random values,
  saves a TF1 checkpoint (the layout DeeperCut snapshots have) and returns the
  reference outputs for an image, so a test can load that checkpoint into our
  model and compare outputs numerically.
* :func:`reference_variable_shapes` lists every variable name and shape of
  the original layout without running anything, so the checkpoint name
  mapping can be checked completely for ResNet-50/101/152.

It is deliberately independent of the ``posecut`` / ``nnet`` code under test:
nothing is imported from the project.  TensorFlow and tf_slim are imported
lazily, so importing this module never fails; :func:`import_tf_slim` raises
``ImportError`` when the optional test dependencies are missing, which lets
tests skip.

Everything runs inside a fresh ``tf.Graph`` with its own graph runner
(``tf.compat.v1.InteractiveSession``, closed at the end); eager execution is never disabled
globally.
"""

import contextlib
import importlib
import logging
import sys
import warnings
from contextlib import contextmanager

import numpy as np

DEFAULT_MEAN_PIXEL = (123.68, 116.779, 103.939)

RESNET_DEPTHS = {"resnet_50": 50, "resnet_101": 101, "resnet_152": 152}

BLOCK3_UNITS = {50: 6, 101: 23, 152: 36}

WEIGHT_DECAY = 0.0001

_LEGACY_NORMALIZATION = "tf_keras.legacy_tf_layers.normalization"
_SHIPPED_NORMALIZATION = "tf_keras.src.legacy_tf_layers.normalization"


def _alias_legacy_normalization():
    """Make ``tf_keras.legacy_tf_layers.normalization`` importable.

    TensorFlow 2.21's ``tensorflow/python/layers/normalization.py`` lazily
    imports ``tf_keras.legacy_tf_layers.normalization``, which is what
    ``tf_slim.batch_norm`` (and therefore every ResNet unit) instantiates,
    but tf_keras 2.21 only ships that module as
    ``tf_keras.src.legacy_tf_layers.normalization``.  Registering the shipped
    module (and its package) under the legacy names in ``sys.modules`` lets
    the lazy import resolve.  Does nothing when the legacy path already works.
    """
    try:
        importlib.import_module(_LEGACY_NORMALIZATION)
        return
    except ImportError:
        pass
    shipped = importlib.import_module(_SHIPPED_NORMALIZATION)
    shipped_pkg = importlib.import_module(_SHIPPED_NORMALIZATION.rsplit(".", 1)[0])
    sys.modules.setdefault(_LEGACY_NORMALIZATION.rsplit(".", 1)[0], shipped_pkg)
    sys.modules[_LEGACY_NORMALIZATION] = shipped


def import_tf_slim():
    """Return the ``tf_slim`` module, ready to build ``resnet_v1`` networks.

    Applies the ``tf_keras`` legacy-normalization alias (see
    :func:`_alias_legacy_normalization`) so that ``slim.batch_norm`` works
    with TF 2.21. TensorFlow, tf_keras and tf_slim are test requirements
    (pyproject.toml), so a missing one fails the tests that need it.
    """
    importlib.import_module("tensorflow")
    importlib.import_module("tf_keras")
    slim = importlib.import_module("tf_slim")
    importlib.import_module("tf_slim.nets.resnet_v1")
    _alias_legacy_normalization()
    return slim


@contextmanager
def _quiet():
    """Silence TF1/tf_slim deprecation chatter while building a graph.

    Python warnings are filtered with ``warnings.catch_warnings`` and the
    ``tensorflow`` logger level is restored afterwards, so no global state
    outlives the call.
    """
    tf_logger = logging.getLogger("tensorflow")
    old_level = tf_logger.level
    tf_logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        tf_logger.setLevel(old_level)


def _depth(net_type):
    """Return the ResNet depth (50/101/152) of a DeeperCut ``net_type``."""
    if net_type not in RESNET_DEPTHS:
        raise ValueError(
            f"unsupported net_type {net_type!r}; expected one of {sorted(RESNET_DEPTHS)}")
    return RESNET_DEPTHS[net_type]


def _build_graph(net_type, num_joints, inputs, *, location_refinement,
                 pairwise_predict, intermediate_supervision,
                 intermediate_supervision_layer, mean_pixel):
    """Build DeeperCut's network on ``inputs`` in the current default graph.

    Mirrors ``PoseNet.extract_features`` + ``PoseNet.prediction_layers`` +
    ``PoseNet.get_net`` of pose-tensorflow, including the scope names, so the
    variable names are exactly those of DeeperCut checkpoints.  Returns the
    dict of output tensors (``part_prob``, ``part_pred``, ``locref``,
    ``pairwise_pred``, ``part_pred_interm`` as enabled).
    """
    import tensorflow as tf

    slim = import_tf_slim()
    from tf_slim.nets import resnet_v1

    depth = _depth(net_type)
    if intermediate_supervision:
        units = BLOCK3_UNITS[depth]
        if not 1 <= intermediate_supervision_layer <= units:
            raise ValueError(
                f"intermediate_supervision_layer={intermediate_supervision_layer} "
                f"does not exist in {net_type}: block3 has units 1..{units}")
    net_fun = getattr(resnet_v1, f"resnet_v1_{depth}")

    mean = tf.constant(mean_pixel, dtype=tf.float32, shape=[1, 1, 1, 3], name="img_mean")
    im_centered = inputs - mean
    with slim.arg_scope(resnet_v1.resnet_arg_scope()):
        features, end_points = net_fun(
            im_centered, global_pool=False, output_stride=16, is_training=False)

    def prediction_layer(net, name, num_outputs):
        with slim.arg_scope([slim.conv2d, slim.conv2d_transpose], padding="SAME",
                            activation_fn=None, normalizer_fn=None,
                            weights_regularizer=slim.l2_regularizer(WEIGHT_DECAY)):
            with tf.compat.v1.variable_scope(name):
                return slim.conv2d_transpose(net, num_outputs, kernel_size=[3, 3],
                                             stride=2, scope="block4")

    out = {}
    with tf.compat.v1.variable_scope("pose"):
        out["part_pred"] = prediction_layer(features, "part_pred", num_joints)
        if location_refinement:
            out["locref"] = prediction_layer(features, "locref_pred", num_joints * 2)
        if pairwise_predict:
            out["pairwise_pred"] = prediction_layer(
                features, "pairwise_pred", num_joints * (num_joints - 1) * 2)
        if intermediate_supervision:
            interm_name = (f"resnet_v1_{depth}/block3/unit_"
                           f"{intermediate_supervision_layer}/bottleneck_v1")
            out["part_pred_interm"] = prediction_layer(
                end_points[interm_name], "intermediate_supervision", num_joints)
    out["part_prob"] = tf.sigmoid(out["part_pred"])
    return out


def reference_units(net_type):
    """(block, unit, depth, bottleneck depth, stride) of every bottleneck unit as tf_slim's
    ``resnet_v1_N`` declares its blocks, read without building the graph (its call to
    ``resnet_v1`` is caught), strides as declared (before any output_stride dilation)."""
    slim = import_tf_slim()  # noqa: F841 (the aliases tf_slim needs)
    from tf_slim.nets import resnet_v1

    caught = {}

    def catch(inputs, blocks, *args, **kwargs):
        caught["blocks"] = blocks

    real = resnet_v1.resnet_v1
    resnet_v1.resnet_v1 = catch
    try:
        getattr(resnet_v1, f"resnet_v1_{_depth(net_type)}")(None)
    finally:
        resnet_v1.resnet_v1 = real
    return [(b + 1, u + 1, unit["depth"], unit["depth_bottleneck"], unit["stride"])
            for b, block in enumerate(caught["blocks"]) for u, unit in enumerate(block.args)]


def reference_variable_shapes(net_type, num_joints, *, location_refinement=True,
                              pairwise_predict=True, intermediate_supervision=True,
                              intermediate_supervision_layer=12):
    """Return ``{variable name: shape tuple}`` of DeeperCut's original layout.

    Builds the graph for ``net_type`` ('resnet_50', 'resnet_101' or
    'resnet_152') in a fresh ``tf.Graph`` without running it, so it
    is cheap.  Names carry no ``:0`` suffix, exactly as stored in checkpoints
    (e.g. ``resnet_v1_101/conv1/weights``, ``pose/part_pred/block4/biases``).

    The shapes do not depend on ``intermediate_supervision_layer`` (every
    block3 unit outputs 1024 channels), but, as in the original, the unit must
    exist: block3 has 6 / 23 / 36 units for ResNet-50 / 101 / 152, so the
    DeeperCut default of 12 raises ``ValueError`` for ResNet-50.
    """
    import tensorflow as tf

    import_tf_slim()
    with _quiet(), tf.Graph().as_default():
        inputs = tf.compat.v1.placeholder(tf.float32, [1, None, None, 3], name="image")
        _build_graph(net_type, num_joints, inputs,
                     location_refinement=location_refinement,
                     pairwise_predict=pairwise_predict,
                     intermediate_supervision=intermediate_supervision,
                     intermediate_supervision_layer=intermediate_supervision_layer,
                     mean_pixel=DEFAULT_MEAN_PIXEL)
        return {v.op.name: tuple(v.shape.as_list())
                for v in tf.compat.v1.global_variables()}


def _random_value(name, shape, rng, weight_scale):
    """Draw a seeded random value for one variable, chosen by its role.

    Convolution kernels get He-style normals (``sqrt(2 / fan_in)`` times
    ``weight_scale``) so activations stay O(1) through 50-152 layers; the
    transposed-conv heads (kernel ``[3, 3, out, in]``) get
    ``0.5 * sqrt(1 / fan_in)`` normals, with fan-in taken from the input axis,
    and small biases.  BatchNorm statistics are deliberately
    non-trivial (gamma in [0.5, 1.5], moving variance in [0.5, 2], random
    beta and moving mean) so a loader that ignores or misplaces any of them
    produces different outputs.
    """
    leaf = name.rsplit("/", 1)[-1]
    shape = tuple(shape)
    if leaf == "weights":
        if name.startswith("pose/"):
            fan_in = shape[0] * shape[1] * shape[3]
            return rng.standard_normal(shape) * np.sqrt(1.0 / fan_in) * 0.5
        fan_in = shape[0] * shape[1] * shape[2]
        return rng.standard_normal(shape) * np.sqrt(2.0 / fan_in) * weight_scale
    if leaf == "biases":
        return rng.standard_normal(shape) * 0.1
    if leaf == "gamma":
        return rng.uniform(0.5, 1.5, shape)
    if leaf == "beta":
        return rng.standard_normal(shape) * 0.1
    if leaf == "moving_mean":
        return rng.standard_normal(shape) * 0.1
    if leaf == "moving_variance":
        return rng.uniform(0.5, 2.0, shape)
    raise ValueError(f"unexpected variable {name!r} with shape {shape}")


def build_reference(net_type, num_joints, image, ckpt_prefix, *, location_refinement=True,
                    pairwise_predict=True, intermediate_supervision=True,
                    intermediate_supervision_layer=2, mean_pixel=DEFAULT_MEAN_PIXEL,
                    seed=0, weight_scale=0.5):
    """Build, randomly initialise, checkpoint and run the original network.

    ``image`` is an ``H x W x 3`` RGB array (uint8 or float); it is fed as a
    ``1 x H x W x 3`` float32 batch and centred with ``mean_pixel`` inside the
    graph, like DeeperCut.  Every variable gets a value from
    ``numpy.random.default_rng(seed)`` (variables visited in sorted name
    order, so values are reproducible), the variables are saved with
    ``tf.compat.v1.train.Saver`` (V2 format, no meta graph) to
    ``ckpt_prefix`` and the network is run once.  ``weight_scale`` multiplies
    the He-style backbone kernels (see :func:`_random_value`); 0.5 keeps the
    logits at a standard deviation of about 1.5-2.5, so ``part_prob`` is not
    saturated and a numerical comparison is meaningful.

    Returns numpy arrays with batch dimension 1: ``part_prob`` (sigmoid of
    ``part_pred``), ``part_pred`` (logits), and, when enabled, ``locref``,
    ``pairwise_pred`` and ``part_pred_interm`` (logits).  Output spatial size
    is ``2 * ceil(H / 16) x 2 * ceil(W / 16)``.
    """
    import tensorflow as tf

    import_tf_slim()
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"image must be H x W x 3, got shape {image.shape}")
    batch = image.astype(np.float32)[None]
    rng = np.random.default_rng(seed)

    with _quiet(), tf.Graph().as_default(), \
            contextlib.closing(tf.compat.v1.InteractiveSession()) as sess:
        inputs = tf.compat.v1.placeholder(tf.float32, [1, None, None, 3], name="image")
        outputs = _build_graph(net_type, num_joints, inputs,
                               location_refinement=location_refinement,
                               pairwise_predict=pairwise_predict,
                               intermediate_supervision=intermediate_supervision,
                               intermediate_supervision_layer=intermediate_supervision_layer,
                               mean_pixel=mean_pixel)
        variables = sorted(tf.compat.v1.global_variables(), key=lambda v: v.op.name)
        feeds, assigns = {}, []
        for var in variables:
            value = _random_value(var.op.name, var.shape.as_list(), rng, weight_scale)
            holder = tf.compat.v1.placeholder(var.dtype.base_dtype, var.shape)
            assigns.append(tf.compat.v1.assign(var, holder))
            feeds[holder] = value.astype(var.dtype.base_dtype.as_numpy_dtype)
        sess.run(assigns, feed_dict=feeds)
        saver = tf.compat.v1.train.Saver(var_list=variables)
        saver.save(sess, ckpt_prefix, write_meta_graph=False, write_state=False)
        return sess.run(outputs, feed_dict={inputs: batch})


def _main():
    """Print the ResNet-50 variable layout and time the reference builds."""
    import os
    import tempfile
    import time

    num_joints = 14
    t0 = time.perf_counter()
    shapes = reference_variable_shapes("resnet_50", num_joints, intermediate_supervision_layer=2)
    print(f"resnet_50: {len(shapes)} variables "
          f"({time.perf_counter() - t0:.2f} s to list without running the graph)")
    for name in ("resnet_v1_50/conv1/weights",
                 "resnet_v1_50/block1/unit_1/bottleneck_v1/conv1/BatchNorm/gamma",
                 "resnet_v1_50/block1/unit_1/bottleneck_v1/shortcut/weights",
                 "pose/part_pred/block4/weights",
                 "pose/part_pred/block4/biases",
                 "pose/locref_pred/block4/weights",
                 "pose/pairwise_pred/block4/weights",
                 "pose/intermediate_supervision/block4/weights"):
        print(f"  {name}: {shapes[name]}")
    backbone_biases = [n for n in shapes if n.startswith("resnet_v1_") and n.endswith("biases")]
    print(f"  backbone variables named 'biases': {len(backbone_biases)}")
    for net_type in ("resnet_101", "resnet_152"):
        t0 = time.perf_counter()
        count = len(reference_variable_shapes(net_type, num_joints))
        print(f"{net_type}: {count} variables ({time.perf_counter() - t0:.2f} s)")

    image = np.random.default_rng(1).integers(0, 256, (64, 80, 3), dtype=np.uint8)
    with tempfile.TemporaryDirectory() as tmp:
        for net_type in ("resnet_50", "resnet_101"):
            t0 = time.perf_counter()
            out = build_reference(net_type, num_joints, image, os.path.join(tmp, net_type))
            elapsed = time.perf_counter() - t0
            prob = out["part_prob"]
            inside = np.mean((prob > 0.01) & (prob < 0.99))
            print(f"{net_type} build_reference 64x80: {elapsed:.2f} s")
            for key, val in sorted(out.items()):
                print(f"  {key}: shape {val.shape} mean {val.mean():+.3f} std {val.std():.3f} "
                      f"min {val.min():+.3f} max {val.max():+.3f}")
            print(f"  fraction of part_prob in (0.01, 0.99): {inside:.3f}")


if __name__ == "__main__":
    _main()
