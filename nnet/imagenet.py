"""ImageNet-trained backbones for `init_weights: imagenet`: Keras' published ResNet and MobileNetV2
weights renamed into the slim layout of our backbones once, and kept as a checkpoint in a cache.

Keras' ResNet v1 puts each stage's stride on its first unit's 1x1 convolution, slim's on the last
unit's 3x3, so the renamed ResNet is a starting point for training, not Keras' network; its
convolutions' biases are folded into the BatchNorm means that follow them. MobileNetV2 is the
same network in both. Keras downloads the published file (into KERAS_HOME/models, default
~/.keras/models) the first time; without a network the error says which file to put there.
"""
import logging
import os

import numpy as np

from lib.errors import CheckpointError
from nnet.backbones import MOBILENET_MULTIPLIERS, RESNET_UNITS
from nnet.checkpoint_files import IMAGENET

__all__ = ["IMAGENET", "imagenet_checkpoint", "keras_backbone", "slim_weights_from_keras"]

log = logging.getLogger(__name__)

_BN = ("gamma", "beta", "moving_mean", "moving_variance")


def keras_backbone(net_type: str, weights=None):
    """Keras' application of ``net_type`` without its classifier, with ``weights`` ('imagenet',
    a weights file, or None for random values)."""
    import keras

    if net_type in RESNET_UNITS:
        build = {"resnet_50": keras.applications.ResNet50, "resnet_101": keras.applications.ResNet101,
                 "resnet_152": keras.applications.ResNet152}[net_type]
        return build(include_top=False, weights=weights, input_shape=(224, 224, 3))
    alpha = float(net_type.rsplit("_", 1)[1])
    if alpha not in MOBILENET_MULTIPLIERS:
        raise ValueError(f"unknown backbone {net_type!r}")
    return keras.applications.MobileNetV2(include_top=False, weights=weights, alpha=alpha,
                                          input_shape=(224, 224, 3))


def _keras_values(model) -> dict:
    return {w.path: np.asarray(w.numpy()) for w in model.weights}


def _conv_bn(values, out, keras_conv, keras_bn, slim_scope, kernel_name="weights"):
    """One convolution and its BatchNorm under slim names, the convolution's bias (if any)
    folded into the BatchNorm's mean: BN(conv + b) = BN'(conv) with mean' = mean - b."""
    out[f"{slim_scope}/{kernel_name}"] = values[f"{keras_conv}/kernel"]
    bias = values.get(f"{keras_conv}/bias")
    for name in _BN:
        value = values[f"{keras_bn}/{name}"]
        if name == "moving_mean" and bias is not None:
            value = value - bias
        out[f"{slim_scope}/BatchNorm/{name}"] = value


def _resnet(net_type, values) -> dict:
    out, scope = {}, "resnet_v1_" + net_type.split("_")[1]
    _conv_bn(values, out, "conv1_conv", "conv1_bn", f"{scope}/conv1")
    for block, count in enumerate(RESNET_UNITS[net_type]):
        for unit in range(count):
            keras_unit = f"conv{block + 2}_block{unit + 1}"
            slim_unit = f"{scope}/block{block + 1}/unit_{unit + 1}/bottleneck_v1"
            for k in (1, 2, 3):
                _conv_bn(values, out, f"{keras_unit}_{k}_conv", f"{keras_unit}_{k}_bn",
                         f"{slim_unit}/conv{k}")
            if f"{keras_unit}_0_conv/kernel" in values:
                _conv_bn(values, out, f"{keras_unit}_0_conv", f"{keras_unit}_0_bn",
                         f"{slim_unit}/shortcut")
    return out


def _mobilenet(values) -> dict:
    out = {}
    _conv_bn(values, out, "Conv1", "bn_Conv1", "MobilenetV2/Conv")
    _conv_bn(values, out, "expanded_conv_depthwise", "expanded_conv_depthwise_BN",
             "MobilenetV2/expanded_conv/depthwise", "depthwise_weights")
    _conv_bn(values, out, "expanded_conv_project", "expanded_conv_project_BN",
             "MobilenetV2/expanded_conv/project")
    block = 1
    while f"block_{block}_expand/kernel" in values:
        slim = f"MobilenetV2/expanded_conv_{block}"
        _conv_bn(values, out, f"block_{block}_expand", f"block_{block}_expand_BN", f"{slim}/expand")
        _conv_bn(values, out, f"block_{block}_depthwise", f"block_{block}_depthwise_BN",
                 f"{slim}/depthwise", "depthwise_weights")
        _conv_bn(values, out, f"block_{block}_project", f"block_{block}_project_BN",
                 f"{slim}/project")
        block += 1
    return out


def slim_weights_from_keras(net_type: str, model) -> dict:
    """Slim checkpoint name -> array for every backbone weight of our ``net_type``, from Keras'
    application ``model`` of it (its final 1280-channel MobileNetV2 convolution is left out, as
    our backbone leaves it out)."""
    values = _keras_values(model)
    if net_type in RESNET_UNITS:
        return _resnet(net_type, values)
    return _mobilenet(values)


def _cache_folder() -> str:
    return os.path.join(os.environ.get("KERAS_HOME", os.path.join(os.path.expanduser("~"), ".keras")),
                        "posecut")


def imagenet_checkpoint(net_type: str, cache_dir=None, keras_weights=IMAGENET) -> str:
    """The prefix of a slim-named checkpoint of ``net_type``'s ImageNet backbone in ``cache_dir``
    (default KERAS_HOME/posecut), written from Keras' published weights (or the weights file
    ``keras_weights``) the first time. CheckpointError saying what to download where when Keras
    cannot fetch them."""
    import tensorflow as tf

    prefix = os.path.join(cache_dir or _cache_folder(), f"{net_type}_imagenet")
    if os.path.exists(prefix + ".index"):
        return prefix
    try:
        model = keras_backbone(net_type, keras_weights)
    except Exception as err:  # keras raises many types for a failed download or a bad file
        folder = os.path.join(os.path.dirname(_cache_folder()), "models")
        raise CheckpointError(
            f"init_weights: imagenet: Keras' ImageNet weights of {net_type} could not be read "
            f"({type(err).__name__}: {err}); on a machine without internet, download the file that "
            f"keras.applications names for it and put it in {folder} (KERAS_HOME/models), then run "
            f"again, or set init_weights to a checkpoint of your own") from None
    named = sorted(slim_weights_from_keras(net_type, model).items())
    os.makedirs(os.path.dirname(prefix), exist_ok=True)
    tf.raw_ops.SaveV2(prefix=prefix, tensor_names=[n for n, _ in named],
                      shape_and_slices=[""] * len(named),
                      tensors=[tf.constant(v) for _, v in named])
    log.info("wrote %s: Keras' ImageNet %s in slim names (%d variables)", prefix, net_type, len(named))
    return prefix
