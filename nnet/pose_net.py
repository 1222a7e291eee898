"""PoseNet: a backbone at stride 16 and DeeperCut's transposed-convolution heads at stride 8."""
import os
from dataclasses import dataclass

import keras
import numpy as np
from keras import layers, ops

from nnet.heads import HeadLayout, head_layout_from_config
from nnet.layers import FrozenBatchNorm
from nnet.mobilenet import mobilenet_v2, parse_multiplier
from nnet.precision import choose_precision, cpu_flags, gpu_visible, onednn_flags
from nnet.backbones import RESNET_UNITS
from nnet.resnet import resnet_v1

PRECISIONS = {"float32": None, "bfloat16": "mixed_bfloat16"}
HEAD_SCOPES = {
    "part_pred": "pose.part_pred.block4",
    "locref": "pose.locref_pred.block4",
    "pairwise_pred": "pose.pairwise_pred.block4",
    "part_pred_interm": "pose.intermediate_supervision.block4",
}


@dataclass(frozen=True)
class PoseNetSpec:
    """What defines the network: backbone, heads (``nnet.heads``), input centring, precision."""

    net_type: str
    heads: HeadLayout
    intermediate_supervision_layer: int
    mean_pixel: tuple
    precision: str
    train_batchnorm: bool
    caffe_pairwise_stats: str | None = None
    """A pairwise_stats.mat whose graph gives the order of the pairwise channels of DeeperCut's
    checkpoints for this network (its Caffe order, tensorflow_pairwise_order: false), which
    nnet.checkpoint.load_weights puts into pair_index order; None: already in that order."""

    def __post_init__(self):
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {sorted(PRECISIONS)}, got {self.precision!r}")
        if not is_resnet(self.net_type):
            parse_multiplier(self.net_type)

    @property
    def num_joints(self) -> int:
        """Number of joints of the part head."""
        return self.heads.num_joints

    def head_channels(self):
        """Output channels of each enabled head, in DeeperCut's order (the intermediate part head
        exists on ResNets only)."""
        return self.heads.channels(intermediate=is_resnet(self.net_type))


def is_resnet(net_type):
    """True for the ResNet backbones, False for the light ones."""
    return net_type in RESNET_UNITS


def spec_from_config(cfg):
    """The network spec named by a loaded pose config (thin: values only); ``precision: auto``
    becomes the precision that suits the processor here."""
    return PoseNetSpec(
        net_type=cfg.net_type,
        heads=head_layout_from_config(cfg),
        intermediate_supervision_layer=int(cfg.intermediate_supervision_layer),
        mean_pixel=tuple(float(v) for v in cfg.mean_pixel),
        precision=choose_precision(cfg.precision,
                                   onednn_flags(cpu_flags(), os.environ.get("ONEDNN_MAX_CPU_ISA")),
                                   gpu_visible()),
        train_batchnorm=bool(cfg.train_batchnorm),
        caffe_pairwise_stats=(cfg.resolve_path(cfg.pairwise_stats_fn)
                              if cfg.pairwise_predict and not cfg.tensorflow_pairwise_order else None),
    )


def build_pose_net(spec, fold_batchnorm=False):
    """The Keras model: uint8/float RGB images (N, H, W, 3) in, dict of raw head outputs out.

    Outputs (float32): 'part_pred' logits (N, h, w, J), and where enabled 'locref'
    (N, h, w, 2J), 'pairwise_pred' (N, h, w, 2P), P the ordered pairs of the head layout
    (``spec.heads.pairs``; J(J-1) for DeeperCut's full head) and 'part_pred_interm'.
    """
    dtype = PRECISIONS[spec.precision]
    image = keras.Input((None, None, 3), name="image")
    x = ops.cast(image, "float32")
    if is_resnet(spec.net_type):
        x = x - np.asarray(spec.mean_pixel, np.float32)
        interm_unit = spec.intermediate_supervision_layer if spec.heads.intermediate_supervision else None
        features, interm = resnet_v1(x, spec.net_type, interm_unit, fold_batchnorm, dtype,
                                     spec.train_batchnorm)
    else:
        x = x / 127.5 - 1.0
        features = mobilenet_v2(x, spec.net_type, fold_batchnorm, dtype, spec.train_batchnorm)
        interm = None
    outputs = {}
    for head, channels in spec.head_channels().items():
        source = interm if head == "part_pred_interm" else features
        pred = layers.Conv2DTranspose(channels, 3, strides=2, padding="same",
                                      name=HEAD_SCOPES[head], dtype=dtype)(source)
        outputs[head] = layers.Activation("linear", dtype="float32", name=head)(pred)
    return keras.Model(image, outputs, name=f"posenet_{spec.net_type}")


def fold_batchnorm(model, spec):
    """A copy of ``model`` with every frozen BatchNorm folded into the convolution before it."""
    folded = build_pose_net(spec, fold_batchnorm=True)
    for layer in folded.layers:
        if not layer.weights:
            continue
        source = model.get_layer(layer.name)
        try:
            bn = model.get_layer(layer.name + ".BatchNorm")
        except ValueError:
            bn = None
        if bn is None:
            layer.set_weights(source.get_weights())
            continue
        scale, shift = (np.asarray(v) for v in bn.scale_and_shift())
        kernel = np.asarray(source.kernel)
        if isinstance(layer, layers.DepthwiseConv2D):
            kernel = kernel * scale.reshape(1, 1, -1, 1)
        else:
            kernel = kernel * scale
        layer.set_weights([kernel, shift])
    return folded


def batchnorm_layers(model):
    """The frozen BatchNorm layers of a model (empty for a folded one)."""
    return [layer for layer in model.layers if isinstance(layer, FrozenBatchNorm)]
