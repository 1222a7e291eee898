"""Synthetic clips: reproducible, identities that persist, smooth walking, people who enter and leave
when asked, occlusion by depth, head boxes around the head, and the files the command writes."""
import filecmp
import os

import numpy as np
import pytest

from dataset.posetrack import read_posetrack
from dataset.synthetic.clips import DISTRACTOR_OWNER, generate_clips, main, render_clip, tracked_video
from lib.errors import DatasetError

SIZE = (96, 128)


@pytest.fixture(scope="module")
def clips():
    """Ten clips of eight frames, three walkers each, with all roles asked."""
    return [render_clip(np.random.default_rng([7, k]), 8, *SIZE, 3) for k in range(10)]


def _person(frame, track):
    """(pose, height, depth) of ``track`` in ``frame``, or None when absent."""
    hits = np.flatnonzero(frame.people.track_ids == track)
    if not len(hits):
        return None
    k = hits[0]
    return frame.people.poses[k], frame.heights[k], frame.depth[k]


def _present(frames, track):
    return [_person(f, track) is not None for f in frames]


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    first = generate_clips(tmp_path / "a", 2, 4, 48, 64, (1, 3), seed=9)
    again = generate_clips(tmp_path / "b", 2, 4, 48, 64, (1, 3), seed=9)
    other = generate_clips(tmp_path / "c", 2, 4, 48, 64, (1, 3), seed=10)
    names = sorted(os.path.relpath(os.path.join(d, f), tmp_path / "a")
                   for d, _, files in os.walk(tmp_path / "a") for f in files)
    assert len(names) == 2 + 2 * 4
    match, mismatch, errors = filecmp.cmpfiles(tmp_path / "a", tmp_path / "b", names, shallow=False)
    assert sorted(match) == names and not mismatch and not errors
    assert [os.path.basename(p) for p in first] == [os.path.basename(p) for p in again]
    assert not filecmp.cmp(first[0], other[0], shallow=False)


def _hips(frame, track):
    """The point between the hips of ``track`` in ``frame``; None when absent or a hip is unlabelled."""
    found = _person(frame, track)
    if found is None or not (found[0][11:13, 2] > 0).all():
        return None
    return found[0][11:13, :2].mean(axis=0)


def test_track_ids_are_unique_per_frame_and_persist(clips):
    checked = 0
    for frames in clips:
        for frame in frames:
            ids = frame.people.track_ids.tolist()
            assert len(ids) == len(set(ids)) and set(ids) <= {0, 1, 2}
        # an id stays with one person: where it goes next is where its motion so far leads,
        # nearer there than anyone else (even while two people cross)
        for before, now, after in zip(frames, frames[1:], frames[2:]):
            for track in now.people.track_ids:
                points = [_hips(f, track) for f in (before, now, after)]
                if any(p is None for p in points):
                    continue
                guess = 2 * points[1] - points[0]
                own = np.linalg.norm(points[2] - guess)
                others = [_hips(after, t) for t in after.people.track_ids if t != track]
                assert all(own < np.linalg.norm(o - guess) for o in others if o is not None)
                checked += 1
    assert checked > 50


def test_motion_is_smooth_and_each_person_has_a_velocity(clips):
    velocities = []
    for frames in clips:
        per_track = {}
        for a, b in zip(frames, frames[1:]):
            for track in set(a.people.track_ids) & set(b.people.track_ids):
                (pose_a, height, _), (pose_b, _, _) = _person(a, track), _person(b, track)
                both = (pose_a[:, 2] > 0) & (pose_b[:, 2] > 0)
                if both.any():  # any joint moves less than half the person's height per frame
                    assert np.linalg.norm(pose_a[both, :2] - pose_b[both, :2], axis=1).max() < 0.5 * height
                if both[11] and both[12]:  # the hips move less than a fifth of it
                    step = pose_b[11:13, :2].mean(axis=0) - pose_a[11:13, :2].mean(axis=0)
                    assert np.linalg.norm(step) < 0.2 * height
                    per_track.setdefault(track, []).append(step[0] / height)
        velocities += [np.mean(v) for v in per_track.values() if len(v) >= 3]
    assert len(velocities) >= 10
    assert np.std(velocities) > 0.02  # people walk at speeds and in directions of their own
    assert min(velocities) < 0 < max(velocities)


def test_people_turn_and_swing_their_limbs(clips):
    frames = clips[0]
    pose_changes = []
    for track in (0, 1, 2):
        seen = [_person(f, track) for f in frames if _person(f, track) is not None]
        hips = [p[0][11:13, :2].mean(axis=0) for p in seen if (p[0][11:13, 2] > 0).all()]
        ankles = [p[0][15:17, :2] for p in seen if (p[0][[11, 12, 15, 16], 2] > 0).all()]
        if len(ankles) >= 3:  # ankles relative to the hips change: the legs swing
            rel = [a - h for a, h in zip(ankles, hips)]
            pose_changes.append(max(np.abs(r - rel[0]).max() for r in rel))
    assert pose_changes and max(pose_changes) > 3.0


@pytest.mark.parametrize("enter, leave", [(True, False), (False, True), (True, True)])
def test_someone_enters_or_leaves_when_asked(enter, leave):
    for k in range(4):
        frames = render_clip(np.random.default_rng([3, k]), 8, *SIZE, 2, enter=enter, leave=leave)
        entered = [t for t in (0, 1) if not _present(frames, t)[0] and _present(frames, t)[-1]]
        left = [t for t in (0, 1) if _present(frames, t)[0] and not _present(frames, t)[-1]]
        assert bool(entered) if enter else True
        assert bool(left) if leave else True


def test_joints_outside_the_image_are_unlabelled_and_absent_people_have_none(clips):
    height, width = SIZE
    for frames in clips:
        for frame in frames:
            poses = frame.people.poses
            labelled = poses[:, :, 2] > 0
            assert labelled.any(axis=1).all()  # nobody is listed without a labelled joint
            xy = poses[labelled][:, :2]
            assert ((xy >= 0) & (xy <= [width - 1, height - 1])).all()
            assert not poses[~labelled].any()


def test_occlusion_follows_depth(clips):
    occluded_by_people = 0
    for frames in clips:
        for frame in frames:
            for track, pose, depth in zip(frame.people.track_ids, frame.people.poses, frame.depth):
                for x, y, v in pose:
                    if v == 0:
                        continue
                    owner = frame.owner[int(round(y)), int(round(x))]
                    if v == 2:
                        assert owner == track
                        continue
                    assert owner != track and owner != -1  # hidden by something drawn over it
                    if owner == DISTRACTOR_OWNER:
                        continue
                    occluded_by_people += 1
                    other = _person(frame, owner)
                    if other is not None:  # a person with joints in the image: nearer
                        assert other[2] > depth
    assert occluded_by_people > 10  # crossing people do hide each other


def test_crossing_people_swap_sides_at_different_depths():
    crossed = 0
    for k in range(6):
        frames = render_clip(np.random.default_rng([5, k]), 16, *SIZE, 2, enter=False, leave=False,
                             distractors=0)
        sides, depths = [], []
        for frame in frames:
            p0, p1 = _person(frame, 0), _person(frame, 1)
            if p0 is None or p1 is None:
                continue
            sides.append(np.sign(p0[0][p0[0][:, 2] > 0, 0].mean() - p1[0][p1[0][:, 2] > 0, 0].mean()))
            depths.append(abs(p0[2] - p1[2]))
        swaps = [i for i in range(1, len(sides)) if sides[i] != sides[i - 1]]
        crossed += bool(swaps)
        assert all(depths[i] >= 0.2 for i in swaps)  # one passes in front of the other
    assert crossed >= 5


def test_head_boxes_contain_the_head_joints(clips):
    for frames in clips:
        for frame in frames:
            for pose, box, height in zip(frame.people.poses, frame.people.head_boxes, frame.heights):
                assert np.isfinite(box).all()
                face = pose[:5][pose[:5, 2] > 0, :2]
                assert ((face >= box[:2]) & (face <= box[2:])).all()
                assert 0.08 * height < box[3] - box[1] < 0.3 * height  # about the head's size


def test_bad_arguments_name_the_field():
    with pytest.raises(DatasetError, match="speed"):
        render_clip(0, 4, *SIZE, 1, speed=(0.1, 0.05))
    with pytest.raises(DatasetError, match="min_height"):
        render_clip(0, 4, *SIZE, 1, min_height=50, max_height=20)
    with pytest.raises(DatasetError, match="people"):
        generate_clips("unused", 1, 4, *SIZE, people=(3, 1))


def test_command_writes_frames_and_posetrack_ground_truth(tmp_path, capsys):
    out = tmp_path / "clips"
    assert main(["--out", str(out), "--clips", "3", "--frames", "8", "--size", "128", "128",
                 "--people", "1", "4", "--seed", "0"]) == 0
    assert "wrote 3 clips of 8 frames (128x128)" in capsys.readouterr().out
    for c in range(3):
        data = read_posetrack(out / f"{c:06d}_synthetic.json")
        assert (data.year, data.predictions, data.video.format) == (2018, False, "coco17")
        assert data.sizes == [(128, 128)] * 8 and len(data.video.frames) == 8
        assert all((out / name).is_file() for name in data.video.frames)
        # the file holds what the renderer made for that clip
        rng = np.random.default_rng([0, c])
        frames = render_clip(rng, 8, 128, 128, int(rng.integers(1, 5)))
        expected = tracked_video(data.video.name, frames)
        for got, want in zip(data.video.people, expected.people):
            np.testing.assert_array_equal(got.track_ids, want.track_ids)
            np.testing.assert_array_equal(got.poses, want.poses)
            np.testing.assert_allclose(got.head_boxes, want.head_boxes)
