"""The training walkthroughs of docs/training.md (demo/train_own_data.sh,
demo/train_own_animal.sh) run from end to end, tiny."""
import json
import os
import subprocess

import pytest

from conftest import ROOT
from dataset.coco_eval import COCO_METRICS

pytestmark = pytest.mark.slow


installed = pytest.mark.skipif(not os.path.isfile(os.path.join(ROOT, ".venv", "bin", "posecut")),
                               reason="the walkthroughs run the installed .venv/bin commands")


def walkthrough(script, work, **sizes):
    """Run demo/``script`` with its work folder and sizes; the finished run."""
    env = dict(os.environ, WORK=str(work), TF_CPP_MIN_LOG_LEVEL="3",
               **{k: str(v) for k, v in sizes.items()})
    run = subprocess.run(["bash", os.path.join(ROOT, "demo", script)], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    return run


@installed
def test_own_data_walkthrough_from_annotations_to_people(tmp_path):
    own = tmp_path / "own"
    walkthrough("train_own_data.sh", own, NUM_TRAIN=6, NUM_VAL=3, STEPS=2, SIZE=128)
    with open(own / "metrics.json", encoding="utf-8") as handle:
        metrics = json.load(handle)
    # two training steps: the figures are noise, but every one of COCO's is there
    assert metrics["images"] == 3 and list(metrics["metrics"]) == list(COCO_METRICS)
    assert (own / "pairwise_stats.mat").is_file() and (own / "snapshot-2.index").is_file()
    assert any(name.startswith("spatial_model_cidx_") for name in os.listdir(own / "pairwise_model"))
    with open(own / "predict" / "results.json", encoding="utf-8") as handle:
        results = json.load(handle)
    assert all(len(r["keypoints"]) == 51 for r in results)
    assert len([n for n in os.listdir(own / "predict") if n.endswith(".png")]) == 3


@installed
def test_own_animal_walkthrough_from_labelled_frames_to_a_filtered_video(tmp_path):
    work = tmp_path / "animal"
    run = walkthrough("train_own_animal.sh", work, NUM=12, STEPS=2, SIZE=96, SECONDS_OF_VIDEO=1)
    with open(work / "errors.json", encoding="utf-8") as handle:
        errors = json.load(handle)
    assert sorted(os.path.basename(p) for p in errors) == ["test.json", "train.json"]
    assert sum(e["images"] for e in errors.values()) == 12
    assert all(len(e["all"]["per_joint"]) == 5 for e in errors.values())
    assert "the checkpoint predicts 17 joints, the config has 5" in run.stderr
    with open(work / "predict" / "video_poses.csv", encoding="utf-8") as handle:
        rows = handle.read().splitlines()
    assert rows[0].split(",")[3:6] == ["snout_x", "snout_y", "snout_likelihood"]
    assert len(rows) == 1 + 25  # one subject in each of the 25 frames
    assert (work / "predict" / "video_poses.mp4").is_file()
