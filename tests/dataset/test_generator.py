"""Dataset generator: real samples to COCO-17, round trips, DeepLabCut tables, bad records, mappings."""
import json
import logging
import os
import runpy
import shutil
import sys

import imageio.v3 as iio
import numpy as np
import pytest

from dataset.conversion import box_from_joints
from dataset.generator import main
from dataset.image_size import read_image_size
from dataset.joint_mappings import available_mappings, get_mapping, load_mapping, visibility_table
from dataset.keypoint_formats import get_format
from dataset.loaders import load_dataset, read_source
from dataset.mpii import load_mpii_json
from lib.errors import DatasetError, FormatError


COCO17 = ["nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
          "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee",
          "right_knee", "left_ankle", "right_ankle"]
# AI Challenger's joint order and codes, as its README states them (independent of the YAML data).
AIC_ORDER = ["right_shoulder", "right_elbow", "right_wrist", "left_shoulder", "left_elbow", "left_wrist",
             "right_hip", "right_knee", "right_ankle", "left_hip", "left_knee", "left_ankle", "head_top", "neck"]
AIC_TO_COCO_V = {1: 2, 2: 1, 3: 0}
MPII_ORDER = ["right_ankle", "right_knee", "right_hip", "left_hip", "left_knee", "left_ankle", "pelvis", "thorax",
              "upper_neck", "head_top", "right_wrist", "right_elbow", "right_shoulder", "left_shoulder",
              "left_elbow", "left_wrist"]
LIMBS = COCO17[5:]


def _run(*argv):
    """Run the command; it must finish (exit 0, or 1 when it skipped records); the exit code."""
    code = main([str(a) for a in argv])
    assert code in (0, 1)
    return code


def _convert(tmp_path, input_path, layout, *extra, name="out.json"):
    """Convert to COCO JSON, check it loads with pycocotools and the project's loader, return it.
    Images outside the output's folder are written with absolute paths, which the loader reads
    only when allowed; without, it skips each of them, naming the path and how to allow it."""
    from pycocotools.coco import COCO

    out = tmp_path / name
    _run(input_path, "--from", layout, "--output", out, *extra)
    doc = json.loads(out.read_text())
    coco = COCO(str(out))
    assert sorted(coco.getImgIds()) == sorted(im["id"] for im in doc["images"])
    assert len(coco.getAnnIds()) == len(doc["annotations"])
    fmt = "coco17" if doc["categories"][0]["keypoints"] == COCO17 else None
    absolute = {im["id"] for im in doc["images"] if os.path.isabs(im["file_name"])}
    data = load_dataset("coco", out, keypoint_format=fmt, allow_absolute_paths=bool(absolute))
    labelled = [a for a in doc["annotations"] if a["num_keypoints"] and not a["iscrowd"]]
    assert sum(r.num_people for r in data.records) == len(labelled)
    assert data.num_skipped == 0
    if absolute:
        refused = load_dataset("coco", out, keypoint_format=fmt)
        assert refused.skipped and not {r.image_id for r in refused.records} & absolute
        for reason in refused.skipped:
            assert "an absolute path outside the image folders searched" in reason, reason
            assert "allow_absolute_image_paths: true" in reason, reason
    return doc


def _rows(ann):
    return np.asarray(ann["keypoints"], dtype=np.float64).reshape(-1, 3)


def _image(path, width=64, height=48):
    """Write a small RGB image and return its path."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    iio.imwrite(path, np.full((height, width, 3), (90, 120, 150), np.uint8))
    return str(path)


# ---------------------------------------------------------------------------------------------
# Every real sample to COCO-17, joint by joint against the source values.


def test_aic_sample_to_coco17_translates_joints_visibility_and_boxes(samples, tmp_path):
    path = os.path.join(samples, "aic", "keypoint_annotations.json")
    raw = json.load(open(path))
    doc = _convert(tmp_path, path, "aic")
    assert [im["file_name"] for im in doc["images"]] == [
        os.path.join(samples, "aic", r["image_id"] + ".jpg") for r in raw]
    anns = iter(doc["annotations"])
    for record in raw:
        for human, values in record["keypoint_annotations"].items():
            ann, src = next(anns), np.asarray(values, np.float64).reshape(14, 3)
            out = _rows(ann)
            for j, name in enumerate(AIC_ORDER[:12]):
                v = AIC_TO_COCO_V[int(src[j, 2])]
                expected = [src[j, 0], src[j, 1], v] if v else [0, 0, 0]
                assert out[COCO17.index(name)].tolist() == expected, (human, name)
            assert not out[:5].any(), "nose, eyes and ears have no AI Challenger source"
            x1, y1, x2, y2 = record["human_annotations"][human]
            assert ann["bbox"] == [x1, y1, x2 - x1, y2 - y1] and ann["area"] == (x2 - x1) * (y2 - y1)
            assert ann["num_keypoints"] == int((src[:12, 2] < 3).sum())
    first = _rows(doc["annotations"][0])  # human1 of the first record: [313, 201, 1], [312, 313, 2], ...
    assert first[COCO17.index("right_shoulder")].tolist() == [313, 201, 2]
    assert first[COCO17.index("right_elbow")].tolist() == [312, 313, 1]
    assert first[COCO17.index("right_knee")].tolist() == [0, 0, 0]


def test_aic_sample_to_halpe26_keeps_head_and_neck(samples, tmp_path):
    path = os.path.join(samples, "aic", "keypoint_annotations.json")
    raw = json.load(open(path))
    doc = _convert(tmp_path, path, "aic", "--to", "halpe26")
    halpe = get_format("halpe26")
    assert doc["categories"][0]["keypoints"] == list(halpe.joints)
    src = np.asarray(raw[0]["keypoint_annotations"]["human1"], np.float64).reshape(14, 3)
    out = _rows(doc["annotations"][0])
    assert out[halpe.index("head")].tolist() == [395, 74, 2] == [*src[12, :2], 2]
    assert out[halpe.index("neck")].tolist() == [372, 170, 2] == [*src[13, :2], 2]
    assert out[halpe.index("left_wrist")].tolist() == [459, 269, 2]
    assert not out[halpe.index("hip")].any() and not out[halpe.index("left_heel")].any()


def test_crowdpose_sample_to_coco17_keeps_limbs_and_boxes(samples, tmp_path):
    path = os.path.join(samples, "crowdpose", "crowdpose.json")
    raw = json.load(open(path))
    doc = _convert(tmp_path, path, "crowdpose")
    names = raw["categories"][0]["keypoints"]
    assert [a["id"] for a in doc["annotations"]] == [a["id"] for a in raw["annotations"]]
    for src_ann, ann in zip(raw["annotations"], doc["annotations"]):
        src, out = np.asarray(src_ann["keypoints"], np.float64).reshape(14, 3), _rows(ann)
        for name in LIMBS:
            assert out[COCO17.index(name)].tolist() == src[names.index(name)].tolist()
        assert not out[:5].any()
        assert ann["bbox"] == src_ann["bbox"]
        assert ann["area"] == pytest.approx(src_ann["bbox"][2] * src_ann["bbox"][3])  # CrowdPose has no area
    first = _rows(doc["annotations"][0])
    assert first[COCO17.index("right_shoulder")].tolist() == [208, 108, 2]
    unlabelled = doc["annotations"][1]
    assert unlabelled["num_keypoints"] == 0 and unlabelled["bbox"] == [108.5, 96.78, 35.46, 30.23]


@pytest.mark.parametrize("layout, name", [("coco", "coco/person_keypoints.json"),
                                          ("cocowholebody", "coco/coco_wholebody.json"),
                                          ("halpe", "coco/halpe_fullbody.json"),
                                          ("ochuman", "ochuman/ochuman.json")])
def test_coco_family_samples_keep_the_body_joints(samples, tmp_path, layout, name):
    path = os.path.join(samples, name)
    raw = json.load(open(path))
    doc = _convert(tmp_path, path, layout)
    assert doc["categories"][0]["keypoints"] == COCO17
    assert [im["id"] for im in doc["images"]] == [im["id"] for im in raw["images"]]
    assert len(doc["annotations"]) == len(raw["annotations"])
    for src_ann, ann in zip(raw["annotations"], doc["annotations"]):
        src = np.asarray(src_ann["keypoints"], np.float64).reshape(-1, 3)[:17].copy()
        src[src[:, 2] == 0] = 0
        assert np.array_equal(_rows(ann), src)
        assert (ann["id"], ann["image_id"], ann["bbox"]) == (src_ann["id"], src_ann["image_id"], src_ann["bbox"])
        assert ann["area"] == src_ann["area"] and ann["num_keypoints"] == int((src[:, 2] > 0).sum())


def test_cocowholebody_sample_assembles_feet_face_and_hands(samples, tmp_path):
    path = os.path.join(samples, "coco", "coco_wholebody.json")
    raw = json.load(open(path))["annotations"]
    fmt = get_format("cocowholebody133")
    doc = _convert(tmp_path, path, "cocowholebody", "--to", "cocowholebody133")
    for src, ann in zip(raw, doc["annotations"]):
        out = _rows(ann)
        face = np.asarray(src["face_kpts"], np.float64).reshape(68, 3)
        labelled = face[:, 2] > 0 if src["face_valid"] else np.zeros(68, bool)
        assert np.array_equal(out[fmt.index("face_1"):fmt.index("face_68") + 1, :2][labelled], face[labelled, :2])
        assert (out[fmt.index("face_1"):fmt.index("face_68") + 1, 2] == np.where(labelled, 2, 0)).all()
        left = out[fmt.index("left_hand_root"):fmt.index("left_pinky_finger4") + 1]
        if not src["lefthand_valid"]:
            assert not left.any()
        foot = np.asarray(src["foot_kpts"], np.float64).reshape(6, 3)
        expected = foot[0] if src["foot_valid"] and foot[0, 2] else np.zeros(3)
        assert out[fmt.index("left_big_toe")].tolist() == expected.tolist()
    halpe = _convert(tmp_path, path, "cocowholebody", "--to", "halpe26", name="halpe26.json")
    h26 = get_format("halpe26")
    foot = np.asarray(raw[0]["foot_kpts"], np.float64).reshape(6, 3)
    assert raw[0]["foot_valid"] and foot[5, 2] == 2
    assert _rows(halpe["annotations"][0])[h26.index("right_heel")].tolist() == foot[5].tolist()


def test_mpii_sample_to_coco17_is_zero_based_like_the_project_loader(samples, tmp_path):
    path = os.path.join(samples, "mpii", "mpii.json")
    raw = json.load(open(path))
    doc = _convert(tmp_path, path, "mpii")
    loaded = load_mpii_json(path)
    by_name = {os.path.basename(im["file_name"]): im["id"] for im in doc["images"]}
    for k, (record, image) in enumerate(zip(raw, loaded.records)):
        ann = next(a for a in doc["annotations"] if a["image_id"] == by_name[record["image"]])
        out = _rows(ann)
        for name in LIMBS:
            j = MPII_ORDER.index(name)
            if record["joints_vis"][j]:
                assert out[COCO17.index(name)].tolist() == [record["joints"][j][0] - 1, record["joints"][j][1] - 1, 2]
            else:
                assert out[COCO17.index(name)].tolist() == [0, 0, 0]
            assert np.allclose(out[COCO17.index(name)], image.joints[0, j])
        assert not out[:5].any()
    third = _rows(doc["annotations"][2])  # 051423444.jpg: right ankle unlabelled
    assert raw[2]["joints_vis"][0] == 0 and third[COCO17.index("right_ankle")].tolist() == [0, 0, 0]
    mpii14 = _convert(tmp_path, path, "mpii", "--to", "mpii14", name="mpii14.json")
    out = _rows(mpii14["annotations"][0])
    assert out[12].tolist() == [raw[0]["joints"][8][0] - 1, raw[0]["joints"][8][1] - 1, 2]  # chin: upper neck
    assert out[13].tolist() == [raw[0]["joints"][9][0] - 1, raw[0]["joints"][9][1] - 1, 2]  # forehead: head top


def test_generic_coco_layout_finds_the_format_from_names_or_joint_count(samples):
    crowdpose = read_source("coco", os.path.join(samples, "crowdpose", "crowdpose.json"))
    halpe = read_source("coco", os.path.join(samples, "coco", "halpe_fullbody.json"))  # category lists no names
    assert (crowdpose.format.name, halpe.format.name) == ("crowdpose14", "halpe136")
    assert not halpe.skipped and sum(len(i.people) for i in halpe.images) == 14


def test_crowd_regions_are_kept_with_their_segmentation(samples, tmp_path):
    raw = json.load(open(os.path.join(samples, "coco", "person_keypoints.json")))
    crowd = {"id": 9, "image_id": 785, "category_id": 1, "iscrowd": 1, "bbox": [0, 0, 10, 10], "area": 100,
             "segmentation": {"size": [425, 640], "counts": [0, 10, 425 * 640 - 10]}}
    raw["annotations"].append(crowd)
    path = tmp_path / "coco.json"
    path.write_text(json.dumps(raw))
    doc = _convert(tmp_path, path, "coco", "--images", os.path.join(samples, "coco"))
    ann = next(a for a in doc["annotations"] if a["id"] == 9)
    assert (ann["iscrowd"], ann["num_keypoints"], ann["segmentation"]) == (1, 0, crowd["segmentation"])
    record = load_dataset("coco", tmp_path / "out.json", allow_absolute_paths=True).records[0]
    assert record.ignore_mask()[:10, 0].all() and record.num_people == 1


# ---------------------------------------------------------------------------------------------
# Round trips.


def test_coco_to_coco_is_identity_up_to_normalisation(samples, tmp_path):
    path = os.path.join(samples, "coco", "person_keypoints.json")
    raw = json.load(open(path))
    doc = _convert(tmp_path, path, "coco")
    assert [(im["id"], im["height"], im["width"]) for im in doc["images"]] == [
        (im["id"], im["height"], im["width"]) for im in raw["images"]]
    for src, ann in zip(raw["annotations"], doc["annotations"]):
        for key in ("id", "image_id", "iscrowd", "bbox", "area", "num_keypoints", "segmentation", "keypoints"):
            assert ann[key] == src[key], key
    again = _convert(tmp_path, tmp_path / "out.json", "coco", "--allow-absolute-paths", name="again.json")
    assert again["annotations"] == doc["annotations"]


def test_coco17_through_dataset_mat_and_back_keeps_coordinates(samples, tmp_path):
    path = os.path.join(samples, "coco", "person_keypoints.json")
    raw = json.load(open(path))
    mat = tmp_path / "dataset.mat"
    _run(path, "--from", "coco", "--to", "deepercut-mat", "--output", mat)
    back = _convert(tmp_path, mat, "deepercut-mat", "--format", "coco17", "--allow-absolute-paths")
    originals = [np.asarray(a["keypoints"], np.float64).reshape(17, 3) for a in raw["annotations"]
                 if a["num_keypoints"]]
    result = [_rows(a) for a in back["annotations"]]
    assert len(result) == len(originals) == 12
    for src, out in zip(originals, result):
        labelled = src[:, 2] > 0
        assert np.array_equal(out[labelled, :2], src[labelled, :2])
        assert (out[labelled, 2] == 2).all() and not out[~labelled].any()  # dataset.mat keeps no hidden flag
    assert [im["height"] for im in back["images"]] == [im["height"] for im in raw["images"]]


# ---------------------------------------------------------------------------------------------
# OCHuman's own layout and DeepLabCut tables, made here.

OCHUMAN_NAMES = AIC_ORDER[:12] + ["head", "neck", "right_ear", "left_ear", "nose", "right_eye", "left_eye"]


def _ochuman_native(tmp_path, visible=None):
    _image(tmp_path / "000001.jpg", 80, 60)
    points = [[10 + j, 20 + j, j % 4] for j in range(19)]  # codes 0, 1, 2, 3 in turn
    data = {"keypoint_names": OCHUMAN_NAMES,
            "keypoint_visible": visible or {"missing": 0, "vis": 1, "self_occluded": 2, "others_occluded": 3},
            "images": [{"image_id": "000001", "image_name": "000001.jpg", "height": 60, "width": 80,
                        "annotations": [{"bbox": [5, 6, 45, 56], "keypoints": sum(points, []), "segms": None,
                                         "max_iou": 0.7},
                                        {"bbox": [30, 2, 70, 50], "keypoints": None, "segms": None,
                                         "max_iou": 0.7}]}]}
    path = tmp_path / "ochuman_native.json"
    path.write_text(json.dumps(data))
    return path, points


def test_ochuman_native_picks_joints_by_name_and_translates_codes(tmp_path, capsys):
    path, points = _ochuman_native(tmp_path)
    doc = _convert(tmp_path, path, "ochuman-native")
    first, second = doc["annotations"]
    out = _rows(first)
    coded = {0: 0, 1: 2, 2: 2, 3: 1}  # missing, visible, self-occluded (still seen), hidden by others
    for name in COCO17:
        x, y, code = points[OCHUMAN_NAMES.index(name)]
        assert out[COCO17.index(name)].tolist() == ([x, y, coded[code]] if coded[code] else [0, 0, 0]), name
    assert first["bbox"] == [5, 6, 40, 50]
    assert second["num_keypoints"] == 0 and second["bbox"] == [30, 2, 40, 48]  # kept as an ignore region
    assert "head, neck have no place" in capsys.readouterr().out
    bad, _ = _ochuman_native(tmp_path, visible={"missing": 0, "vis": 2})
    with pytest.raises(DatasetError, match=r"ochuman_native\.json: keypoint_visible"):
        read_source("ochuman-native", bad)


MOUSE_YAML = """name: mouse
joints: [snout, left_ear, right_ear, tail_base]
flip_pairs: [[1, 2]]
skeleton: [[0, 1], [0, 2], [0, 3]]
sigmas: [0.025, 0.035, 0.035, 0.079]
"""


def _dlc_project(tmp_path, table):
    """A DeepLabCut project: labeled-data/video1/{img001,img002}.png and the table."""
    folder = tmp_path / "project" / "labeled-data" / "video1"
    for name in ("img001.png", "img002.png", "img003.png"):
        _image(folder / name, 64, 48)
    csv = folder / "CollectedData_alex.csv"
    csv.write_text(table)
    fmt = tmp_path / "mouse.yaml"
    fmt.write_text(MOUSE_YAML)
    return csv, fmt


def test_deeplabcut_single_animal_table_with_split_image_path(tmp_path):
    table = ("scorer,,,alex,alex,alex,alex,alex,alex\n"
             "bodyparts,,,snout,snout,left_ear,left_ear,tail_base,tail_base\n"
             "coords,,,x,y,x,y,x,y\n"
             "labeled-data,video1,img001.png,10.5,20.25,12,18,,\n"
             "labeled-data,video1,img002.png,,,,,,\n"
             "labeled-data,video1,img003.png,2,3,62,45,30,40\n")
    csv, fmt = _dlc_project(tmp_path, table)
    doc = _convert(tmp_path, csv, "deeplabcut", "--format", fmt)
    assert doc["categories"][0]["keypoints"] == ["snout", "left_ear", "right_ear", "tail_base"]
    assert [im["file_name"] for im in doc["images"]] == [
        f"project/labeled-data/video1/{n}" for n in ("img001.png", "img002.png", "img003.png")]
    assert [(im["id"], im["width"], im["height"]) for im in doc["images"]] == [(1, 64, 48), (2, 64, 48), (3, 64, 48)]
    first, third = doc["annotations"]
    assert first["image_id"] == 1 and third["image_id"] == 3
    assert _rows(first).tolist() == [[10.5, 20.25, 2], [12, 18, 2], [0, 0, 0], [0, 0, 0]]
    assert first["bbox"] == pytest.approx([10.35, 17.775, 1.8, 2.7])  # 10 % margin each side
    assert third["bbox"] == pytest.approx([0, 0, 64, 48])  # the margin is clipped to the image
    assert third["num_keypoints"] == 3


def test_deeplabcut_multi_animal_table(tmp_path):
    table = ("scorer,alex,alex,alex,alex,alex,alex,alex,alex\n"
             "individuals,m1,m1,m1,m1,m2,m2,single,single\n"
             "bodyparts,nose,nose,left_eye,left_eye,nose,nose,tray,tray\n"
             "coords,x,y,x,y,x,y,x,y\n"
             "labeled-data/video1/img001.png,5,6,7,8,40,41,1,1\n"
             "labeled-data/video1/img002.png,nan,nan,,,30,31,,\n")
    csv, _ = _dlc_project(tmp_path, table)
    doc = _convert(tmp_path, csv, "deeplabcut", "--format", "coco17")
    rows = [(_rows(a), a["image_id"]) for a in doc["annotations"]]
    assert [image for _, image in rows] == [1, 1, 2]
    assert rows[0][0][:2].tolist() == [[5, 6, 2], [7, 8, 2]]
    assert rows[1][0][0].tolist() == [40, 41, 2] and rows[2][0][0].tolist() == [30, 31, 2]
    assert (rows[2][0][1:] == 0).all()
    bad = table.replace("left_eye,left_eye", "left_eyes,left_eyes").replace("m2,m2,single", "m2,m2,m2") \
        .replace("tray,tray", "tail,tail")
    csv.write_text(bad)
    with pytest.raises(DatasetError, match="left_eyes, tail are not joints of keypoint format 'coco17'"):
        read_source("deeplabcut", csv, "coco17")
    with pytest.raises(DatasetError, match="--format"):
        read_source("deeplabcut", csv)


# ---------------------------------------------------------------------------------------------
# Bad records, malformed files.


def _aic_file(tmp_path, records):
    for record in records:
        if "image_id" in record:
            _image(tmp_path / f"{record['image_id']}.jpg", 100, 80)
    path = tmp_path / "aic.json"
    path.write_text(json.dumps(records))
    return path


def _aic_record(image_id, points=None, box=(1, 2, 50, 60)):
    points = points if points is not None else [10, 20, 1] * 12 + [0, 0, 3] * 2
    return {"image_id": image_id, "keypoint_annotations": {"human1": points}, "human_annotations": {"human1": box}}


def test_bad_records_are_reported_skipped_and_summarised(tmp_path, caplog, capsys):
    records = [_aic_record("good"), _aic_record("short", [1, 2, 1] * 13), _aic_record("code", [1, 2, 7] * 14),
               _aic_record("flipped", box=(50, 2, 1, 60)), {"keypoint_annotations": {}}]
    path = _aic_file(tmp_path, records)
    os.remove(tmp_path / "flipped.jpg")
    records.append(_aic_record("gone"))
    path.write_text(json.dumps(records))
    with caplog.at_level(logging.WARNING):
        doc = _convert(tmp_path, path, "aic")
    assert [im["file_name"] for im in doc["images"]] == ["good.jpg"]
    warnings = "\n".join(r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    summary = capsys.readouterr().out
    for text in ("record 1: record 1 (image_id short), human1: keypoint_annotations: expected 42 numbers",
                 "record 2: record 2 (image_id code), human1: keypoint_annotations of joint 0: expected a aic "
                 "visibility code (1, 2, 3), got 7",
                 "record 3: record 3 (image_id flipped), human1: human_annotations: expected x1 <= x2",
                 "record 4: image_id: missing",
                 "record 5 (gone.jpg): image file gone.jpg not found"):
        assert f"{path}: {text}" in warnings and text in summary, text
    assert "skipped records: 5" in summary
    assert main([str(path), "--from", "aic", "--output", str(tmp_path / "again.json")]) == 1  # for scripts
    assert "skipped 5 records (listed above); the rest are written" in capsys.readouterr().err


def test_a_bad_coco_annotation_skips_its_image_not_the_file(samples, tmp_path, capsys):
    raw = json.load(open(os.path.join(samples, "coco", "person_keypoints.json")))
    raw["annotations"][1]["keypoints"] = raw["annotations"][1]["keypoints"][:-3]  # image 40083
    raw["annotations"][0]["image_id"] = 12345
    path = tmp_path / "coco.json"
    path.write_text(json.dumps(raw))
    doc = _convert(tmp_path, path, "coco", "--images", os.path.join(samples, "coco"))
    assert [im["id"] for im in doc["images"]] == [785, 196141, 197388]
    summary = capsys.readouterr().out
    assert "image id 40083 (000000040083.jpg): annotation id 198196: keypoints: expected 51 numbers" in summary
    assert "annotation id 442619: image_id: 12345 is not the id of a usable image" in summary


@pytest.mark.parametrize("layout, content, message", [
    ("coco", "{not json", r"coco\.json: not valid JSON"),
    ("coco", "[]", r"coco\.json: expected a COCO object with images, annotations and categories, got list"),
    ("coco", '{"annotations": []}', r"coco\.json: images: missing; expected a list of image entries"),
    ("coco", '{"images": [], "annotations": {}}', r"coco\.json: annotations: expected a list of person annotations"),
    ("aic", "{}", r"coco\.json: expected a list of AI Challenger records"),
    ("mpii", '{"image": "a.jpg"}', r"coco\.json: expected a list of MPII person records"),
    ("ochuman-native", '{"keypoint_names": []}', r"coco\.json: images: missing"),
    ("cocowholebody", '{"images": [], "annotations": [{"id": 1, "image_id": 1, "keypoints": []}]}',
     r"coco\.json: annotations: expected COCO-WholeBody's foot_kpts"),
    ("deeplabcut", "a,b\n1,2\n", r"coco\.json: bodyparts, coords: missing"),
])
def test_malformed_files_raise_dataset_errors_naming_file_and_field(tmp_path, layout, content, message):
    path = tmp_path / "coco.json"
    path.write_text(content)
    with pytest.raises(DatasetError, match=message):
        read_source(layout, path, "coco17" if layout == "deeplabcut" else None)


def test_the_command_reports_errors_and_rejects_a_mismatched_layout(samples, tmp_path, capsys):
    out = tmp_path / "out.json"
    assert main([os.path.join(samples, "crowdpose", "crowdpose.json"), "--from", "coco", "--format", "coco17",
                 "--output", str(out)]) == 2
    assert "categories[0].keypoints: expected the joints of keypoint format 'coco17'" in capsys.readouterr().err
    assert main([os.path.join(samples, "aic", "keypoint_annotations.json"), "--from", "aic", "--to", "mpii16",
                 "--output", str(out)]) == 2
    err = capsys.readouterr().err
    assert "no joint mapping from keypoint format 'aic14' to 'mpii16'; it maps onto aic14, coco17, halpe26" in err
    assert not out.exists()


def test_missing_images_are_skipped_unless_kept_with_the_given_size(samples, tmp_path, capsys):
    path = tmp_path / "crowdpose.json"
    shutil.copy(os.path.join(samples, "crowdpose", "crowdpose.json"), path)
    shutil.copy(os.path.join(samples, "crowdpose", "103319.jpg"), tmp_path)
    doc = _convert(tmp_path, path, "crowdpose")
    assert [im["file_name"] for im in doc["images"]] == ["103319.jpg"]
    assert "image id 106848 (106848.jpg): image file 106848.jpg not found" in capsys.readouterr().out
    _run(path, "--from", "crowdpose", "--output", tmp_path / "kept.json", "--keep-missing-images")
    kept = json.loads((tmp_path / "kept.json").read_text())
    assert [im["file_name"] for im in kept["images"]] == ["106848.jpg", "103319.jpg"]
    raw = json.loads(path.read_text())
    raw["images"][1]["width"] = 320
    path.write_text(json.dumps(raw))
    _run(path, "--from", "crowdpose", "--output", tmp_path / "wrong.json")
    assert "annotations give 320 x 480 pixels (width x height), the image file" in capsys.readouterr().out


# ---------------------------------------------------------------------------------------------
# Mapping data.


def test_every_bundled_mapping_loads_and_names_real_joints():
    pairs = available_mappings()
    for needed in [("aic14", "coco17"), ("aic14", "halpe26"), ("crowdpose14", "coco17"), ("mpii16", "coco17"),
                   ("mpii16", "mpii14"), ("halpe136", "coco17"), ("halpe26", "coco17"),
                   ("cocowholebody133", "coco17"), ("coco17", "halpe26"), ("ochuman", "coco17")]:
        assert needed in pairs
    for source, target in pairs:
        mapping = get_mapping(source, target)
        assert mapping.target.name == target and len(mapping.index) == mapping.target.num_joints
        for t, s in enumerate(mapping.index):
            if s >= 0:
                assert mapping.target.joints[t] == mapping.source.joints[s] or (source, target) in {
                    ("aic14", "halpe26"), ("mpii16", "mpii14")}
    aic = get_mapping("aic14", "coco17")
    assert aic.dropped == ("head_top", "neck") and aic.unfed == tuple(COCO17[:5])
    assert get_mapping("coco17", "coco17").origin == "identity"


def _mapping_file(tmp_path, **joints):
    base = {name: (name if name in AIC_ORDER else None) for name in COCO17}
    base.update(joints)
    body = "\n".join(f"  {k}: {'null' if v is None else v}" for k, v in base.items() if v != "OMIT")
    path = tmp_path / "aic14_to_coco17.yaml"
    path.write_text(f"source: aic14\ntarget: coco17\njoints:\n{body}\n")
    return path


def test_mapping_loader_names_the_file_and_the_bad_joint(tmp_path):
    assert load_mapping(_mapping_file(tmp_path)).index == get_mapping("aic14", "coco17").index
    cases = [({"left_wrist": "left_wirst"}, "'left_wirst' is not a joint of source format 'aic14' "
                                            "(did you mean 'left_wrist'"),
             ({"left_wrist": "OMIT"}, "missing target joints left_wrist"),
             ({"left_shoulder": "right_shoulder", "right_shoulder": "left_shoulder"},
              "left_shoulder: right_shoulder is a right joint feeding a left one"),
             ({"right_shoulder": None}, "left_shoulder and right_shoulder mirror each other, so their sources "
                                        "must too; got left_shoulder and None"),
             ({"nose": "neck", "left_eye": "neck"}, "source joints feeding several target joints: neck")]
    for change, message in cases:
        path = _mapping_file(tmp_path, **change)
        with pytest.raises(FormatError, match="aic14_to_coco17.yaml: invalid joint mapping") as err:
            load_mapping(path)
        assert message in str(err.value)
    path.write_text("source: aic14\ntarget: coco17\njoints:\n  noze: nose\n")
    with pytest.raises(FormatError, match="'noze' is not a joint of target format 'coco17'"):
        load_mapping(path)


def test_a_user_mapping_file_replaces_the_bundled_one(samples, tmp_path):
    path = _mapping_file(tmp_path, nose="head_top")
    doc = _convert(tmp_path, os.path.join(samples, "aic", "keypoint_annotations.json"), "aic", "--mapping", path)
    assert _rows(doc["annotations"][0])[0].tolist() == [395, 74, 2]


def test_visibility_tables_translate_codes_at_the_border():
    assert visibility_table("aic").translate([1, 2, 3], "x").tolist() == [2, 1, 0]
    assert visibility_table("ochuman_native").translate([0, 1, 2, 3], "x").tolist() == [0, 2, 2, 1]
    assert visibility_table("cocowholebody_parts").translate([0, 0.04, 1, 2], "x").tolist() == [0, 2, 2, 2]
    with pytest.raises(DatasetError, match="where: v of joint 1: expected a coco visibility code"):
        visibility_table("coco").translate([2, 3], "where", "v")


# ---------------------------------------------------------------------------------------------
# Sizes, boxes, ids, paths, the script.


def test_image_size_comes_from_the_header_without_decoding(tmp_path):
    noise = np.random.default_rng(0).integers(0, 255, (240, 320, 3), dtype=np.uint8)
    data = iio.imwrite("<bytes>", noise, extension=".jpg", quality=95)
    path = tmp_path / "truncated.jpg"
    path.write_bytes(data[:len(data) // 10])
    with pytest.raises(Exception):
        iio.imread(path)  # the pixels cannot be decoded
    assert read_image_size(path) == (240, 320)
    (tmp_path / "text.jpg").write_text("not an image")
    with pytest.raises(DatasetError, match=r"text\.jpg: cannot read the image size from its header"):
        read_image_size(tmp_path / "text.jpg")


def test_box_from_joints_has_a_margin_and_stays_in_the_image():
    joints = np.array([[10, 20, 2], [30, 60, 1], [99, 99, 0]], np.float64)
    assert box_from_joints(joints, 100, 100) == pytest.approx((8, 16, 24, 48))
    assert box_from_joints(joints, 100, 100, margin=0) == pytest.approx((10, 20, 20, 40))
    assert box_from_joints(joints, 50, 35) == pytest.approx((8, 16, 24, 34))
    assert box_from_joints(joints * [1, 1, 0], 100, 100) is None


def test_ids_and_output_are_the_same_on_every_run(samples, tmp_path):
    path = os.path.join(samples, "aic", "keypoint_annotations.json")
    _run(path, "--from", "aic", "--output", tmp_path / "a.json")
    _run(path, "--from", "aic", "--output", tmp_path / "b.json")
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()
    doc = json.loads((tmp_path / "a.json").read_text())
    assert [im["id"] for im in doc["images"]] == [1, 2, 3]
    assert [a["id"] for a in doc["annotations"]] == list(range(1, 10))
    assert [a["image_id"] for a in doc["annotations"]] == [1, 1, 1, 2, 2, 2, 3, 3, 3]


def test_image_names_are_relative_below_the_output_folder_else_absolute(samples, tmp_path, capsys):
    """Absolute names are written only for images outside the output's folder, and then the
    summary says how many and that training on them needs allow_absolute_image_paths."""
    data = tmp_path / "data"
    shutil.copytree(os.path.join(samples, "aic"), data / "images")
    shutil.move(data / "images" / "keypoint_annotations.json", data / "aic.json")
    inside = _convert(data, data / "aic.json", "aic")
    assert inside["images"][0]["file_name"] == "images/054d9ce9201beffc76e5ff2169d2af2f027002ca.jpg"
    assert "absolute" not in capsys.readouterr().out
    elsewhere = _convert(tmp_path, data / "aic.json", "aic", name="elsewhere/out.json")
    assert elsewhere["images"][0]["file_name"] == str(data / "images" / "054d9ce9201beffc76e5ff2169d2af2f027002ca.jpg")
    out = capsys.readouterr().out
    assert (f"note: 3 of 3 images lie outside {tmp_path / 'elsewhere'} and are written with absolute paths: "
            "training or evaluating on out.json needs allow_absolute_image_paths: true") in out
    _run(data / "aic.json", "--from", "aic", "--to", "deepercut-mat", "--output", tmp_path / "mat" / "d.mat")
    assert f"note: 3 of 3 images lie outside {tmp_path / 'mat'}" in capsys.readouterr().out


def _one_image_coco(folder, file_name):
    """A COCO file in ``folder`` naming one 64 x 48 image ``file_name``, one person on it."""
    doc = {"images": [{"id": 1, "file_name": file_name, "height": 48, "width": 64}],
           "annotations": [{"id": 1, "image_id": 1, "iscrowd": 0, "keypoints": [10, 20, 2] * 17,
                            "bbox": [1, 2, 30, 40]}]}
    path = folder / "ann.json"
    path.write_text(json.dumps(doc))
    return path


def test_absolute_image_names_outside_the_folders_searched_need_the_flag(tmp_path, capsys):
    """An absolute name inside the annotation's folder (or --images) is read; one outside is a
    skipped record naming the record, the path and the flag, until --allow-absolute-paths."""
    outside = _image(tmp_path / "secret" / "x.png")
    inner = tmp_path / "set"
    inner.mkdir()
    own = _image(inner / "images" / "own.png")
    assert _run(_one_image_coco(inner, own), "--from", "coco", "--output", inner / "a.json") == 0
    assert json.loads((inner / "a.json").read_text())["images"][0]["file_name"] == "images/own.png"
    capsys.readouterr()
    assert _run(_one_image_coco(inner, outside), "--from", "coco", "--output", inner / "b.json") == 1
    out = capsys.readouterr().out
    assert (f"image id 1 ({outside}): file_name {outside}: an absolute path outside the image folders "
            f"searched ({inner}, {inner / 'images'}); not read (allow it with allow_absolute_image_paths: "
            "true in the config, or --allow-absolute-paths for convert-dataset)") in out
    assert json.loads((inner / "b.json").read_text())["images"] == []
    assert _run(_one_image_coco(inner, outside), "--from", "coco", "--output", inner / "c.json",
                "--images", tmp_path / "secret") == 0  # inside --images
    assert _run(_one_image_coco(inner, outside), "--from", "coco", "--output", inner / "d.json",
                "--allow-absolute-paths") == 0
    assert json.loads((inner / "d.json").read_text())["images"][0]["file_name"] == outside
    assert "1 of 1 images lie outside" in capsys.readouterr().out


def test_summary_counts_labelled_joints_of_the_target_format(samples, tmp_path, capsys):
    path = os.path.join(samples, "aic", "keypoint_annotations.json")
    _run(path, "--from", "aic", "--output", tmp_path / "out.json")
    out = capsys.readouterr().out
    codes = np.concatenate([np.asarray(v, np.float64).reshape(14, 3)[:, 2]
                            for r in json.load(open(path)) for v in r["keypoint_annotations"].values()]).reshape(-1, 14)
    for name in ("right_shoulder", "left_ankle"):
        col = codes[:, AIC_ORDER.index(name)]
        visible, hidden = int((col == 1).sum()), int((col == 2).sum())
        assert f"  {name:<14}  {visible:>7}  {hidden:>6}  {visible + hidden:>8}" in out
    assert "  nose                  0       0         0" in out
    assert "images   3 written" in out and "people   9 written: 9 with labelled joints" in out
    assert "skipped records: none" in out and "not carried over: head_top, neck" in out


def test_models_dataset_generator_script_runs_the_command(samples, root, tmp_path, monkeypatch):
    out = tmp_path / "mpii.json"
    script = str(root / "models" / "dataset_generator.py")
    monkeypatch.setattr(sys, "argv", [script, os.path.join(samples, "mpii", "mpii.json"), "--from", "mpii",
                                      "--output", str(out)])
    with pytest.raises(SystemExit) as exit_:
        runpy.run_path(script, run_name="__main__")
    assert exit_.value.code == 0 and len(json.loads(out.read_text())["annotations"]) == 5


def test_joints_outside_the_image_are_dropped_and_reported(tmp_path, capsys):
    """A labelled joint far outside its image (a typo, another image's coordinates) is made
    unlabelled and the report says how many, instead of training on it."""
    table = ("scorer,alex,alex,alex,alex,alex,alex\n"
             "bodyparts,snout,snout,left_ear,left_ear,tail_base,tail_base\n"
             "coords,x,y,x,y,x,y\n"
             "labeled-data/video1/img001.png,10,20,-50,-20,30,40\n"
             "labeled-data/video1/img002.png,50000,90000,12,13,,\n"
             "labeled-data/video1/img003.png,2,3,64,48,30,40\n")
    csv, fmt = _dlc_project(tmp_path, table)
    doc = _convert(tmp_path, csv, "deeplabcut", "--format", fmt)
    rows = [_rows(a) for a in doc["annotations"]]
    assert rows[0][1].tolist() == [0, 0, 0] and rows[0][0].tolist() == [10, 20, 2]
    assert rows[1][0].tolist() == [0, 0, 0] and rows[1][1].tolist() == [12, 13, 2]
    assert rows[2][1].tolist() == [64, 48, 2]  # on the image's edge: kept
    assert "2 labelled joints of 2 people lay outside their image" in capsys.readouterr().out
