"""Checkpoints judged from their files: the newest snapshot of a prefix or a folder, the training
state kept for resuming, and the weights a config runs with when none are given. Empty .index and
.data files stand for checkpoints: nothing here reads them."""
import subprocess
import sys

import pytest
from conftest import ROOT

from lib.errors import ConfigError
from nnet.checkpoint_files import (IMAGENET, RESUME_STATE_SUFFIX, checkpoint_problem,
                                   config_weights, default_weights, newest_in_folder,
                                   newest_snapshot, resume_state_dir, resume_state_of, snapshots,
                                   weights_in)
from posecut.config import config_from_dict


def _snapshot(prefix, step):
    """The two files of a checkpoint ``prefix-step``; its prefix."""
    prefix.parent.mkdir(parents=True, exist_ok=True)
    (prefix.parent / f"{prefix.name}-{step}.index").write_bytes(b"")
    (prefix.parent / f"{prefix.name}-{step}.data-00000-of-00001").write_bytes(b"")
    return str(prefix.parent / f"{prefix.name}-{step}")


def _resume_state(folder, step):
    """A training state as tf.train.CheckpointManager writes it."""
    folder.mkdir(parents=True)
    (folder / "checkpoint").write_text(f'model_checkpoint_path: "ckpt-{step}"\n')
    (folder / f"ckpt-{step}.index").write_bytes(b"")
    return folder


def _config(tmp_path, **keys):
    return config_from_dict(keys, source=str(tmp_path / "pose_cfg.yaml"), config_dir=str(tmp_path))


def test_snapshots_are_ordered_by_step_not_by_name(tmp_path):
    prefix = tmp_path / "snapshot"
    paths = {step: _snapshot(prefix, step) for step in (50, 400, 1000, 7)}
    (tmp_path / "snapshot-final.index").write_bytes(b"")  # not a step
    (tmp_path / "snapshot-3.data-00000-of-00001").write_bytes(b"")  # no .index: not a checkpoint
    _snapshot(tmp_path / "snapshot2", 9000)  # another prefix
    assert snapshots(prefix) == [(s, paths[s]) for s in (7, 50, 400, 1000)]
    assert newest_snapshot(prefix) == (1000, paths[1000])
    assert newest_snapshot(tmp_path / "none") is None


def test_a_folder_gives_its_newest_snapshot(tmp_path):
    _snapshot(tmp_path / "snapshot", 400)
    newest = _snapshot(tmp_path / "snapshot", 1200)
    assert newest_in_folder(tmp_path) == (1200, newest)
    path, line = weights_in(tmp_path)
    assert path == newest and line == f"weights: the newest snapshot in {tmp_path}, {newest} (step 1200)"
    assert weights_in(newest) == (newest, "")  # a prefix stays as given
    assert checkpoint_problem(tmp_path) is None


def test_a_folder_with_only_a_state_file_is_left_to_tensorflow(tmp_path):
    (tmp_path / "checkpoint").write_text('model_checkpoint_path: "model.ckpt"\n')
    assert checkpoint_problem(tmp_path) is None
    assert weights_in(tmp_path) == (str(tmp_path), "")


def test_wrong_paths_are_named(tmp_path):
    assert "folder holds no TensorFlow checkpoint" in checkpoint_problem(tmp_path)
    assert checkpoint_problem(tmp_path / "w").startswith(f"{tmp_path / 'w'}: no checkpoint here")
    newest = _snapshot(tmp_path / "snapshot", 30)
    problem = checkpoint_problem(tmp_path / "snapshot")  # the prefix without its step
    assert problem.endswith(f"the newest snapshot of this prefix is {newest}")


@pytest.mark.parametrize("inside", ["", "ckpt-400", "ckpt-400.index", "checkpoint"])
def test_the_resume_state_gets_one_line_naming_the_snapshot_to_use(tmp_path, inside):
    newest = _snapshot(tmp_path / "snapshot", 400)
    _snapshot(tmp_path / "snapshot", 200)
    state = _resume_state(tmp_path / f"snapshot{RESUME_STATE_SUFFIX}", 400)
    path = state / inside if inside else state
    assert resume_state_of(path) == str(state)
    problem = checkpoint_problem(path)
    assert "\n" not in problem
    assert problem.startswith(f"{path}: the training state kept for resuming")
    assert "optimizer's variables" in problem
    assert problem.endswith(f"use the newest weights snapshot beside it: --weights {newest} "
                            f"(step 400)")


def test_the_older_state_folder_is_recognised_and_still_resumed(tmp_path):
    prefix = str(tmp_path / "snapshot")
    assert resume_state_dir(prefix) == prefix + "_resume_state"
    older = _resume_state(tmp_path / "snapshot_state", 4)
    assert resume_state_dir(prefix) == str(older)
    assert "no weights snapshot" in checkpoint_problem(older)
    (tmp_path / "snapshot_resume_state").mkdir()
    assert resume_state_dir(prefix) == prefix + "_resume_state"


def test_a_folder_merely_named_state_is_not_the_resume_state(tmp_path):
    folder = tmp_path / "united_state"
    folder.mkdir()
    (folder / "checkpoint").write_text('model_checkpoint_path: "snapshot-5"\n')
    _snapshot(folder / "snapshot", 5)
    assert resume_state_of(folder) is None
    assert checkpoint_problem(folder) is None


def test_default_weights_precedence(tmp_path):
    """Newest snapshot over init_weights; init_weights naming one of the snapshots is kept."""
    start = _snapshot(tmp_path / "start" / "model", 1)
    cfg = _config(tmp_path, init_weights="start/model-1")
    choice = default_weights(cfg)
    assert choice.path == start and choice.line.startswith(f"weights: init_weights, {start} (no "
                                                           f"snapshot {tmp_path / 'snapshot'}-N")
    _snapshot(tmp_path / "snapshot", 200)
    newest = _snapshot(tmp_path / "snapshot", 400)
    choice = default_weights(cfg)
    assert choice.path == newest == config_weights(cfg)
    assert choice.line == f"weights: the newest snapshot, {newest} (step 400)"
    picked = default_weights(_config(tmp_path, init_weights="snapshot-200"))
    assert picked.path == str(tmp_path / "snapshot-200")
    assert picked.line.endswith("(step 200; the newest is step 400)")
    assert default_weights(_config(tmp_path, init_weights="snapshot-400")).line.endswith(
        "(step 400; the newest snapshot)")
    other = _config(tmp_path, snapshot_prefix="train/snap", init_weights="start/model-1")
    assert default_weights(other).path == start  # no train/snap-N yet


@pytest.mark.parametrize("start", [IMAGENET, "pretrained/resnet_v1_50.ckpt",
                                   "mobilenet_v2_1.0_224.ckpt"])
def test_imagenet_weights_are_where_training_starts(tmp_path, start):
    cfg = _config(tmp_path, init_weights=start)
    with pytest.raises(ConfigError, match="is where training starts .*train first"):
        default_weights(cfg)
    newest = _snapshot(tmp_path / "snapshot", 10)
    assert default_weights(cfg).path == newest


def test_no_weights_at_all_says_to_train_or_give_them(tmp_path):
    with pytest.raises(ConfigError, match=r"pose_cfg.yaml: init_weights: expected the checkpoint "
                                          r"to predict with, got '', and no snapshot .*--weights"):
        default_weights(_config(tmp_path))


def test_no_tensorflow_import():
    done = subprocess.run([sys.executable, "-c", "import sys, nnet.checkpoint_files; "
                                                 "print('tensorflow' in sys.modules)"],
                          cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
