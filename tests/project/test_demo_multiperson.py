"""The multi-person demo end to end: the bundled model on the bundled image, and its errors."""
import json
import os

import imageio.v3 as iio
import pytest

import demo.demo_multiperson as demo_multi
from dataset.coco_eval import evaluate_keypoints
from dataset.keypoint_formats import get_format
from conftest import ROOT

TRUTH = os.path.join(ROOT, "demo", "images", "people.json")

# The bundled model finds the bundled image's six people this well (docs/benchmarks.md).
MIN_AP = 0.2  # measured: 0.277


def test_bundled_model_finds_the_people_of_the_bundled_image(tmp_path, capsys):
    args = demo_multi.parse_args(["--output", str(tmp_path / "people.png")])
    png, json_path, people = demo_multi.run(args)
    assert iio.imread(png).shape[1] == 640
    results = json.load(open(json_path))
    assert len(results) == len(people.poses) > 0
    assert all(r["image_id"] == 1 and len(r["keypoints"]) == 51 for r in results)
    metrics = evaluate_keypoints(TRUTH, results, get_format("coco17").sigmas)
    assert metrics["AP"] >= MIN_AP
    assert "ms per stage: network" in capsys.readouterr().out


def test_errors_name_the_file(tmp_path):
    (tmp_path / "bad.png").write_bytes(b"not an image")
    with pytest.raises(SystemExit, match="bad.png: cannot decode image"):
        demo_multi.main(["--image", str(tmp_path / "bad.png"), "--output",
                         str(tmp_path / "o.png")])
    with pytest.raises(SystemExit, match="missing"):
        demo_multi.main(["--weights", str(tmp_path / "missing"), "--output",
                         str(tmp_path / "o.png")])
