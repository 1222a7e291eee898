"""MPII head rectangles: read from the evaluation .mat next to the JSON records, kept per record, checked."""
import json

import imageio.v3 as iio
import numpy as np
import pytest
import scipy.io as sio

from dataset.metrics import head_sizes, pckh
from dataset.mpii import load_mpii_json
from dataset.records import ImageRecord
from lib.errors import DatasetError



@pytest.fixture
def sample_json(sample):
    """The real MPII sample's JSON; the test is skipped when the samples are absent."""
    return str(sample("mpii", "mpii.json"))


def _write_boxes(path, boxes, key="headboxes_src"):
    """Write (N, 4) x1, y1, x2, y2 rectangles as MPII's (2, 2, N) ``headboxes_src`` and return the path."""
    boxes = np.asarray(boxes, np.float64)
    sio.savemat(str(path), {key: boxes.reshape(-1, 2, 2).transpose(1, 2, 0)})
    return str(path)


def _sample_boxes(raw):
    """A head rectangle per sample record around its upper neck and head top (1-based, as MPII stores them)."""
    boxes = []
    for entry in raw:
        neck, top = np.array(entry["joints"][8]), np.array(entry["joints"][9])
        low, high = np.minimum(neck, top), np.maximum(neck, top)
        pad = 0.3 * np.linalg.norm(top - neck)
        boxes.append(np.round(np.concatenate([low - pad, high + pad])))
    return np.array(boxes)


def test_the_sample_json_has_no_head_rectangles_of_its_own(sample_json):
    data = load_mpii_json(sample_json)
    assert len(data.records) == 5 and all(r.head_boxes is None for r in data.records)


def test_sample_head_boxes_match_the_evaluation_file(sample_json, tmp_path):
    raw = json.load(open(sample_json))
    boxes = _sample_boxes(raw)
    mat = _write_boxes(tmp_path / "gt_valid.mat", boxes)
    stored = sio.loadmat(mat)["headboxes_src"]
    assert stored.shape == (2, 2, 5)
    data = load_mpii_json(sample_json, head_boxes_file=mat)
    assert len(data.records) == 5
    for index, record in enumerate(data.records):
        assert record.head_boxes.shape == (1, 4) and record.head_boxes.dtype == np.float32
        (top_left, bottom_right) = stored[:, :, index]  # corners (x, y), MATLAB's 1-based pixels
        np.testing.assert_array_equal(record.head_boxes[0], np.concatenate([top_left, bottom_right]) - 1)
        assert not record.head_boxes.flags.writeable
        x1, y1, x2, y2 = record.head_boxes[0]
        for joint in (8, 9):  # upper neck and head top, now 0-based like the rectangle, lie inside it
            x, y = record.joints[0, joint, :2]
            assert x1 < x < x2 and y1 < y < y2

    truth = np.concatenate([r.joints for r in data.records])
    rects = np.concatenate([r.head_boxes for r in data.records])
    sizes = head_sizes(rects)
    np.testing.assert_allclose(sizes, 0.6 * np.hypot(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]),
                               rtol=1e-6)
    per_joint, total = pckh(truth[..., :2], truth, rects)
    assert total == 1.0 and np.nanmin(per_joint) == 1.0
    # every prediction pushed right by 0.49 / 0.51 head sizes: all in, then all out
    for fraction, expected in ((0.49, 1.0), (0.51, 0.0)):
        moved = truth[..., :2] + np.stack([fraction * sizes, 0 * sizes], axis=1)[:, None, :]
        per_joint, total = pckh(moved, truth, rects, alpha=0.5)
        assert total == expected and np.all(per_joint == expected)
    assert np.all(np.isfinite(per_joint))  # every joint is labelled in at least one sample record


def _two_records(tmp_path):
    """An MPII JSON of two records (images next to it) and its path."""
    iio.imwrite(tmp_path / "p.jpg", np.full((20, 30, 3), 100, np.uint8))
    entry = {"image": "p.jpg", "center": [10, 10], "scale": 1.0, "joints": [[5, 6]] * 16, "joints_vis": [1] * 16}
    path = tmp_path / "mpii.json"
    path.write_text(json.dumps([entry, entry]))
    return path


def test_head_boxes_follow_the_records_and_move_to_zero_based(tmp_path):
    path = _two_records(tmp_path)
    mat = _write_boxes(tmp_path / "gt.mat", [[3, 4, 9, 12], [1.5, 2.5, 7.5, 10.5]])
    first, second = load_mpii_json(path, head_boxes_file=mat).records
    np.testing.assert_array_equal(first.head_boxes, [[2, 3, 8, 11]])
    np.testing.assert_array_equal(second.head_boxes, [[0.5, 1.5, 6.5, 9.5]])
    assert load_mpii_json(path).records[0].head_boxes is None


def test_a_record_without_joints_keeps_no_rectangle(tmp_path):
    iio.imwrite(tmp_path / "a.jpg", np.full((20, 30, 3), 100, np.uint8))
    path = tmp_path / "mpii.json"
    path.write_text(json.dumps([{"image": "a.jpg"}]))  # a test split: no person
    (record,) = load_mpii_json(path, head_boxes_file=_write_boxes(tmp_path / "gt.mat", [[1, 1, 5, 5]])).records
    assert record.joints.shape == (0, 16, 3) and record.head_boxes.shape == (0, 4)


BAD_BOXES = [
    ([[3, 4, 9, 12], [7, 2, 6, 10]], r"gt\.mat: record 1: headboxes_src\[:, :, 1\]: expected a head rectangle "
                                     r"with finite x1 < x2 and y1 < y2, got x1, y1, x2, y2 = \[7\.0, 2\.0, 6\.0, 10\.0\]"),
    ([[3, 4, 9, 4], [1, 2, 6, 10]], r"gt\.mat: record 0: headboxes_src\[:, :, 0\]: expected a head rectangle"),
    ([[3, 4, 9, 12], [1, np.nan, 6, 10]], r"gt\.mat: record 1: headboxes_src\[:, :, 1\]: .*got x1, y1, x2, y2 = "
                                          r"\[1\.0, nan, 6\.0, 10\.0\]"),
    ([[3, 4, 9, 12]], r"gt\.mat: headboxes_src: expected an array of shape \(2, 2, 2\): top-left and "
                      r"bottom-right \(x, y\) corners of one head rectangle per record of .*mpii\.json, "
                      r"got shape \(2, 2, 1\)"),
]


@pytest.mark.parametrize("boxes, message", BAD_BOXES)
def test_malformed_head_rectangles_name_file_record_and_field(tmp_path, boxes, message):
    path = _two_records(tmp_path)
    with pytest.raises(DatasetError, match=message):
        load_mpii_json(path, head_boxes_file=_write_boxes(tmp_path / "gt.mat", boxes))


def test_head_rectangle_file_errors(tmp_path):
    path = _two_records(tmp_path)
    wrong_key = _write_boxes(tmp_path / "gt.mat", [[3, 4, 9, 12]] * 2, key="headboxes")
    with pytest.raises(DatasetError, match=r"gt\.mat: headboxes_src: missing; expected an array of shape \(2, 2, 2\)"):
        load_mpii_json(path, head_boxes_file=wrong_key)
    sio.savemat(str(tmp_path / "text.mat"), {"headboxes_src": np.array(["abcd", "efgh"])})
    with pytest.raises(DatasetError, match=r"text\.mat: headboxes_src: expected an array of shape .*got an array of <U4"):
        load_mpii_json(path, head_boxes_file=tmp_path / "text.mat")
    (tmp_path / "junk.mat").write_bytes(b"not a MATLAB file")
    with pytest.raises(DatasetError, match=r"junk\.mat: cannot read MPII's head rectangles as a MATLAB file"):
        load_mpii_json(path, head_boxes_file=tmp_path / "junk.mat")
    with pytest.raises(DatasetError, match=r"nothere\.mat: no such head rectangle file"):
        load_mpii_json(path, head_boxes_file=tmp_path / "nothere.mat")


def test_image_record_head_boxes_default_and_checks():
    joints = np.ones((2, 16, 3))
    plain = ImageRecord("a.png", 3, 10, 12, joints)
    assert plain.head_boxes is None
    boxed = ImageRecord("a.png", 3, 10, 12, joints, head_boxes=[[0, 0, 4, 4], [1, 1, 5, 6]])
    assert boxed.head_boxes.shape == (2, 4) and boxed != plain
    assert boxed == ImageRecord("a.png", 3, 10, 12, joints, head_boxes=np.array([[0, 0, 4, 4], [1, 1, 5, 6]]))
    assert boxed != ImageRecord("a.png", 3, 10, 12, joints, head_boxes=[[0, 0, 4, 4], [1, 1, 5, 7]])
    with pytest.raises(DatasetError, match=r"a\.png: image id 3: head_boxes: expected None or an array of shape "
                                           r"\(2, 4\) \(x1, y1, x2, y2 per person\), got shape \(1, 4\)"):
        ImageRecord("a.png", 3, 10, 12, joints, head_boxes=[[0, 0, 4, 4]])
    with pytest.raises(DatasetError, match=r"a\.png: image id 3: head_boxes\[1\]: expected finite x1, y1, x2, y2"):
        ImageRecord("a.png", 3, 10, 12, joints, head_boxes=[[0, 0, 4, 4], [1, np.inf, 5, 6]])


def test_pck_command_reports_pckh_with_head_boxes(sample_json, tmp_path, capsys):
    """`posecut pck --head-boxes` on the sample with an (untrained) 16-joint network."""
    from nnet.checkpoint import save_weights
    from nnet.pose_net import build_pose_net, spec_from_config
    from posecut.cli import main
    from posecut.config import config_from_dict, save_config

    cfg = config_from_dict({"num_joints": 16, "keypoint_format": "mpii16",
                            "net_type": "mobilenet_v2_0.35", "location_refinement": True,
                            "global_scale": 0.25})
    save_config(cfg, tmp_path / "pose_cfg.yaml")
    save_weights(build_pose_net(spec_from_config(cfg)), tmp_path / "weights")
    mat = _write_boxes(tmp_path / "gt_valid.mat", _sample_boxes(json.load(open(sample_json))))
    assert main(["pck", str(tmp_path / "pose_cfg.yaml"), "--weights", str(tmp_path / "weights"),
                 "--dataset", sample_json, "--head-boxes", mat, "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "PCKh@0.5 (of head size) on 5 images" in out
