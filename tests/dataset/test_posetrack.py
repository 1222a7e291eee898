"""PoseTrack JSON: 2018 written and read back, loaded by pycocotools, small hand-written 2017 and 2018
files parsed as PoseTrack defines them, errors that name file, record and field, the formats and
mappings, and the ``posetrack`` input of convert-dataset and of training."""
import contextlib
import copy
import io
import json

import numpy as np
import pytest

from dataset.conversion import convert
from dataset.joint_mappings import get_mapping
from dataset.keypoint_formats import get_format
from dataset.loaders import load_dataset, read_source, source_layouts
from dataset.posetrack import posetrack_document, posetrack_image_id, read_posetrack, write_posetrack
from dataset.synthetic.clips import generate_clips
from dataset.tracks import TrackedVideo, frame_people
from lib.errors import DatasetError

# poseval's convert.py lists these: the 2018 names in file order, and the 2017 joint ids 0-14.
POSETRACK18 = ["nose", "head_bottom", "head_top", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
               "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee",
               "right_knee", "left_ankle", "right_ankle"]
POSETRACK17_IDS = ["right_ankle", "right_knee", "right_hip", "left_hip", "left_knee", "left_ankle", "right_wrist",
                   "right_elbow", "right_shoulder", "left_shoulder", "left_elbow", "left_wrist", "head_bottom",
                   "nose", "head_top"]
COCO_SIGMAS = [.026, .025, .025, .035, .035, .079, .079, .072, .072, .062, .062, .107, .107, .087, .087, .089, .089]


def _quiet_coco(path_or_dict):
    from pycocotools.coco import COCO
    with contextlib.redirect_stdout(io.StringIO()):
        if isinstance(path_or_dict, dict):
            coco = COCO()
            coco.dataset = path_or_dict
            coco.createIndex()
            return coco
        return COCO(str(path_or_dict))


def _video(predictions=False):
    """Three frames of two or three people in coco17; frame 1 unlabelled; hidden and unlabelled joints."""
    rng = np.random.default_rng(3)
    frames = []
    for k, ids in enumerate(([4, 9], [4, 9], [9, 2, 4])):
        poses = np.concatenate([np.round(rng.uniform(5, 95, (len(ids), 17, 2)), 2),
                                np.full((len(ids), 17, 1), 2.0)], axis=2)
        if predictions:
            poses[:, :, 2] = np.round(rng.uniform(0.05, 1, (len(ids), 17)), 3)
        else:
            poses[0, 3] = 0.0  # unlabelled
            poses[-1, 7, 2] = 1.0  # hidden
        heads = np.array([[10.0, 12.0, 30.5, 33.0]] + [[np.nan] * 4] * (len(ids) - 1))
        scores = np.round(rng.uniform(0.2, 1, len(ids)), 3) if predictions else None
        frames.append(frame_people(ids, poses, scores, heads))
    return TrackedVideo("000042_mpii_test", [f"images/val/000042_mpii_test/{k:06d}.jpg" for k in range(3)],
                        frames, "coco17", [True, False, True])


# ---------------------------------------------------------------------------------------------
# Formats and mappings.


def test_formats_follow_poseval_names_ids_and_coco_sigmas():
    pt18, pt15 = get_format("posetrack18"), get_format("posetrack15")
    assert list(pt18.joints) == POSETRACK18
    assert list(pt15.joints) == POSETRACK17_IDS
    np.testing.assert_allclose(pt18.sigmas, COCO_SIGMAS)
    for name, sigma in zip(pt15.joints, pt15.sigmas):
        assert sigma == pt18.sigmas[pt18.index(name)], name
    assert pt18.flip_index[3] == 4 and pt18.flip_index[1] == 1
    assert pt15.flip_index[pt15.index("left_wrist")] == pt15.index("right_wrist")


def test_mappings_to_coco17_carry_joints_by_name():
    for source in ("posetrack18", "posetrack15"):
        mapping = get_mapping(source, "coco17")
        fmt = get_format(source)
        pose = np.column_stack([np.arange(fmt.num_joints), np.arange(fmt.num_joints) + 100,
                                np.full(fmt.num_joints, 2.0)])
        out = mapping.apply(pose)
        for t, name in enumerate(get_format("coco17").joints):
            if name in fmt.joints:
                assert out[t, 0] == fmt.index(name), (source, name)
            else:
                assert not out[t].any(), (source, name)
        assert set(mapping.dropped) == {"head_bottom", "head_top"}


# ---------------------------------------------------------------------------------------------
# Writing and reading back.


def test_ground_truth_round_trips(tmp_path):
    video = _video()
    path = write_posetrack(video, tmp_path / "gt.json", size=(100, 120))
    data = read_posetrack(path)
    assert (data.year, data.predictions, data.skipped) == (2018, False, [])
    back = data.video
    assert back.frames == video.frames and back.format == "coco17" and back.labelled == [True, False, True]
    assert data.image_ids == [posetrack_image_id(42, k) for k in range(3)] == [10000420000, 10000420001, 10000420002]
    assert data.sizes == [(100, 120)] * 3
    assert len(back.people[1]) == 0
    for k in (0, 2):
        np.testing.assert_array_equal(back.people[k].track_ids, video.people[k].track_ids)
        np.testing.assert_array_equal(back.people[k].poses, video.people[k].poses)
        np.testing.assert_array_equal(back.people[k].head_boxes, video.people[k].head_boxes)
    raw = json.loads(open(path).read())
    assert [i["is_labeled"] for i in raw["images"]] == [True, False, True]
    assert {i["vid_id"] for i in raw["images"]} == {"000042"} and raw["images"][0]["nframes"] == 3
    first = raw["annotations"][0]
    assert first["id"] == 10000420000 * 100 and first["track_id"] == 4 and first["category_id"] == 1
    assert first["bbox_head"] == [10, 12, 20.5, 21] and "bbox_head" not in raw["annotations"][1]
    assert first["iscrowd"] == 0 and first["num_keypoints"] == 16 and "scores" not in first
    # the box surrounds the labelled joints (10 % margin, clipped to the image)
    labelled = video.people[0].poses[0][video.people[0].poses[0][:, 2] > 0]
    x, y, w, h = first["bbox"]
    assert x <= labelled[:, 0].min() and x + w >= labelled[:, 0].max() and y + h <= 100
    assert first["area"] == pytest.approx(w * h)
    assert raw["categories"][0]["keypoints"] == list(get_format("coco17").joints)


def test_predictions_round_trip_with_scores(tmp_path):
    video = _video(predictions=True)
    path = write_posetrack(video, tmp_path / "pred.json", predictions=True)
    raw = json.loads(open(path).read())
    ann = raw["annotations"][0]
    assert ann["scores"] == ann["keypoints"][2::3] and ann["score"] == video.people[0].scores[0]
    assert "visibility" not in raw["info"]
    data = read_posetrack(path)
    assert data.predictions and data.sizes == [None] * 3
    for k in (0, 2):
        np.testing.assert_array_equal(data.video.people[k].poses, video.people[k].poses)
        np.testing.assert_array_equal(data.video.people[k].scores, video.people[k].scores)


def test_pycocotools_loads_the_file_and_scores_per_frame_ap(tmp_path):
    from pycocotools.cocoeval import COCOeval
    video = _video()
    path = write_posetrack(video, tmp_path / "gt.json", size=(100, 120))
    truth = _quiet_coco(path)
    assert len(truth.getImgIds()) == 3 and len(truth.getAnnIds()) == 5
    assert sorted(truth.getAnnIds(imgIds=[10000420002])) == [1000042000200, 1000042000201, 1000042000202]

    def ap(shift):
        results = []
        for ann in truth.loadAnns(truth.getAnnIds()):
            kp = np.array(ann["keypoints"], dtype=float).reshape(-1, 3)
            kp[:, 0] += shift
            kp[:, 2] = 1.0
            results.append({"image_id": ann["image_id"], "category_id": 1, "keypoints": kp.ravel().tolist(),
                            "score": 1.0})
        with contextlib.redirect_stdout(io.StringIO()):
            found = truth.loadRes(results)
            ev = COCOeval(truth, found, "keypoints")
            ev.params.imgIds = [10000420000]  # per frame
            ev.evaluate()
            ev.accumulate()
            ev.summarize()
        return ev.stats[0]

    assert ap(0.0) == pytest.approx(1.0)
    assert ap(15.0) < 0.5


def test_the_project_keypoint_evaluation_reads_the_file(tmp_path):
    pytest.importorskip("xtcocotools.coco")
    from dataset.coco_eval import evaluate_keypoints, people_to_coco_results
    video = _video()
    path = write_posetrack(video, tmp_path / "gt.json", size=(100, 120))
    results = []
    for k in (0, 2):
        poses = video.people[k].poses.copy()
        poses[:, :, 2] = 1.0
        results += people_to_coco_results(posetrack_image_id(42, k), poses, np.ones(len(poses)))
    metrics = evaluate_keypoints(path, results, get_format("coco17").sigmas)
    assert metrics["AP"] == pytest.approx(1.0)


def test_our_coco_loader_reads_a_written_clip(tmp_path):
    path = generate_clips(tmp_path, 1, 4, 64, 64, (2, 2), seed=2)[0]
    records = load_dataset("coco", path).records
    assert records and all(r.joints.shape[1:] == (17, 3) for r in records)


# ---------------------------------------------------------------------------------------------
# PoseTrack's own layouts, hand-written.


def _posetrack18_file():
    """A two-frame 2018 file as PoseTrack writes it: labelled joints v 1, others 0 0 0."""
    kp = [0.0] * 51
    kp[0:3] = [621, 471, 1]                 # nose
    kp[3:6] = [542.5, 599.25, 1]            # head_bottom
    kp[15:18] = [371, 737, 1]               # left_shoulder
    return {
        "categories": [{"supercategory": "person", "id": 1, "name": "person", "keypoints": POSETRACK18,
                        "skeleton": [[16, 14]]}],
        "images": [
            {"has_no_densepose": True, "is_labeled": True, "file_name": "images/val/003418_mpii_test/000000.jpg",
             "nframes": 2, "frame_id": 10034180000, "vid_id": "003418", "id": 10034180000},
            {"has_no_densepose": True, "is_labeled": False, "file_name": "images/val/003418_mpii_test/000001.jpg",
             "nframes": 2, "frame_id": 10034180001, "vid_id": "003418", "id": 10034180001}],
        "annotations": [
            {"bbox_head": [346, 337, 296, 237], "keypoints": kp, "track_id": 0, "image_id": 10034180000,
             "bbox": [214.25, 15.0, 1358.5, 1092.0], "scores": [], "category_id": 1, "id": 1003418000000,
             "iscrowd": False, "num_keypoints": 3},
            {"bbox_head": [], "keypoints": [0.0] * 51, "track_id": 1, "image_id": 10034180000, "scores": [],
             "category_id": 1, "id": 1003418000001}],
    }


def _write(tmp_path, name, data):
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


def test_reads_posetrack_2018_ground_truth(tmp_path, caplog):
    data = read_posetrack(_write(tmp_path, "003418_mpii_test.json", _posetrack18_file()))
    video = data.video
    assert (data.year, data.predictions, video.format, video.name) == (2018, False, "posetrack18", "003418_mpii_test")
    assert video.labelled == [True, False] and data.image_ids == [10034180000, 10034180001]
    people = video.people[0]
    assert people.track_ids.tolist() == [0]  # the person without labelled joints is left out
    pose = people.poses[0]
    np.testing.assert_array_equal(pose[[0, 1, 5]], [[621, 471, 2], [542.5, 599.25, 2], [371, 737, 2]])
    assert not pose[[2, 3, 4, 6]].any()
    np.testing.assert_array_equal(people.head_boxes[0], [346, 337, 642, 574])
    assert any("without a labelled joint" in n for n in data.notes)


def _posetrack17_file(predictions=False):
    """Three frames in PoseTrack 2017's MPII-like layout (joint ids in posetrack15 order)."""
    def point(j, x, y, visible=None, score=None):
        p = {"id": [j], "x": [x], "y": [y]}
        if visible is not None:
            p["is_visible"] = [visible]
        if score is not None:
            p["score"] = [score]
        return p

    if predictions:
        points = [point(13, 50, 40, score=0.9), point(0, 45, 120, score=0.4)]
        rect = {"x1": [40], "y1": [20], "x2": [60], "y2": [45], "score": [0.8], "track_id": [3],
                "annopoints": [{"point": points}]}
    else:
        points = [point(13, 50, 40, 1), point(0, 45, 120, 0), point(9, 60, 70, 1)]
        rect = {"x1": [40], "y1": [20], "x2": [60], "y2": [45], "track_id": [3], "annopoints": [{"point": points}]}
    other = {"x1": [1], "y1": [2], "x2": [3], "y2": [4], "track_id": [5], "annopoints": []}
    return {"annolist": [
        {"image": [{"name": "images/bonn/000001_mpii/00000001.jpg"}], "annorect": [rect, other], "is_labeled": [1],
         "imgnum": [1]},
        {"image": [{"name": "images/bonn/000001_mpii/00000002.jpg"}], "annorect": [], "is_labeled": [0]},
        {"image": [{"name": "images/bonn/000001_mpii/00000003.jpg"}], "annorect": [copy.deepcopy(rect)]},
    ]}


def test_reads_posetrack_2017_ground_truth(tmp_path):
    data = read_posetrack(_write(tmp_path, "000001_mpii.json", _posetrack17_file()))
    video = data.video
    assert (data.year, data.predictions, video.format) == (2017, False, "posetrack15")
    assert video.frames[1] == "images/bonn/000001_mpii/00000002.jpg"
    assert video.labelled == [True, False, True]  # no is_labeled: labelled when it has people
    people = video.people[0]
    assert people.track_ids.tolist() == [3]  # the rect without points is left out, as poseval does
    pose = people.poses[0]
    fmt = get_format("posetrack15")
    assert pose[fmt.index("nose")].tolist() == [50, 40, 2]
    assert pose[fmt.index("right_ankle")].tolist() == [45, 120, 1]  # is_visible 0: annotated, hidden
    assert pose[fmt.index("left_shoulder")].tolist() == [60, 70, 2]
    assert (pose[:, 2] > 0).sum() == 3
    np.testing.assert_array_equal(people.head_boxes[0], [40, 20, 60, 45])
    assert data.image_ids == [None] * 3


def test_reads_posetrack_2017_predictions(tmp_path):
    data = read_posetrack(_write(tmp_path, "pred.json", _posetrack17_file(predictions=True)))
    assert data.predictions
    fmt = get_format("posetrack15")
    pose = data.video.people[0].poses[0]
    assert pose[fmt.index("nose"), 2] == 0.9 and pose[fmt.index("right_ankle"), 2] == 0.4
    assert data.video.people[0].scores.tolist() == [0.8]


def test_reads_posetrack_2018_predictions(tmp_path):
    data = _posetrack18_file()
    for ann in data["annotations"]:
        ann["scores"] = [0.5] * 17
    data["annotations"][0]["score"] = 0.7
    read = read_posetrack(_write(tmp_path, "pred18.json", data))
    assert read.predictions and read.video.people[0].track_ids.tolist() == [0, 1]  # predictions are kept
    assert read.video.people[0].poses[0, :, 2].tolist() == [0.5] * 17
    assert read.video.people[0].scores.tolist() == [0.7, 0.5]


# ---------------------------------------------------------------------------------------------
# Errors.


@pytest.mark.parametrize("content", [[1, 2], {"people": []}, "text"])
def test_a_file_that_is_not_posetrack_raises_naming_it(tmp_path, content):
    path = _write(tmp_path, "other.json", content)
    with pytest.raises(DatasetError, match=r"other\.json: expected PoseTrack JSON"):
        read_posetrack(path)


def test_a_coco_file_is_not_taken_for_posetrack(tmp_path):
    coco = {"images": [{"id": 1, "file_name": "a.jpg"}],
            "annotations": [{"id": 1, "image_id": 1, "keypoints": [0] * 51}]}
    with pytest.raises(DatasetError, match=r"coco\.json: annotations: no annotation has a track_id"):
        read_posetrack(_write(tmp_path, "coco.json", coco))


def test_a_bad_2018_annotation_skips_its_frame_only(tmp_path):
    data = _posetrack18_file()
    data["images"][1]["is_labeled"] = True
    good = copy.deepcopy(data["annotations"][0])
    good.update(id=1003418000100, image_id=10034180001)
    data["annotations"][0]["keypoints"] = data["annotations"][0]["keypoints"][:-3]
    data["annotations"].append(good)
    data["annotations"].append({**good, "id": 77, "image_id": 999})
    read = read_posetrack(_write(tmp_path, "bad18.json", data))
    assert read.video.labelled == [False, True] and len(read.video.people[0]) == 0
    assert read.video.people[1].track_ids.tolist() == [0]
    by_record = {s.record: s for s in read.skipped}
    frame = by_record["image id 10034180000 (images/val/003418_mpii_test/000000.jpg)"]
    assert frame.file.endswith("bad18.json")
    assert frame.reason.startswith("annotation id 1003418000000: keypoints: expected 51 numbers")
    assert "image_id: expected the id of a frame listed in images, got 999" in by_record["annotation id 77"].reason


def test_repeated_track_ids_and_bad_2017_points_skip_their_frames(tmp_path):
    data = _posetrack17_file()
    data["annolist"][0]["annorect"][1] = copy.deepcopy(data["annolist"][0]["annorect"][0])  # track 3 twice
    data["annolist"][2]["annorect"][0]["annopoints"][0]["point"][1]["id"] = [15]
    read = read_posetrack(_write(tmp_path, "bad17.json", data))
    assert read.video.labelled == [False, False, False]
    reasons = {s.record: s.reason for s in read.skipped}
    assert "track_ids: expected each id once per frame, got [3, 3]" in \
        reasons["frame 0 (images/bonn/000001_mpii/00000001.jpg)"]
    assert reasons["frame 2 (images/bonn/000001_mpii/00000003.jpg)"] == \
        "annorect 0, point 1: id: expected a joint id 0..14 (posetrack15), got 15"


def test_bad_track_id_and_head_box_name_the_field(tmp_path):
    data = _posetrack18_file()
    data["annotations"][0]["track_id"] = -1
    read = read_posetrack(_write(tmp_path, "t.json", data))
    assert read.skipped[0].reason == "annotation id 1003418000000: track_id: expected a non-negative integer, got -1"
    data = _posetrack18_file()
    data["annotations"][0]["bbox_head"] = [1, 2, -3, 4]
    read = read_posetrack(_write(tmp_path, "h.json", data))
    assert "bbox_head: expected a non-negative width and height" in read.skipped[0].reason


def test_writer_needs_a_format_and_matching_joints(tmp_path):
    video = _video()
    with pytest.raises(DatasetError, match="format: expected a registered keypoint format"):
        posetrack_document(TrackedVideo("v", video.frames, video.people, None))
    with pytest.raises(DatasetError, match=r"v: frame 0: poses: expected 15 joints \(posetrack15\)"):
        posetrack_document(TrackedVideo("v", video.frames, video.people, "posetrack15"))


# ---------------------------------------------------------------------------------------------
# The posetrack input of convert-dataset and training.


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    folder = tmp_path_factory.mktemp("clip")
    return generate_clips(folder, 1, 5, 64, 80, (2, 3), seed=11)[0]


def test_read_source_gives_the_labelled_frames_without_track_ids(clip):
    truth = read_posetrack(clip)
    source = read_source("posetrack", clip)
    assert source_layouts()["posetrack"].reader is not None and source.layout == "posetrack"
    assert source.format.name == "coco17" and len(source.images) == 5
    for image, people in zip(source.images, truth.video.people):
        assert image.path is not None and image.size == (64, 80) and len(image.people) == len(people)
        np.testing.assert_array_equal(np.stack([p.joints for p in image.people]).reshape(-1, 17, 3), people.poses)


def test_read_source_reads_2017_files_in_posetrack15(clip, tmp_path):
    folder = clip.rsplit("/", 1)[0]
    data = _posetrack17_file()
    for k, entry in enumerate(data["annolist"]):
        entry["image"][0]["name"] = f"{folder}/000000_synthetic/{k:06d}.png"
    refused = read_source("posetrack", _write(tmp_path, "pt17.json", data))
    assert all("absolute path outside the image folders" in (image.refused or "") for image in refused.images)
    source = read_source("posetrack", tmp_path / "pt17.json", allow_absolute_paths=True)
    assert source.format.name == "posetrack15" and len(source.images) == 2  # frame 1 is not labelled
    assert all(image.path for image in source.images)
    assert any("not converted" in note for note in source.notes)
    converted = convert(source, get_mapping("posetrack15", "coco17"))
    nose = converted.images[0].people[0].joints[0]
    assert nose.tolist() == [50, 40, 2]
    assert converted.images[0].people[0].num_keypoints == 1  # ankle (y 120), shoulder (y 70): below the frame
    trained = load_dataset("posetrack", tmp_path / "pt17.json", keypoint_format="coco17",
                           allow_absolute_paths=True)
    assert trained.format_name == "coco17" and trained.records[0].joints[0, 0].tolist() == [50, 40, 2]
    with pytest.raises(DatasetError, match="PoseTrack 2017 files hold posetrack15 joints"):
        read_source("posetrack", tmp_path / "pt17.json", "coco17")


def test_prediction_files_are_not_training_data(tmp_path):
    with pytest.raises(DatasetError, match="holds predictions"):
        read_source("posetrack", _write(tmp_path, "pred.json", _posetrack17_file(predictions=True)))


def test_convert_dataset_from_posetrack(clip, tmp_path, capsys):
    from posecut.cli import main
    out = tmp_path / "coco.json"
    assert main(["convert-dataset", "--from", "posetrack", "--output", str(out), clip]) == 0
    assert "skipped records: none" in capsys.readouterr().out
    coco = _quiet_coco(out)
    truth = read_posetrack(clip).video
    assert len(coco.getImgIds()) == 5
    assert len(coco.getAnnIds()) == sum(len(p) for p in truth.people)
    assert "track_id" not in coco.loadAnns(coco.getAnnIds())[0]


def test_posetrack_is_a_training_dataset_type(clip):
    dataset = load_dataset("posetrack", clip)
    truth = read_posetrack(clip).video
    assert dataset.format_name == "coco17" and len(dataset.records) == 5
    assert [r.num_people for r in dataset.records] == [len(p) for p in truth.people]
