"""The command line answers help, argument errors and wrong paths before TensorFlow is imported,
and its normal output holds none of TensorFlow's own log lines."""
import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT
from posecut.logs import tensorflow_log_line

pytestmark = pytest.mark.slow

PROBE = """
import json, sys
from posecut.cli import main
try:
    code = main(json.loads(sys.argv[1]))
except SystemExit as exit:
    code = exit.code
print(json.dumps({"code": code, "tensorflow": "tensorflow" in sys.modules}))
"""


def run_cli(argv, tmp_path):
    """(exit code, whether TensorFlow was imported, stdout before the probe's line, stderr)."""
    done = subprocess.run([sys.executable, "-c", PROBE, json.dumps(argv)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": ROOT})
    *lines, last = done.stdout.splitlines()
    probe = json.loads(last)
    return probe["code"], probe["tensorflow"], "\n".join(lines), done.stderr


@pytest.mark.parametrize("argv, code, says", [
    (["--help"], 0, "COMMAND"),
    (["predict", "--help"], 0, "--weights"),
    (["convert-dataset", "--help"], 0, "--from LAYOUT"),
    (["trian", "pose_cfg.yaml"], 2, "unknown command 'trian'; did you mean 'train'?"),
    (["predict", "missing.png"], 2, "missing.png: no such file or folder"),
    (["train"], 2, "pose_cfg.yaml: no such config file"),
    (["predict", "--bogus", "x.png"], 2, "unrecognized arguments: --bogus"),
    (["split", "missing.json", "--output", "out"], 2, "missing.json: no such file or folder"),
])
def test_answers_come_before_tensorflow_is_imported(tmp_path, argv, code, says):
    got, imported, out, err = run_cli(argv, tmp_path)
    assert got == code
    assert says in out + err
    assert not imported


def test_filtering_a_multi_person_model_is_refused_before_tensorflow(tmp_path):
    (tmp_path / "clip.mp4").write_bytes(b"")
    code, imported, _, err = run_cli(["predict", "clip.mp4", "--filter-window", "5"], tmp_path)
    assert code == 2 and not imported
    assert "--filter-window: filters one pose per frame" in err


def test_a_missing_checkpoint_is_refused_before_tensorflow(tmp_path):
    (tmp_path / "photo.png").write_bytes(b"")
    config = os.path.join(ROOT, "models", "synthetic_multi", "pose_cfg.yaml")
    code, imported, _, err = run_cli(["predict", "photo.png", "--config", config, "--weights",
                                      "nowhere/snapshot-5"], tmp_path)
    assert code == 2 and not imported
    assert "nowhere/snapshot-5: no checkpoint here" in err


def test_the_resume_state_and_a_deeplabcut_project_are_refused_before_tensorflow(tmp_path):
    (tmp_path / "pose_cfg.yaml").write_text("num_joints: 3\n")
    for ending in (".index", ".data-00000-of-00001"):
        (tmp_path / f"snapshot-8{ending}").write_bytes(b"")
    state = tmp_path / "snapshot_resume_state"
    state.mkdir()
    (state / "checkpoint").write_text('model_checkpoint_path: "ckpt-8"\n')
    (state / "ckpt-8.index").write_bytes(b"")
    code, imported, _, err = run_cli(["export", "--weights", "snapshot_resume_state/ckpt-8",
                                      "--output", "out"], tmp_path)
    assert code == 2 and not imported
    assert err == ("error: snapshot_resume_state/ckpt-8: the training state kept for resuming "
                   "`posecut train` (the network with the optimizer's variables, stored under "
                   "other names), not weights to predict with; use the newest weights snapshot "
                   "beside it: --weights snapshot-8 (step 8)\n")
    (tmp_path / "config.yaml").write_text("Task: t\nscorer: s\nbodyparts: [a]\nTrainingFraction: "
                                          "[0.95]\n")
    code, imported, _, err = run_cli(["train", "config.yaml"], tmp_path)
    assert code == 2 and not imported and "config.yaml is a DeepLabCut project file" in err


def test_tensorflow_log_lines_are_recognised():
    assert tensorflow_log_line("E0000 00:00:1796191783.265937    3804 cuda_platform.cc:52] failed "
                               "call to cuInit: INTERNAL: CUDA error\n")
    assert tensorflow_log_line("I1114 09:32:22.280168 13509 tpu_hal.cc:448] Registered\n")
    assert tensorflow_log_line("WARNING: All log messages before absl::InitializeLog() is called "
                               "are written to STDERR\n")
    assert not tensorflow_log_line("error: photo.png: cannot decode image\n")
    assert not tensorflow_log_line("INFO nnet.train: step 100\n")


def test_predict_prints_no_tensorflow_lines_unless_verbose(tmp_path):
    image = os.path.join(ROOT, "demo", "images", "person.png")
    command = [sys.executable, "-m", "posecut", "predict", image, "--output", str(tmp_path),
               "--no-progress", "--no-draw"]
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    quiet = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env,
                           timeout=300)
    assert quiet.returncode == 0, quiet.stderr
    assert "1 images:" in quiet.stdout
    assert quiet.stderr == ""
    verbose = subprocess.run(command + ["--verbose"], capture_output=True, text=True, cwd=ROOT,
                             env=env, timeout=300)
    assert verbose.returncode == 0
    assert any(tensorflow_log_line(line) for line in verbose.stderr.splitlines(True))


def test_tensorflow_starts_with_onednn_off_where_it_does_not_pay(tmp_path):
    """With oneDNN capped at AVX2 (as on an AVX2-only CPU), start_tensorflow turns TensorFlow's
    oneDNN off before the import; a value the user set is kept."""
    probe = ("import os; from posecut.logs import start_tensorflow; start_tensorflow(); "
             "import tensorflow; print(os.environ.get('TF_ENABLE_ONEDNN_OPTS'))")
    env = {k: v for k, v in os.environ.items() if k != "TF_ENABLE_ONEDNN_OPTS"}
    for extra, expected in (({}, "0"), ({"TF_ENABLE_ONEDNN_OPTS": "1"}, "1")):
        done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                              cwd=ROOT, env={**env, "ONEDNN_MAX_CPU_ISA": "AVX2", **extra},
                              timeout=300)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip().splitlines()[-1] == expected
