"""The posecut command end to end on a tiny synthetic data set: pairwise-stats, train, resume, pck."""
import os

import pytest
import yaml
from conftest import ROOT

from dataset.synthetic import generate_dataset
from posecut.cli import main

pytestmark = pytest.mark.slow

CONFIG = {
    "dataset_type": "coco", "dataset": "data/person_keypoints.json", "keypoint_format": "coco17",
    "num_joints": 17,
    "all_joints": [[0], [1, 2], [3, 4], [5, 6], [7, 8], [9, 10], [11, 12], [13, 14], [15, 16]],
    "all_joints_names": ["nose", "eye", "ear", "shoulder", "elbow", "wrist", "hip", "knee",
                         "ankle"],
    "net_type": "mobilenet_v2_0.35", "location_refinement": True, "pairwise_predict": True,
    "mirror": True, "optimizer": "adam", "batch_size": 2, "multi_step": [[0.001, 4]],
    "display_iters": 2, "save_iters": 2, "seed": 3,
}


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    folder = tmp_path_factory.mktemp("project")
    generate_dataset(folder / "data", 6, 64, 64, people=(1, 3), seed=4)
    with open(folder / "pose_cfg.yaml", "w") as handle:
        yaml.safe_dump(CONFIG, handle)
    return folder


def test_pairwise_stats_then_train_from_the_config_folder_then_resume(project, monkeypatch,
                                                                      capsys):
    monkeypatch.chdir(project)
    assert main(["pairwise-stats"]) == 0
    assert os.path.exists(project / "pairwise_stats.mat")
    assert main(["train", "--no-progress"]) == 0
    for step in (2, 4):
        assert os.path.exists(project / f"snapshot-{step}.index")
    assert "trained to step 4" in capsys.readouterr().out
    assert main(["train", "--no-progress"]) == 0
    assert "trained to step 4" in capsys.readouterr().out
    assert os.path.exists(project / "snapshot_resume_state" / "checkpoint")
    data = str(project / "data" / "person_keypoints.json")
    assert main(["pck", "--dataset", data, "--no-progress"]) == 0  # the newest snapshot
    out = capsys.readouterr().out
    assert f"weights: the newest snapshot, {project / 'snapshot-4'} (step 4)\n" in out
    assert "PCK@0.1 of person height on 6 images" in out
    assert main(["pck", "--weights", "snapshot_resume_state", "--dataset", data]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("error: snapshot_resume_state: the training state kept for resuming")
    assert line.endswith("--weights snapshot-4 (step 4)")


def test_train_names_a_missing_config(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["train"]) == 2
    assert "pose_cfg.yaml: no such config file" in capsys.readouterr().err


def test_train_reports_a_bad_config_key(tmp_path, capsys):
    path = tmp_path / "pose_cfg.yaml"
    path.write_text("num_joints: 3\nlocref_stdv: 7\n")
    assert main(["train", str(path)]) == 2
    err = capsys.readouterr().err
    assert "locref_stdv" in err and "locref_stdev" in err


def test_converted_ai_challenger_annotations_train(tmp_path, capsys, sample):
    aic = sample("aic")
    out = tmp_path / "aic_coco17.json"
    assert main(["convert-dataset", "--from", "aic", "--images", str(aic),
                 "--output", str(out), str(aic / "keypoint_annotations.json")]) == 0
    summary = capsys.readouterr().out
    assert "skipped records: none" in summary
    # the samples lie outside tmp_path: written absolute, which the config must allow
    assert "3 of 3 images lie outside" in summary and "allow_absolute_image_paths: true" in summary
    config = {**CONFIG, "dataset": str(out), "pairwise_predict": False,
              "multi_step": [[0.001, 2]], "save_iters": 2, "global_scale": 0.3,
              "allow_absolute_image_paths": True}
    with open(tmp_path / "pose_cfg.yaml", "w") as handle:
        yaml.safe_dump(config, handle)
    assert main(["train", str(tmp_path / "pose_cfg.yaml"), "--no-progress"]) == 0
    assert os.path.exists(tmp_path / "snapshot-2.index")


def test_sigterm_saves_and_exits_like_ctrl_c(project, tmp_path):
    """A scheduler's or `timeout`'s SIGTERM: the weights so far are saved, exit 128 + 15."""
    import signal
    import subprocess
    import sys

    config = {**CONFIG, "dataset": str(project / "data" / "person_keypoints.json"),
              "pairwise_predict": False, "multi_step": [[0.001, 100000]], "display_iters": 1,
              "save_iters": 100000}
    with open(tmp_path / "pose_cfg.yaml", "w") as handle:
        yaml.safe_dump(config, handle)
    root = ROOT
    run = subprocess.Popen([sys.executable, "-m", "posecut", "train", "--no-progress"],
                           cwd=tmp_path, stderr=subprocess.PIPE, text=True,
                           env={**os.environ, "PYTHONPATH": root})
    try:
        for line in run.stderr:
            if "nnet.train: step 2 " in line:
                break
        run.send_signal(signal.SIGTERM)
        rest = run.stderr.read()
        assert run.wait(timeout=120) == 128 + signal.SIGTERM
    finally:
        run.kill()
    assert "stopped by SIGTERM: the training state and weights were saved" in rest
    saved = [name for name in os.listdir(tmp_path) if name.startswith("snapshot-")
             and name.endswith(".index")]
    assert saved and int(saved[0].split("-")[1].split(".")[0]) >= 2


def test_evaluate_a_single_person_model_in_pixels(project, tmp_path, capsys):
    """No pairwise head: `posecut evaluate` reports errors in pixels for each data set given."""
    import json

    import numpy as np

    from nnet.checkpoint import save_weights
    from nnet.pose_net import build_pose_net, spec_from_config
    from posecut.config import load_config

    truth = str(project / "data" / "person_keypoints.json")
    config = {**CONFIG, "dataset": truth, "pairwise_predict": False, "precision": "float32"}
    with open(tmp_path / "pose_cfg.yaml", "w") as handle:
        yaml.safe_dump(config, handle)
    model = build_pose_net(spec_from_config(load_config(tmp_path / "pose_cfg.yaml")))
    for variable in model.weights:
        variable.assign(np.abs(np.random.default_rng(8).normal(0, 0.1, variable.shape))
                        .astype("float32"))
    save_weights(model, tmp_path / "snapshot-0")
    metrics = tmp_path / "metrics.json"
    assert main(["evaluate", str(tmp_path / "pose_cfg.yaml"), "--dataset", truth, truth,
                 "--pcutoff", "0.5", "--metrics", str(metrics), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"weights: the newest snapshot, {tmp_path / 'snapshot-0'} (step 0)\n")
    assert "errors in pixels" in out and "p >= 0.5" in out and "left_wrist" in out
    (report,) = json.load(open(metrics)).values()  # the same file twice: one entry
    with open(truth) as handle:
        annotations = json.load(handle)["annotations"]
    first = {}
    for a in annotations:  # the first labelled person of each image, as evaluation takes it
        if a["num_keypoints"] > 0:
            first.setdefault(a["image_id"], a)
    labelled = sum(int(np.sum(np.asarray(a["keypoints"])[2::3] > 0)) for a in first.values())
    assert report["images"] == len(first) and report["all"]["count"] == labelled
    assert report["p>=0.5"]["count"] <= labelled

    # an image that cannot be decoded is skipped and named, the others are scored: exit 1
    import shutil

    shutil.copytree(project / "data", tmp_path / "bad")
    bad_truth = str(tmp_path / "bad" / "person_keypoints.json")
    images = {im["id"]: im["file_name"] for im in json.load(open(bad_truth))["images"]}
    lost = next(iter(first))
    bad = tmp_path / "bad" / images[lost]
    bad.write_bytes(b"not an image")
    assert main(["evaluate", str(tmp_path / "pose_cfg.yaml"), "--dataset", bad_truth,
                 "--metrics", str(metrics), "--no-progress"]) == 1
    captured = capsys.readouterr()
    assert (f"{bad_truth}: {len(first) - 1} images, 1 skipped, scored against the ground truth of "
            "the images read only, errors in pixels") in captured.out
    assert f"skipped 1 images of {bad_truth}, the rest are scored:\n  {bad}: cannot decode image" in captured.err
    (report,) = json.load(open(metrics)).values()
    lost_joints = int(np.sum(np.asarray(first[lost]["keypoints"])[2::3] > 0))
    assert report["images"] == len(first) - 1 and report["all"]["count"] == labelled - lost_joints
    assert len(report["skipped"]) == 1 and str(bad) in report["skipped"][0]
