"""People from a labelled set of candidates: one pose per cluster of the solver's solution."""
from typing import NamedTuple

import numpy as np

from lib.errors import InputError
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
    for name, value in (("num_joints", num_joints), ("min_parts", min_parts)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 0:
            raise InputError(f"assemble_people: {name}: expected an integer >= 0, got {value!r}")
    arrays = {}
    for name, values, dtype in (("part", part, np.int32), ("xy", xy, np.float64),
                                ("score", score, np.float64), ("cluster", cluster, np.int32)):
        try:
            arrays[name] = np.ascontiguousarray(values, dtype)
        except (TypeError, ValueError) as err:
            raise InputError(f"assemble_people: {name}: expected an array of numbers ({err})") from None
    part = arrays["part"].reshape(-1)
    n = len(part)
    for name, shape in (("xy", (n, 2)), ("score", (n,)), ("cluster", (n,))):
        if arrays[name].shape != shape:
            raise InputError(f"assemble_people: {name}: expected shape {shape} for {n} candidates, "
                             f"got {arrays[name].shape}")
        if not np.isfinite(arrays[name]).all():
            raise InputError(f"assemble_people: {name}: expected finite numbers, got "
                             f"{arrays[name][~np.isfinite(arrays[name])][0]} at candidate "
                             f"{int(np.argwhere(~np.isfinite(arrays[name]))[0, 0])}")
    xy, score, cluster = arrays["xy"], arrays["score"], arrays["cluster"]
    if n and (part.min() < 0 or part.max() >= num_joints):
        raise InputError(f"assemble_people: part: parts must lie in [0, {num_joints}), got "
                         f"{int(part.min())}..{int(part.max())}")
    return People(*assemble(part, xy, score, cluster, int(num_joints), int(min_parts)))
