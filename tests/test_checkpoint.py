"""Checkpoint names, loading errors and round trips."""
import numpy as np
import pytest
import tensorflow as tf

from nnet.checkpoint import load_weights, resolve_checkpoint, save_weights, slim_variables
from nnet.pose_net import build_pose_net
from lib.errors import CheckpointError
import builders

SPEC = builders.spec("mobilenet_v2_0.35", 3, location_refinement=True, pairwise_predict=True)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    model = build_pose_net(SPEC)
    for variable in model.weights:
        variable.assign(np.random.default_rng(1).normal(size=variable.shape).astype("float32"))
    return model, save_weights(model, tmp_path_factory.mktemp("ckpt") / "snapshot-100")


def test_saved_names_are_slim_names_readable_by_tf(saved):
    model, prefix = saved
    stored = tf.train.load_checkpoint(prefix).get_variable_to_shape_map()
    assert "pose/part_pred/block4/weights" in stored
    assert stored["pose/part_pred/block4/weights"] == [3, 3, 3, 112]
    assert "MobilenetV2/Conv/BatchNorm/moving_variance" in stored
    assert "MobilenetV2/expanded_conv/depthwise/depthwise_weights" in stored
    assert set(stored) == set(slim_variables(model))


def test_round_trip_restores_every_value(saved):
    model, prefix = saved
    fresh = build_pose_net(SPEC)
    load_weights(fresh, prefix, SPEC)
    for name, variable in slim_variables(fresh).items():
        np.testing.assert_array_equal(np.asarray(variable),
                                      np.asarray(slim_variables(model)[name]), err_msg=name)


def test_a_folder_resolves_to_its_latest_checkpoint(tmp_path, saved):
    _, prefix = saved
    with pytest.raises(CheckpointError, match="holds no TensorFlow checkpoint"):
        resolve_checkpoint(tmp_path)
    with pytest.raises(CheckpointError, match="no checkpoint here"):
        resolve_checkpoint(tmp_path / "missing")
    assert resolve_checkpoint(prefix) == str(prefix)


def test_joint_count_mismatch_lists_every_head(saved):
    _, prefix = saved
    other = builders.spec("mobilenet_v2_0.35", 5, location_refinement=True, pairwise_predict=True)
    with pytest.raises(CheckpointError) as err:
        load_weights(build_pose_net(other), prefix, other)
    message = str(err.value)
    assert str(prefix) in message
    assert "the checkpoint predicts 3 joints, the config has 5" in message
    for head in ("part_pred", "locref_pred", "pairwise_pred"):
        assert f"pose/{head}/block4/weights" in message


def test_wrong_backbone_names_the_missing_variables(saved):
    _, prefix = saved
    other = builders.spec("resnet_50", 3, location_refinement=True, pairwise_predict=True)
    with pytest.raises(CheckpointError) as err:
        load_weights(build_pose_net(other), prefix, other)
    message = str(err.value)
    assert "checkpoint scopes: MobilenetV2" in message
    assert "resnet_v1_50/conv1/weights" in message
    assert "variables missing from the checkpoint" in message


def test_missing_heads_can_be_allowed_for_backbone_initialisation(saved, tmp_path):
    model, _ = saved
    backbone_only = {n: v for n, v in slim_variables(model).items() if not n.startswith("pose/")}
    prefix = str(tmp_path / "imagenet")
    tf.raw_ops.SaveV2(prefix=prefix, tensor_names=list(backbone_only),
                      shape_and_slices=[""] * len(backbone_only),
                      tensors=[np.asarray(v) for v in backbone_only.values()])
    fresh = build_pose_net(SPEC)
    with pytest.raises(CheckpointError, match="pose/part_pred/block4/weights"):
        load_weights(fresh, prefix, SPEC)
    loaded = load_weights(fresh, prefix, SPEC, allow_missing=("pose/",))
    assert len(loaded) == len(backbone_only)


def test_unused_variables_such_as_optimizer_slots_are_ignored(saved, tmp_path):
    model, _ = saved
    named = dict(slim_variables(model))
    extra = {**{n: np.asarray(v) for n, v in named.items()},
             "global_step": np.array(5, np.int64),
             "pose/part_pred/block4/weights/Momentum": np.zeros((3, 3, 3, 112), np.float32)}
    prefix = str(tmp_path / "with_slots")
    tf.raw_ops.SaveV2(prefix=prefix, tensor_names=list(extra),
                      shape_and_slices=[""] * len(extra), tensors=list(extra.values()))
    assert len(load_weights(build_pose_net(SPEC), prefix, SPEC)) == len(named)


def test_a_corrupt_checkpoint_is_a_checkpoint_error(tmp_path):
    prefix = tmp_path / "broken"
    (tmp_path / "broken.index").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="cannot read checkpoint"):
        load_weights(build_pose_net(SPEC), prefix, SPEC)


@pytest.mark.parametrize("damage", ["truncated", "missing"])
def test_a_damaged_data_file_is_a_checkpoint_error_naming_it(saved, tmp_path, damage):
    import shutil

    _, prefix = saved
    for part in ("index", "data-00000-of-00001"):
        shutil.copy(f"{prefix}.{part}", tmp_path / f"w.{part}")
    data = tmp_path / "w.data-00000-of-00001"
    if damage == "truncated":
        data.write_bytes(data.read_bytes()[:1000])
    else:
        data.unlink()
    with pytest.raises(CheckpointError, match=r"w: .*(cannot read|data file)"):
        load_weights(build_pose_net(SPEC), str(tmp_path / "w"), SPEC)


def test_a_full_pairwise_head_loads_sliced_into_a_sparse_one(saved, tmp_path):
    """DeeperCut's checkpoints (and ours trained with every pair) hold 2J(J-1) pairwise channels;
    a network that predicts only the sparse graph's pairs keeps those channels."""
    model, prefix = saved
    sparse = builders.spec("mobilenet_v2_0.35", 3, location_refinement=True, pairwise_predict=True,
                           sparse_graph=[[1, 2]])
    assert sparse.heads.pairs == ((1, 2), (2, 1))
    fresh = build_pose_net(sparse)
    load_weights(fresh, prefix, sparse)
    keep = [6, 7, 10, 11]  # x, y of pair_index(1, 2, 3) = 3 and pair_index(2, 1, 3) = 5
    full_head = model.get_layer("pose.pairwise_pred.block4")
    head = fresh.get_layer("pose.pairwise_pred.block4")
    np.testing.assert_array_equal(np.asarray(head.kernel), np.asarray(full_head.kernel)[:, :, keep])
    np.testing.assert_array_equal(np.asarray(head.bias), np.asarray(full_head.bias)[keep])
    for name, variable in slim_variables(fresh).items():
        if not name.startswith("pose/pairwise_pred"):
            np.testing.assert_array_equal(np.asarray(variable),
                                          np.asarray(slim_variables(model)[name]), err_msg=name)

    # a checkpoint of exactly the sparse head loads as it is; into another layout it is an error
    again = build_pose_net(sparse)
    load_weights(again, save_weights(fresh, tmp_path / "sparse"), sparse)
    np.testing.assert_array_equal(np.asarray(again.get_layer("pose.pairwise_pred.block4").kernel),
                                  np.asarray(head.kernel))
    wider = builders.spec("mobilenet_v2_0.35", 3, location_refinement=True, pairwise_predict=True,
                          sparse_graph=[[0, 1], [1, 2]])
    for other in (wider, SPEC):
        with pytest.raises(CheckpointError, match=r"pose/pairwise_pred/block4/weights: checkpoint "
                                                  r"has shape \[3, 3, 4, 112\]"):
            load_weights(build_pose_net(other), tmp_path / "sparse", other)
