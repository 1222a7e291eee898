"""Checkpoint names, loading errors and round trips, and DeeperCut's Caffe order of pairwise channels."""
import numpy as np
import pytest
import scipy.io as sio
import tensorflow as tf

from nnet.caffe_order import caffe_pair_slots, read_caffe_pair_slots
from nnet.checkpoint import (ORDER_MARK, ORDER_VALUE, load_weights, resolve_checkpoint, save_weights,
                             slim_variables)
from nnet.pose_net import build_pose_net, spec_from_config
from lib.errors import CheckpointError
from posecut.config import load_config
import builders
from caffe_order_reference import caffe_graph, into_caffe_order

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
    assert set(stored) == set(slim_variables(model)) | {ORDER_MARK}
    assert tf.train.load_checkpoint(prefix).get_tensor(ORDER_MARK) == ORDER_VALUE == b"pair_index"


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


def _deepercut_checkpoint(model, prefix, change=lambda name, value: value):
    """The model's weights as DeeperCut's TF1 checkpoints hold them (slim names, nothing else),
    each value passed through ``change(name, value)`` first."""
    named = {name: change(name, np.asarray(v)) for name, v in slim_variables(model).items()}
    tf.raw_ops.SaveV2(prefix=str(prefix), tensor_names=list(named), shape_and_slices=[""] * len(named),
                      tensors=list(named.values()))
    return str(prefix)


def test_caffe_pair_slots_follow_deepercuts_lookup():
    """Slot of each pair_index in DeeperCut's Caffe order: the row of the graph naming (k+1, m+1)."""
    # rows: (1,0) (0,1) (2,0) (0,2) (2,1) (1,2) 0-based; pair_index order: (0,1) (0,2) (1,0) (1,2) (2,0) (2,1)
    graph = [[2, 1], [1, 2], [3, 1], [1, 3], [3, 2], [2, 3]]
    assert caffe_pair_slots(graph, 3).tolist() == [1, 3, 0, 5, 2, 4]
    shuffled = caffe_graph(4, seed=5)
    slots = caffe_pair_slots(shuffled, 4)
    for row, (a, b) in enumerate(shuffled):
        assert slots[(4 - 1) * (a - 1) + (b - 1) - int(a < b)] == row
    for bad, says in [(np.array(graph) - 1, "1-based joint ids 1..3"), (graph[:5], r"\(6, 2\) array"),
                      (graph[:5] + [[2, 1]], "each ordered joint pair once"),
                      ([[1, 1]] + graph[1:], "two different joints")]:
        with pytest.raises(ValueError, match=says):
            caffe_pair_slots(bad, 3)


def test_a_caffe_order_stats_file_that_cannot_give_the_order_is_a_checkpoint_error(tmp_path):
    with pytest.raises(CheckpointError, match=r"nowhere.mat: pairwise statistics file not found "
                                              r"\(tensorflow_pairwise_order is false"):
        read_caffe_pair_slots(str(tmp_path / "nowhere.mat"), 3)
    sio.savemat(tmp_path / "no_graph.mat", {"means": np.zeros((6, 2))})
    with pytest.raises(CheckpointError, match="no_graph.mat: graph: missing"):
        read_caffe_pair_slots(str(tmp_path / "no_graph.mat"), 3)
    sio.savemat(tmp_path / "zero_based.mat", {"graph": caffe_graph(3, 1) - 1})
    with pytest.raises(CheckpointError, match="zero_based.mat: graph: expected 1-based joint ids"):
        read_caffe_pair_slots(str(tmp_path / "zero_based.mat"), 3)


def _finite_network(seed):
    """SPEC's network with random weights whose outputs are finite (positive BatchNorm variances)."""
    model, rng = build_pose_net(SPEC), np.random.default_rng(seed)
    for name, variable in slim_variables(model).items():
        value = (rng.uniform(0.5, 1.5, variable.shape) if name.endswith("moving_variance")
                 else rng.normal(0, 0.2, variable.shape))
        variable.assign(value.astype("float32"))
    return model


def test_a_deepercut_checkpoint_in_the_caffe_order_gives_the_same_pairwise_outputs(tmp_path):
    """A DeeperCut config with tensorflow_pairwise_order: false: its checkpoint's pairwise channels
    are in the order of its pairwise_stats.mat graph, and are put into posecut's order once, at load."""
    model = _finite_network(seed=3)
    graph = caffe_graph(3, seed=7)
    sio.savemat(tmp_path / "pairwise_stats.mat", {"graph": graph, "means": np.zeros((6, 2)),
                                                   "std_devs": np.ones((6, 2))})
    caffe = _deepercut_checkpoint(model, tmp_path / "caffe", lambda name, value: (
        into_caffe_order(value, graph, 3) if name.startswith("pose/pairwise_pred/") else value))
    (tmp_path / "pose_cfg.yaml").write_text(
        "net_type: mobilenet_v2_0.35\nnum_joints: 3\nlocation_refinement: true\npairwise_predict: true\n"
        "tensorflow_pairwise_order: false\npairwise_stats_fn: pairwise_stats.mat\nprecision: float32\n")
    spec = spec_from_config(load_config(tmp_path / "pose_cfg.yaml"))
    assert spec.caffe_pairwise_stats == str(tmp_path / "pairwise_stats.mat")
    assert SPEC.caffe_pairwise_stats is None

    image = np.random.default_rng(2).uniform(0, 255, (1, 48, 64, 3)).astype("float32")
    want = model(image)
    assert all(np.isfinite(np.asarray(v)).all() for v in want.values())
    network = build_pose_net(spec)
    load_weights(network, caffe, spec)
    got = network(image)
    for head in ("part_pred", "locref", "pairwise_pred"):
        np.testing.assert_allclose(np.asarray(got[head]), np.asarray(want[head]), rtol=1e-5, atol=1e-5,
                                   err_msg=head)
    as_if_tensorflow = build_pose_net(SPEC)
    load_weights(as_if_tensorflow, caffe, SPEC)
    scrambled = np.asarray(as_if_tensorflow(image)["pairwise_pred"])
    assert np.abs(scrambled - np.asarray(want["pairwise_pred"])).max() > 0.1

    # once: posecut's copy of it is in posecut's order and loads unchanged under the same config
    again = build_pose_net(spec)
    load_weights(again, save_weights(network, tmp_path / "converted"), spec)
    np.testing.assert_array_equal(np.asarray(again(image)["pairwise_pred"]), np.asarray(got["pairwise_pred"]))

    # a sparse head keeps its pairs' channels, found in the Caffe order
    sparse = spec_from_config(load_config(tmp_path / "pose_cfg.yaml").replace(sparse_graph=[[1, 2]]))
    head = build_pose_net(sparse)
    load_weights(head, caffe, sparse)
    keep = [6, 7, 10, 11]  # x, y of pair_index(1, 2, 3) = 3 and pair_index(2, 1, 3) = 5
    np.testing.assert_array_equal(np.asarray(head.get_layer("pose.pairwise_pred.block4").kernel),
                                  np.asarray(model.get_layer("pose.pairwise_pred.block4").kernel)[:, :, keep])
