"""The single-person demo end to end on a tiny network and image."""
import json

import imageio.v3 as iio
import numpy as np
import pytest

import demo.singleperson as demo_single
from nnet.checkpoint import save_weights
from nnet.pose_net import build_pose_net, spec_from_config
from posecut.config import load_config


@pytest.fixture()
def tiny_config(tmp_path):
    path = tmp_path / "pose_cfg.yaml"
    path.write_text("net_type: mobilenet_v2_0.35\nnum_joints: 14\nkeypoint_format: mpii14\n"
                    "location_refinement: true\n"
                    "all_joints: [[0, 5], [1, 4], [2, 3], [6, 11], [7, 10], [8, 9], [12], [13]]\n"
                    "all_joints_names: [ankle, knee, hip, wrist, elbow, shoulder, chin, head]\n")
    return path


def test_demo_draws_the_argmax_pose_of_given_weights(tmp_path, tiny_config, capsys):
    image = np.random.default_rng(0).integers(0, 256, (70, 90, 3), dtype=np.uint8)
    iio.imwrite(tmp_path / "person.png", image)
    model = build_pose_net(spec_from_config(load_config(tiny_config)))
    weights = save_weights(model, tmp_path / "ckpt" / "snapshot")
    args = demo_single.parse_args(["--image", str(tmp_path / "person.png"), "--config",
                                   str(tiny_config), "--weights", weights, "--output",
                                   str(tmp_path / "out.png")])
    path, pose = demo_single.run(args)
    assert pose.shape == (14, 3)
    assert np.all((pose[:, 2] >= 0) & (pose[:, 2] <= 1))
    assert iio.imread(path).shape[1] == 2 * 90 + 8
    (result,) = json.load(open(tmp_path / "out.json"))
    assert result["image_id"] == 1 and len(result["keypoints"]) == 14 * 3
    assert result["keypoints"][:2] == pytest.approx(pose[0, :2].tolist())


def test_demo_without_weights_restores_init_weights_or_says_what_is_missing(tmp_path, tiny_config):
    iio.imwrite(tmp_path / "p.png", np.random.default_rng(1).integers(0, 256, (40, 40, 3),
                                                                       dtype=np.uint8))
    argv = ["--image", str(tmp_path / "p.png"), "--config", str(tiny_config), "--output",
            str(tmp_path / "o.png")]
    with pytest.raises(SystemExit, match="pose_cfg.yaml: init_weights: expected the checkpoint"):
        demo_single.main(argv)
    model = build_pose_net(spec_from_config(load_config(tiny_config)))
    for variable in model.weights:
        variable.assign(np.abs(np.random.default_rng(2).normal(0, 0.1, variable.shape)).astype("float32"))
    save_weights(model, tmp_path / "ckpt" / "snapshot")
    with open(tiny_config, "a") as f:
        f.write("init_weights: ckpt/snapshot\n")
    _, restored = demo_single.run(demo_single.parse_args(argv))
    _, given = demo_single.run(demo_single.parse_args(argv + ["--weights",
                                                              str(tmp_path / "ckpt" / "snapshot")]))
    np.testing.assert_array_equal(restored, given)


def test_demo_reports_a_corrupt_image_without_a_traceback(tmp_path, tiny_config):
    (tmp_path / "bad.jpg").write_bytes(b"garbage")
    with pytest.raises(SystemExit, match="bad.jpg: cannot decode image"):
        demo_single.main(["--image", str(tmp_path / "bad.jpg"), "--config", str(tiny_config),
                          "--output", str(tmp_path / "o.png")])


def test_default_run_finds_the_bundled_person(tmp_path):
    """No --config or --weights: the bundled model on the bundled synthetic person, checked
    against its ground truth (measured: 16 of 17 joints within 10 % of the person's height)."""
    import os

    truth_path = os.path.join(demo_single.ROOT, "demo", "images", "person.json")
    (truth,) = json.load(open(truth_path))["annotations"]
    want = np.array(truth["keypoints"]).reshape(17, 3)
    args = demo_single.parse_args(["--output", str(tmp_path / "person.png")])
    assert args.weights == demo_single.BUNDLED_WEIGHTS
    _, pose = demo_single.run(args)
    height = np.ptp(want[:, 1])
    within = np.linalg.norm(pose[:, :2] - want[:, :2], axis=1) <= 0.1 * height
    assert within.sum() >= 14
