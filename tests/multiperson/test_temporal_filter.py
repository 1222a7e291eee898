"""The streaming median filter gives what a plain median over the whole track gives."""
import numpy as np
import pytest

from multiperson.temporal_filter import MedianFilter, median_filter_poses


@pytest.mark.parametrize("frames, window", [(30, 5), (4, 7), (1, 3), (10, 1), (9, 9)])
def test_streaming_equals_the_reference(frames, window):
    rng = np.random.default_rng(frames + window)
    poses = rng.normal(50, 10, (frames, 4, 3))
    poses[rng.random((frames, 4)) < 0.1, :2] += 200  # jumps the filter removes
    stream = MedianFilter(window)
    out = []
    for t, pose in enumerate(poses):
        out += stream.push(t, pose)
        assert len(out) == max(0, t + 1 - window // 2)  # each frame window // 2 frames late
    out += stream.flush()
    assert [t for t, _ in out] == list(range(frames))
    np.testing.assert_allclose(np.stack([p for _, p in out]), median_filter_poses(poses, window))


def test_a_single_jump_is_removed_and_scores_are_kept():
    poses = np.zeros((7, 1, 3))
    poses[:, 0, 0] = np.arange(7)
    poses[:, 0, 2] = 0.5
    poses[3, 0, :2] = (300, 300)
    filtered = median_filter_poses(poses, 3)
    np.testing.assert_allclose(filtered[3, 0], (4, 0, 0.5))
    np.testing.assert_allclose(filtered[:, 0, 2], 0.5)
    with pytest.raises(ValueError, match="odd number"):
        MedianFilter(4)
