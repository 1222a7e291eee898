"""A held-out split by image, fixed by the seed."""
import json

import pytest

from dataset.split import split_coco, split_image_ids, write_split
from lib.errors import DatasetError


def _coco(images=20):
    return {"categories": [{"id": 1, "name": "mouse"}],
            "images": [{"id": i, "file_name": f"f{i}.png", "height": 4, "width": 4}
                       for i in range(images)],
            "annotations": [{"id": 100 + i, "image_id": i % images, "category_id": 1}
                            for i in range(2 * images)]}


def test_the_split_is_disjoint_complete_and_fixed_by_the_seed():
    ids = list(range(40))
    train, test = split_image_ids(ids, 0.1, seed=3)
    assert len(test) == 4 and sorted(train + test) == ids and not set(train) & set(test)
    assert split_image_ids(ids, 0.1, seed=3) == (train, test)
    assert split_image_ids(ids, 0.1, seed=4)[1] != test
    assert len(split_image_ids(ids[:3], 0.01, seed=0)[1]) == 1  # at least one held out
    assert len(split_image_ids(ids[:3], 0.99, seed=0)[0]) == 1  # and one kept
    with pytest.raises(ValueError, match="test_fraction"):
        split_image_ids(ids, 1.0, seed=0)
    with pytest.raises(ValueError, match="at least 2 images"):
        split_image_ids(ids[:1], 0.5, seed=0)


def test_annotations_follow_their_images():
    data = _coco()
    train, test = split_coco(data, 0.25, seed=1)
    test_ids = {im["id"] for im in test["images"]}
    assert len(test_ids) == 5 and train["categories"] == data["categories"]
    assert all(a["image_id"] in test_ids for a in test["annotations"])
    assert not any(a["image_id"] in test_ids for a in train["annotations"])
    assert len(train["annotations"]) + len(test["annotations"]) == len(data["annotations"])
    with pytest.raises(DatasetError, match="x.json: images"):
        split_coco({"annotations": []}, 0.5, 0, source="x.json")


def test_written_files_find_the_same_images(tmp_path):
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "f3.png").write_bytes(b"")
    path = tmp_path / "all.json"
    path.write_text(json.dumps(_coco(10)))
    train_path, test_path, absolute = write_split(str(path), str(tmp_path / "split"), 0.3, seed=2)
    files = {im["id"]: im["file_name"] for name in (train_path, test_path)
             for im in json.load(open(name))["images"]}
    assert files[3] == str(tmp_path / "images" / "f3.png")  # found in images/, outside split/
    assert files[4] == str(tmp_path / "f4.png")  # not found: beside the file, as the loader
    assert absolute == 10 and len(json.load(open(test_path))["images"]) == 3
    # split into a folder above the images: relative names, which the loaders take as they are
    _, _, absolute = write_split(str(path), str(tmp_path), 0.3, seed=2)
    files = {im["id"]: im["file_name"] for name in ("train.json", "test.json")
             for im in json.load(open(tmp_path / name))["images"]}
    assert absolute == 0 and files[3] == "images/f3.png" and files[4] == "f4.png"


def test_split_command(tmp_path, capsys):
    from posecut.cli import main

    path = tmp_path / "all.json"
    path.write_text(json.dumps(_coco(10)))
    assert main(["split", str(path), "--output", str(tmp_path / "s"), "--test-fraction", "0.2",
                 "--seed", "5"]) == 0
    out = capsys.readouterr().out
    assert "split by seed 5" in out and "10 image names lie outside" in out
    test = json.load(open(tmp_path / "s" / "test.json"))
    assert [im["id"] for im in test["images"]] == split_image_ids(list(range(10)), 0.2, 5)[1]
