"""People from a labelled set of candidates: one pose per cluster of the solver's solution."""
from typing import NamedTuple

import numpy as np

from lib.people_cy import assemble

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
    """Poses of the clusters (cluster >= 0) of the candidates ``part``, ``xy``, ``score``, as
    lib/people.hpp assembles them.

    A person's part is the score-weighted mean position of its cluster's candidates of that part
    (DeeperCut), scored by their highest score. Clusters with fewer than ``min_parts`` distinct
    parts are dropped.
    """
    part = np.ascontiguousarray(part, np.int32).reshape(-1)
    n = len(part)
    arrays = {}
    for name, values, dtype, shape in (("xy", xy, np.float64, (n, 2)), ("score", score, np.float64, (n,)),
                                       ("cluster", cluster, np.int32, (n,))):
        arrays[name] = np.ascontiguousarray(values, dtype)
        if arrays[name].shape != shape:
            raise ValueError(f"assemble_people: {name}: expected shape {shape} for {n} candidates, "
                             f"got {arrays[name].shape}")
    xy, score, cluster = arrays["xy"], arrays["score"], arrays["cluster"]
    if n and (part.min() < 0 or part.max() >= num_joints):
        raise ValueError(f"assemble_people: parts must lie in [0, {num_joints})")
    return People(*assemble(part, xy, score, cluster, int(num_joints), int(min_parts)))
