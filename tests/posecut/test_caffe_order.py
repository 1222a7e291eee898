"""A DeeperCut model in the Caffe order of pairwise channels (tensorflow_pairwise_order: false),
end to end: the bundled model rewritten in that order, with its statistics file in that order's
1-based graph, finds the same people as the bundled model."""
import numpy as np
import pytest
import scipy.io as sio
import tensorflow as tf
from caffe_order_reference import caffe_graph, into_caffe_order

from dataset.images import read_image
from lib.errors import DatasetError
from posecut.build import pairwise_stats_from_config, setup_multiperson_prediction
from posecut.bundled import BUNDLED_CONFIG, BUNDLED_MODEL, BUNDLED_WEIGHTS
from posecut.config import load_config

pytestmark = pytest.mark.slow


def _caffe_copy(folder, cfg):
    """(checkpoint, statistics file) of the bundled model in a shuffled Caffe order."""
    joints = cfg.num_joints
    graph = caffe_graph(joints, seed=4)
    reader = tf.train.load_checkpoint(BUNDLED_WEIGHTS)
    names = sorted(reader.get_variable_to_shape_map())
    values = [reader.get_tensor(name) for name in names]
    values = [into_caffe_order(v, graph, joints) if name.startswith("pose/pairwise_pred/") else v
              for name, v in zip(names, values)]
    prefix = str(folder / "caffe")
    tf.raw_ops.SaveV2(prefix=prefix, tensor_names=names, shape_and_slices=[""] * len(names),
                      tensors=values)
    stats = sio.loadmat(cfg.resolve_path(cfg.pairwise_stats_fn))
    row = {tuple(int(j) for j in pair): k for k, pair in enumerate(stats["graph"])}
    rows = [row[(a - 1, b - 1)] for a, b in graph]
    sio.savemat(folder / "caffe_stats.mat", {"graph": graph, "means": stats["means"][rows],
                                              "std_devs": stats["std_devs"][rows]})
    return prefix, str(folder / "caffe_stats.mat")


def test_a_caffe_order_model_finds_the_same_people(tmp_path, root):
    cfg = load_config(BUNDLED_CONFIG).replace(precision="float32")
    weights, stats = _caffe_copy(tmp_path, cfg)
    caffe = cfg.replace(tensorflow_pairwise_order=False, pairwise_stats_fn=stats,
                        pairwise_model_dir=cfg.resolve_path(cfg.pairwise_model_dir))
    np.testing.assert_allclose(pairwise_stats_from_config(caffe).means,
                               pairwise_stats_from_config(cfg).means)
    image = read_image(str(root / "demo" / "images" / "people.png"))
    want = setup_multiperson_prediction(cfg, BUNDLED_WEIGHTS)(image)
    got = setup_multiperson_prediction(caffe, weights)(image)
    assert len(want.poses) >= 5
    np.testing.assert_allclose(got.poses, want.poses, atol=1e-3)
    np.testing.assert_allclose(got.scores, want.scores, atol=1e-4)
    # the same checkpoint read as if it were in the TensorFlow order groups scrambled offsets
    scrambled = setup_multiperson_prediction(cfg, weights)(image)
    assert (len(scrambled.poses) != len(want.poses)
            or np.nanmax(np.abs(scrambled.poses - want.poses)) > 1.0)
    # and a 0-based statistics file is refused under the Caffe order, naming the file and field
    with pytest.raises(DatasetError, match=r"graph: expected 1-based joint ids"):
        pairwise_stats_from_config(caffe.replace(pairwise_stats_fn=cfg.resolve_path(cfg.pairwise_stats_fn)))
    assert BUNDLED_MODEL in cfg.resolve_path(cfg.pairwise_model_dir)
