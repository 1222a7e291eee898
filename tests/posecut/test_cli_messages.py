"""The commands' answers to the common mistakes, each one line, before anything else is checked:
a model without the pairwise head given to a command that needs it, a DeepLabCut project file
given for a pose_cfg.yaml, and the weights taken when none are given."""
import pytest
import yaml

from lib.errors import PosecutError
from posecut.cli import main
from posecut.cli.common import checked_weights, require_pairwise_head
from posecut.config import load_config

SINGLE = {"num_joints": 4, "net_type": "mobilenet_v2_0.35", "pairwise_predict": False,
          "dataset": "missing.json", "pairwise_model_dir": "missing_model"}

DEEPLABCUT = """\
Task: openfield
scorer: Pranav
date: Oct30
multianimalproject: false
project_path: /home/user/openfield-Pranav-2018-10-30
video_sets:
  /home/user/openfield-Pranav-2018-10-30/videos/m4s1.mp4:
    crop: 0, 640, 0, 480
bodyparts: [snout, leftear, rightear, tailbase]
skeleton: [[snout, leftear]]
start: 0
stop: 1
numframes2pick: 20
pcutoff: 0.4
dotsize: 8
alphavalue: 0.7
colormap: jet
TrainingFraction: [0.95]
iteration: 0
default_net_type: resnet_50
snapshotindex: -1
batch_size: 4
"""


def _write(path, values):
    with open(path, "w") as handle:
        yaml.safe_dump(values, handle)
    return str(path)


def _snapshot(prefix, step):
    for ending in (".index", ".data-00000-of-00001"):
        (prefix.parent / f"{prefix.name}-{step}{ending}").write_bytes(b"")
    return str(prefix.parent / f"{prefix.name}-{step}")


@pytest.mark.parametrize("argv", [
    ["fit-pairwise", "{cfg}"],
    ["fit-temporal", "{cfg}", "--clips", "missing_clips"],
    ["track", "missing.mp4", "--config", "{cfg}"],
    ["evaluate", "{cfg}", "--dataset", "missing.json", "--oracle"],
    ["evaluate", "{cfg}", "--dataset", "missing.json", "--model-dir", "m", "--crowdpose"],
])
def test_no_pairwise_head_is_said_first_and_alone(tmp_path, capsys, argv):
    cfg = _write(tmp_path / "pose_cfg.yaml", SINGLE)
    assert main([a.format(cfg=cfg) for a in argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    (line,) = captured.err.splitlines()
    assert line.startswith(f"error: this model has no pairwise head ({cfg}: pairwise_predict: "
                           f"false), and {argv[0]}")
    assert "`posecut evaluate" in line and "--filter-window 5" in line


def test_require_pairwise_head_passes_a_model_with_it(tmp_path):
    cfg = load_config(_write(tmp_path / "pose_cfg.yaml", {**SINGLE, "pairwise_predict": True}))
    assert require_pairwise_head(cfg, "track", "needs it") is None
    with pytest.raises(PosecutError, match="no pairwise head"):
        require_pairwise_head(cfg.replace(pairwise_predict=False), "track", "needs it")


@pytest.mark.parametrize("command", [["train"], ["pck", "--dataset", "d.json"],
                                     ["evaluate", "--dataset", "d.json"]])
def test_a_deeplabcut_project_file_is_named_for_what_it_is(tmp_path, capsys, command):
    path = tmp_path / "config.yaml"
    path.write_text(DEEPLABCUT)
    assert main([command[0], str(path), *command[1:]]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line == (f"error: {path} is a DeepLabCut project file (config.yaml), not a posecut "
                    f"pose_cfg.yaml; import it with `posecut import-dlc {path} OUT` and train "
                    f"on OUT/pose_cfg.yaml")


def test_checked_weights_takes_the_newest_snapshot_and_says_so(tmp_path, capsys):
    cfg = load_config(_write(tmp_path / "pose_cfg.yaml", SINGLE))
    with pytest.raises(PosecutError, match="init_weights: expected the checkpoint"):
        checked_weights(cfg, None)
    _snapshot(tmp_path / "snapshot", 200)
    newest = _snapshot(tmp_path / "snapshot", 400)
    assert checked_weights(cfg, None) == newest
    assert capsys.readouterr().out == f"weights: the newest snapshot, {newest} (step 400)\n"
    assert checked_weights(cfg, str(tmp_path)) == newest
    assert capsys.readouterr().out == (f"weights: the newest snapshot in {tmp_path}, {newest} "
                                       f"(step 400)\n")
    given = str(tmp_path / "snapshot-200")
    assert checked_weights(cfg, given) == given
    assert capsys.readouterr().out == ""


def test_checked_weights_names_init_weights_when_it_is_missing(tmp_path):
    cfg = load_config(_write(tmp_path / "pose_cfg.yaml", {**SINGLE, "init_weights": "gone/w"}))
    with pytest.raises(PosecutError, match=rf"^{tmp_path / 'pose_cfg.yaml'}: init_weights: "
                                           rf"{tmp_path / 'gone' / 'w'}: no checkpoint here"):
        checked_weights(cfg, None)


def test_the_resume_state_is_refused_in_one_line(tmp_path, capsys):
    cfg = _write(tmp_path / "pose_cfg.yaml", SINGLE)
    newest = _snapshot(tmp_path / "snapshot", 400)
    state = tmp_path / "snapshot_resume_state"
    state.mkdir()
    (state / "checkpoint").write_text('model_checkpoint_path: "ckpt-400"\n')
    (state / "ckpt-400.index").write_bytes(b"")
    assert main(["export", cfg, "--weights", str(state), "--output", str(tmp_path / "o")]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"error: {state}: the training state kept for resuming")
    assert line.endswith(f"--weights {newest} (step 400)")
