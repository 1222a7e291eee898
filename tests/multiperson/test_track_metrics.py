"""PoseTrack tracking metrics: hand-counted small cases and a direct motmetrics computation."""
import math

import motmetrics
import numpy as np
import pytest

from dataset.keypoint_formats import get_format
from dataset.tracks import TrackedVideo, frame_people
from lib.errors import DatasetError
from multiperson.track_metrics import (FALLBACK_HEAD_FRACTION, evaluate_tracking, evaluate_videos,
                                       format_tracking_table, reference_lengths)

J = 3
HEAD = 10.0  # head boxes 10 x 10: head size 0.6 * 10 * sqrt(2) = 8.49 px, match within 4.24 px
HEAD_SIZE = 0.6 * HEAD * math.sqrt(2)


def pose(x, y, joints=J):
    """A (joints, 3) pose with every joint labelled (visibility 2), joints 20 px apart."""
    return np.array([[x, y + 20.0 * j, 2.0] for j in range(joints)])


def head(x, y):
    return [x - HEAD / 2, y - HEAD / 2, x + HEAD / 2, y + HEAD / 2]


def people(ids, centres, heads=True, joints=J):
    """FramePeople of people ``ids`` at ``centres`` (x, y), with head boxes unless ``heads`` is False."""
    poses = np.array([pose(x, y, joints) for x, y in centres]).reshape(len(ids), joints, 3)
    boxes = np.array([head(x, y) for x, y in centres]).reshape(len(ids), 4) if heads else None
    return frame_people(np.array(ids, np.int64), poses, head_boxes=boxes)


def walk(frames, ids=(0, 1), heads=True):
    """Two people walking right, 100 px apart, one FramePeople per frame."""
    return [people(list(ids), [(10.0 + 5 * t, 50.0), (110.0 + 5 * t, 50.0)], heads) for t in range(frames)]


def test_perfect_tracker_scores_one():
    truth = walk(6)
    predicted = walk(6, ids=(7, 9))  # any ids: only their consistency matters
    metrics = evaluate_tracking(truth, predicted)
    for row in (*metrics.joints, metrics.total):
        assert (row.mota, row.motp, row.precision, row.recall, row.idf1) == (1.0, 1.0, 1.0, 1.0, 1.0)
        assert (row.id_switches, row.misses, row.false_positives) == (0, 0, 0)
    assert [row.matches for row in metrics.joints] == [12] * J
    assert metrics.total.matches == metrics.total.objects == 12 * J
    assert (metrics.videos, metrics.frames, metrics.people, metrics.fallback_people) == (1, 6, 12, 0)
    assert metrics.reference == "head box"


def test_swapping_ids_mid_video_gives_two_switches_per_joint():
    truth = walk(6)
    predicted = walk(3, ids=(7, 9)) + walk(6, ids=(9, 7))[3:]
    metrics = evaluate_tracking(truth, predicted)
    for row in metrics.joints:
        assert row.id_switches == 2  # both people change their predicted id once
        assert row.mota == pytest.approx(1 - 2 / 12)
        assert (row.precision, row.recall, row.misses, row.false_positives) == (1.0, 1.0, 0, 0)
        # Best identity pairing: each truth keeps one predicted id for 3 of its 6 frames.
        assert row.idf1 == pytest.approx(2 * 6 / (12 + 12))
    assert metrics.total.id_switches == 2 * J
    assert metrics.total.mota == pytest.approx(1 - 2 / 12)


def test_missing_person_gives_misses_and_far_person_false_positives():
    truth = walk(5)
    predicted = walk(5, ids=(3, 4))
    predicted[1] = people([3], [(15.0, 50.0)])  # person 1 missed in frame 1
    predicted[2] = people([3, 4, 5], [(20.0, 50.0), (120.0, 50.0), (900.0, 900.0)])  # a false one
    metrics = evaluate_tracking(truth, predicted)
    for row in metrics.joints:
        assert (row.misses, row.false_positives, row.id_switches) == (1, 1, 0)
        assert row.matches == 9 and row.objects == 10
        assert row.recall == pytest.approx(9 / 10)
        assert row.precision == pytest.approx(9 / 10)
        assert row.mota == pytest.approx(1 - 2 / 10)


def test_distance_threshold_and_motp_in_head_sizes():
    truth = [people([0], [(0.0, 0.0)])]
    near = 0.25 * HEAD_SIZE
    for offset, matched in ((near, True), (0.49 * HEAD_SIZE, True), (0.51 * HEAD_SIZE, False)):
        predicted = [people([0], [(offset, 0.0)])]
        row = evaluate_tracking(truth, predicted).total
        assert row.matches == (J if matched else 0)
        assert row.misses == row.false_positives == (0 if matched else J)
    row = evaluate_tracking(truth, [people([0], [(near, 0.0)])]).total
    assert row.motp == pytest.approx(1 - 0.25)
    stricter = evaluate_tracking(truth, [people([0], [(near, 0.0)])], threshold=0.2).total
    assert stricter.matches == 0


def test_missing_joint_prediction_counts_per_joint():
    truth = walk(4)
    predicted = walk(4)
    for frame in predicted:
        frame.poses[:, 2, 2] = 0.0  # joint 2 not found (score 0) for everyone
    metrics = evaluate_tracking(truth, predicted)
    assert [row.misses for row in metrics.joints] == [0, 0, 8]
    assert [row.mota for row in metrics.joints] == [1.0, 1.0, 0.0]
    assert math.isnan(metrics.joints[2].motp) and math.isnan(metrics.joints[2].precision)
    assert metrics.total.mota == pytest.approx(2 / 3)  # poseval's total: mean over joints
    assert metrics.total.motp == 1.0  # joints without a match leave the average
    assert metrics.total.misses == 8
    high = evaluate_tracking(truth, walk(4), min_joint_score=5.0)  # visibility 2 as score: too low
    assert high.total.matches == 0


def test_unlabelled_ground_truth_joints_are_not_objects():
    truth = walk(3)
    for frame in truth:
        frame.poses[0, 1, 2] = 0.0  # person 0's joint 1 not labelled
    metrics = evaluate_tracking(truth, walk(3))
    assert metrics.joints[1].objects == 3 and metrics.joints[1].false_positives == 3
    assert metrics.joints[0].objects == 6


def test_only_labelled_frames_count():
    truth = walk(6)
    predicted = walk(6)
    predicted[2] = people([0, 1], [(500.0, 500.0), (600.0, 600.0)])  # nonsense in frame 2
    predicted[4] = people([1, 0], [(30.0, 50.0), (130.0, 50.0)])  # swapped ids in frame 4
    labelled = [True, True, False, True, False, True]
    metrics = evaluate_tracking(truth, predicted, labelled)
    assert metrics.frames == 4 and metrics.people == 8
    assert metrics.total.mota == 1.0 and metrics.total.id_switches == 0
    assert evaluate_tracking(truth, predicted).total.mota < 1.0


def test_labelled_frame_without_people_counts_its_false_positives():
    truth = walk(3)
    truth[1] = people([], [])
    metrics = evaluate_tracking(truth, walk(3))
    assert [row.false_positives for row in metrics.joints] == [2] * J
    assert metrics.frames == 3 and metrics.people == 4


def test_without_head_boxes_the_joints_box_scales_distances():
    # Joints at 0, 20, 40 px down: box diagonal 40, reference 0.1 * 40 = 4 px, match within 2 px.
    truth = [people([0], [(0.0, 0.0)], heads=False)]
    reference = FALLBACK_HEAD_FRACTION * 40.0
    inside = evaluate_tracking(truth, [people([0], [(0.45 * reference, 0.0)])])
    outside = evaluate_tracking(truth, [people([0], [(0.55 * reference, 0.0)])])
    assert inside.total.matches == J and outside.total.matches == 0
    assert inside.fallback_people == inside.people == 1
    assert inside.reference == "joints' box (no head boxes)"
    mixed = evaluate_tracking([people([0], [(0.0, 0.0)])] + truth, [people([0], [(0.0, 0.0)])] * 2)
    assert mixed.reference == "head box; joints' box for 1 of 2 people without one"


def test_reference_lengths():
    poses = np.array([pose(0, 0), pose(0, 0), pose(0, 0)])
    poses[2, 1:, 2] = 0  # a single labelled joint
    poses[1, :, 0] = [0.0, 30.0, 0.0]  # box 30 x 40: diagonal 50
    boxes = np.array([head(0, 0), [np.nan] * 4, [np.nan] * 4])
    lengths, fallback = reference_lengths(frame_people([0, 1, 2], poses, head_boxes=boxes))
    np.testing.assert_allclose(lengths, [HEAD_SIZE, FALLBACK_HEAD_FRACTION * 50.0, 0.0])
    assert fallback.tolist() == [False, True, True]


def test_agrees_with_a_direct_motmetrics_computation():
    rng = np.random.default_rng(5)
    frames, ids = 12, [0, 1, 2]
    centres = rng.uniform(0, 60, size=(frames, 3, 2)).cumsum(axis=0)  # people wander and cross
    truth, predicted = [], []
    for t in range(frames):
        poses = np.array([pose(x, y) for x, y in centres[t]])
        poses[rng.random((3, J)) < 0.15, 2] = 0
        truth.append(frame_people(ids, poses, head_boxes=[head(x, y) for x, y in centres[t]]))
        noisy = poses.copy()
        noisy[..., :2] += rng.normal(0, 2.5, size=(3, J, 2))
        noisy[..., 2] = np.where(rng.random((3, J)) < 0.1, 0.0, 0.9)
        keep = rng.random(3) > 0.15
        pred_ids = [10, 11, 12] if t < 6 else [11, 10, 12]
        predicted.append(frame_people(np.array(pred_ids)[keep], noisy[keep]))
    ours = evaluate_tracking(truth, predicted)

    host = motmetrics.metrics.create()
    for j, row in enumerate(ours.joints):
        accumulator = motmetrics.MOTAccumulator(auto_id=True)
        for gt, pr in zip(truth, predicted):
            objects = [k for k in range(len(gt)) if gt.poses[k, j, 2] > 0]
            hypotheses = [k for k in range(len(pr)) if pr.poses[k, j, 2] > 0]
            distance = np.full((len(objects), len(hypotheses)), np.nan)
            for a, g in enumerate(objects):
                for b, h in enumerate(hypotheses):
                    d = np.linalg.norm(gt.poses[g, j, :2] - pr.poses[h, j, :2]) / HEAD_SIZE
                    if d <= 0.5:
                        distance[a, b] = d
            accumulator.update([gt.track_ids[g] for g in objects], [pr.track_ids[h] for h in hypotheses],
                               distance)
        direct = host.compute(accumulator, metrics=["mota", "motp", "precision", "recall", "idf1",
                                                    "num_switches", "num_misses", "num_false_positives"],
                              return_dataframe=False)
        assert row.mota == pytest.approx(direct["mota"])
        assert row.motp == pytest.approx(1 - direct["motp"])
        assert row.precision == pytest.approx(direct["precision"])
        assert row.recall == pytest.approx(direct["recall"])
        assert row.idf1 == pytest.approx(direct["idf1"])
        assert (row.id_switches, row.misses, row.false_positives) == (
            direct["num_switches"], direct["num_misses"], direct["num_false_positives"])
    assert ours.total.id_switches > 0 and ours.total.misses > 0


def video(name, frames, labelled=None, fmt=None):
    return TrackedVideo(name, [f"{i:04d}.jpg" for i in range(len(frames))], frames, fmt, labelled or [])


def test_several_videos_add_up_and_ids_do_not_cross_videos():
    swapped = walk(2, ids=(7, 9)) + walk(4, ids=(9, 7))[2:]
    truths = [video("a", walk(4)), video("b", walk(6))]
    predictions = [video("b", walk(6, ids=(9, 7))), video("a", swapped)]  # "b" alone has no switch
    both = evaluate_videos(truths, predictions)
    one = evaluate_tracking(walk(4), swapped)
    assert both.videos == 2 and both.frames == 10 and both.people == 20
    for row, single in zip(both.joints, one.joints):
        assert row.id_switches == single.id_switches == 2
        assert row.objects == 20 and row.mota == pytest.approx(1 - 2 / 20)
        # Pooled identity counts (IDTP 4 in "a", 12 in "b"), not poseval's mean of 0.5 and 1.
        assert row.idf1 == pytest.approx(2 * 16 / 40)
    assert [row.name for row in both.joints] == ["joint 0", "joint 1", "joint 2"]


def test_bad_videos_are_skipped_with_their_reason():
    truths = [video("a", walk(3)), video("b", walk(3)), video("c", walk(3))]
    predictions = [video("a", walk(3)), video("c", walk(2))]
    metrics = evaluate_videos(truths, predictions)
    assert metrics.videos == 1 and metrics.total.mota == 1.0
    assert [name for name, _ in metrics.skipped] == ["b", "c"]
    assert "no prediction" in metrics.skipped[0][1]
    assert "3 ground-truth frames, got 2" in metrics.skipped[1][1]
    with pytest.raises(DatasetError, match="no video to evaluate"):
        evaluate_videos(truths[1:2], predictions)


def test_joint_names_come_from_the_format():
    joints = get_format("coco17").num_joints
    frames = [people([0], [(0.0, 0.0)], joints=joints)]
    metrics = evaluate_videos([video("a", frames, fmt="coco17")], [video("a", frames)])
    assert [row.name for row in metrics.joints] == list(get_format("coco17").joints)
    named = evaluate_tracking(walk(2), walk(2), joint_names=["head", "hip", "ankle"])
    assert [row.name for row in named.joints] == ["head", "hip", "ankle"]
    with pytest.raises(DatasetError, match="joint_names: expected 3 names"):
        evaluate_tracking(walk(2), walk(2), joint_names=["head"])


def test_bad_input_names_video_frame_and_field():
    with pytest.raises(DatasetError, match="clip: expected a prediction for each of the 3"):
        evaluate_tracking(walk(3), walk(2), name="clip")
    with pytest.raises(DatasetError, match="clip: labelled: expected one flag per frame"):
        evaluate_tracking(walk(3), walk(3), [True], name="clip")
    with pytest.raises(DatasetError, match="frame 1: prediction: expected FramePeople"):
        evaluate_tracking(walk(3), [walk(1)[0], None, walk(1)[0]])
    with pytest.raises(DatasetError, match="frame 0: prediction: expected 3 joints per person, got 4"):
        evaluate_tracking(walk(1), [people([0], [(0.0, 0.0)], joints=4)])


def test_markdown_table():
    truth = walk(4)
    predicted = walk(4)
    for frame in predicted:
        frame.poses[:, 2, 2] = 0.0
    metrics = evaluate_tracking(truth, predicted, joint_names=["head", "hip", "ankle"])
    table = format_tracking_table(metrics)
    lines = table.splitlines()
    assert lines[0] == "| Joint | MOTA | MOTP | Prec | Rec | IDF1 | ID sw. | Matches | Misses | FP |"
    assert lines[1].startswith("|---|---:")
    assert lines[2] == "| head | 100.0 | 100.0 | 100.0 | 100.0 | 100.0 | 0 | 8 | 0 | 0 |"
    assert lines[4] == "| ankle | 0.0 | n/a | n/a | 0.0 | 0.0 | 0 | 0 | 8 | 0 |"
    assert lines[5].startswith("| **total** | 66.7 | 100.0 |")
    assert "1 video(s), 4 labelled frame(s), 8 ground-truth people" in table
    assert "(head box)" in table
