"""A temporal median filter of one pose per video frame (a single animal or person), applied as
the frames stream in: each frame comes out ``window // 2`` frames late, its part positions
replaced by their median over the frames within ``window // 2`` of it (fewer at the ends)."""
from collections import deque

import numpy as np

__all__ = ["MedianFilter", "half_window", "median_filter_poses"]


def median_filter_poses(poses, window):
    """``poses`` (T, J, 3) with x and y replaced by their centred running median over ``window``
    frames (odd, >= 1; truncated at the ends); scores unchanged. The reference the streaming
    filter is tested against."""
    poses = np.asarray(poses, np.float64)
    half = half_window(window)
    out = poses.copy()
    for t in range(len(poses)):
        out[t, :, :2] = np.median(poses[max(0, t - half):t + half + 1, :, :2], axis=0)
    return out


def half_window(window):
    """``window // 2`` of a valid window (an odd number of frames >= 1), else ValueError."""
    if not (isinstance(window, int) and window >= 1 and window % 2 == 1):
        raise ValueError(f"filter window: expected an odd number of frames >= 1, got {window!r}")
    return window // 2


class MedianFilter:
    """Streaming median_filter_poses: ``push(item, pose)`` with any item (the frame, its index)
    and its pose (J, 3) returns the (item, filtered pose) pairs that are ready; ``flush()`` the
    rest at the end."""

    def __init__(self, window):
        self.half = half_window(window)
        self._items = deque()
        self._poses = deque(maxlen=2 * self.half + 1)
        self._done = 0  # frames already given out
        self._seen = 0

    def push(self, item, pose):
        self._items.append(item)
        self._poses.append(np.asarray(pose, np.float64))
        self._seen += 1
        return self._ready(self._seen - 1 - self.half)

    def flush(self):
        return self._ready(self._seen - 1)

    def _ready(self, last):
        """Give out the frames up to index ``last`` whose window is in the buffer."""
        out = []
        while self._done <= last:
            t = self._done
            first_kept = self._seen - len(self._poses)
            lo, hi = max(0, t - self.half), min(self._seen - 1, t + self.half)
            window = np.stack(list(self._poses)[lo - first_kept:hi - first_kept + 1])
            pose = window[t - lo].copy()
            pose[:, :2] = np.median(window[:, :, :2], axis=0)
            out.append((self._items.popleft(), pose))
            self._done += 1
        return out
