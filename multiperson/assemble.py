"""People from a labelled set of candidates: one pose per cluster of the solver's solution."""
from typing import NamedTuple

import numpy as np

from lib.errors import InputError
from lib.people_cy import assemble, distinct

__all__ = ["People", "assemble_people", "distinct_people"]


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


def assemble_people(part, xy, score, cluster, num_joints: int, min_parts: int,
                    duplicate_px: float = 0.0) -> People:
    """Poses of the clusters (cluster >= 0) of the candidates ``part``, ``xy``, ``score``, as
    lib/people.hpp assembles them.

    A person's part is the score-weighted mean position of its cluster's candidates of that part
    (DeeperCut), scored by their highest score. Clusters with fewer than ``min_parts`` distinct
    parts are dropped, and with ``duplicate_px`` > 0 so are duplicates (see distinct_people).
    """
    duplicate_px = _radius(duplicate_px, "assemble_people")
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
    return People(*assemble(part, xy, score, cluster, int(num_joints), int(min_parts), duplicate_px))


def _radius(value, caller: str) -> float:
    """A duplicate radius checked: a finite number of pixels >= 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not np.isfinite(value) or value < 0:
        raise InputError(f"{caller}: duplicate_px: expected a finite number of pixels >= 0, got {value!r}")
    return float(value)


def distinct_people(poses, duplicate_px: float) -> np.ndarray:
    """bool (K,): which people (K, J, 3), in order of falling score, to keep. A person every one
    of whose parts (score > 0) lies within ``duplicate_px`` pixels of some part of a person kept
    before it is that body seen again as other parts (a leg detected as both its left and its
    right knee and ankle) and is dropped; 0 keeps everyone (DeeperCut). Compiled
    (lib/people.hpp), as the pipeline's assembly applies it."""
    duplicate_px = _radius(duplicate_px, "distinct_people")
    try:
        poses = np.ascontiguousarray(poses, np.float64)
    except (TypeError, ValueError) as err:
        raise InputError(f"distinct_people: poses: expected an array of numbers ({err})") from None
    if poses.ndim != 3 or poses.shape[2] != 3:
        raise InputError(f"distinct_people: poses: expected shape (people, joints, 3), got {poses.shape}")
    if not np.isfinite(poses).all():
        raise InputError("distinct_people: poses: expected finite numbers")
    return distinct(poses, duplicate_px)
