"""Pairwise spatial model: the probability that two candidates belong to one person.

For candidates i (part k) and j (part m != k), DeeperCut compares the offsets the network
predicts in both directions with the actual ones: forward, from i's cell centre to j's position
against i's predicted offset to part m; backward, from j's cell centre to i's position against
j's predicted offset to part k. Features (``edge_features``): the length of the difference and
the absolute angle between the two vectors, for both directions, then ``exp(-f)`` of those four.
Per unordered part pair (k < m) a logistic model on the min-max scaled features gives the
probability. Two candidates of part k, ``d`` pixels apart, get ``1 / (1 + exp(c_k * d - b_k))``:
DeeperCut fixes c = 0.2 and b = 7.5 for every part, which pulls together the same joint of two
people closer than 37.5 pixels; ``posecut fit-pairwise`` fits c_k and b_k from the data instead.

Models are stored in DeeperCut's layout, one ``spatial_model_cidx_<k+1>_<m+1>.mat`` per pair
with ``spatial_model.log_reg.w`` (9 weights, bias last) and ``spatial_model.training_opts``
``X_min`` / ``X_max`` (8 values each), so DeeperCut's published models load too; the fitted
same-part rule is ``same_part_model.mat`` (``coef`` and ``bias``, one per part), and without
that file DeeperCut's constants apply.
"""
import glob
import os
import re
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
import scipy.io as sio

from lib.errors import CheckpointError
from lib.pairwise_cy import edge_features as graph_edge_features

__all__ = [
    "NUM_FEATURES",
    "SAME_PART_BIAS",
    "SAME_PART_COEF",
    "SpatialModel",
    "edge_features",
    "load_spatial_model",
    "save_spatial_model",
]

NUM_FEATURES = 8
SAME_PART_COEF = 0.2
SAME_PART_BIAS = 7.5
_FILE = re.compile(r"spatial_model_cidx_(\d+)_(\d+)\.mat$")
SAME_PART_FILE = "same_part_model.mat"


@dataclass(frozen=True, eq=False)
class SpatialModel:
    """Logistic models per unordered part pair: ``weights`` (J, J, 9) with the bias last,
    ``x_min`` / ``x_max`` (J, J, 8) feature scaling, ``fitted`` (J, J) bool; only k < m is used.
    Same-part rule per part: ``same_coef`` and ``same_bias`` (J,)."""

    weights: np.ndarray
    x_min: np.ndarray
    x_max: np.ndarray
    fitted: np.ndarray
    same_coef: np.ndarray = None
    same_bias: np.ndarray = None

    def __post_init__(self):
        j = self.fitted.shape[0]
        if self.same_coef is None:
            object.__setattr__(self, "same_coef", np.full(j, SAME_PART_COEF))
        if self.same_bias is None:
            object.__setattr__(self, "same_bias", np.full(j, SAME_PART_BIAS))

    @property
    def num_joints(self) -> int:
        """Number of parts J."""
        return self.fitted.shape[0]

    @classmethod
    def empty(cls, num_joints: int) -> "SpatialModel":
        """A model with no fitted pair."""
        j = num_joints
        return cls(np.zeros((j, j, NUM_FEATURES + 1)), np.zeros((j, j, NUM_FEATURES)),
                   np.ones((j, j, NUM_FEATURES)), np.zeros((j, j), bool))

    def with_pair(self, k: int, m: int, weights, x_min, x_max) -> "SpatialModel":
        """A copy with the model of pair (min(k, m), max(k, m)) set."""
        k, m = min(k, m), max(k, m)
        out = SpatialModel(self.weights.copy(), self.x_min.copy(), self.x_max.copy(),
                           self.fitted.copy(), self.same_coef, self.same_bias)
        out.weights[k, m], out.x_min[k, m], out.x_max[k, m] = weights, x_min, x_max
        out.fitted[k, m] = True
        return out

    def with_same_part(self, coef, bias) -> "SpatialModel":
        """A copy with the same-part rule's ``coef`` and ``bias`` (scalars or (J,))."""
        j = self.num_joints
        return SpatialModel(self.weights, self.x_min, self.x_max, self.fitted,
                            np.broadcast_to(np.asarray(coef, np.float64), (j,)).copy(),
                            np.broadcast_to(np.asarray(bias, np.float64), (j,)).copy())

    def folded(self) -> tuple[np.ndarray, np.ndarray]:
        """(coef (J, J, 8), bias (J, J)): the logistic models with the min-max scaling folded in,
        ``z = bias + coef @ features``; computed once per model."""
        cached = self.__dict__.get("_folded")
        if cached is None:
            span = self.x_max - self.x_min
            coef = self.weights[..., :NUM_FEATURES] / np.where(span == 0, 1.0, span)
            bias = self.weights[..., NUM_FEATURES] - np.einsum("kmf,kmf->km", coef, self.x_min)
            cached = self.__dict__["_folded"] = (coef, bias)
        return cached

    def pairs(self) -> np.ndarray:
        """(P, 2) fitted pairs (k < m)."""
        return np.argwhere(np.triu(self.fitted, 1))


def edge_features(xy, grid_xy, offsets, part, first, second) -> np.ndarray:
    """(E, 8) features of the candidate pairs (first[e], second[e]) of different parts, computed
    by lib/pairwise.hpp as the graph does (one implementation for fitting and prediction).

    ``xy``, ``grid_xy`` (N, 2), ``offsets`` (N, J, 2) and ``part`` (N,) as in Detections.
    Columns: forward length, forward angle, backward length, backward angle, then ``exp(-f)``
    of those four; an angle is in [0, pi] (0 where either vector is zero).
    """
    first = np.ascontiguousarray(first, np.int64).reshape(-1)
    second = np.ascontiguousarray(second, np.int64).reshape(-1)
    part = np.ascontiguousarray(part, np.int32)
    n = len(part)
    if len(first) != len(second):
        raise ValueError(f"edge_features: {len(first)} first and {len(second)} second candidates")
    for name, index in (("first", first), ("second", second)):
        if len(index) and (index.min() < 0 or index.max() >= n):
            raise ValueError(f"edge_features: {name} holds indices outside [0, {n})")
    if len(first) and (part[first] == part[second]).any():
        raise ValueError("edge_features: pairs of one part have no features")
    return graph_edge_features(part, np.ascontiguousarray(xy, np.float64),
                               np.ascontiguousarray(grid_xy, np.float64),
                               np.ascontiguousarray(offsets, np.float64), first, second)


def save_spatial_model(model: SpatialModel, folder: str) -> list[str]:
    """Write one DeeperCut ``spatial_model_cidx_<k+1>_<m+1>.mat`` per fitted pair; return the paths.

    ``log_reg.w`` is a 1 x 9 row, as liblinear writes it and DeeperCut reads it (the first row
    of ``w``); ``X_min`` and ``X_max`` are 1 x 8 rows."""
    os.makedirs(folder, exist_ok=True)
    paths = []
    for k, m in model.pairs():
        path = os.path.join(folder, f"spatial_model_cidx_{k + 1}_{m + 1}.mat")
        sio.savemat(path, {"spatial_model": {
            "log_reg": {"w": model.weights[k, m][None]},
            "training_opts": {"X_min": model.x_min[k, m][None], "X_max": model.x_max[k, m][None]},
        }})
        paths.append(path)
    path = os.path.join(folder, SAME_PART_FILE)
    sio.savemat(path, {"coef": model.same_coef[None], "bias": model.same_bias[None]})
    return paths + [path]


def _field(struct, name, path, size):
    """A numeric field of a loaded MATLAB struct as a flat float array of ``size`` values."""
    try:
        value = np.asarray(getattr(struct, name), dtype=np.float64).ravel()
    except (AttributeError, TypeError, ValueError):
        raise CheckpointError(f"{path}: expected a numeric field {name!r}") from None
    if value.size != size or not np.isfinite(value).all():
        raise CheckpointError(f"{path}: {name}: expected {size} finite numbers, got "
                              f"{value.size} values")
    return value


def load_spatial_model(folder: str, num_joints: int) -> SpatialModel:
    """The spatial models in ``folder`` (DeeperCut's files or ours) for ``num_joints`` parts."""
    paths = sorted(glob.glob(os.path.join(folder, "spatial_model_cidx_*_*.mat")))
    if not paths:
        raise CheckpointError(f"{folder}: no spatial_model_cidx_*_*.mat files (fit them with "
                              f"`posecut fit-pairwise`)")
    model = SpatialModel.empty(num_joints)
    for path in paths:
        k, m = (int(v) - 1 for v in _FILE.search(path).groups())
        if not (0 <= k < num_joints and 0 <= m < num_joints and k != m):
            raise CheckpointError(f"{path}: part pair ({k + 1}, {m + 1}) does not fit "
                                  f"{num_joints} joints (the config's num_joints)")
        try:
            data = sio.loadmat(path, squeeze_me=True, struct_as_record=False)["spatial_model"]
            log_reg, opts = data.log_reg, data.training_opts
        except (KeyError, AttributeError, ValueError, OSError) as err:
            raise CheckpointError(f"{path}: expected a struct spatial_model with fields log_reg "
                                  f"and training_opts ({err})") from None
        model = model.with_pair(k, m, _field(log_reg, "w", path, NUM_FEATURES + 1),
                                _field(opts, "X_min", path, NUM_FEATURES),
                                _field(opts, "X_max", path, NUM_FEATURES))
    path = os.path.join(folder, SAME_PART_FILE)
    if os.path.isfile(path):
        try:
            data = sio.loadmat(path, squeeze_me=True, struct_as_record=False)
        except (ValueError, OSError) as err:
            raise CheckpointError(f"{path}: not a readable .mat file ({err})") from None
        fields = SimpleNamespace(coef=data.get("coef"), bias=data.get("bias"))
        model = model.with_same_part(_field(fields, "coef", path, num_joints),
                                     _field(fields, "bias", path, num_joints))
    return model
