"""posecut convert-checkpoint: a checked rewrite of a checkpoint for a config's network."""
import numpy as np

from nnet.checkpoint import load_weights, save_weights, slim_variables
from nnet.pose_net import build_pose_net, spec_from_config
from posecut.cli import build_parser, evaluate, main
from posecut.config import config_from_dict, save_config


def _config(tmp_path, joints, name):
    cfg = config_from_dict({"num_joints": joints, "net_type": "mobilenet_v2_0.35",
                            "location_refinement": True})
    save_config(cfg, tmp_path / name)
    return cfg, str(tmp_path / name)


def test_round_trip_and_joint_mismatch(tmp_path, capsys):
    cfg, path = _config(tmp_path, 5, "five.yaml")
    spec = spec_from_config(cfg)
    source = build_pose_net(spec)
    weights = save_weights(source, tmp_path / "in" / "snapshot")
    assert main(["convert-checkpoint", path, "--weights", weights, "--output",
                 str(tmp_path / "out" / "converted")]) == 0
    assert "5 joints" in capsys.readouterr().out
    copy = build_pose_net(spec)
    load_weights(copy, str(tmp_path / "out" / "converted"), spec)
    for a, b in zip(source.weights, copy.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    _, other = _config(tmp_path, 7, "seven.yaml")
    assert main(["convert-checkpoint", other, "--weights", weights, "--output",
                 str(tmp_path / "bad")]) == 2
    assert "the checkpoint predicts 5 joints, the config has 7" in capsys.readouterr().err
    assert main(["convert-checkpoint", other, "--weights", weights, "--output",
                 str(tmp_path / "heads"), "--allow-missing"]) == 0  # the backbone alone
    seven = build_pose_net(spec_from_config(_config(tmp_path, 7, "seven.yaml")[0]))
    load_weights(seven, str(tmp_path / "heads"))
    converted, original = slim_variables(seven), slim_variables(source)
    backbone = [name for name in original if not name.startswith("pose/")]
    assert backbone and all(np.array_equal(converted[n].numpy(), original[n].numpy())
                            for n in backbone)


def test_evaluate_is_test_multiperson():
    args = build_parser().parse_args(["evaluate", "--dataset", "x.json", "--oracle"])
    assert args.func is evaluate.run and evaluate.NAME == "test-multiperson"
