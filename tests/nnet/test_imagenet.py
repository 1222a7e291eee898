"""nnet.imagenet: Keras' ImageNet backbones renamed into our slim layout, tested offline on Keras
applications built here with random values."""
import numpy as np
import pytest
import tensorflow as tf

import builders
from lib.errors import CheckpointError
from nnet.checkpoint import slim_variables
from nnet.imagenet import imagenet_checkpoint, keras_backbone, slim_weights_from_keras
from nnet.pose_net import build_pose_net
from nnet.train import initialise_weights


def _randomised(net_type, path):
    """Keras' application with random values everywhere (BatchNorm statistics and convolution
    biases too, so that the bias folding shows), saved as a weights file at ``path``."""
    model, rng = keras_backbone(net_type), np.random.default_rng(1)
    for w in model.weights:
        low = 0.5 if w.path.endswith("moving_variance") else -0.5
        w.assign(rng.uniform(low, low + 1.0, w.shape).astype("float32"))
    model.save_weights(str(path))
    return model


@pytest.mark.parametrize("net_type", ["resnet_50", "mobilenet_v2_0.35"])
def test_every_backbone_weight_comes_from_its_keras_twin(tmp_path, net_type):
    keras_model = _randomised(net_type, tmp_path / "keras.weights.h5")
    prefix = imagenet_checkpoint(net_type, tmp_path / "cache", str(tmp_path / "keras.weights.h5"))
    assert imagenet_checkpoint(net_type, tmp_path / "cache", "not read again") == prefix
    spec = builders.spec(net_type, 3, location_refinement=True)
    model = build_pose_net(spec)
    loaded = initialise_weights(model, prefix, spec)
    ours = {n: v for n, v in slim_variables(model).items() if not n.startswith("pose/")}
    assert set(loaded) == set(ours) and len(ours) > 100
    mapped = slim_weights_from_keras(net_type, keras_model)
    keras_values = {w.path: np.asarray(w) for w in keras_model.weights}
    for name, variable in ours.items():
        np.testing.assert_array_equal(np.asarray(variable), mapped[name], err_msg=name)
    # every kernel of Keras' backbone is used once (but MobileNetV2's final 1280-channel convolution)
    kernels = sorted(n for n, v in keras_values.items() if n.endswith("kernel") and "Conv_1/" not in n)
    used = [n for n in mapped if n.endswith("weights")]
    assert len(used) == len(kernels)


def test_a_keras_convolution_with_its_batchnorm_gives_the_same_outputs_as_ours(tmp_path):
    """The bias of Keras' ResNet convolutions is folded into the BatchNorm mean that follows."""
    keras_model = _randomised("resnet_50", tmp_path / "keras.weights.h5")
    prefix = imagenet_checkpoint("resnet_50", tmp_path / "cache", str(tmp_path / "keras.weights.h5"))
    spec = builders.spec("resnet_50", 3)
    model = build_pose_net(spec)
    initialise_weights(model, prefix, spec)
    x = tf.constant(np.random.default_rng(2).normal(size=(1, 8, 8, 64)).astype("float32"))
    scope = "resnet_v1_50.block1.unit_1.bottleneck_v1.conv1"
    ours = model.get_layer(scope + ".BatchNorm")(model.get_layer(scope)(x), training=False)
    theirs = keras_model.get_layer("conv2_block1_1_bn")(keras_model.get_layer("conv2_block1_1_conv")(x),
                                                       training=False)
    np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), rtol=1e-4, atol=1e-4)


def test_without_the_published_file_the_error_says_what_to_put_where(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    with pytest.raises(CheckpointError, match=r"init_weights: imagenet: .*resnet_50.*keras_home/models"):
        imagenet_checkpoint("resnet_50", tmp_path / "cache", str(tmp_path / "absent.weights.h5"))


def test_a_config_with_init_weights_imagenet_starts_training_from_the_cached_backbone(tmp_path,
                                                                                      monkeypatch):
    from nnet.losses import loss_settings_from_config
    from nnet.train import Trainer, train_settings_from_config
    from nnet.pose_net import spec_from_config

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    keras_model = _randomised("mobilenet_v2_0.35", tmp_path / "keras.weights.h5")
    imagenet_checkpoint("mobilenet_v2_0.35", tmp_path / "keras_home" / "posecut",
                        str(tmp_path / "keras.weights.h5"))
    cfg = builders.config(net_type="mobilenet_v2_0.35", num_joints=3, init_weights="imagenet",
                          snapshot_prefix=str(tmp_path / "snapshot"), log_dir=str(tmp_path / "log"))
    settings = train_settings_from_config(cfg)
    assert settings.init_weights == "imagenet"
    trainer = Trainer(spec_from_config(cfg), loss_settings_from_config(cfg), settings)
    assert trainer.restore_or_initialise() == 0
    first = trainer.model.get_layer("MobilenetV2.Conv").kernel
    np.testing.assert_array_equal(np.asarray(first), np.asarray(keras_model.get_layer("Conv1").kernel))
