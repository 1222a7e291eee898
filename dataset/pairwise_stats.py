"""Mean and spread of the offsets between every ordered pair of joints of a person.

Pairwise (ArtTrack) targets are these offsets normalised as ``(offset - mean) / std`` per pair.
Pairs are ordered as DeeperCut's pairwise channels: ``nnet.heads.pair_index(k, m, J)``. Files use
DeeperCut's ``pairwise_stats.mat`` layout: ``graph`` (n x 2, 0-based ordered joint pairs),
``means`` and ``std_devs`` (n x 2, x then y), rows in any order, statistics at scale 1 (DeeperCut
multiplies them by ``global_scale`` when loading; so does ``load_pairwise_stats`` with ``scale``).
We also write ``counts`` (n), which DeeperCut's reader ignores.
"""
import logging
import os
from dataclasses import dataclass

import numpy as np
import scipy.io as sio

from lib.errors import DatasetError
from nnet.heads import pair_index, pair_list

__all__ = [
    "MIN_STD",
    "PairwiseStats",
    "compute_pairwise_stats",
    "load_pairwise_stats",
    "save_pairwise_stats",
]

log = logging.getLogger(__name__)

MIN_STD = 1.0
"""Floor of a pair's std, in pixels: a pair seen once (or always at the same offset) has std 0,
and normalising by anything much below the labelling precision of a pixel would blow its targets up."""


@dataclass(frozen=True, eq=False)
class PairwiseStats:
    """Per ordered pair, in pair_index order: mean and std of the offset (x, y), and how many were seen.

    ``counts`` is -1 where unknown (a file that does not record them).
    """

    means: np.ndarray
    stds: np.ndarray
    counts: np.ndarray

    @property
    def num_joints(self) -> int:
        """Number of joints J, from the J(J-1) pairs."""
        return int(round((1 + np.sqrt(1 + 4 * len(self.means))) / 2))

    def scaled(self, factor: float) -> "PairwiseStats":
        """The statistics of offsets measured in an image resized by ``factor``."""
        return PairwiseStats(self.means * factor, self.stds * factor, self.counts)


def _person_arrays(item, num_joints):
    """One element of the iterable as (P, J, 3): a person (J, 3) or an image's people (P, J, 3)."""
    joints = np.asarray(item, dtype=np.float64)
    if joints.ndim not in (2, 3) or joints.shape[-2:] != (num_joints, 3):
        raise ValueError(f"compute_pairwise_stats: expected joints of shape (J, 3) or (P, J, 3) with "
                         f"J = {num_joints}, got {joints.shape}")
    return joints.reshape(-1, num_joints, 3)


def _batch_moments(joints, offdiag):
    """Count, mean and sum of squared deviations per ordered pair of one batch of people."""
    labelled = (joints[:, :, 2] > 0) & np.isfinite(joints[:, :, :2]).all(axis=2)
    xy = np.where(labelled[:, :, None], joints[:, :, :2], 0.0)
    offsets = (xy[:, None, :, :] - xy[:, :, None, :])[:, offdiag]
    valid = (labelled[:, :, None] & labelled[:, None, :])[:, offdiag]
    count = valid.sum(axis=0)
    total = np.where(valid[:, :, None], offsets, 0.0).sum(axis=0)
    mean = total / np.maximum(count, 1)[:, None]
    m2 = (np.where(valid[:, :, None], offsets - mean, 0.0) ** 2).sum(axis=0)
    return count, mean, m2


def compute_pairwise_stats(people_joints_iterable, num_joints: int, scale: float = 1.0,
                           min_std: float = MIN_STD) -> PairwiseStats:
    """Statistics of ``(joint m - joint k) * scale`` over every person with both joints labelled.

    Each element of ``people_joints_iterable`` is one person (J, 3) or one image's people
    (P, J, 3), with COCO visibility (> 0 labelled). Stds are the population std (ddof 0) of the
    scaled offsets, floored at ``min_std`` pixels; a pair never seen gets mean 0 and std 1, and is
    logged.
    """
    offdiag = ~np.eye(num_joints, dtype=bool)
    n_pairs = num_joints * (num_joints - 1)
    count = np.zeros(n_pairs, dtype=np.int64)
    mean = np.zeros((n_pairs, 2))
    m2 = np.zeros((n_pairs, 2))
    for item in people_joints_iterable:
        b_count, b_mean, b_m2 = _batch_moments(_person_arrays(item, num_joints), offdiag)
        total = count + b_count
        share = b_count / np.maximum(total, 1)  # Chan et al.'s merge of two sets' moments
        delta = b_mean - mean
        m2 += b_m2 + delta ** 2 * (count * share)[:, None]
        mean += delta * share[:, None]
        count = total
    std = np.maximum(np.sqrt(m2 / np.maximum(count, 1)[:, None]) * scale, min_std)
    unseen = count == 0
    if unseen.any():
        pairs = [tuple(p) for p in pair_list(num_joints)[unseen][:5].tolist()]
        log.warning("pairwise statistics: %d of %d joint pairs never labelled together (e.g. %s); "
                    "using mean 0 and std 1 for them", unseen.sum(), n_pairs, pairs)
    mean[unseen], std[unseen] = 0.0, 1.0
    return PairwiseStats(mean * scale, std, count)


def save_pairwise_stats(stats: PairwiseStats, path) -> None:
    """Write ``stats`` in DeeperCut's ``pairwise_stats.mat`` layout (0-based graph, plus counts)."""
    sio.savemat(os.fspath(path), {
        "graph": pair_list(stats.num_joints).astype(np.int32),
        "means": np.asarray(stats.means, dtype=np.float64),
        "std_devs": np.asarray(stats.stds, dtype=np.float64),
        "counts": np.asarray(stats.counts, dtype=np.int64).reshape(-1),
    })


def _read_mat(path):
    """The variables of a .mat file; DatasetError naming the file when it is missing or unreadable."""
    if not os.path.isfile(path):
        raise DatasetError(f"{path}: pairwise statistics file not found")
    try:
        return sio.loadmat(path)
    except Exception as err:  # scipy raises many types for a file that is not a .mat
        raise DatasetError(f"{path}: cannot read as a MATLAB .mat file ({type(err).__name__}: {err})") from None


def _field(mat, path, name, rows=None):
    """``mat[name]`` as a finite float (n, 2) array; DatasetError naming the file and field otherwise."""
    if name not in mat:
        raise DatasetError(f"{path}: {name}: missing; expected the fields graph, means and std_devs")
    value = np.asarray(mat[name])
    if not np.issubdtype(value.dtype, np.number) or value.ndim != 2 or value.shape[1] != 2:
        raise DatasetError(f"{path}: {name}: expected a numeric array of shape (n, 2), "
                           f"got {value.dtype} array of shape {value.shape}")
    if rows is not None and value.shape[0] != rows:
        raise DatasetError(f"{path}: {name}: expected {rows} rows, one per row of graph, got {value.shape[0]}")
    value = value.astype(np.float64)
    if not np.isfinite(value).all():
        raise DatasetError(f"{path}: {name}: expected finite values")
    return value


def _pair_rows(graph, path, num_joints, one_based=False):
    """Pair index of each row of ``graph`` (joint ids from 1 with ``one_based``, else from 0);
    DatasetError unless it lists every ordered pair once."""
    n_pairs = num_joints * (num_joints - 1)
    first = int(one_based)
    if (graph != np.round(graph)).any() or graph.min(initial=first) < first:
        which = ("1-based joint ids (integers >= 1), as the Caffe order "
                 "(tensorflow_pairwise_order: false) has them" if one_based
                 else "0-based joint ids (integers >= 0)")
        raise DatasetError(f"{path}: graph: expected {which}")
    graph = graph - first
    graph = graph.astype(np.int64)
    top = int(graph.max(initial=-1))
    if top >= num_joints or len(graph) != n_pairs:
        raise DatasetError(f"{path}: graph: joint count mismatch: the file has {len(graph)} pairs of joint "
                           f"ids up to {top}; num_joints={num_joints} needs {n_pairs} pairs of ids "
                           f"0..{num_joints - 1}")
    if (graph[:, 0] == graph[:, 1]).any():
        raise DatasetError(f"{path}: graph: expected pairs of two different joints")
    index = pair_index(graph[:, 0], graph[:, 1], num_joints)
    if len(np.unique(index)) != n_pairs:
        raise DatasetError(f"{path}: graph: expected each ordered joint pair once, found repeated pairs")
    return index


def load_pairwise_stats(path, num_joints: int, scale: float = 1.0, one_based: bool = False) -> PairwiseStats:
    """Read a DeeperCut ``pairwise_stats.mat`` (rows in any order) into pair_index order, times ``scale``.
    ``one_based``: its graph names joints from 1, as the file of a model in DeeperCut's Caffe order
    of pairwise channels does (``tensorflow_pairwise_order: false``).

    DatasetError, naming the file and the field, for a missing file or field, wrong shapes, pairs
    that do not match ``num_joints``, or stds that are not positive.
    """
    path = os.fspath(path)
    mat = _read_mat(path)
    graph = _field(mat, path, "graph")
    means = _field(mat, path, "means", rows=len(graph))
    stds = _field(mat, path, "std_devs", rows=len(graph))
    if (stds <= 0).any():
        raise DatasetError(f"{path}: std_devs: expected values > 0")
    index = _pair_rows(graph, path, num_joints, one_based)
    counts = np.full(len(graph), -1, dtype=np.int64)
    if "counts" in mat and np.asarray(mat["counts"]).size == len(graph):
        counts = np.asarray(mat["counts"]).reshape(-1).astype(np.int64)
    order = np.argsort(index)
    return PairwiseStats(means[order] * scale, stds[order] * scale, counts[order])
