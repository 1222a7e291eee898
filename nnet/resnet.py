"""ResNet v1 backbones (50/101/152) laid out exactly as TF-slim's resnet_v1, at output stride 16."""
from keras import layers

from nnet.backbones import RESNET_UNITS
from nnet.layers import RESNET_BN_EPSILON, ConvFactory, atrous_plan

# Each block's bottleneck depth, as slim's resnet_v1_N (units per block: nnet.backbones).
BLOCK_BOTTLENECK = (64, 128, 256, 512)
BLOCK_STRIDE = (2, 2, 2, 1)
ROOT_STRIDE = 4  # conv1 (stride 2) and pool1 (stride 2)


def resnet_scope(net_type):
    """The slim variable scope of a ResNet, e.g. 'resnet_v1_101' for 'resnet_101'."""
    return "resnet_v1_" + net_type.split("_")[1]


def unit_layout(net_type, output_stride=16):
    """(block, unit, depth, bottleneck depth, stride, rate) for every bottleneck unit.

    Slim puts each block's stride on its last unit; past ``output_stride`` strides turn
    into dilation (atrous convolution).
    """
    units = []
    for block, count in enumerate(RESNET_UNITS[net_type]):
        bottleneck = BLOCK_BOTTLENECK[block]
        for unit in range(count):
            stride = BLOCK_STRIDE[block] if unit == count - 1 else 1
            units.append((block + 1, unit + 1, bottleneck * 4, bottleneck, stride))
    plan = atrous_plan([u[4] for u in units], output_stride // ROOT_STRIDE)
    return [u[:4] + p for u, p in zip(units, plan)]


def bottleneck(factory, x, depth, depth_bottleneck, stride, rate, scope):
    """Slim's bottleneck_v1: 1x1, 3x3 (strided, dilated), 1x1, plus a shortcut, then ReLU."""
    if x.shape[-1] == depth:
        shortcut = x if stride == 1 else layers.MaxPooling2D(
            1, strides=stride, name=scope + ".shortcut", dtype=factory.dtype)(x)
    else:
        shortcut = factory.conv(x, depth, 1, scope + ".shortcut", stride=stride, activation=None)
    residual = factory.conv(x, depth_bottleneck, 1, scope + ".conv1")
    residual = factory.conv(residual, depth_bottleneck, 3, scope + ".conv2", stride=stride,
                            rate=rate, explicit_padding=True)
    residual = factory.conv(residual, depth, 1, scope + ".conv3", activation=None)
    out = layers.Add(name=scope + ".add", dtype=factory.dtype)([shortcut, residual])
    return layers.ReLU(name=scope + ".relu", dtype=factory.dtype)(out)


def resnet_v1(x, net_type, intermediate_unit=None, fold_batchnorm=False, dtype=None,
              train_batchnorm=False):
    """Apply a ResNet v1 trunk to a mean-centred image tensor.

    Returns (features at stride 16 from block4, block3 unit ``intermediate_unit`` output
    or None). Layers are named by their slim scopes (see ``nnet.layers.ConvFactory``).
    """
    if net_type not in RESNET_UNITS:
        raise ValueError(f"unknown ResNet {net_type!r}; expected one of {sorted(RESNET_UNITS)}")
    factory = ConvFactory(RESNET_BN_EPSILON, fold_batchnorm, dtype, train_batchnorm)
    scope = resnet_scope(net_type)
    x = factory.conv(x, 64, 7, scope + ".conv1", stride=2, explicit_padding=True)
    x = layers.MaxPooling2D(3, strides=2, padding="same", name=scope + ".pool1", dtype=dtype)(x)
    intermediate = None
    for block, unit, depth, depth_bottleneck, stride, rate in unit_layout(net_type):
        unit_scope = f"{scope}.block{block}.unit_{unit}.bottleneck_v1"
        x = bottleneck(factory, x, depth, depth_bottleneck, stride, rate, unit_scope)
        if block == 3 and unit == intermediate_unit:
            intermediate = x
    if intermediate_unit is not None and intermediate is None:
        raise ValueError(
            f"intermediate_supervision_layer {intermediate_unit} does not exist: block3 of "
            f"{net_type} has {RESNET_UNITS[net_type][2]} units")
    return x, intermediate
