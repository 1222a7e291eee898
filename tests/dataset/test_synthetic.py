"""Synthetic people: determinism, visibility true to the drawing (owner map), occlusion and
truncation, left/right anatomy, joint limits, scales, single-person mode, COCO JSON and the CLI."""
import dataclasses
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from dataset import synthetic as syn
from dataset.images import read_image
from dataset.keypoint_formats import get_format
from lib.errors import DatasetError
from conftest import ROOT

FMT = get_format("coco17")
J = {name: i for i, name in enumerate(FMT.joints)}


def _person(seed, height, centre, kind="stand", yaw=0.0):
    """A person facing ``yaw`` with no camera tilt, for constructed scenes."""
    return syn.sample_person(np.random.default_rng(seed), height, centre, kind=kind,
                             view=syn.View(yaw, 0.0, 0.0))


def _owner_pixel(x, y):
    return int(round(y)), int(round(x))


def test_same_seed_gives_same_scene_and_other_seeds_differ():
    a = syn.render_scene(np.random.default_rng(7), 96, 128, 5)
    b = syn.render_scene(np.random.default_rng(7), 96, 128, 5)
    c = syn.render_scene(np.random.default_rng(8), 96, 128, 5)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a[0], c[0])
    image, keypoints, boxes, areas = a
    assert image.shape == (96, 128, 3) and image.dtype == np.uint8
    assert keypoints.shape == (5, 17, 3) and boxes.shape == (5, 4) and areas.shape == (5,)


def test_visibility_matches_the_owner_map_in_random_scenes():
    checked = {0: 0, 1: 0, 2: 0}
    for seed in range(12):
        scene = syn.draw_scene(np.random.default_rng(seed), 160, 200, 1 + seed % 8)
        h, w = scene.owner.shape
        for i, (spec, kp) in enumerate(zip(scene.people, scene.keypoints)):
            where = syn.joint_positions(spec)
            x, y = where[:, 0], where[:, 1]
            inside = (x >= 0) & (x <= w - 1) & (y >= 0) & (y <= h - 1)
            np.testing.assert_array_equal(kp[:, 2] > 0, inside)
            for (x, y, v), (wx, wy) in zip(kp, where):
                checked[int(v)] += 1
                if v == 0:
                    assert x == 0 and y == 0
                    continue
                assert (x, y) == (wx, wy)
                owner = scene.owner[_owner_pixel(x, y)]
                if v == 2:
                    assert owner == i
                else:  # hidden: something drawn later (person or distractor) covers the joint
                    assert owner != i and owner != syn.BACKGROUND
            if scene.areas[i]:
                x0, y0, bw, bh = scene.boxes[i].astype(int)
                mine = scene.owner == i
                assert mine.sum() == scene.areas[i]
                assert mine[y0:y0 + bh, x0:x0 + bw].sum() == scene.areas[i]
                assert mine[y0, x0:x0 + bw].any() and mine[y0 + bh - 1, x0:x0 + bw].any()
    assert min(checked.values()) > 10, checked  # the scenes exercised all three labels


@pytest.mark.parametrize("height", [30, 55, 140])
def test_every_joint_lies_on_its_own_drawing(height):
    """Alone on a plain background, every joint inside the image is on the person's pixels."""
    rng = np.random.default_rng(height)
    for kind in syn.POSE_KINDS:
        for _ in range(6):
            spec = syn.sample_person(rng, height, (100, 100), kind=kind)
            scene = syn.compose_scene(200, 200, [spec])
            assert (scene.keypoints[0, :, 2] == 2).all(), (kind, spec.view, scene.keypoints[0])


def test_person_drawn_over_another_hides_exactly_the_covered_joints():
    back = _person(1, 120, (100, 90))
    front = dataclasses.replace(back, origin=(back.origin[0] + 9, back.origin[1] + 5))
    alone = syn.compose_scene(180, 200, [front]).owner == 0
    scene = syn.compose_scene(180, 200, [back, front])
    covered = np.array([alone[_owner_pixel(x, y)] for x, y, _ in scene.keypoints[0]])
    assert covered.sum() >= 3 and (~covered).sum() >= 1  # a real mix of hidden and visible joints
    np.testing.assert_array_equal(scene.keypoints[0, :, 2], np.where(covered, 1, 2))
    assert (scene.keypoints[1, :, 2] == 2).all()
    swapped = syn.compose_scene(180, 200, [front, back])
    assert (swapped.keypoints[1, :, 2] == 2).all()  # 'back' now drawn last: all visible


def test_occluder_over_a_joint_makes_it_hidden_and_one_under_it_does_not():
    person = _person(2, 150, (100, 100))
    x, y = syn.joint_positions(person)[J["left_wrist"]]
    box = syn.polygon_distractor([[x - 6, y - 6], [x + 6, y - 6], [x + 6, y + 6], [x - 6, y + 6]])
    over = syn.compose_scene(200, 200, [person, box])
    v = over.keypoints[0, :, 2]
    assert v[J["left_wrist"]] == 1
    assert over.owner[_owner_pixel(x, y)] == 1  # the distractor's id is P + 0
    assert (np.delete(v, J["left_wrist"]) == 2).all()
    under = syn.compose_scene(200, 200, [box, person])
    assert (under.keypoints[0, :, 2] == 2).all()


def test_truncated_joints_are_unlabelled_with_zero_coordinates():
    person = _person(3, 150, (8, 100), kind="arms_up")
    where = syn.joint_positions(person)
    outside = where[:, 0] < 0
    assert 0 < outside.sum() < 17
    scene = syn.compose_scene(200, 160, [person])
    kp = scene.keypoints[0]
    assert (kp[outside] == 0).all()
    assert (kp[~outside, 2] > 0).all()
    assert scene.boxes[0][0] == 0 and scene.areas[0] > 0  # the visible box is clipped at the border


def test_left_and_right_are_anatomical_for_front_back_and_side_views():
    front = syn.compose_scene(200, 200, [_person(4, 160, (100, 100), yaw=0.0)]).keypoints[0]
    back = syn.compose_scene(200, 200, [_person(4, 160, (100, 100), yaw=180.0)]).keypoints[0]
    for part in ("shoulder", "hip", "eye", "ear", "knee"):
        left, right = J[f"left_{part}"], J[f"right_{part}"]
        assert front[left, 0] > front[right, 0], part  # facing us: their left is on our right
        assert back[left, 0] < back[right, 0], part
    for yaw, sign in ((90.0, 1), (-90.0, -1)):
        side = syn.compose_scene(200, 200, [_person(5, 160, (100, 100), yaw=yaw)]).keypoints[0]
        ears = 0.5 * (side[J["left_ear"], 0] + side[J["right_ear"], 0])
        assert sign * (side[J["nose"], 0] - ears) > 3  # the nose points where the person faces


def test_knees_bend_backward_and_elbows_forward():
    arm, leg = syn.Arm(elbow=90.0), syn.Leg(knee=60.0)
    pose = syn.Pose(left_arm=arm, right_arm=arm, left_leg=leg, right_leg=leg)
    facing_right = _person(6, 160, (100, 100), yaw=90.0)
    spec = dataclasses.replace(facing_right, pose=pose)
    where = syn.joint_positions(spec)
    for side in ("left", "right"):
        assert where[J[f"{side}_ankle"], 0] < where[J[f"{side}_knee"], 0] - 10
        assert where[J[f"{side}_wrist"], 0] > where[J[f"{side}_elbow"], 0] + 10


def _hinge_angle(upper, lower, axis):
    """Signed angle (degrees) from segment ``upper`` to ``lower`` about ``axis``."""
    return np.degrees(np.arctan2(np.cross(upper, lower) @ axis, upper @ lower))


def test_sampled_poses_respect_joint_limits_and_hinge_directions():
    rng = np.random.default_rng(9)
    limits = syn.JOINT_LIMITS
    for kind in syn.POSE_KINDS:
        for _ in range(20):
            pose = syn.sample_pose(rng, kind)
            for name in ("left_arm", "right_arm", "left_leg", "right_leg"):
                limb = getattr(pose, name)
                for f in dataclasses.fields(limb):
                    lo, hi = limits[f"{name.split('_')[1]}.{f.name}"]
                    assert lo <= getattr(limb, f.name) <= hi, (kind, name, f.name)
            sk = syn.skeleton_3d(pose)
            for side in ("left", "right"):
                p = {k.removeprefix(f"{side}_"): v for k, v in sk.points.items()}
                knee = _hinge_angle(p["knee"] - p["hip"], p["ankle"] - p["knee"],
                                    sk.frames[f"{side}_leg"][:, 0])
                elbow = _hinge_angle(p["elbow"] - p["shoulder"], p["wrist"] - p["elbow"],
                                     -sk.frames[f"{side}_arm"][:, 0])
                assert -1e-6 <= knee <= 150 + 1e-6 and -1e-6 <= elbow <= 150 + 1e-6
    with pytest.raises(DatasetError, match="pose kind 'dance'"):
        syn.sample_pose(rng, "dance")


def test_heights_span_the_requested_range_and_match_the_drawing():
    heights = np.concatenate([
        syn.draw_scene(np.random.default_rng(s), 240, 240, 10, min_height=30,
                       max_height=240).heights
        for s in range(8)
    ])
    assert heights.min() >= 30 and heights.max() <= 240
    assert heights.min() < 40 and heights.max() > 180
    for height in (30, 200):
        scene = syn.compose_scene(240, 240, [_person(10, height, (120, 120))])
        drawn = scene.boxes[0][3]
        assert 0.9 * height <= drawn <= 1.03 * height + 2, (height, drawn)


def test_single_person_mode_is_large_whole_and_centred():
    for seed in range(6):
        scene = syn.draw_scene(np.random.default_rng(seed), 256, 192, 1)
        x, y, w, h = scene.boxes[0]
        assert (scene.keypoints[0, :, 2] > 0).all()
        assert max(w / 192, h / 256) > 0.5
        assert abs(x + w / 2 - 96) < 0.25 * 192 and abs(y + h / 2 - 128) < 0.25 * 256
    with pytest.raises(DatasetError, match="num_people == 1"):
        syn.draw_scene(np.random.default_rng(0), 64, 64, 2, single=True)


def _recomputed(seed, index, size, people):
    rng = np.random.default_rng([seed, index])
    n = int(rng.integers(people[0], people[1] + 1))
    return syn.render_scene(rng, size[0], size[1], n)


def test_generate_dataset_writes_a_valid_deterministic_coco_file(tmp_path):
    size, people = (64, 80), (1, 5)
    path = syn.generate_dataset(tmp_path / "a", 4, *size, people=people, seed=3)
    coco = json.loads(open(path).read())
    assert {"images", "annotations", "categories"} <= set(coco)
    assert coco["categories"] == [{
        "id": 1, "name": "person", "supercategory": "person", "keypoints": list(FMT.joints),
        "skeleton": [[a + 1, b + 1] for a, b in FMT.skeleton],
    }]
    assert [im["id"] for im in coco["images"]] == [1, 2, 3, 4]
    expected = 0
    for index, im in enumerate(coco["images"]):
        assert (im["width"], im["height"]) == (80, 64)
        assert read_image(os.path.join(os.path.dirname(path), im["file_name"])).shape == (64, 80, 3)
        _, kps, _, areas = _recomputed(3, index, size, people)
        expected += sum(1 for kp, a in zip(kps, areas) if a > 0 and (kp[:, 2] > 0).any())
    assert len(coco["annotations"]) == expected > 0
    assert len({a["id"] for a in coco["annotations"]}) == expected
    for ann in coco["annotations"]:
        kp = np.array(ann["keypoints"]).reshape(17, 3)
        assert len(ann["keypoints"]) == 51 and ann["category_id"] == 1 and ann["iscrowd"] == 0
        assert ann["num_keypoints"] == int((kp[:, 2] > 0).sum()) > 0
        assert set(kp[:, 2]) <= {0, 1, 2} and (kp[kp[:, 2] == 0, :2] == 0).all()
        x, y, w, h = ann["bbox"]
        assert 0 <= x and 0 <= y and x + w <= 80 and y + h <= 64 and 0 < ann["area"] <= w * h
    again = syn.generate_dataset(tmp_path / "b", 4, *size, people=people, seed=3)
    for name in sorted(os.listdir(tmp_path / "a")):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    other = syn.generate_dataset(tmp_path / "c", 4, *size, people=people, seed=4)
    assert open(other).read() != open(again).read()


def test_people_entirely_hidden_or_outside_are_not_written(tmp_path):
    size, people = (48, 48), (12, 12)
    path = syn.generate_dataset(tmp_path, 6, *size, people=people, seed=0)
    annotations = json.loads(open(path).read())["annotations"]
    kept = dropped = 0
    for index in range(6):
        _, kps, _, areas = _recomputed(0, index, size, people)
        written = [a > 0 and (kp[:, 2] > 0).any() for kp, a in zip(kps, areas)]
        kept, dropped = kept + sum(written), dropped + written.count(False)
    assert dropped > 0 and len(annotations) == kept


def test_jpeg_and_bad_arguments(tmp_path):
    path = syn.generate_dataset(tmp_path, 1, 48, 48, people=(2, 2), image_format="jpg")
    name = json.loads(open(path).read())["images"][0]["file_name"]
    assert name.endswith(".jpg") and read_image(tmp_path / name).shape == (48, 48, 3)
    with pytest.raises(DatasetError, match="people"):
        syn.generate_dataset(tmp_path, 1, 48, 48, people=(3, 1))
    with pytest.raises(DatasetError, match="image_format"):
        syn.generate_dataset(tmp_path, 1, 48, 48, image_format="gif")
    with pytest.raises(DatasetError, match="image size"):
        syn.render_scene(np.random.default_rng(0), 4, 48, 1)


def test_pycocotools_reads_the_file_and_scores_ground_truth_as_perfect(tmp_path):
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    path = syn.generate_dataset(tmp_path, 3, 96, 96, people=(1, 3), seed=1)
    gt = COCO(path)
    results = [
        {"image_id": a["image_id"], "category_id": 1, "keypoints": a["keypoints"], "score": 1.0}
        for a in gt.dataset["annotations"]
    ]
    evaluator = COCOeval(gt, gt.loadRes(results), "keypoints")
    evaluator.evaluate()
    evaluator.accumulate()
    evaluator.summarize()
    assert evaluator.stats[0] > 0.99


def test_command_line_writes_a_dataset_and_prints_one_line(tmp_path):
    out = tmp_path / "synth"
    done = subprocess.run(
        [sys.executable, "-m", "dataset.synthetic", "--out", str(out), "--num", "2",
         "--size", "48", "64", "--people", "1", "2", "--seed", "5"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("wrote 2 images (48x64)")
    coco = json.loads((out / "person_keypoints.json").read_text())
    assert len(coco["images"]) == 2 and (out / "000001.png").is_file()
