"""The OKS baseline tracker: OKS against pycocotools' computeOks, Hungarian linking, memory,
streaming and batch forms."""
import contextlib
import io
import itertools

import numpy as np
import pytest

from dataset.keypoint_formats import get_format
from lib.errors import ConfigError, DatasetError, FormatError
from multiperson.track_link import LinkSettings, OksLinker, link_people, oks

SIGMAS = np.asarray(get_format("coco17").sigmas)
J = len(SIGMAS)


def person(x, y, rng=None, height=100.0):
    """A (J, 3) upright-ish pose around (x, y): joints spread over a 40 x ``height`` box."""
    base = np.random.default_rng(7).uniform([0, 0], [40, height], size=(J, 2))
    pose = np.ones((J, 3))
    pose[:, :2] = base + [x, y]
    if rng is not None:
        pose[:, :2] += rng.normal(0, 1.0, size=(J, 2))
    return pose


def frame(*poses):
    poses = np.array(poses, np.float64).reshape(-1, J, 3)
    return poses, np.ones(len(poses))


def test_oks_matches_pycocotools_compute_oks():
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    rng = np.random.default_rng(0)
    truths = [person(10, 20), person(200, 50, height=150)]
    truths[0][[3, 4, 11], 2] = 0  # unlabelled joints are left out of the reference
    truths[1][5, 2] = 1  # labelled but hidden still counts
    detections = [truths[0] + np.r_[rng.normal(0, 3, (J, 2)).T, np.zeros((1, J))].T,
                  truths[1] + np.r_[rng.normal(0, 8, (J, 2)).T, np.zeros((1, J))].T,
                  person(100, 30, rng)]
    for d in detections:
        d[:, 2] = rng.uniform(0.2, 1.0, J)
    ours = oks(np.array(truths), np.array(detections), SIGMAS)

    annotations = []
    for k, t in enumerate(truths):
        xy = t[t[:, 2] > 0, :2]
        (x0, y0), (x1, y1) = xy.min(axis=0), xy.max(axis=0)
        annotations.append({"id": k + 1, "image_id": 1, "category_id": 1, "iscrowd": 0,
                            "keypoints": t.ravel().tolist(), "num_keypoints": int((t[:, 2] > 0).sum()),
                            "bbox": [x0, y0, x1 - x0, y1 - y0], "area": (x1 - x0) * (y1 - y0)})
    truth = COCO()
    truth.dataset = {"images": [{"id": 1, "width": 640, "height": 480}], "annotations": annotations,
                     "categories": [{"id": 1, "name": "person"}]}
    with contextlib.redirect_stdout(io.StringIO()):
        truth.createIndex()
        results = truth.loadRes([{"image_id": 1, "category_id": 1, "keypoints": d.ravel().tolist(),
                                  "score": 1.0 - 0.1 * i} for i, d in enumerate(detections)])
        evaluator = COCOeval(truth, results, "keypoints")
        evaluator.params.kpt_oks_sigmas = SIGMAS
        evaluator.params.imgIds = [1]
        evaluator.evaluate()
    reference = np.asarray(evaluator.ious[(1, 1)])  # (detections, truths), by falling score
    np.testing.assert_allclose(ours, reference.T, rtol=1e-9, atol=1e-12)
    assert ours[0, 0] > 0.5 and ours[0, 2] < 0.01


def test_oks_edge_cases():
    truth = person(0, 0)
    assert oks(truth[None], truth[None], SIGMAS)[0, 0] == pytest.approx(1.0)
    missing = truth.copy()
    missing[:4] = 0.0  # absent joints (0, 0, 0) of a prediction contribute nothing
    assert oks(truth[None], missing[None], SIGMAS)[0, 0] == pytest.approx((J - 4) / J)
    nothing = np.zeros((1, J, 3))
    assert oks(nothing, truth[None], SIGMAS)[0, 0] == 0.0
    assert oks(np.zeros((0, J, 3)), truth[None], SIGMAS).shape == (0, 1)
    with pytest.raises(DatasetError, match=r"poses: expected shape \(people, 17, 3\)"):
        oks(truth[None], truth[None, :5], SIGMAS)


def test_two_people_walking_keep_their_ids():
    rng = np.random.default_rng(1)
    frames = [frame(person(10 + 3 * t, 50, rng), person(300 - 3 * t, 60, rng)) for t in range(20)]
    linked = link_people(frames, SIGMAS)
    assert len(linked) == 20
    for people in linked:
        assert people.track_ids.tolist() == [0, 1]
    np.testing.assert_array_equal(linked[5].poses, frames[5][0])
    assert np.isnan(linked[5].head_boxes).all()


def test_input_order_does_not_matter_and_runs_repeat():
    rng = np.random.default_rng(2)
    poses = [(person(10 + 3 * t, 50, rng), person(300 - 3 * t, 60, rng)) for t in range(10)]
    frames = [frame(a, b) if t % 2 else frame(b, a) for t, (a, b) in enumerate(poses)]
    first = link_people(frames, SIGMAS)
    second = link_people(frames, SIGMAS)
    for t, (one, two) in enumerate(zip(first, second)):
        np.testing.assert_array_equal(one.track_ids, two.track_ids)
        expected = [0, 1] if t % 2 == 0 else [1, 0]  # frame 0 lists b first, so b gets id 0
        assert one.track_ids.tolist() == expected


def test_hungarian_maximises_total_oks_where_greedy_would_not():
    # Track 0 is slightly closer to person B than to person A, but track 1 only fits B.
    a, b = person(0, 0), person(6, 0)
    linker = OksLinker(SIGMAS, LinkSettings(min_oks=0.0))
    linker.update(*frame(person(4, 0), person(7, 0)))
    linked = linker.update(*frame(a, b))
    similarity = oks(np.array([person(4, 0), person(7, 0)]), np.array([a, b]), SIGMAS)
    best = max(itertools.permutations(range(2)), key=lambda p: similarity[p[0], 0] + similarity[p[1], 1])
    assert similarity[0, 1] > similarity[0, 0]  # a greedy pass would give B to track 0
    assert linked.track_ids.tolist() == list(best) == [0, 1]


def test_far_jump_starts_a_new_track():
    linker = OksLinker(SIGMAS, LinkSettings(min_oks=0.3, memory=0))
    assert linker.update(*frame(person(0, 0))).track_ids.tolist() == [0]
    assert linker.update(*frame(person(400, 0))).track_ids.tolist() == [1]
    assert linker.update(*frame(person(400, 0), person(0, 0))).track_ids.tolist() == [1, 2]


def test_memory_rematches_a_briefly_lost_person():
    def ids(memory, gap):
        frames = [frame(person(0, 0))] + [frame()] * gap + [frame(person(2, 0))]
        return [p.track_ids.tolist() for p in link_people(frames, SIGMAS, LinkSettings(memory=memory))]

    assert ids(memory=3, gap=3)[-1] == [0]
    assert ids(memory=3, gap=4)[-1] == [1]
    assert ids(memory=0, gap=1)[-1] == [1]
    assert ids(memory=0, gap=0) == [[0], [0]]


def test_a_lost_track_never_takes_a_person_from_a_current_one():
    linker = OksLinker(SIGMAS, LinkSettings(min_oks=0.1, memory=2))
    linker.update(*frame(person(0, 0), person(8, 0)))
    assert linker.update(*frame(person(6, 0))).track_ids.tolist() == [1]  # track 0 is lost
    # The person now at x=2 is closer to lost track 0 (last at 0) than to track 1 (last at 6) ...
    similarity = oks(np.array([person(0, 0), person(6, 0)]), person(2, 0)[None], SIGMAS)
    assert similarity[0, 0] > similarity[1, 0] > 0.1
    # ... but track 1 was seen in the previous frame, so it is matched first.
    assert linker.update(*frame(person(2, 0))).track_ids.tolist() == [1]
    # The lost track takes a person left over by the current ones.
    assert linker.update(*frame(person(3, 0), person(-1, 0))).track_ids.tolist() == [1, 0]


def test_memory_stays_bounded_over_a_long_video():
    rng = np.random.default_rng(3)
    linker = OksLinker(SIGMAS, LinkSettings(memory=2))
    for t in range(200):
        # a new person appears far away every frame and never again
        linker.update(*frame(person(10, 10, rng), person(1000 + 500 * t, 0)))
        assert linker.remembered <= 2 * 3
    assert linker.update(*frame(person(10, 10, rng))).track_ids.tolist() == [0]


def test_streaming_equals_batch_and_empty_frames_pass():
    rng = np.random.default_rng(4)
    frames = [frame(person(5 * t, 0, rng)) if t % 3 else frame() for t in range(12)]
    batch = link_people(frames, SIGMAS, LinkSettings(memory=1))
    linker = OksLinker(SIGMAS, LinkSettings(memory=1))
    for (poses, scores), expected in zip(frames, batch):
        got = linker.update(poses, scores)
        np.testing.assert_array_equal(got.track_ids, expected.track_ids)
    assert len(batch[0]) == 0 and batch[1].track_ids.tolist() == [0]
    assert batch[4].track_ids.tolist() == [0]  # lost for one frame (3), memory 1
    assert len(linker.update(np.zeros(0), np.zeros(0))) == 0


def test_bad_input_names_the_frame_and_field():
    linker = OksLinker(SIGMAS)
    linker.update(*frame(person(0, 0)))
    with pytest.raises(DatasetError, match=r"frame 1: poses: expected shape \(people, 17, 3\)"):
        linker.update(np.zeros((1, 5, 3)), np.ones(1))
    with pytest.raises(DatasetError, match=r"frame 1: scores: expected 1 values"):
        linker.update(person(0, 0)[None], np.ones(2))
    with pytest.raises(ConfigError, match="min_oks"):
        LinkSettings(min_oks=1.5)
    with pytest.raises(ConfigError, match="memory"):
        LinkSettings(memory=-1)
    with pytest.raises(FormatError, match="sigmas"):
        OksLinker([0.1, 0.0])
