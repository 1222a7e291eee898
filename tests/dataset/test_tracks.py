import numpy as np
import pytest

from dataset.tracks import TrackedVideo, frame_people
from lib.errors import DatasetError


def test_frame_people_defaults_scores_and_head_boxes():
    poses = np.zeros((2, 3, 3))
    poses[0, :, 2] = [1.0, 0.5, 0.0]
    frame = frame_people([4, 1], poses)
    assert len(frame) == 2 and frame.track_ids.dtype == np.int64
    np.testing.assert_allclose(frame.scores, [0.5, 0.0])
    assert frame.head_boxes.shape == (2, 4) and np.isnan(frame.head_boxes).all()
    empty = frame_people(np.zeros(0, int), np.zeros((0, 3, 3)))
    assert len(empty) == 0 and empty.scores.shape == (0,)


@pytest.mark.parametrize("ids, poses, kwargs, message", [
    ([1, 1], np.zeros((2, 3, 3)), {}, r"clip frame 4: track_ids: expected each id once per frame"),
    ([1], np.zeros((2, 3, 3)), {}, r"track_ids: expected 2 integers"),
    ([-1], np.zeros((1, 3, 3)), {}, r"track_ids: expected non-negative ids"),
    ([0.5], np.zeros((1, 3, 3)), {}, r"track_ids: expected 1 integers"),
    ([1], np.zeros((1, 3, 2)), {}, r"poses: expected shape \(people, joints, 3\)"),
    ([1], np.zeros((1, 3, 3)), {"scores": [1, 2]}, r"scores: expected 1 values"),
    ([1], np.zeros((1, 3, 3)), {"head_boxes": np.zeros((1, 3))}, r"head_boxes: expected shape \(1, 4\)"),
])
def test_frame_people_names_the_frame_and_field(ids, poses, kwargs, message):
    with pytest.raises(DatasetError, match=message):
        frame_people(ids, poses, where="clip frame 4", **kwargs)


def test_a_tracked_video_needs_one_entry_per_frame():
    frame = frame_people([0], np.zeros((1, 2, 3)))
    video = TrackedVideo("clip", ["a.png", "b.png"], [frame, frame], "coco17", [True, False])
    assert video.is_labelled(0) and not video.is_labelled(1)
    assert TrackedVideo("clip", ["a.png"], [frame]).is_labelled(0)
    with pytest.raises(DatasetError, match="clip: expected one FramePeople per frame, got 1 for 2"):
        TrackedVideo("clip", ["a.png", "b.png"], [frame])
    with pytest.raises(DatasetError, match="clip: labelled: expected one flag per frame"):
        TrackedVideo("clip", ["a.png"], [frame], labelled=[True, True])
