"""People from a labelled set of candidates: one pose per cluster of the solver's solution."""
from typing import NamedTuple

import numpy as np

__all__ = ["People", "assemble_people"]


class People(NamedTuple):
    """K people: ``poses`` (K, J, 3) as x, y, score (0, 0, 0 where a part was not found) and
    ``scores`` (K,), the mean over all J parts of the part scores; sorted by falling score."""

    poses: np.ndarray
    scores: np.ndarray

    def scaled(self, factor: float) -> "People":
        """The same people in an image resized by ``factor``."""
        poses = self.poses.copy()
        poses[..., :2] *= factor
        return People(poses, self.scores)


def assemble_people(part, xy, score, cluster, num_joints: int, min_parts: int) -> People:
    """Poses of the clusters (cluster >= 0) of the candidates ``part``, ``xy``, ``score``.

    A person's part is the score-weighted mean position of its cluster's candidates of that part
    (DeeperCut), scored by their highest score. Clusters with fewer than ``min_parts`` distinct
    parts are dropped.
    """
    part = np.asarray(part, dtype=np.int64)
    cluster = np.asarray(cluster, dtype=np.int64)
    keep = cluster >= 0
    count = int(cluster.max()) + 1 if keep.any() else 0
    j = num_joints
    cell = cluster[keep] * j + part[keep]
    value = np.asarray(score, dtype=np.float64)[keep]
    weight = np.maximum(value, 1e-12)  # a zero score still places its part
    total = np.bincount(cell, weight, minlength=count * j)
    sx = np.bincount(cell, weight * xy[keep, 0], minlength=count * j)
    sy = np.bincount(cell, weight * xy[keep, 1], minlength=count * j)
    best = np.zeros(count * j)
    np.maximum.at(best, cell, value)
    found = total > 0
    poses = np.zeros((count * j, 3))
    poses[found, 0] = sx[found] / total[found]
    poses[found, 1] = sy[found] / total[found]
    poses[:, 2] = best
    poses = poses.reshape(count, j, 3)
    parts_found = found.reshape(count, j).sum(axis=1)
    poses = poses[parts_found >= max(1, min_parts)]
    scores = poses[:, :, 2].mean(axis=1) if len(poses) else np.zeros(0)
    order = np.argsort(-scores, kind="stable")
    return People(poses[order], scores[order])
