"""The PoseTrack baseline tracker: per-frame people linked frame to frame by Hungarian matching on
OKS (object keypoint similarity).

Each frame's people are matched to the tracks alive so far by scipy's ``linear_sum_assignment`` on
their OKS to each track's last pose; a pair is accepted when its OKS reaches ``min_oks``, and
every person left over starts a new track. Tracks seen in the previous frame are matched first;
tracks lost for up to ``memory`` frames then compete for the people left (a matching cascade, so
an old track never takes a person from a current one). Work per frame depends only on the people
of the last ``memory + 1`` frames, so a video costs time linear in its length; ids are
deterministic (new ones count up in the order of the frame's people).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import numpy as np
from scipy.optimize import linear_sum_assignment

from dataset.tracks import FramePeople, frame_people
from lib.errors import ConfigError, DatasetError, FormatError

__all__ = ["LinkSettings", "OksLinker", "link_people", "oks"]


@dataclass(frozen=True)
class LinkSettings:
    """``min_oks``: least OKS to continue a track; ``memory``: frames a lost track may be missing
    and still be re-matched (0: only the previous frame's tracks); ``min_joint_score``: a joint
    counts when its score exceeds it (absent joints are 0, 0, 0)."""

    min_oks: float = 0.3
    memory: int = 3
    min_joint_score: float = 0.0

    def __post_init__(self):
        if not 0.0 <= self.min_oks <= 1.0:
            raise ConfigError(f"tracking: min_oks: expected a number in [0, 1], got {self.min_oks!r}")
        if int(self.memory) != self.memory or self.memory < 0:
            raise ConfigError(f"tracking: memory: expected a whole number of frames >= 0, "
                              f"got {self.memory!r}")


def oks(reference, poses, sigmas, min_score: float = 0.0) -> np.ndarray:
    """OKS (M, N) of each of the N ``poses`` to each of the M ``reference`` poses, as COCO's
    ``computeOks`` with the reference as ground truth.

    Poses are (people, J, 3) x, y, score; a joint counts when its score exceeds ``min_score``.
    A reference's area is the area of the box of its counted joints (at least 1 px^2); its
    uncounted joints are left out; a pose's uncounted joint contributes 0, as a joint placed far
    away would. ``sigmas``: (J,) OKS sigmas, e.g. ``get_format("coco17").sigmas``. A reference
    with no counted joint has OKS 0 to everything.
    """
    reference = np.asarray(reference, np.float64)
    poses = np.asarray(poses, np.float64)
    sigmas = np.asarray(sigmas, np.float64).reshape(-1)
    num_joints = len(sigmas)
    for name, array in (("reference", reference), ("poses", poses)):
        if array.ndim != 3 or array.shape[1:] != (num_joints, 3):
            raise DatasetError(f"oks: {name}: expected shape (people, {num_joints}, 3) for "
                               f"{num_joints} sigmas, got {array.shape}")
    if not len(reference) or not len(poses):
        return np.zeros((len(reference), len(poses)))
    counted_ref = _counted(reference, min_score)
    counted_pose = _counted(poses, min_score)
    xy = np.where(counted_ref[..., None], reference[..., :2], np.nan)
    with np.errstate(invalid="ignore"):
        low, high = np.fmin.reduce(xy, axis=1), np.fmax.reduce(xy, axis=1)
    area = np.maximum(np.nan_to_num((high - low).prod(axis=1), nan=0.0), 1.0)
    squared = ((reference[:, None, :, :2] - poses[None, :, :, :2]) ** 2).sum(axis=-1)
    with np.errstate(invalid="ignore", over="ignore"):
        exponent = squared / ((2 * sigmas) ** 2 * area[:, None, None] * 2)
        similarity = np.where(counted_pose[None], np.exp(-exponent), 0.0)
    similarity = np.where(counted_ref[:, None, :], np.nan_to_num(similarity, nan=0.0), 0.0)
    counts = counted_ref.sum(axis=1)
    return np.where(counts[:, None] > 0, similarity.sum(axis=2) / np.maximum(counts, 1)[:, None], 0.0)


class OksLinker:
    """Streaming OKS tracker: :meth:`update` takes one frame's people and returns them with
    track ids, so a long video or a live camera can be linked frame by frame."""

    def __init__(self, sigmas, settings: LinkSettings = LinkSettings()):
        self.sigmas = np.asarray(sigmas, np.float64).reshape(-1)
        if not len(self.sigmas) or not (np.isfinite(self.sigmas) & (self.sigmas > 0)).all():
            raise FormatError(f"tracking: sigmas: expected one positive OKS sigma per joint, "
                              f"got {self.sigmas.tolist()}")
        self.settings = settings
        self.frame = 0
        self._next_id = 0
        self._ids = np.zeros(0, np.int64)
        self._poses = np.zeros((0, len(self.sigmas), 3))
        self._last_seen = np.zeros(0, np.int64)

    @property
    def remembered(self) -> int:
        """How many tracks can still be continued: those seen within the last memory + 1 frames."""
        return len(self._ids)

    def update(self, poses, scores) -> FramePeople:
        """This frame's people (``poses`` (K, J, 3), ``scores`` (K,)) with track ids: continued
        where a track's last pose has OKS >= min_oks to them, new otherwise."""
        where = f"tracking: frame {self.frame}"
        poses, scores = self._checked(poses, scores, where)
        ids = np.full(len(poses), -1, np.int64)
        age = self.frame - self._last_seen
        free = np.ones(len(poses), bool)
        for tracks in (np.flatnonzero(age == 1), np.flatnonzero(age > 1)):
            people = np.flatnonzero(free)
            if not len(tracks) or not len(people):
                continue
            similarity = oks(self._poses[tracks], poses[people], self.sigmas, self.settings.min_joint_score)
            rows, cols = linear_sum_assignment(similarity, maximize=True)
            keep = similarity[rows, cols] >= self.settings.min_oks
            ids[people[cols[keep]]] = self._ids[tracks[rows[keep]]]
            free[people[cols[keep]]] = False
        new = np.flatnonzero(ids < 0)
        ids[new] = self._next_id + np.arange(len(new))
        self._next_id += len(new)
        self._remember(ids, poses)
        self.frame += 1
        return frame_people(ids, poses, scores, where=where)

    def _remember(self, ids, poses):
        """Store this frame's poses as their tracks' last; forget tracks lost beyond memory."""
        seen_now = np.isin(self._ids, ids)
        alive = ~seen_now & (self.frame - self._last_seen <= self.settings.memory)
        self._ids = np.concatenate([self._ids[alive], ids])
        self._poses = np.concatenate([self._poses[alive], poses])
        self._last_seen = np.concatenate([self._last_seen[alive], np.full(len(ids), self.frame)])

    def _checked(self, poses, scores, where):
        """``poses`` as (K, J, 3) float and ``scores`` as (K,); DatasetError naming the frame."""
        num_joints = len(self.sigmas)
        poses = np.asarray(poses, np.float64)
        if poses.size == 0:
            poses = poses.reshape(0, num_joints, 3)
        if poses.ndim != 3 or poses.shape[1:] != (num_joints, 3):
            raise DatasetError(f"{where}: poses: expected shape (people, {num_joints}, 3) for "
                               f"{num_joints} OKS sigmas, got {poses.shape}")
        scores = np.asarray(scores, np.float64).reshape(-1)
        if scores.shape != (len(poses),):
            raise DatasetError(f"{where}: scores: expected {len(poses)} values, got {scores.shape}")
        return poses, scores


def link_people(frames: Iterable, sigmas, settings: LinkSettings = LinkSettings()) -> list:
    """Track ids for per-frame people: ``frames`` yields (poses (K, J, 3), scores (K,)) per frame;
    returns one FramePeople per frame, linked by :class:`OksLinker`."""
    linker = OksLinker(sigmas, settings)
    return [linker.update(poses, scores) for poses, scores in frames]


def _counted(poses: np.ndarray, min_score: float) -> np.ndarray:
    """(K, J) whether each joint is present: score above ``min_score`` and finite x, y."""
    return (poses[..., 2] > min_score) & np.isfinite(poses[..., :2]).all(axis=-1)
