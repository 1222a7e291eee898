"""Building blocks shared by the backbones: frozen BatchNorm and TF-slim style convolutions."""
import keras
from keras import layers, ops

# TF-slim's resnet_arg_scope: BatchNorm epsilon 1e-5 (mobilenet's arg scope uses 1e-3).
RESNET_BN_EPSILON = 1e-5
MOBILENET_BN_EPSILON = 1e-3


@keras.saving.register_keras_serializable(package="posecut")
class FrozenBatchNorm(layers.Layer):
    """BatchNorm that always normalises with its moving statistics.

    DeeperCut trains its backbone with ``is_training=False``: the moving mean and
    variance stay fixed while gamma and beta are still learned. This layer is that
    affine map, computed in float32 and cast to the layer's compute dtype. With
    ``update_statistics`` (training from scratch) it normalises by batch statistics in
    training and updates the moving ones, like ordinary BatchNorm.
    """

    def __init__(self, epsilon=RESNET_BN_EPSILON, update_statistics=False, momentum=0.99,
                 **kwargs):
        super().__init__(**kwargs)
        self.epsilon = float(epsilon)
        self.update_statistics = bool(update_statistics)
        self.momentum = float(momentum)

    def build(self, input_shape):
        channels = (input_shape[-1],)
        # float32 and never autocast: under mixed_bfloat16 the statistics and the affine map keep
        # full precision, and the moving averages add float32 to float32.
        kwargs = {"shape": channels, "dtype": "float32", "autocast": False}
        self.gamma = self.add_weight(name="gamma", initializer="ones", **kwargs)
        self.beta = self.add_weight(name="beta", initializer="zeros", **kwargs)
        self.moving_mean = self.add_weight(name="moving_mean", initializer="zeros",
                                           trainable=False, **kwargs)
        self.moving_variance = self.add_weight(name="moving_variance", initializer="ones",
                                               trainable=False, **kwargs)

    def scale_and_shift(self):
        """The equivalent per-channel affine map (scale, shift) in float32."""
        scale = self.gamma * ops.rsqrt(self.moving_variance + self.epsilon)
        return scale, self.beta - self.moving_mean * scale

    def call(self, x, training=None):
        if training and self.update_statistics:
            mean, variance = ops.moments(ops.cast(x, "float32"), axes=[0, 1, 2])
            keep = self.momentum
            self.moving_mean.assign(self.moving_mean * keep + mean * (1 - keep))
            self.moving_variance.assign(self.moving_variance * keep + variance * (1 - keep))
            scale = self.gamma * ops.rsqrt(variance + self.epsilon)
            shift = self.beta - mean * scale
        else:
            scale, shift = self.scale_and_shift()
        return x * ops.cast(scale, x.dtype) + ops.cast(shift, x.dtype)

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon,
                "update_statistics": self.update_statistics, "momentum": self.momentum}


def recompute_batchnorm(model, batches) -> int:
    """Set the moving statistics of every BatchNorm that learns them (``update_statistics``) to
    the mean of its batch statistics over ``batches`` (images N x H x W x 3), with the weights as
    they are; returns how many layers were set.

    The moving averages lag behind weights that still change fast, so a snapshot saved with them
    predicts far worse than the network trained (an early one can put every joint in a corner);
    statistics recomputed for the current weights ("precise BatchNorm") match them. Each pass
    runs the model in training mode with the momentum that makes the update an arithmetic mean.
    """
    layers_ = [layer for layer in model._flatten_layers(include_self=False)
               if isinstance(layer, FrozenBatchNorm) and layer.update_statistics]
    if not layers_ or not batches:
        return 0
    momenta = [layer.momentum for layer in layers_]
    try:
        for count, images in enumerate(batches, start=1):
            for layer in layers_:
                layer.momentum = (count - 1) / count
            model(images, training=True)
    finally:
        for layer, momentum in zip(layers_, momenta):
            layer.momentum = momentum
    return len(layers_)


class ConvFactory:
    """Creates convolution (+ frozen BatchNorm + activation) units named by their TF-slim scope.

    Layer names are the slim variable scopes with '/' written as '.', so the checkpoint
    mapping is mechanical. With ``fold_batchnorm`` the BatchNorm is folded into a biased
    convolution, the faster form for inference.
    """

    def __init__(self, bn_epsilon, fold_batchnorm=False, dtype=None, train_batchnorm=False):
        self.bn_epsilon = bn_epsilon
        self.fold_batchnorm = fold_batchnorm
        self.dtype = dtype
        self.train_batchnorm = train_batchnorm

    def conv(self, x, filters, kernel, scope, stride=1, rate=1, activation="relu",
             explicit_padding=False, depthwise=False, batchnorm=True):
        """A slim conv2d (or separable depthwise conv) with optional BatchNorm and activation.

        ``explicit_padding`` reproduces slim's ``conv2d_same``: symmetric zero padding
        followed by a VALID convolution, instead of TF's asymmetric SAME for strides > 1.
        """
        padding = "same"
        if explicit_padding and stride > 1:
            effective = kernel + (kernel - 1) * (rate - 1)
            total = effective - 1
            begin = total // 2
            x = layers.ZeroPadding2D(((begin, total - begin), (begin, total - begin)),
                                     name=scope + ".pad", dtype=self.dtype)(x)
            padding = "valid"
        use_bias = not batchnorm or self.fold_batchnorm
        common = dict(strides=stride, dilation_rate=rate, padding=padding, use_bias=use_bias,
                      dtype=self.dtype)
        if depthwise:
            x = layers.DepthwiseConv2D(kernel, name=scope, **common)(x)
        else:
            x = layers.Conv2D(filters, kernel, name=scope, **common)(x)
        if batchnorm and not self.fold_batchnorm:
            x = FrozenBatchNorm(self.bn_epsilon, self.train_batchnorm, name=scope + ".BatchNorm",
                                dtype=self.dtype)(x)
        if activation == "relu":
            x = layers.ReLU(name=scope + ".relu", dtype=self.dtype)(x)
        elif activation == "relu6":
            x = layers.ReLU(6.0, name=scope + ".relu6", dtype=self.dtype)(x)
        elif activation is not None:
            raise ValueError(f"unknown activation {activation!r}")
        return x


def atrous_plan(strides, output_stride):
    """Per layer (stride, rate) so that the running stride stops at ``output_stride``.

    The rule of slim's ``stack_blocks_dense``: once the running stride reaches the
    target, later layers keep stride 1 and dilate by the strides they skip.
    """
    current, rate, plan = 1, 1, []
    for stride in strides:
        if output_stride is not None and current == output_stride:
            plan.append((1, rate))
            rate *= stride
        else:
            plan.append((stride, 1))
            current *= stride
    if output_stride is not None and current > output_stride:
        raise ValueError(f"output stride {output_stride} cannot be reached")
    return plan
