"""Data-set loaders: real samples in native formats, ignore masks, the dataset.mat round trip, errors."""
import copy
import json
import logging
import os
import re

import imageio.v3 as iio
import numpy as np
import pytest
import scipy.io as sio

from dataset import loaders
from dataset.coco import detect_format, load_coco
from dataset.deepercut_mat import load_deepercut_mat, write_deepercut_mat
from dataset.keypoint_formats import get_format
from dataset.loaders import (LoadOptions, load_dataset, load_dataset_from_config, read_source, register_loader,
                             registered_loaders, source_layouts)
from dataset.mpii import load_mpii_json
from dataset.records import Dataset, ImageRecord, Region
from posecut.config import config_from_dict
from lib.errors import ConfigError, DatasetError



def _image(path, height, width):
    """Write a small grey PNG and return its path."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    iio.imwrite(path, np.full((height, width, 3), 100, np.uint8))
    return str(path)


def _people_in_json(raw, image_id):
    """The raw keypoint rows (J, 3) of an image's labelled, non-crowd people, in file order."""
    rows = []
    for ann in raw["annotations"]:
        if ann["image_id"] == image_id and not ann.get("iscrowd") and any(ann["keypoints"][2::3]):
            rows.append(np.asarray(ann["keypoints"], np.float64).reshape(-1, 3))
    return rows


# ---------------------------------------------------------------------------------------------
# Real samples.


def test_coco_sample_matches_the_raw_json(samples):
    path = os.path.join(samples, "coco", "person_keypoints.json")
    data = load_dataset("coco", path)
    raw = json.load(open(path))
    assert data.format_name == "coco17" and data.num_joints == 17 and data.num_skipped == 0
    assert [r.image_id for r in data.records] == [im["id"] for im in raw["images"]]
    people = sum(r.num_people for r in data.records)
    ignored = sum(len(r.ignore_regions) for r in data.records)
    assert (people, ignored) == (12, 2) and people + ignored == len(raw["annotations"]) == 14
    first = data.records[0]
    assert first.image_id == 785 and (first.height, first.width) == (425, 640)
    assert first.image_path == os.path.abspath(os.path.join(samples, "coco", "000000000785.jpg"))
    np.testing.assert_array_equal(first.joints[0, 0], [367, 81, 2])     # annotation 442619, nose
    np.testing.assert_array_equal(first.joints[0, 16], [396, 341, 2])   # right ankle
    for record in data.records:
        expected = _people_in_json(raw, record.image_id)
        assert record.joints.dtype == np.float32 and record.joints.shape == (len(expected), 17, 3)
        for got, want in zip(record.joints, expected):
            np.testing.assert_array_equal(got, want)
    second = data.records[1]
    np.testing.assert_array_equal(second.joints[0, 3], [0, 0, 0])      # unlabelled left ear
    np.testing.assert_array_equal(second.joints[0, 11], [57, 246, 1])  # hidden left hip


def test_coco_sample_masks_unlabelled_people(samples):
    data = load_dataset("coco", os.path.join(samples, "coco", "person_keypoints.json"))
    by_id = {r.image_id: r for r in data.records}
    assert by_id[785].ignore_mask() is None
    mask = by_id[40083].ignore_mask()  # annotation 508900: num_keypoints 0, polygon of area 491
    assert mask.shape == (333, 500) and mask.dtype == bool
    assert 400 < mask.sum() < 600
    person = by_id[785].person_mask(0)  # the segmentation of annotation 442619 (area 27789)
    assert person.shape == (425, 640) and abs(int(person.sum()) - 27789) < 300


def test_crowdpose_sample_infers_its_format_and_needs_no_area(samples):
    path = os.path.join(samples, "crowdpose", "crowdpose.json")
    raw = json.load(open(path))
    assert all("area" not in a for a in raw["annotations"])
    data = load_dataset("coco", path)
    assert data.format_name == "crowdpose14" and data.num_joints == 14
    record = {r.image_id: r for r in data.records}[106848]
    np.testing.assert_array_equal(record.joints[0, 1], [208, 108, 2])
    np.testing.assert_array_equal(record.joints[0, 12], [256, 27, 1])
    mask = record.ignore_mask()  # annotation 131039: no keypoints, no segmentation, bbox only
    x, y, w, h = 108.5, 96.78, 35.46, 30.23
    assert mask[int(y + h / 2), int(x + w / 2)] and mask[98, 110] and mask[125, 142]
    assert not mask[int(y) - 2, int(x + w / 2)] and not mask[int(y + h / 2), int(x + w) + 2]
    assert mask.sum() == pytest.approx(w * h, rel=0.1)


def test_ochuman_sample_with_rle_segmentations(samples):
    path = os.path.join(samples, "ochuman", "ochuman.json")
    raw = json.load(open(path))
    data = load_dataset("coco", path, keypoint_format="ochuman")
    assert data.format_name == "ochuman" and [r.num_people for r in data.records] == [1, 2, 2]
    for record in data.records:
        anns = [a for a in raw["annotations"] if a["image_id"] == record.image_id]
        for i, ann in enumerate(anns):
            np.testing.assert_allclose(record.joints[i], np.reshape(ann["keypoints"], (17, 3)), rtol=1e-6)
            mask = record.person_mask(i)
            labelled = record.joints[i][record.joints[i, :, 2] > 0]
            on_person = mask[np.rint(labelled[:, 1]).astype(int), np.rint(labelled[:, 0]).astype(int)]
            assert on_person.mean() > 0.7  # the decoded RLE lies on the person's joints
            assert mask.shape == (record.height, record.width) and mask.sum() > 50000


def test_mpii_sample_is_zero_based_with_unlabelled_joints(samples):
    path = os.path.join(samples, "mpii", "mpii.json")
    raw = json.load(open(path))
    data = load_dataset("mpii", path)
    assert data.format_name == "mpii16" and data.num_joints == 16 and len(data.records) == 5
    for index, (record, entry) in enumerate(zip(data.records, raw)):
        assert record.image_id == index and record.num_people == 1
        assert record.image_path.endswith(entry["image"])
        height, width = iio.imread(record.image_path).shape[:2]
        assert (record.height, record.width) == (height, width)
        for k, ((x, y), vis) in enumerate(zip(entry["joints"], entry["joints_vis"])):
            want = [x - 1, y - 1, 2] if vis else [0, 0, 0]
            np.testing.assert_allclose(record.joints[0, k], want, atol=1e-4)
    assert (data.records[2].joints[0, [0, 5], 2] == 0).all()  # the (-1, -1) joints of 051423444.jpg


# ---------------------------------------------------------------------------------------------
# COCO files made here.

H, W = 40, 60


def _crowd_rle():
    """Uncompressed column-major RLE of rows 2..9, columns 40..49, and that mask."""
    mask = np.zeros((H, W), bool)
    mask[2:10, 40:50] = True
    flat = mask.flatten(order="F")
    counts, current, run = [], False, 0
    for value in flat:
        if value != current:
            counts.append(run)
            current, run = value, 0
        run += 1
    counts.append(run)
    return {"size": [H, W], "counts": counts}, mask


def _coco(tmp_path, name="person_keypoints.json", images=None, annotations=None):
    """Write a COCO keypoint JSON (coco17) with one 40 x 60 image by default; return its path."""
    keypoints = [0, 0, 0] * 17
    keypoints[0:3] = [12.5, 7.25, 2]
    keypoints[3:6] = [3, 4, 0]  # unlabelled, with stray coordinates
    keypoints[15:18] = [20, 30, 1]
    rle, _ = _crowd_rle()
    data = {
        "images": images if images is not None else [{"id": 1, "file_name": "a.png", "height": H, "width": W}],
        "annotations": annotations if annotations is not None else [
            {"id": 7, "image_id": 1, "iscrowd": 0, "num_keypoints": 2, "keypoints": keypoints,
             "bbox": [10, 5, 15, 30], "segmentation": [[10, 5, 25, 5, 25, 35, 10, 35]]},
            {"id": 8, "image_id": 1, "iscrowd": 1, "num_keypoints": 1, "keypoints": [45, 5, 2] + [0] * 48,
             "bbox": [40, 2, 10, 8], "segmentation": rle},
            {"id": 9, "image_id": 1, "iscrowd": 0, "num_keypoints": 0, "keypoints": [0] * 51,
             "bbox": [30, 20, 12, 12], "segmentation": [[30, 20, 42, 20, 42, 32, 30, 32]]},
            {"id": 10, "image_id": 1, "iscrowd": 0, "num_keypoints": 0, "keypoints": [0] * 51,
             "bbox": [2, 30, 6, 8]},
        ],
        "categories": [{"id": 1, "name": "person", "keypoints": ["k%d" % i for i in range(17)]}],
    }
    for image in data["images"]:
        _image(tmp_path / image["file_name"], image["height"], image["width"])
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return str(path)


def test_ignore_mask_covers_crowds_and_unlabelled_people_only(tmp_path):
    data = load_coco(_coco(tmp_path), keypoint_format="coco17")
    (record,) = data.records
    assert record.num_people == 1  # a crowd is never a person, even with a labelled joint
    np.testing.assert_array_equal(record.joints[0, 0], [12.5, 7.25, 2])
    np.testing.assert_array_equal(record.joints[0, 5], [20, 30, 1])
    assert not record.joints[0, 1].any()
    mask = record.ignore_mask()
    assert mask.shape == (H, W) and mask.dtype == bool
    _, crowd = _crowd_rle()
    np.testing.assert_array_equal(mask[0:12, 38:52], crowd[0:12, 38:52])  # the crowd RLE, exactly
    assert mask[21:31, 31:41].all()                    # polygon of the person without keypoints
    assert mask[31:37, 3:7].all()                      # bbox of the person without segmentation
    assert not mask[6:34, 11:24].any()                 # the labelled person stays a person
    outside = np.ones((H, W), bool)
    outside[0:12, 38:52] = outside[19:34, 29:44] = outside[29:40, 1:9] = False
    assert not mask[outside].any()
    assert [r.origin.split(": ")[-1] for r in record.ignore_regions] == [
        "annotation id 8 (crowd)", "annotation id 9 (person without labelled keypoints)",
        "annotation id 10 (person without labelled keypoints)"]
    assert record.person_mask(0)[6:34, 11:24].all() and not record.person_mask(0)[0:4].any()


def test_only_images_with_people_follows_deepercut(tmp_path):
    images = [{"id": i, "file_name": f"{i}.png", "height": H, "width": W} for i in range(1, 5)]
    person = [1, 2, 2] + [0] * 48
    annotations = [
        {"id": 1, "image_id": 1, "keypoints": person, "bbox": [0, 0, 5, 5]},
        {"id": 2, "image_id": 3, "iscrowd": 1, "bbox": [0, 0, 5, 5]},  # crowds need no keypoints
        {"id": 3, "image_id": 4, "keypoints": [0] * 51, "bbox": [0, 0, 5, 5]},
    ]
    path = _coco(tmp_path, images=images, annotations=annotations)
    kept = load_coco(path, keypoint_format="coco17")
    assert [r.image_id for r in kept.records] == [1, 4]  # 2 has nobody, 3 only a crowd
    assert kept.records[1].num_people == 0 and kept.records[1].ignore_mask()[2, 2]
    everything = load_coco(path, keypoint_format="coco17", only_images_with_people=False)
    assert [r.image_id for r in everything.records] == [1, 2, 3, 4]
    assert everything.records[1].ignore_mask() is None and everything.records[1].joints.shape == (0, 17, 3)


def test_deepercut_coco_root_layout(tmp_path):
    json_path = _coco(tmp_path / "src")
    root = tmp_path / "coco"
    os.makedirs(root / "annotations")
    os.rename(json_path, root / "annotations" / "person_keypoints_val2017.json")
    _image(root / "images" / "val2017" / "a.png", H, W)
    data = load_dataset("coco", root, phase="val2017", keypoint_format="coco17")
    assert data.records[0].image_path == str(root / "images" / "val2017" / "a.png")
    assert data.source == str(root / "annotations" / "person_keypoints_val2017.json")
    with pytest.raises(DatasetError, match=r"coco: expected the COCO annotation file "
                                           r"annotations/image_info_test2017\.json"):
        load_dataset("coco", root, phase="test2017", ann="image_info")


def test_synthetic_dataset_loads_with_images_beside_the_json(tmp_path):
    from dataset.synthetic import generate_dataset

    path = generate_dataset(tmp_path / "synth", 2, 48, 48, people=(2, 3), seed=3)
    raw = json.load(open(path))
    data = load_dataset("coco", path)
    assert data.format_name == "coco17" and len(data.records) == 2
    for record in data.records:
        assert os.path.dirname(record.image_path) == str(tmp_path / "synth")
        expected = _people_in_json(raw, record.image_id)
        assert record.num_people == len(expected) > 0
        for got, want in zip(record.joints, expected):
            np.testing.assert_allclose(got, want, atol=1e-4)


# ---------------------------------------------------------------------------------------------
# DeeperCut's dataset.mat.


def _records(tmp_path):
    """Records with several, one and no people, one image outside the .mat's folder."""
    a = np.zeros((2, 14, 3), np.float32)
    a[0, [0, 3, 13]] = [[10.5, 20, 2], [11, 21.25, 2], [30, 5, 2]]
    a[1, 7] = [44, 33, 2]
    b = np.zeros((1, 14, 3), np.float32)
    b[0, :] = np.column_stack([np.arange(14), np.arange(14) * 2, np.full(14, 2)])
    return [
        ImageRecord(_image(tmp_path / "mat" / "img" / "a.png", 50, 60), 0, 50, 60, a),
        ImageRecord(_image(tmp_path / "elsewhere" / "b.png", 30, 40), 1, 30, 40, b),
        ImageRecord(_image(tmp_path / "mat" / "c.png", 20, 25), 2, 20, 25, np.zeros((0, 14, 3))),
    ]


def test_dataset_mat_round_trip_and_deepercut_layout(tmp_path):
    records = _records(tmp_path)
    path = tmp_path / "mat" / "dataset.mat"
    assert write_deepercut_mat(records, path) == 1  # elsewhere/b.png: written absolute
    data = load_dataset("default", path, keypoint_format="mpii14", allow_absolute_paths=True)
    assert list(data.records) == records
    refused = load_dataset("default", path, keypoint_format="mpii14")  # absolute, outside mat/
    assert list(refused.records) == [records[0], records[2]]
    assert refused.skipped[0].startswith(f"record 1: file_name {tmp_path / 'elsewhere' / 'b.png'}: an absolute "
                                         "path outside the image folders searched")
    assert "allow_absolute_image_paths: true" in refused.skipped[0]
    assert data.format_name == "mpii14" and data.num_joints == 14 and data.source == str(path)
    raw = sio.loadmat(str(path))["dataset"]
    assert raw.shape == (1, 3)
    sample = raw[0, 0]  # what DeeperCut's pose_dataset.py reads
    assert sample[0][0] == os.path.join("img", "a.png")
    np.testing.assert_array_equal(sample[1][0], [3, 50, 60])
    np.testing.assert_array_equal(sample[2][0][0], [[0, 10.5, 20], [3, 11, 21.25], [13, 30, 5]])
    assert raw[0, 1][0][0] == str(tmp_path / "elsewhere" / "b.png")
    assert raw[0, 2][2][0][0].shape == (0, 3)  # DeeperCut's loader needs one (empty) person


def test_dataset_mat_drops_what_it_cannot_hold(tmp_path, caplog):
    joints = np.zeros((2, 3, 3), np.float32)
    joints[0, 1] = [5, 6, 1]
    region = Region("box", (1.0, 1.0, 3.0, 3.0), "test")
    record = ImageRecord(_image(tmp_path / "a.png", 10, 10), 0, 10, 10, joints, (region,))
    with caplog.at_level(logging.WARNING):
        write_deepercut_mat([record], tmp_path / "dataset.mat")
    assert "1 hidden joints are written as labelled, 1 ignore/person regions are dropped" in caplog.text
    (back,) = load_deepercut_mat(tmp_path / "dataset.mat").records
    assert back.num_people == 1 and back.num_joints == 2 and back.ignore_regions == ()
    np.testing.assert_array_equal(back.joints[0, 1], [5, 6, 2])


def _mat(path, entries, fields=("image", "size", "joints")):
    """Write a MATLAB-style ``dataset`` struct array from (image, size, joints) tuples."""
    table = np.zeros((1, len(entries)), dtype=[(f, object) for f in fields])
    for i, entry in enumerate(entries):
        table[0, i] = entry
    sio.savemat(str(path), {"dataset": table})
    return str(path)


def test_dataset_mat_as_matlab_wrote_it(tmp_path, monkeypatch):
    _image(tmp_path / "work" / "frames" / "f.png", 30, 40)
    joints = np.array([[0, 3, 4], [2, 5, 6]], np.int32)  # one bare n x 3 int32 array: one person
    os.makedirs(tmp_path / "data")
    path = _mat(tmp_path / "data" / "dataset.mat", [("frames/f.png", np.array([[3, 30, 40]], np.uint16), joints)])
    monkeypatch.chdir(tmp_path)
    assert load_deepercut_mat(path).num_skipped == 1  # neither beside the .mat nor under the working folder
    monkeypatch.chdir(tmp_path / "work")  # DeeperCut opened the stored path from its working folder
    data = load_dataset("default", path)
    (record,) = data.records
    assert data.num_joints == 3 and data.format_name is None  # largest joint id + 1
    assert record.image_path == str(tmp_path / "work" / "frames" / "f.png")
    np.testing.assert_array_equal(record.joints[0], [[3, 4, 2], [0, 0, 0], [5, 6, 2]])
    assert load_dataset("mpii", path).format_name == "mpii14"  # DeeperCut's dataset_type: mpii
    assert load_dataset("default", path, num_joints=5).num_joints == 5


# ---------------------------------------------------------------------------------------------
# Missing images are reported and counted, never silently dropped.


def test_missing_images_are_logged_skipped_and_counted(tmp_path, caplog):
    coco = _coco(tmp_path / "coco")
    os.remove(tmp_path / "coco" / "a.png")
    records = _records(tmp_path)
    write_deepercut_mat(records, tmp_path / "mat" / "dataset.mat")
    os.remove(records[0].image_path)
    mpii = tmp_path / "mpii" / "mpii.json"
    _image(tmp_path / "mpii" / "images" / "here.jpg", 20, 30)
    entry = {"image": "here.jpg", "joints": [[5, 6]] * 16, "joints_vis": [1] * 16}
    mpii.write_text(json.dumps([entry, {**entry, "image": "gone.jpg"}]))
    with caplog.at_level(logging.WARNING):
        cases = [(load_dataset("coco", coco, keypoint_format="coco17"), str(tmp_path / "coco" / "a.png"), 0),
                 (load_dataset("default", tmp_path / "mat" / "dataset.mat", allow_absolute_paths=True),
                  records[0].image_path, 2),
                 (load_dataset("mpii", mpii), str(tmp_path / "mpii" / "gone.jpg"), 1)]
    coco_data = cases.pop(0)[0]
    assert coco_data.records == () and coco_data.skipped[0].startswith("image id 1 (a.png): image file a.png not found")
    assert "image id 1 (a.png): image file a.png not found" in caplog.text
    for data, missing, left in cases:
        assert data.num_skipped == 1 and data.skipped == (missing,) and len(data.records) == left
        assert f"image file not found: {missing}; record skipped" in caplog.text
    assert cases[1][0].records[0].image_path == str(tmp_path / "mpii" / "images" / "here.jpg")
    assert "skipped 1 of 3 records whose image file is missing" in caplog.text


# ---------------------------------------------------------------------------------------------
# Malformed input: each error names the file, the record and the field.


COCO_ERRORS = [
    (lambda d: d["images"][0].pop("file_name"), r"images\[0\]: image id 1: file_name: missing"),
    (lambda d: d["images"][0].update(height=12.5), r"images\[0\]: image id 1: height: expected a positive integer"),
    (lambda d: d["images"].insert(0, dict(d["images"][0], file_name="b.png")),
     r"images\[1\]: image id 1 repeats images\[0\]"),
    (lambda d: d["annotations"][0]["keypoints"].pop(), r"annotation id 7: keypoints: expected 51 numbers "
                                                       r"\(17 joints x 3: x, y, v\), got 50"),
    (lambda d: d["annotations"][0]["keypoints"].__setitem__(3, "12"),
     r"annotation id 7: keypoints\[3\]: expected a number, got '12'"),
    (lambda d: d["annotations"][0]["keypoints"].__setitem__(4, None),
     r"annotation id 7: keypoints\[4\]: expected a number, got None"),
    (lambda d: d["annotations"][0]["keypoints"].__setitem__(5, 3),
     r"annotation id 7: keypoints of joint 1: expected a coco visibility code \(0, 1, 2\), got 3"),
    (lambda d: d["annotations"][0].update(image_id=99), r"annotation id 7: image_id: 99 is not the id"),
    (lambda d: d["annotations"][0].pop("id"), r"annotations\[0\]: id: missing"),
    (lambda d: d["annotations"][1].update(iscrowd=2), r"annotation id 8: iscrowd: expected 0 or 1, got 2"),
    (lambda d: d["annotations"][1]["segmentation"].update(size=[10, 10]),
     r"annotation id 8: segmentation.size: expected \[40, 60\]"),
    (lambda d: d["annotations"][1]["segmentation"]["counts"].append(5),
     r"annotation id 8: segmentation.counts: expected non-negative integer run lengths adding up to 40 x 60"),
    (lambda d: d["annotations"][2].update(segmentation=[[1, 2, "x", 4, 5, 6]]),
     r"annotation id 9: segmentation\[0\]\[2\]: expected a number"),
    (lambda d: d["annotations"][2].update(segmentation="polygon"), r"annotation id 9: segmentation: expected a list"),
    (lambda d: d["annotations"][3].pop("bbox"), r"annotation id 10: no labelled joint, box or segmentation"),
    (lambda d: d["annotations"][3].update(bbox=[1, 2, 3]), r"annotation id 10: bbox: expected \[x, y, width"),
]


@pytest.mark.parametrize("mutate, message", COCO_ERRORS)
def test_a_malformed_coco_record_is_skipped_naming_record_and_field(tmp_path, mutate, message, caplog):
    """One bad image entry or annotation costs its image, reported with the record and the field;
    the other images of the file still load."""
    path = _coco(tmp_path)
    data = json.loads(open(path).read())
    good = {"id": 2, "file_name": "good.png", "height": H, "width": W}
    _image(tmp_path / "good.png", H, W)
    mutate(data)
    data["images"].append(good)
    data["annotations"].append({"id": 70, "image_id": 2, "iscrowd": 0, "keypoints": [5, 5, 2] + [0] * 48,
                                "bbox": [0, 0, 10, 10]})
    with open(path, "w") as f:
        json.dump(data, f)
    with caplog.at_level(logging.WARNING):
        loaded = load_coco(path, keypoint_format="coco17")
    image_kept = any(s in message for s in ("no labelled joint", "image_id: 99", "annotations\\[0\\]"))
    assert [r.image_id for r in loaded.records] == ([1, 2] if image_kept else [2])
    assert loaded.num_skipped >= 1 and any(re.search(message, s) for s in loaded.skipped), loaded.skipped
    assert re.search(r"person_keypoints\.json: .*" + message, caplog.text)


def test_coco_file_and_option_errors(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"images": [}')
    with pytest.raises(DatasetError, match=r"bad\.json: not valid JSON: .*line 1"):
        load_coco(bad)
    bad.write_text("[]")
    with pytest.raises(DatasetError, match=r"bad\.json: expected a COCO object"):
        load_coco(bad)
    with pytest.raises(DatasetError, match=r"nothere\.json: no such annotation file"):
        load_coco(tmp_path / "nothere.json")
    path = _coco(tmp_path)
    with pytest.raises(DatasetError, match=r"person_keypoints\.json: keypoint_format: unknown keypoint format 'cocoo'"):
        load_coco(path, keypoint_format="cocoo")
    with pytest.raises(DatasetError, match=r"num_joints: expected 17, the joint count of keypoint format 'coco17'"):
        load_coco(path, keypoint_format="coco17", num_joints=14)
    with pytest.raises(DatasetError, match=r"bad\.json: images: missing; expected a list"):
        bad.write_text(json.dumps({"annotations": []}))
        load_coco(bad)
    with pytest.raises(DatasetError, match=r"annotations: expected a list of person annotations, got dict"):
        bad.write_text(json.dumps({"images": [], "annotations": {}}))
        load_coco(bad, keypoint_format="coco17")
    skipped = load_coco(path, keypoint_format="crowdpose14")
    assert skipped.records == () and "annotation id 7: keypoints: expected 42 numbers (14 joints" in skipped.skipped[0]
    data = load_coco(path)  # names k0..k16 match no format: the count comes from the category
    assert data.format_name is None and data.num_joints == 17 and len(data.records) == 1


MPII_ERRORS = [
    (lambda d: d[1].pop("image"), r"record 1: image: missing"),
    (lambda d: d[1]["joints"].pop(), r"record 1: joints: expected 16 \[x, y\] pairs .*got 15"),
    (lambda d: d[1]["joints"].__setitem__(3, [1, "2"]), r"record 1: joints\[3\]\[1\]: expected a number"),
    (lambda d: d[1]["joints"].__setitem__(3, [1]), r"record 1: joints\[3\]: expected an \[x, y\] pair"),
    (lambda d: d[1]["joints_vis"].__setitem__(2, 2), r"record 1: joints_vis of joint 2: expected a mpii_json visibility code \(0, 1\), got 2"),
    (lambda d: d[1].pop("joints_vis"), r"record 1: joints_vis: missing"),
    (lambda d: d.__setitem__(1, "x.jpg"), r"record 1: expected an object with field 'image'"),
]


@pytest.mark.parametrize("mutate, message", MPII_ERRORS)
def test_mpii_errors_name_file_record_and_field(tmp_path, mutate, message):
    _image(tmp_path / "p.jpg", 20, 30)
    entry = {"image": "p.jpg", "center": [10, 10], "scale": 1.0, "joints": [[5, 6]] * 16, "joints_vis": [1] * 16}
    data = [copy.deepcopy(entry), copy.deepcopy(entry)]
    mutate(data)
    path = tmp_path / "mpii.json"
    path.write_text(json.dumps(data))
    with pytest.raises(DatasetError, match=r"mpii\.json: " + message):
        load_mpii_json(path)


def test_mpii_file_and_format_errors(tmp_path):
    path = tmp_path / "mpii.json"
    path.write_text('{"image": "a.jpg"}')
    with pytest.raises(DatasetError, match=r"mpii\.json: expected a list of MPII person records, got dict"):
        load_mpii_json(path)
    path.write_text("[{")
    with pytest.raises(DatasetError, match=r"mpii\.json: not valid JSON"):
        load_mpii_json(path)
    with pytest.raises(DatasetError, match=r"mpii\.json: keypoint_format: expected 'mpii16'"):
        load_mpii_json(path, keypoint_format="coco17")
    _image(tmp_path / "a.jpg", 20, 30)
    path.write_text(json.dumps([{"image": "a.jpg"}]))  # a test split: no joints
    (record,) = load_mpii_json(path, keypoint_format="mpii16").records
    assert record.joints.shape == (0, 16, 3) and (record.height, record.width) == (20, 30)
    (tmp_path / "b.jpg").write_bytes(b"not an image")
    path.write_text(json.dumps([{"image": "b.jpg"}]))
    with pytest.raises(DatasetError, match=r"mpii\.json: record 0: image: cannot read the size of .*b\.jpg"):
        load_mpii_json(path)


def test_dataset_mat_errors_name_file_record_and_field(tmp_path):
    _image(tmp_path / "a.png", 10, 10)
    size = np.array([[3, 10, 10]], float)
    person = r"record 0: joints \(person 0\): expected "
    cases = [
        ([("a.png", size, np.array([[0, 1.5, 2], [1, 3, 4]]))], {"num_joints": 1},
         r"record 0: joints \(person 0\): expected joint ids below 1 \(num_joints\), got 1"),
        ([("a.png", size, np.array([[0.5, 1, 2]]))], {}, person + "0-based integer"),
        ([("a.png", size, np.array([[1, 1, 2], [1, 3, 4]]))], {}, person + "each joint id once"),
        ([("a.png", size, np.array([[1, 2]]))], {}, person + "an n x 3 numeric"),
        ([("a.png", size, np.array([[0, np.nan, 2]]))], {}, person + "finite"),
        ([("a.png", size, np.zeros((0, 3))), ("a.png", np.array([[10, 10]], float), np.zeros((0, 3)))], {},
         r"record 1: size: expected \[channels, height, width\]"),
        ([("a.png", np.array([[3, 0, 10]], float), np.zeros((0, 3)))], {}, r"record 0: size: expected positive"),
        ([(np.zeros((1, 1)), size, np.zeros((0, 3)))], {}, r"record 0: image: expected a non-empty path"),
    ]
    for entries, options, message in cases:
        path = _mat(tmp_path / "dataset.mat", entries)
        with pytest.raises(DatasetError, match=r"dataset\.mat: " + message):
            load_deepercut_mat(path, **options)
    path = _mat(tmp_path / "dataset.mat", [("a.png", size)], fields=("image", "size"))
    assert load_deepercut_mat(path).records[0].num_people == 0  # no joints field: a test set
    path = _mat(tmp_path / "dataset.mat", [("a.png",)], fields=("image",))
    with pytest.raises(DatasetError, match=r"dataset\.mat: dataset\.size: missing"):
        load_deepercut_mat(path)
    sio.savemat(str(tmp_path / "other.mat"), {"annolist": np.zeros(3)})
    with pytest.raises(DatasetError, match=r"other\.mat: dataset: missing; .*variables found: annolist"):
        load_deepercut_mat(tmp_path / "other.mat")
    (tmp_path / "text.mat").write_text("not a mat file")
    with pytest.raises(DatasetError, match=r"text\.mat: cannot read as a MATLAB \.mat file"):
        load_deepercut_mat(tmp_path / "text.mat")
    with pytest.raises(DatasetError, match=r"gone\.mat: no such dataset \.mat file"):
        load_deepercut_mat(tmp_path / "gone.mat")


# ---------------------------------------------------------------------------------------------
# The one interface and its config layer.


def test_load_dataset_from_config_and_kinds(tmp_path):
    path = _coco(tmp_path / "data")
    cfg = config_from_dict({"dataset": "data/person_keypoints.json", "dataset_type": "coco",
                            "keypoint_format": "coco17", "coco_only_images_with_people": False},
                           config_dir=str(tmp_path))
    data = load_dataset_from_config(cfg)
    assert isinstance(data, Dataset) and data.source == path and data.format_name == "coco17"
    with pytest.raises(DatasetError, match=r"dataset_type: unknown data-set kind 'cocoo'; .*did you mean 'coco'"):
        load_dataset_from_config(cfg.replace(dataset_type="cocoo"))
    with pytest.raises(ConfigError, match=r"dataset: expected the path of a data set"):
        load_dataset_from_config(cfg.replace(dataset=""))
    seen = []
    register_loader("mine", lambda p, o: seen.append((p, o)) or data)
    assert load_dataset("mine", "x", phase="val") is data
    assert seen == [("x", LoadOptions(phase="val"))]
    with pytest.raises(DatasetError, match="already registered as 'coco'"):
        register_loader("coco", lambda p, o: data)


def test_one_registry_holds_the_training_kinds_and_the_converters_layouts():
    layouts = source_layouts()
    assert list(layouts) == ["coco", "crowdpose", "ochuman", "ochuman-native", "halpe", "cocowholebody", "aic",
                             "mpii", "deepercut-mat", "deeplabcut", "posetrack"]
    assert {"default", *layouts} <= set(registered_loaders())
    assert all(layout.reader is not None for layout in layouts.values())
    assert all(layout.default_format is not None for layout in layouts.values() if layout.fixed)
    assert layouts["mpii"].loader is not None and layouts["aic"].loader is None  # aic: read, then map


def test_a_replaced_loader_leaves_the_converter_reading_the_layout(tmp_path, monkeypatch):
    monkeypatch.setitem(loaders._LAYOUTS, "coco", loaders._LAYOUTS["coco"])  # restored afterwards
    path = _coco(tmp_path)
    data = json.loads(open(path).read())
    data["categories"][0]["keypoints"] = list(get_format("coco17").joints)
    open(path, "w").write(json.dumps(data))
    mine = load_coco(path, keypoint_format="coco17")
    register_loader("coco", lambda p, o: mine, replace=True)
    assert load_dataset("coco", "anywhere") is mine
    source = read_source("coco", path)
    assert source.format.name == "coco17" and source.layout == "coco" and len(source.images) == 1 and len(source.images[0].people) == 4


@pytest.mark.parametrize("data, expected", [
    ({"categories": [{"keypoints": list(get_format("crowdpose14").joints)}]}, "crowdpose14"),
    ({"categories": [{"keypoints": list(get_format("coco17").joints)}]}, "coco17"),  # not its twin ochuman
    ({"annotations": [{"keypoints": []}, {"keypoints": [1, 2, 2] * 17}]}, "coco17"),
    ({"annotations": [{"keypoints": [1, 2, 2] * 26}]}, "halpe26"),
    ({"annotations": [{"keypoints": [1, 2, 2] * 14}]}, None),  # aic14, crowdpose14, mpii14
    ({"annotations": [{"keypoints": [1, 2] * 17}]}, None),
    ({"categories": [{"keypoints": ["a", "b"]}], "annotations": "none"}, None),
    ([], None),
])
def test_detect_format_of_a_coco_style_file(data, expected):
    assert detect_format(data) == expected


def test_image_record_checks_and_custom_regions(tmp_path):
    with pytest.raises(DatasetError, match=r"a\.png: image id 3: joints: expected an array of shape"):
        ImageRecord("a.png", 3, 10, 10, np.zeros((2, 3)))
    with pytest.raises(DatasetError, match=r"image id 3: person_regions: expected none or one per person"):
        ImageRecord("a.png", 3, 10, 10, np.zeros((2, 4, 3)), person_regions=(None,))
    record = ImageRecord("a.png", 3, 10, 12, np.ones((1, 4, 3)))
    assert record.ignore_mask() is None and record.person_mask(0) is None
    with pytest.raises(ValueError):
        record.joints[0, 0, 0] = 5

    class Stripe:
        def mask(self, height, width):
            out = np.zeros((height, width), bool)
            out[:, 2] = True
            return out

    striped = ImageRecord("a.png", 3, 10, 12, np.ones((1, 4, 3)), (Stripe(), Region("box", (5, 5, 2, 2))))
    mask = striped.ignore_mask()
    assert mask[:, 2].all() and mask[5:7, 5:7].all() and mask.sum() == 10 + 4
    assert striped != record and record == ImageRecord("a.png", 3, 10, 12, np.ones((1, 4, 3)))


MOUSE_YAML = """name: mouse
joints: [snout, left_ear, right_ear, tail_base]
flip_pairs: [[1, 2]]
skeleton: [[0, 1], [0, 2], [0, 3]]
"""


def test_a_deeplabcut_table_trains_through_the_converters_reader(tmp_path):
    """dataset_type: deeplabcut reads the labelled frames with the generator's reader: one
    reader per layout for training and conversion."""
    folder = tmp_path / "labeled-data" / "video1"
    for name in ("img001.png", "img002.png"):
        _image(folder / name, 48, 64)
    csv = folder / "CollectedData_alex.csv"
    csv.write_text("scorer,alex,alex,alex,alex\nbodyparts,snout,snout,tail_base,tail_base\n"
                   "coords,x,y,x,y\nlabeled-data/video1/img001.png,10.5,20,30,40\n"
                   "labeled-data/video1/img002.png,,,12,13\nlabeled-data/video1/gone.png,1,2,3,4\n")
    (tmp_path / "mouse.yaml").write_text(MOUSE_YAML)
    cfg = config_from_dict({"dataset": str(csv), "dataset_type": "deeplabcut",
                            "keypoint_format": "mouse.yaml"}, config_dir=str(tmp_path))
    data = load_dataset_from_config(cfg)
    assert (data.format_name, data.num_joints, len(data.records)) == ("mouse", 4, 2)
    first, second = data.records
    assert (first.height, first.width) == (48, 64) and first.image_path == str(folder / "img001.png")
    np.testing.assert_array_equal(first.joints[0], [[10.5, 20, 2], [0, 0, 0], [0, 0, 0], [30, 40, 2]])
    np.testing.assert_array_equal(second.joints[0, 3], [12, 13, 2])
    assert len(data.skipped) == 1 and "gone.png" in data.skipped[0]


def test_a_crowdpose_file_trains_as_coco17_through_the_joint_mapping(tmp_path):
    names = ["left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist",
             "right_wrist", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle",
             "right_ankle", "head", "neck"]
    _image(tmp_path / "a.jpg", 40, 50)
    keypoints = [v for k in range(14) for v in (k + 1.0, 2 * k + 1.0, 2)]
    (tmp_path / "crowd.json").write_text(json.dumps({
        "images": [{"id": 5, "file_name": "a.jpg", "height": 40, "width": 50}],
        "annotations": [{"id": 1, "image_id": 5, "category_id": 1, "iscrowd": 0,
                         "keypoints": keypoints, "num_keypoints": 14, "bbox": [0, 0, 20, 30]}],
        "categories": [{"id": 1, "name": "person", "keypoints": names}]}))
    own = load_dataset("crowdpose", tmp_path / "crowd.json")
    assert (own.format_name, own.records[0].joints.shape) == ("crowdpose14", (1, 14, 3))
    coco = load_dataset("crowdpose", tmp_path / "crowd.json", keypoint_format="coco17")
    (record,) = coco.records
    assert coco.format_name == "coco17" and record.joints.shape == (1, 17, 3)
    # coco17 joint 5 (left_shoulder) is crowdpose joint 0; the nose has no source
    np.testing.assert_array_equal(record.joints[0, 5], [1, 1, 2])
    np.testing.assert_array_equal(record.joints[0, 0], [0, 0, 0])
    with pytest.raises(DatasetError, match="num_joints: expected 17"):
        load_dataset("crowdpose", tmp_path / "crowd.json", keypoint_format="coco17", num_joints=14)


def test_image_names_that_climb_out_of_the_folder_are_not_read(tmp_path):
    """An annotation's ../../etc/passwd is refused, in training and in conversion, before any
    file outside the image folder is opened (absolute names: see the tests below)."""
    from dataset.records import leaves_folder
    from dataset.conversion import convert
    from dataset.joint_mappings import identity_mapping

    assert leaves_folder("../../etc/passwd") and leaves_folder("a/../../b.png")
    assert not leaves_folder("a/../b.png") and not leaves_folder("/data/x.png")
    secret = tmp_path / "secret.png"
    _image(secret, 8, 8)
    folder = tmp_path / "set" / "deeper"
    folder.mkdir(parents=True)
    doc = {"images": [{"id": 1, "file_name": "../../secret.png", "height": 8, "width": 8}],
           "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "iscrowd": 0,
                            "keypoints": [4, 4, 2] + [0] * 48, "num_keypoints": 1,
                            "bbox": [0, 0, 8, 8]}],
           "categories": [{"id": 1, "name": "person"}]}
    path = folder / "ann.json"
    path.write_text(json.dumps(doc))
    refused = load_dataset("coco", path, keypoint_format="coco17")
    assert refused.records == () and "file_name ../../secret.png: climbs out" in refused.skipped[0]
    source = read_source("coco", path, "coco17")
    conversion = convert(source, identity_mapping(source.format))
    assert conversion.images == [] and "climbs out of the image folder" in conversion.skipped[0].reason


def test_coco_joints_outside_the_image_are_made_unlabelled(tmp_path, caplog):
    _image(tmp_path / "a.png", 40, 50)
    keypoints = [10, 10, 2, -50, -20, 2, 50000, 90000, 1, 49, 39, 2] + [0] * 39
    doc = {"images": [{"id": 1, "file_name": "a.png", "height": 40, "width": 50}],
           "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "iscrowd": 0,
                            "keypoints": keypoints, "num_keypoints": 4, "bbox": [0, 0, 50, 40]}],
           "categories": [{"id": 1, "name": "person"}]}
    (tmp_path / "ann.json").write_text(json.dumps(doc))
    with caplog.at_level(logging.WARNING):
        (record,) = load_dataset("coco", tmp_path / "ann.json", keypoint_format="coco17").records
    np.testing.assert_array_equal(record.joints[0, :4], [[10, 10, 2], [0, 0, 0], [0, 0, 0],
                                                         [49, 39, 2]])
    assert "2 labelled joints of 1 people lay outside their image" in caplog.text


def test_a_coco_file_in_the_users_own_format_file_loads(tmp_path):
    """A keypoint_format given as a YAML path (the own-data walkthrough) reads the file, not a
    registered name."""
    (tmp_path / "critter.yaml").write_text("name: critter\njoints: [snout, left_paw, right_paw]\n"
                                           "flip_pairs: [[1, 2]]\nskeleton: [[0, 1], [0, 2]]\n")
    _image(tmp_path / "a.png", H, W)
    doc = {"images": [{"id": 1, "file_name": "a.png", "height": H, "width": W}],
           "annotations": [{"id": 1, "image_id": 1, "iscrowd": 0, "keypoints": [5, 6, 2, 7, 8, 2, 0, 0, 0],
                            "bbox": [0, 0, 20, 20]}],
           "categories": [{"id": 1, "name": "critter", "keypoints": ["snout", "left_paw", "right_paw"]}]}
    (tmp_path / "all.json").write_text(json.dumps(doc))
    data = load_dataset("coco", tmp_path / "all.json", keypoint_format=str(tmp_path / "critter.yaml"))
    assert data.format_name == "critter" and data.num_joints == 3
    np.testing.assert_array_equal(data.records[0].joints[0], [[5, 6, 2], [7, 8, 2], [0, 0, 0]])


# ---------------------------------------------------------------------------------------------
# Absolute image names: read inside the folders searched, elsewhere only when allowed.


def test_image_name_refusal_and_inside_folder():
    from dataset.records import image_name_refusal, inside_folder

    folders = ["/data/set", "/data/set/images"]
    assert inside_folder("/data/set/images/a.png", "/data/set") and inside_folder("/data/set", "/data/set/")
    assert not inside_folder("/data/settings/a.png", "/data/set")  # a prefix of the name is no folder
    assert not inside_folder("/data/set/../secret/a.png", "/data/set")  # .. resolved first
    assert image_name_refusal("a.png", folders) is None
    assert image_name_refusal("/data/set/images/a.png", folders) is None
    assert "climbs out of the image folder" in image_name_refusal("../a.png", folders, allow_absolute_paths=True)
    why = image_name_refusal("/etc/passwd", folders)
    assert why == ("file_name /etc/passwd: an absolute path outside the image folders searched (/data/set, "
                   "/data/set/images); not read (allow it with allow_absolute_image_paths: true in the "
                   "config, or --allow-absolute-paths for convert-dataset)")
    assert "outside the image folders" in image_name_refusal("/data/set/images/../../secret.png", folders)
    assert image_name_refusal("/etc/passwd", folders, allow_absolute_paths=True) is None


def _absolute_coco(folder, names):
    """A coco17 file in ``folder``: one 8 x 8 image per name, one labelled person each."""
    doc = {"images": [{"id": k + 1, "file_name": str(name), "height": 8, "width": 8} for k, name in enumerate(names)],
           "annotations": [{"id": k + 1, "image_id": k + 1, "category_id": 1, "iscrowd": 0,
                            "keypoints": [4, 4, 2] + [0] * 48, "num_keypoints": 1, "bbox": [0, 0, 8, 8]}
                           for k in range(len(names))],
           "categories": [{"id": 1, "name": "person"}]}
    os.makedirs(folder, exist_ok=True)
    path = folder / "ann.json"
    path.write_text(json.dumps(doc))
    return path


def test_absolute_image_names_inside_the_folders_searched_load(tmp_path):
    """Inside the JSON's folder, its images/ or a COCO root's images/<phase>: read as written."""
    beside = _image(tmp_path / "set" / "a.png", 8, 8)
    below = _image(tmp_path / "set" / "images" / "deep" / "b.png", 8, 8)
    path = _absolute_coco(tmp_path / "set", [beside, below])
    data = load_dataset("coco", path, keypoint_format="coco17")
    assert [r.image_path for r in data.records] == [beside, below] and data.skipped == ()
    root = tmp_path / "root"
    phase = _image(root / "images" / "val" / "c.png", 8, 8)
    _absolute_coco(root / "annotations", [phase]).rename(root / "annotations" / "person_keypoints_val.json")
    data = load_dataset("coco", root, phase="val", keypoint_format="coco17")
    assert [r.image_path for r in data.records] == [phase] and data.skipped == ()


def test_absolute_image_names_elsewhere_are_skipped_unless_allowed(tmp_path, caplog):
    """Every loader skips the record, naming it, the path and how to allow it; the config's
    allow_absolute_image_paths reaches them all."""
    secret = _image(tmp_path / "secret" / "x.png", 8, 8)
    good = _image(tmp_path / "set" / "good.png", 8, 8)
    coco = _absolute_coco(tmp_path / "set", [good, secret])
    mpii = tmp_path / "set" / "mpii.json"
    entry = {"joints": [[5, 6]] * 16, "joints_vis": [1] * 16}
    mpii.write_text(json.dumps([{**entry, "image": "good.png"}, {**entry, "image": secret}]))
    mat = tmp_path / "set" / "dataset.mat"
    write_deepercut_mat([ImageRecord(good, 0, 8, 8, np.zeros((0, 14, 3))),
                         ImageRecord(secret, 1, 8, 8, np.zeros((0, 14, 3)))], mat)
    aic = tmp_path / "set" / "aic.json"
    person = {"keypoint_annotations": {"human1": [4, 4, 1] * 14}, "human_annotations": {"human1": [0, 0, 8, 8]}}
    aic.write_text(json.dumps([{"image_id": "good.png", **person}, {"image_id": secret, **person}]))
    kinds = [("coco", coco, "image id 2"), ("mpii", mpii, "record 1"), ("default", mat, "record 1"),
             ("aic", aic, "record 1")]
    for kind, path, record in kinds:
        with caplog.at_level(logging.WARNING):
            refused = load_dataset(kind, path)
        assert [r.image_path for r in refused.records] == [good], kind
        (why,) = refused.skipped
        assert why.startswith(record) and f"file_name {secret}: an absolute path outside" in why, why
        assert "allow_absolute_image_paths: true" in why and f"{secret}: an absolute path" in caplog.text
        allowed = load_dataset(kind, path, allow_absolute_paths=True)
        assert [r.image_path for r in allowed.records] == [good, secret] and allowed.skipped == (), kind
        cfg = config_from_dict({"dataset": str(path), "dataset_type": kind, "allow_absolute_image_paths": True})
        assert len(load_dataset_from_config(cfg).records) == 2, kind
        assert len(load_dataset_from_config(cfg.replace(allow_absolute_image_paths=False)).records) == 1


def test_names_that_climb_out_cost_their_record_only_in_mpii_and_dataset_mat(tmp_path, monkeypatch):
    """MPII JSON and DeeperCut's .mat skip a ../ name (never opened) and load the rest."""
    _image(tmp_path / "secret.png", 8, 8)
    good = _image(tmp_path / "set" / "good.png", 8, 8)
    entry = {"joints": [[5, 6]] * 16, "joints_vis": [1] * 16}
    mpii = tmp_path / "set" / "mpii.json"
    mpii.write_text(json.dumps([{**entry, "image": "good.png"}, {**entry, "image": "../secret.png"}]))
    mat = _mat(tmp_path / "set" / "dataset.mat", [("good.png", np.array([[3, 8, 8]]), np.zeros((0, 3))),
                                                  ("../secret.png", np.array([[3, 8, 8]]), np.zeros((0, 3)))])
    monkeypatch.chdir(tmp_path / "set")  # from here the .mat's working-folder lookup would find it
    for data in (load_mpii_json(mpii), load_deepercut_mat(mat)):
        assert [r.image_path for r in data.records] == [good]
        assert data.skipped == ("record 1: file_name ../secret.png: climbs out of the image folder (..); not read",)
