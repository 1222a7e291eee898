"""Keypoint AP/AR through xtcocotools, checked against pycocotools and against OKS by hand."""
import contextlib
import copy
import io
import json
import sys

import numpy as np
import pytest

from dataset.coco_eval import (
    COCO_METRICS,
    CROWDPOSE_METRICS,
    XtcocotoolsMissing,
    ground_truth_of,
    evaluate_keypoints,
    format_metrics_table,
    people_to_coco_results,
)
from dataset.keypoint_formats import get_format
from lib.errors import DatasetError, PosecutError

COCO17 = get_format("coco17")
SIGMAS = np.asarray(COCO17.sigmas)
THRESHOLDS = np.linspace(0.5, 0.95, 10)
# The order of pycocotools' keypoint ``stats``, written out here rather than taken from the module.
STATS_ORDER = ("AP", "AP50", "AP75", "APm", "APl", "AR", "AR50", "AR75", "ARm", "ARl")

# A standing person in COCO-17 order, in units of its height: nose, eyes, ears, shoulders,
# elbows, wrists, hips, knees, ankles.
_TEMPLATE = np.array([
    [0.00, 0.05], [-0.03, 0.03], [0.03, 0.03], [-0.06, 0.05], [0.06, 0.05],
    [-0.12, 0.20], [0.12, 0.20], [-0.18, 0.38], [0.18, 0.38], [-0.20, 0.53], [0.20, 0.53],
    [-0.08, 0.55], [0.08, 0.55], [-0.09, 0.76], [0.09, 0.76], [-0.09, 0.97], [0.09, 0.97],
])


def _annotation(ann_id, image_id, keypoints):
    """A COCO annotation for (17, 3) keypoints: box over the labelled joints, area 0.6 x box."""
    labelled = keypoints[keypoints[:, 2] > 0]
    x0, y0 = labelled[:, :2].min(axis=0) - 5
    x1, y1 = labelled[:, :2].max(axis=0) + 5
    return {
        "id": ann_id, "image_id": image_id, "category_id": 1, "iscrowd": 0,
        "keypoints": [float(v) for v in keypoints.reshape(-1)],
        "num_keypoints": int((keypoints[:, 2] > 0).sum()),
        "bbox": [float(x0), float(y0), float(x1 - x0), float(y1 - y0)],
        "area": float(0.6 * (x1 - x0) * (y1 - y0)),
    }


def _ground_truth(seed=0):
    """Four 640x480 images; people of medium and large size with unlabelled joints; one crowd region."""
    rng = np.random.default_rng(seed)
    images, annotations, people = [], [], []
    for image_id, count in zip((11, 22, 33, 44), (4, 3, 5, 0)):
        images.append({"id": image_id, "file_name": f"{image_id}.jpg", "width": 640, "height": 480})
        for _ in range(count):
            height = rng.uniform(60, 300)
            origin = rng.uniform([40, 10], [600, 470 - height])
            keypoints = np.zeros((17, 3))
            keypoints[:, :2] = origin + height * _TEMPLATE + rng.normal(0, 0.01 * height, (17, 2))
            keypoints[:, 2] = rng.choice([1, 2], 17, p=[0.3, 0.7])
            hidden = rng.random(17) < 0.2
            keypoints[hidden] = 0
            keypoints[0, 2] = 2  # at least one labelled joint
            annotations.append(_annotation(len(annotations) + 1, image_id, keypoints))
            people.append((image_id, keypoints, height))
    crowd = {"id": len(annotations) + 1, "image_id": 33, "category_id": 1, "iscrowd": 1,
             "keypoints": [0.0] * 51, "num_keypoints": 0, "bbox": [400.0, 300.0, 200.0, 150.0],
             "area": 20000.0, "segmentation": {"counts": [0, 1], "size": [480, 640]}}
    annotations.append(crowd)
    categories = [{"id": 1, "name": "person", "supercategory": "person",
                   "keypoints": list(COCO17.joints), "skeleton": [list(e) for e in COCO17.skeleton]}]
    return {"images": images, "annotations": annotations, "categories": categories}, people


def _detections(people, seed=1):
    """Ground truth moved by seeded noise of varying size, some people missed, false positives added."""
    rng = np.random.default_rng(seed)
    results = []
    for image_id, keypoints, height in people:
        if rng.random() < 0.15:
            continue  # missed
        pose = keypoints.copy()
        pose[:, :2] += rng.normal(0, rng.uniform(0.002, 0.05) * height, (17, 2))
        pose[:, 2] = rng.uniform(0.05, 1.0, 17)
        results += people_to_coco_results(image_id, pose[None], [rng.uniform(0.2, 1.0)])
    for image_id in (11, 22, 33, 33, 44):
        height = rng.uniform(60, 200)
        pose = np.zeros((17, 3))
        pose[:, :2] = rng.uniform([40, 10], [600, 300]) + height * _TEMPLATE
        pose[:, 2] = rng.uniform(0.05, 1.0, 17)
        results += people_to_coco_results(image_id, pose[None], [rng.uniform(0.0, 0.9)])
    return results


def _pycocotools_stats(ground_truth, results, sigmas):
    """The independent reference: pycocotools' COCOeval with the given sigmas."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    with contextlib.redirect_stdout(io.StringIO()):
        truth = COCO()
        truth.dataset = copy.deepcopy(ground_truth)
        truth.createIndex()
        detections = truth.loadRes(copy.deepcopy(results))
        evaluator = COCOeval(truth, detections, "keypoints")
        evaluator.params.kpt_oks_sigmas = np.asarray(sigmas, float)
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    return evaluator.stats


def _perfect(ground_truth):
    """Results equal to the labelled ground truth, score 1, visibility as joint score."""
    results = []
    for ann in ground_truth["annotations"]:
        if ann.get("iscrowd") or ann["num_keypoints"] == 0:
            continue
        pose = np.asarray(ann["keypoints"], float).reshape(1, -1, 3)
        results += people_to_coco_results(ann["image_id"], pose, [1.0])
    return results


def test_matches_pycocotools_on_noisy_detections():
    ground_truth, people = _ground_truth()
    results = _detections(people)
    truth_before, results_before = copy.deepcopy(ground_truth), copy.deepcopy(results)
    metrics = evaluate_keypoints(ground_truth, results, COCO17.sigmas)
    assert tuple(metrics) == STATS_ORDER == COCO_METRICS
    reference = _pycocotools_stats(ground_truth, results, COCO17.sigmas)
    np.testing.assert_allclose([metrics[name] for name in STATS_ORDER], reference, rtol=0, atol=1e-9)
    # Neither a perfect nor a hopeless score: the comparison says something.
    assert 0.2 < metrics["AP"] < 0.95 and 0.2 < metrics["APm"] < 1 and 0.2 < metrics["APl"] < 1
    assert ground_truth == truth_before and results == results_before


def test_oks_by_hand_decides_which_thresholds_match():
    keypoints = np.zeros((17, 3))
    keypoints[:, :2] = np.array([100.0, 50.0]) + 200 * _TEMPLATE
    keypoints[:, 2] = 2
    keypoints[3:5, 2] = 0
    ann = _annotation(1, 5, keypoints)
    ground_truth = {"images": [{"id": 5}], "annotations": [ann], "categories": [{"id": 1, "name": "person"}]}
    pose = keypoints.copy()
    pose[:, 0] += 6.0
    pose[:, 1] -= 3.0
    pose[:, 2] = 0.9
    labelled = keypoints[:, 2] > 0
    squared = 6.0 ** 2 + 3.0 ** 2
    oks = np.mean(np.exp(-squared / (2 * ann["area"] * (2 * SIGMAS[labelled]) ** 2)))
    assert np.min(np.abs(THRESHOLDS - oks)) > 0.01
    metrics = evaluate_keypoints(ground_truth, people_to_coco_results(5, pose[None], [0.8]), SIGMAS)
    assert metrics["AP"] == pytest.approx(np.mean(THRESHOLDS <= oks), abs=1e-12)
    assert metrics["AR"] == pytest.approx(np.mean(THRESHOLDS <= oks), abs=1e-12)
    assert 0 < metrics["AP"] < 1


def test_perfect_detections_score_one_and_no_results_score_zero():
    ground_truth, _ = _ground_truth()
    metrics = evaluate_keypoints(ground_truth, _perfect(ground_truth), COCO17.sigmas)
    assert metrics["AP"] == 1.0 and metrics["AR"] == 1.0 and metrics["APm"] == 1.0
    empty = evaluate_keypoints(ground_truth, [], COCO17.sigmas)
    assert empty == {name: 0.0 for name in STATS_ORDER}


def test_crowdpose_sample_against_itself(tmp_path, sample):
    path = sample("crowdpose", "crowdpose.json")
    ground_truth = json.loads(path.read_text())
    assert "area" not in ground_truth["annotations"][0]
    sigmas = get_format("crowdpose14").sigmas
    results = _perfect(ground_truth)
    metrics = evaluate_keypoints(path, results, sigmas, crowdpose=True)
    assert tuple(metrics) == CROWDPOSE_METRICS == (
        "AP", "AP50", "AP75", "AR", "AR50", "AR75", "AP_easy", "AP_medium", "AP_hard")
    assert metrics["AP"] == 1.0 and metrics["AR"] == 1.0
    assert {"AP_easy", "AP_medium", "AP_hard"} <= set(metrics)
    # Both sample images have a crowd index in [0.2, 0.8): only the medium split has people.
    assert metrics["AP_medium"] == 1.0 and metrics["AP_easy"] == -1.0 and metrics["AP_hard"] == -1.0
    # The loaded dict gives the same; a missed person lowers AP.
    assert evaluate_keypoints(ground_truth, results, sigmas, crowdpose=True) == metrics
    assert evaluate_keypoints(path, results[1:], sigmas, crowdpose=True)["AP"] < 1.0


def test_people_to_coco_results_round_trip():
    rng = np.random.default_rng(3)
    poses = rng.uniform(1, 100, (3, 17, 3))
    poses[1] = 0
    results = people_to_coco_results(np.int64(7), poses, np.array([0.9, 0.5, 0.3]), category_id=1)
    assert len(results) == 2
    assert json.loads(json.dumps(results)) == results
    for result, pose, score in zip(results, poses[[0, 2]], (0.9, 0.3)):
        assert type(result["image_id"]) is int and result["image_id"] == 7
        assert result["category_id"] == 1 and type(result["score"]) is float and result["score"] == score
        assert len(result["keypoints"]) == 51 and all(type(v) is float for v in result["keypoints"])
        np.testing.assert_array_equal(np.reshape(result["keypoints"], (17, 3)), pose)
    assert people_to_coco_results(7, np.zeros((0, 17, 3)), []) == []
    with pytest.raises(DatasetError, match="scores"):
        people_to_coco_results(7, poses, [0.9])


def test_result_for_unknown_image_is_named():
    ground_truth, _ = _ground_truth()
    results = _perfect(ground_truth) + people_to_coco_results(9999, np.ones((1, 17, 3)), [0.5])
    with pytest.raises(DatasetError, match="9999"):
        evaluate_keypoints(ground_truth, results, COCO17.sigmas)


def test_wrong_number_of_sigmas_names_file_and_counts(tmp_path):
    ground_truth, _ = _ground_truth()
    path = tmp_path / "person_keypoints_val.json"
    path.write_text(json.dumps(ground_truth))
    with pytest.raises(DatasetError) as err:
        evaluate_keypoints(path, [], get_format("crowdpose14").sigmas)
    message = str(err.value)
    assert str(path) in message and "17" in message and "14" in message


@pytest.mark.parametrize("field", ["annotations", "images"])
def test_missing_field_names_file_and_field(tmp_path, field):
    ground_truth, _ = _ground_truth()
    del ground_truth[field]
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(ground_truth))
    with pytest.raises(DatasetError) as err:
        evaluate_keypoints(path, [], COCO17.sigmas)
    assert str(path) in str(err.value) and field in str(err.value)
    with pytest.raises(DatasetError, match=field):
        evaluate_keypoints(ground_truth, [], COCO17.sigmas)


def test_missing_xtcocotools_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "xtcocotools.coco", None)
    with pytest.raises(ImportError) as err:
        evaluate_keypoints({"images": [], "annotations": [], "categories": []}, [], COCO17.sigmas)
    assert isinstance(err.value, (XtcocotoolsMissing, PosecutError))
    assert "pip install --no-binary xtcocotools xtcocotools==1.14.3" in str(err.value)


def test_metrics_table():
    table = format_metrics_table({"AP": 0.71345, "AP50": 1.0, "APm": -1.0}, title="val2017")
    lines = table.splitlines()
    assert lines[0] == "val2017" and len(lines) == 5
    assert lines[2].split() == ["AP", "71.3"]
    assert lines[3].split() == ["AP50", "100.0"]
    assert lines[4].split() == ["APm", "n/a"]
    assert len({len(line) for line in lines[2:]}) == 1


@pytest.mark.parametrize("file_name, format_name", [("halpe_fullbody.json", "halpe136"),
                                                    ("person_keypoints.json", "coco17")])
def test_other_format_samples_against_themselves(file_name, format_name, sample):
    """A format's own sigmas evaluate its sample; a person moved by a few pixels lowers AP."""
    path = sample("coco", file_name)
    ground_truth = json.loads(path.read_text())
    sigmas = get_format(format_name).sigmas
    assert len(ground_truth["annotations"][0]["keypoints"]) == 3 * len(sigmas)
    results = _perfect(ground_truth)
    assert evaluate_keypoints(path, results, sigmas)["AP"] == 1.0
    moved = copy.deepcopy(results)
    biggest = max(range(len(moved)),
                  key=lambda i: sum(v > 0 for v in moved[i]["keypoints"][2::3]))
    moved[biggest]["keypoints"] = [v + 6.0 if i % 3 < 2 else v
                                   for i, v in enumerate(moved[biggest]["keypoints"])]
    assert evaluate_keypoints(path, moved, sigmas)["AP"] < 1.0


def test_ground_truth_of_some_images_keeps_theirs_only(tmp_path):
    data = {"images": [{"id": 1}, {"id": 2}, {"id": 3}], "categories": [{"id": 1}],
            "annotations": [{"id": 10, "image_id": 1}, {"id": 11, "image_id": 3},
                            {"id": 12, "image_id": 3}]}
    path = tmp_path / "gt.json"
    path.write_text(json.dumps(data))
    cut = ground_truth_of(path, [3, 1])
    assert [i["id"] for i in cut["images"]] == [1, 3]
    assert [a["id"] for a in cut["annotations"]] == [10, 11, 12]
    assert ground_truth_of(path, [2])["annotations"] == [] and cut["categories"] == data["categories"]
    path.write_text("[]")
    with pytest.raises(DatasetError, match="gt.json: expected a COCO keypoint file"):
        ground_truth_of(path, [1])
