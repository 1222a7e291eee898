"""Our PoseNet against DeeperCut's original TF1 / tf_slim network (tests/slim_reference.py)."""
import numpy as np
import pytest

import builders
import slim_reference
from nnet.agreement import FLOAT32_TOLERANCE
from nnet.checkpoint import load_weights, slim_variables
from nnet.pose_net import build_pose_net, fold_batchnorm
from nnet.resnet import unit_layout

pytestmark = pytest.mark.slow

TOLERANCE = {**FLOAT32_TOLERANCE, "part_pred_interm": 2e-3}


def reference_image(height=77, width=101, seed=0):
    """A deterministic image with structure and noise, odd-sized to exercise padding."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width]
    base = np.stack([xx * 255 / width, yy * 255 / height, (xx + yy) % 64 * 4], axis=-1)
    return np.clip(base + rng.normal(0, 20, base.shape), 0, 255).astype(np.uint8)


def reference_differences(tmp_path, net_type="resnet_50", num_joints=4, precision="float32",
                          fold=False, image=None):
    """Largest absolute difference per output between the slim reference and our network."""
    image = reference_image() if image is None else image
    prefix = str(tmp_path / f"ref_{net_type}")
    expected = slim_reference.build_reference(
        net_type, num_joints, image, prefix, intermediate_supervision_layer=2)
    spec = builders.spec(net_type, num_joints, location_refinement=True, pairwise_predict=True,
                         intermediate_supervision=True, intermediate_supervision_layer=2,
                         precision=precision)
    model = build_pose_net(spec)
    load_weights(model, prefix, spec)
    if fold:
        model = fold_batchnorm(model, spec)
    got = {k: np.asarray(v) for k, v in model(image[None].astype(np.float32)).items()}
    got["part_prob"] = 1 / (1 + np.exp(-got["part_pred"]))
    differences = {}
    for name in TOLERANCE:
        assert got[name].shape == expected[name].shape, name
        differences[name] = float(np.abs(got[name] - expected[name]).max())
    return differences, expected


def test_outputs_match_the_original_network(tmp_path):
    differences, expected = reference_differences(tmp_path)
    assert 0.05 < expected["part_prob"].mean() < 0.95
    assert np.abs(expected["pairwise_pred"]).max() > 0.1
    for name, tolerance in TOLERANCE.items():
        assert differences[name] < tolerance, (name, differences[name])


def test_folded_batchnorm_matches_the_original_network(tmp_path):
    differences, _ = reference_differences(tmp_path, fold=True)
    for name, tolerance in TOLERANCE.items():
        assert differences[name] < tolerance, (name, differences[name])


def test_bfloat16_stays_close_to_the_original_network(tmp_path):
    differences, _ = reference_differences(tmp_path, precision="bfloat16", fold=True)
    assert differences["part_prob"] < 0.1
    assert all(np.isfinite(v) for v in differences.values())


def test_a_wrong_ignored_batchnorm_statistic_is_detected(tmp_path):
    """The comparison can fail: zeroing the moving means of one unit breaks the match."""
    image = reference_image()
    prefix = str(tmp_path / "ref")
    expected = slim_reference.build_reference("resnet_50", 4, image, prefix,
                                              intermediate_supervision_layer=2)
    spec = builders.spec("resnet_50", 4, location_refinement=True, pairwise_predict=True,
                         intermediate_supervision=True, intermediate_supervision_layer=2)
    model = build_pose_net(spec)
    load_weights(model, prefix, spec)
    bn = model.get_layer("resnet_v1_50.block2.unit_1.bottleneck_v1.conv2.BatchNorm")
    bn.moving_mean.assign(np.zeros(bn.moving_mean.shape, np.float32))
    got = np.asarray(model(image[None].astype(np.float32))["locref"])
    assert np.abs(got - expected["locref"]).max() > 2e-3


@pytest.mark.parametrize("net_type", ["resnet_50", "resnet_101", "resnet_152"])
def test_bottleneck_units_are_the_originals(net_type):
    # at output stride 32 no stride becomes a dilation: the units as slim declares them
    ours = [u[:5] for u in unit_layout(net_type, output_stride=32)]
    assert ours == slim_reference.reference_units(net_type)
    assert {rate for *_, rate in unit_layout(net_type, output_stride=32)} == {1}


# ResNet-152 differs from ResNet-101 only in its units per block, checked above without building
# the two 152-layer networks (13 s).
@pytest.mark.parametrize("net_type", ["resnet_50", "resnet_101"])
def test_variable_names_and_shapes_match_the_original_layout(net_type):
    spec = builders.spec(net_type, 14, location_refinement=True, pairwise_predict=True,
                         intermediate_supervision=True, intermediate_supervision_layer=5)
    ours = {name: tuple(v.shape) for name, v in slim_variables(build_pose_net(spec)).items()}
    original = slim_reference.reference_variable_shapes(
        net_type, 14, intermediate_supervision_layer=5)
    assert sorted(set(original) - set(ours)) == []
    assert sorted(set(ours) - set(original)) == []
    assert {n: s for n, s in ours.items() if original[n] != s} == {}
