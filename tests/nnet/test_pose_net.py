"""Every network variant through the shared check, plus the layout facts of the backbones."""
import keras
import numpy as np
import pytest

import builders

from network_checks import check_network
from nnet.mobilenet import make_divisible, parse_multiplier
from nnet.pose_net import build_pose_net, spec_from_config
from nnet.resnet import unit_layout
from nnet.layers import atrous_plan
from posecut.config import config_from_dict


@pytest.mark.parametrize("spec", [
    builders.spec("resnet_50", 3, location_refinement=True, pairwise_predict=True,
                  intermediate_supervision=True, intermediate_supervision_layer=3),
    builders.spec("mobilenet_v2_0.35", 4, location_refinement=True, pairwise_predict=True),
    builders.spec("mobilenet_v2_1.0", 2),
    builders.spec("mobilenet_v2_0.5", 3, location_refinement=True, pairwise_predict=True,
                  precision="bfloat16"),
], ids=lambda s: f"{s.net_type}-{s.precision}")
def test_network_variant(spec, tmp_path):
    tolerance = 5e-2 if spec.precision == "bfloat16" else 1e-4
    check_network(spec, tmp_path, fold_tolerance=tolerance)


@pytest.mark.parametrize("net_type", ["resnet_101", "resnet_152"])
def test_large_resnets_build_and_run_once(net_type):
    spec = builders.spec(net_type, 17, location_refinement=True, pairwise_predict=True)
    model = build_pose_net(spec)
    head = model.get_layer("pose.pairwise_pred.block4")
    assert tuple(head.kernel.shape) == (3, 3, 17 * 16 * 2, 2048)
    outputs = model(np.zeros((1, 33, 47, 3), np.float32))
    assert tuple(outputs["pairwise_pred"].shape) == (1, 6, 6, 17 * 16 * 2)


def test_resnet_101_units_follow_slim_at_output_stride_16():
    layout = unit_layout("resnet_101")
    assert len(layout) == 3 + 4 + 23 + 3
    strides = [(b, u) for b, u, _, _, s, _ in layout if s == 2]
    assert strides == [(1, 3), (2, 4)]
    block4 = [(s, r) for b, _, _, _, s, r in layout if b == 4]
    assert block4 == [(1, 2)] * 3
    assert all(r == 1 for b, _, _, _, _, r in layout if b < 4)


def test_atrous_plan_turns_later_strides_into_dilation():
    assert atrous_plan([2, 1, 2, 1, 2, 1, 1], 4) == [
        (2, 1), (1, 1), (2, 1), (1, 1), (1, 1), (1, 2), (1, 2)]
    with pytest.raises(ValueError):
        atrous_plan([3], 2)


def test_mobilenet_width_multipliers_round_like_slim():
    assert make_divisible(32 * 0.35) == 16
    assert make_divisible(320 * 0.35) == 112
    assert make_divisible(24 * 0.5) == 16
    assert parse_multiplier("mobilenet_v2_0.75") == 0.75
    with pytest.raises(ValueError, match="mobilenet_v2_M"):
        parse_multiplier("mobilenet_v2_0.6")


def test_interm_layer_beyond_block3_is_a_clear_error():
    with pytest.raises(ValueError, match="block3 of resnet_50 has 6 units"):
        build_pose_net(builders.spec("resnet_50", 2, intermediate_supervision=True,
                                     intermediate_supervision_layer=12))


def test_spec_from_config_reads_the_network_keys():
    cfg = config_from_dict({"net_type": "resnet_50", "num_joints": 5, "pairwise_predict": True,
                            "location_refinement": True, "intermediate_supervision": True,
                            "intermediate_supervision_layer": 4})
    spec = spec_from_config(cfg)
    assert (spec.net_type, spec.num_joints, spec.heads.pairwise_predict) == ("resnet_50", 5, True)
    assert spec.head_channels() == {"part_pred": 5, "locref": 10, "pairwise_pred": 40,
                                    "part_pred_interm": 5}


def test_batchnorm_can_learn_statistics_when_training_from_scratch():
    from nnet.layers import FrozenBatchNorm

    layer = FrozenBatchNorm(1e-5, update_statistics=True, momentum=0.5)
    x = np.random.default_rng(0).normal(3.0, 2.0, (4, 5, 5, 3)).astype(np.float32)
    inference = np.asarray(layer(x, training=False))
    np.testing.assert_allclose(inference, x, atol=1e-4)
    trained = np.asarray(layer(x, training=True))
    np.testing.assert_allclose(trained.mean(axis=(0, 1, 2)), 0, atol=1e-4)
    np.testing.assert_allclose(trained.std(axis=(0, 1, 2)), 1, atol=1e-3)
    np.testing.assert_allclose(np.asarray(layer.moving_mean), 0.5 * x.mean(axis=(0, 1, 2)),
                               rtol=1e-4)
    frozen = FrozenBatchNorm(1e-5)
    np.testing.assert_allclose(np.asarray(frozen(x, training=True)), x, atol=1e-4)


def test_batchnorm_learns_float32_statistics_under_mixed_bfloat16():
    """precision auto picks bfloat16 on CPUs with avx512_bf16: training from scratch there must
    update the moving statistics (float32) from bfloat16 activations."""
    from nnet.layers import FrozenBatchNorm

    layer = FrozenBatchNorm(1e-5, update_statistics=True, momentum=0.5, dtype="mixed_bfloat16")
    x = np.random.default_rng(0).normal(3.0, 2.0, (4, 5, 5, 3)).astype(np.float32)
    out = layer(keras.ops.cast(x, "bfloat16"), training=True)
    assert out.dtype == "bfloat16" and layer.moving_mean.dtype == "float32"
    np.testing.assert_allclose(np.asarray(layer.moving_mean), 0.5 * x.mean(axis=(0, 1, 2)),
                               rtol=2e-2)
    np.testing.assert_allclose(np.asarray(keras.ops.cast(out, "float32")).std(axis=(0, 1, 2)), 1,
                               atol=2e-2)


@pytest.mark.parametrize("net_type", ["mobilenet_v2_0.35", "mobilenet_v2_1.0"])
def test_output_grid_does_not_move_with_the_image_size(net_type):
    """Padding an image at its bottom and right leaves the outputs far from that border alone:
    the cells keep their place whatever the size (TF's SAME padding would shift them). The
    ResNets keep slim's SAME max-pool, as DeeperCut's published weights expect."""
    from network_checks import randomise

    spec = builders.spec(net_type, 2)
    model = build_pose_net(spec)
    randomise(model, seed=1)
    rng = np.random.default_rng(0)
    image = rng.uniform(0, 255, (1, 160, 160, 3)).astype(np.float32)
    for extra in (8, 24):
        padded = np.pad(image, ((0, 0), (0, extra), (0, extra), (0, 0)), constant_values=120.0)
        a = model(image, training=False)["part_pred"].numpy()
        b = model(padded, training=False)["part_pred"].numpy()
        np.testing.assert_allclose(b[:, :6, :6], a[:, :6, :6], atol=1e-4)


def test_recomputed_batchnorm_statistics_are_the_mean_of_the_batches():
    from nnet.layers import FrozenBatchNorm, recompute_batchnorm

    image = keras.Input((None, None, 3))
    learns = FrozenBatchNorm(1e-5, update_statistics=True, momentum=0.99, name="learns")
    frozen = FrozenBatchNorm(1e-5, name="frozen")
    model = keras.Model(image, frozen(learns(image)))
    rng = np.random.default_rng(1)
    batches = [rng.normal(m, s, (2, 4, 5, 3)).astype(np.float32) for m, s in ((1, 2), (5, 1))]
    assert recompute_batchnorm(model, batches) == 1
    np.testing.assert_allclose(np.asarray(learns.moving_mean),
                               np.mean([b.mean(axis=(0, 1, 2)) for b in batches], axis=0),
                               rtol=1e-5)
    np.testing.assert_allclose(np.asarray(learns.moving_variance),
                               np.mean([b.var(axis=(0, 1, 2)) for b in batches], axis=0),
                               rtol=1e-4)
    assert learns.momentum == 0.99 and np.all(np.asarray(frozen.moving_mean) == 0)
    assert recompute_batchnorm(model, []) == 0
