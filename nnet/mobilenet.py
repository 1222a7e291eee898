"""MobileNetV2 light backbone in TF-slim's layout (scopes 'MobilenetV2/...'), at output stride 16.

Named as slim's mobilenet_v2 so its published ImageNet checkpoints can serve as
init_weights; the final 1x1 'Conv_1' (1280 channels) is left out because the pose
heads read the 320-channel features directly, which keeps the heads cheap. Strided
convolutions pad symmetrically (slim's ``use_explicit_padding=True``, same weights): with
TF's SAME padding the grid of the features moves by up to half a stride at each level
depending on whether the image's size there is even or odd, so a network trained on
scale-jittered images would place joints several pixels off on images of other sizes.
"""
from keras import layers

from nnet.backbones import MOBILENET_MULTIPLIERS
from nnet.layers import MOBILENET_BN_EPSILON, ConvFactory, atrous_plan

SCOPE = "MobilenetV2"
# (expansion factor, output channels, stride) of each expanded_conv unit, as slim's V2_DEF.
INVERTED_RESIDUALS = (
    (1, 16, 1),
    (6, 24, 2), (6, 24, 1),
    (6, 32, 2), (6, 32, 1), (6, 32, 1),
    (6, 64, 2), (6, 64, 1), (6, 64, 1), (6, 64, 1),
    (6, 96, 1), (6, 96, 1), (6, 96, 1),
    (6, 160, 2), (6, 160, 1), (6, 160, 1),
    (6, 320, 1),
)
STEM_CHANNELS = 32


def make_divisible(value, divisor=8, min_value=8):
    """Round a channel count to a multiple of ``divisor`` without losing more than 10 %."""
    rounded = max(min_value, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


def parse_multiplier(net_type):
    """The width multiplier in a net_type such as 'mobilenet_v2_0.5'."""
    try:
        multiplier = float(net_type.rsplit("_", 1)[1])
    except (IndexError, ValueError):
        multiplier = None
    if not net_type.startswith("mobilenet_v2_") or multiplier not in MOBILENET_MULTIPLIERS:
        raise ValueError(f"unknown light backbone {net_type!r}; expected mobilenet_v2_M with M in "
                         f"{', '.join(str(m) for m in MOBILENET_MULTIPLIERS)}")
    return multiplier


def mobilenet_v2(x, net_type, fold_batchnorm=False, dtype=None, train_batchnorm=False):
    """Apply MobileNetV2 to an image scaled to [-1, 1]; returns features at stride 16."""
    multiplier = parse_multiplier(net_type)
    factory = ConvFactory(MOBILENET_BN_EPSILON, fold_batchnorm, dtype, train_batchnorm)
    plan = atrous_plan([2] + [s for _, _, s in INVERTED_RESIDUALS], 16)
    stride, _ = plan[0]
    x = factory.conv(x, make_divisible(STEM_CHANNELS * multiplier), 3, f"{SCOPE}.Conv",
                     stride=stride, activation="relu6", explicit_padding=True)
    for index, ((expansion, channels, _), (stride, rate)) in enumerate(
            zip(INVERTED_RESIDUALS, plan[1:])):
        scope = f"{SCOPE}.expanded_conv" + (f"_{index}" if index else "")
        x = inverted_residual(factory, x, expansion, make_divisible(channels * multiplier),
                              stride, rate, scope)
    return x


def inverted_residual(factory, x, expansion, channels, stride, rate, scope):
    """Slim's expanded_conv: 1x1 expand, 3x3 depthwise, linear 1x1 project, residual if shapes allow."""
    inputs = x
    inner = make_divisible(x.shape[-1] * expansion)
    if inner > x.shape[-1]:
        x = factory.conv(x, inner, 1, scope + ".expand", activation="relu6")
    x = factory.conv(x, None, 3, scope + ".depthwise", stride=stride, rate=rate,
                     activation="relu6", depthwise=True, explicit_padding=True)
    x = factory.conv(x, channels, 1, scope + ".project", activation=None)
    if stride == 1 and inputs.shape[-1] == channels:
        x = layers.Add(name=scope + ".add", dtype=factory.dtype)([inputs, x])
    return x
