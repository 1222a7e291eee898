"""People with identities across the frames of one video: what trackers return, what ground truth
holds, and what the tracking metrics compare.

Poses follow the project's convention, (K, J, 3) x, y and a score (predictions) or COCO
visibility (ground truth); track ids are non-negative integers, unique within a frame.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from lib.errors import DatasetError

__all__ = ["FramePeople", "TrackedVideo", "frame_people"]


@dataclass(frozen=True)
class FramePeople:
    """One frame's people: ``track_ids`` (K,) int64, ``poses`` (K, J, 3), ``scores`` (K,) and
    ``head_boxes`` (K, 4) x1, y1, x2, y2 of each head (NaN rows when unknown)."""

    track_ids: np.ndarray
    poses: np.ndarray
    scores: np.ndarray
    head_boxes: np.ndarray

    def __len__(self) -> int:
        return len(self.track_ids)


def frame_people(track_ids, poses, scores=None, head_boxes=None, where: str = "frame") -> FramePeople:
    """A checked FramePeople; ``scores`` default to the mean joint score, ``head_boxes`` to NaN.

    DatasetError names ``where`` and the field when shapes disagree or a track id repeats.
    """
    poses = np.asarray(poses, np.float64)
    if poses.ndim != 3 or poses.shape[2] != 3:
        raise DatasetError(f"{where}: poses: expected shape (people, joints, 3), got {poses.shape}")
    k = poses.shape[0]
    ids = np.asarray(track_ids)
    if ids.shape != (k,) or (k and not np.issubdtype(ids.dtype, np.integer)):
        raise DatasetError(f"{where}: track_ids: expected {k} integers (one per person), got {ids!r}")
    ids = ids.astype(np.int64)
    if (ids < 0).any():
        raise DatasetError(f"{where}: track_ids: expected non-negative ids, got {ids.tolist()}")
    if len(np.unique(ids)) != k:
        raise DatasetError(f"{where}: track_ids: expected each id once per frame, got {ids.tolist()}")
    if scores is None:
        scores = poses[:, :, 2].mean(axis=1) if poses.shape[1] else np.zeros(k)
    scores = np.asarray(scores, np.float64)
    if scores.shape != (k,):
        raise DatasetError(f"{where}: scores: expected {k} values, got shape {scores.shape}")
    heads = np.full((k, 4), np.nan) if head_boxes is None else np.asarray(head_boxes, np.float64)
    if heads.shape != (k, 4):
        raise DatasetError(f"{where}: head_boxes: expected shape ({k}, 4), got {heads.shape}")
    return FramePeople(ids, poses, scores, heads)


@dataclass
class TrackedVideo:
    """A video's frames (file names or frame labels, in order) and the people of each frame, in
    keypoint format ``format`` (a registered name, or None when only the joint count is known)."""

    name: str
    frames: list
    people: list
    format: Optional[str] = None
    labelled: list = field(default_factory=list)
    """Whether each frame is annotated (ground truth may label only some frames); empty: all."""

    def __post_init__(self):
        if len(self.frames) != len(self.people):
            raise DatasetError(f"{self.name}: expected one FramePeople per frame, got {len(self.people)} "
                               f"for {len(self.frames)} frames")
        if self.labelled and len(self.labelled) != len(self.frames):
            raise DatasetError(f"{self.name}: labelled: expected one flag per frame, got "
                               f"{len(self.labelled)} for {len(self.frames)} frames")

    def is_labelled(self, index: int) -> bool:
        """Whether frame ``index`` is annotated."""
        return bool(self.labelled[index]) if self.labelled else True
