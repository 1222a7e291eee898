"""posecut fit-pairwise and test-multiperson end to end on a tiny synthetic data set."""
import json
import os

import pytest
import yaml

from dataset.synthetic import generate_dataset
from posecut.cli import main

pytestmark = pytest.mark.slow

CONFIG = {
    "dataset_type": "coco", "dataset": "data/person_keypoints.json", "keypoint_format": "coco17",
    "num_joints": 17, "net_type": "mobilenet_v2_0.35", "location_refinement": True,
    "pairwise_predict": True, "pairwise_model_dir": "pairwise_model", "nms_radius": 2.0,
    "pos_dist_thresh": 8, "optimizer": "adam", "batch_size": 2, "multi_step": [[0.001, 1]],
    "display_iters": 1, "save_iters": 1, "seed": 3,
}


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    folder = tmp_path_factory.mktemp("multiperson")
    generate_dataset(folder / "data", 10, 128, 128, people=(2, 4), seed=5, min_height=60)
    with open(folder / "pose_cfg.yaml", "w") as handle:
        yaml.safe_dump(CONFIG, handle)
    assert main(["pairwise-stats", str(folder / "pose_cfg.yaml")]) == 0
    return folder


def test_fit_on_the_oracle_then_evaluate_oracle_and_network(project, capsys):
    cfg = str(project / "pose_cfg.yaml")
    truth = str(project / "data" / "person_keypoints.json")
    assert main(["fit-pairwise", cfg, "--oracle", "--no-progress", "--verbose"]) == 0
    out = capsys.readouterr().out
    assert "fitted 110 part pairs" in out and "pairwise_model" in out
    assert (project / "pairwise_model" / "same_part_model.mat").exists()

    results = project / "oracle.json"
    assert main(["test-multiperson", cfg, "--oracle", "--dataset", truth, "--output",
                 str(results), "--metrics", str(project / "metrics.json"), "--no-progress"]) == 0
    out = capsys.readouterr().out
    ap = float(next(line.split()[1] for line in out.splitlines() if line.startswith("AP ")))
    assert ap > 50.0  # the ground truth with little noise, grouped
    found = json.load(open(results))
    assert found and set(found[0]) == {"image_id", "category_id", "keypoints", "score"}
    assert "mean ms per image: network" in out
    written = json.load(open(project / "metrics.json"))
    assert written["metrics"]["AP"] == pytest.approx(ap / 100, abs=1e-3)
    assert set(written["ms_per_image"]) == {"network", "nms", "pairwise", "solver", "assembly"}

    assert main(["train", cfg, "--no-progress"]) == 0
    capsys.readouterr()
    assert main(["test-multiperson", cfg, "--dataset", truth, "--max-images", "3",
                 "--no-progress"]) == 0  # no --weights: the newest snapshot
    out = capsys.readouterr().out
    assert out.startswith(f"weights: the newest snapshot, {project / 'snapshot-1'} (step 1)\n")
    assert "3 images" in out

    # the network's images: one that cannot be decoded is skipped, named, and the rest scored
    bad_truth, images = _copy_data(project, "undecodable")
    bad = project / "undecodable" / images[2]
    bad.write_bytes(b"not an image")
    results = project / "undecodable.json"
    assert main(["test-multiperson", cfg, "--weights", str(project / "snapshot-1"), "--dataset", bad_truth,
                 "--max-images", "3", "--output", str(results), "--metrics", str(project / "m.json"),
                 "--no-progress"]) == 1
    captured = capsys.readouterr()
    assert "coco17 keypoints, 2 images, 1 skipped, scored against the ground truth of the images read only" in captured.out
    assert f"skipped 1 images of {bad_truth}, the rest are scored:\n  {bad}: cannot decode image" in captured.err
    written = json.load(open(project / "m.json"))
    assert written["images"] == 2 and len(written["skipped"]) == 1
    _check_scored_on(bad_truth, [1, 3], results, written["metrics"])


def _copy_data(project, name):
    """A copy of the data set in project/name: (its JSON, image id -> file name)."""
    import shutil

    shutil.copytree(project / "data", project / name)
    path = str(project / name / "person_keypoints.json")
    return path, {im["id"]: im["file_name"] for im in json.load(open(path))["images"]}


def _check_scored_on(truth, image_ids, results, metrics):
    """The metrics are those of the results against the ground truth of ``image_ids`` only."""
    from dataset.coco_eval import evaluate_keypoints, ground_truth_of
    from dataset.keypoint_formats import get_format

    found = json.load(open(results))
    assert {r["image_id"] for r in found} <= set(image_ids)
    expected = evaluate_keypoints(ground_truth_of(truth, image_ids), found, get_format("coco17").sigmas)
    assert metrics == pytest.approx(expected)


def test_a_missing_image_is_skipped_and_the_rest_scored_on_their_own_truth(project, capsys, tmp_path):
    cfg = str(project / "pose_cfg.yaml")
    assert main(["fit-pairwise", cfg, "--oracle", "--no-progress", "--output", str(tmp_path / "model")]) == 0
    truth, images = _copy_data(project, "missing")
    os.remove(project / "missing" / images[4])
    results = tmp_path / "results.json"
    assert main(["test-multiperson", cfg, "--oracle", "--dataset", truth, "--model-dir", str(tmp_path / "model"),
                 "--output", str(results), "--metrics", str(tmp_path / "m.json"), "--no-progress"]) == 1
    captured = capsys.readouterr()
    assert "coco17 keypoints, 9 images, 1 skipped, scored against the ground truth" in captured.out
    assert f"image id 4 ({images[4]}): image file {images[4]} not found" in captured.err
    written = json.load(open(tmp_path / "m.json"))
    assert written["images"] == 9 and written["metrics"]["AP"] > 0.5
    _check_scored_on(truth, [i for i in images if i != 4], results, written["metrics"])


def test_errors_are_one_line(project, capsys, tmp_path):
    cfg = str(project / "pose_cfg.yaml")
    truth = str(project / "data" / "person_keypoints.json")
    assert main(["test-multiperson", cfg, "--oracle", "--dataset", truth, "--no-progress",
                 "--model-dir", str(project)]) == 2
    assert "no spatial_model_cidx" in capsys.readouterr().err
    untrained = tmp_path / "pose_cfg.yaml"  # a folder without snapshots, and no init_weights
    with open(untrained, "w") as handle:
        yaml.safe_dump({**CONFIG, "dataset": truth}, handle)
    assert main(["fit-pairwise", str(untrained), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "pose_cfg.yaml: init_weights: expected the checkpoint" in err and "--weights" in err
    assert main(["fit-pairwise", cfg, "--oracle", "--weights", "w", "--no-progress"]) == 2
    assert "give --weights or --oracle, not both" in capsys.readouterr().err
