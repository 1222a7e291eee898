"""The candidates' graph: which part pairs are linked, and the edges between candidates."""
import math
from typing import NamedTuple

import numpy as np

from lib.errors import InputError
from lib.pairwise_cy import graph_edges
from nnet.heads import default_sparse_graph, pair_list

__all__ = ["GraphArrays", "build_graph", "candidate_edges", "default_sparse_graph", "edge_gates",
           "graph_arrays", "part_pair_mask"]


def part_pair_mask(sparse_graph, num_joints: int) -> np.ndarray:
    """(J, J) symmetric bool: which part pairs get edges; same-part pairs always do.

    An empty ``sparse_graph`` links every pair (DeeperCut's meaning).
    """
    pairs = np.asarray(sparse_graph, dtype=np.int64).reshape(-1, 2)
    if len(pairs) == 0:
        return np.ones((num_joints, num_joints), dtype=bool)
    if pairs.min() < 0 or pairs.max() >= num_joints:
        raise ValueError(f"sparse_graph: expected joint ids in 0..{num_joints - 1}, got "
                         f"{pairs[(pairs < 0).any(1) | (pairs >= num_joints).any(1)].tolist()}")
    mask = np.eye(num_joints, dtype=bool)
    mask[pairs[:, 0], pairs[:, 1]] = True
    mask[pairs[:, 1], pairs[:, 0]] = True
    return mask


def candidate_edges(part, mask) -> np.ndarray:
    """(E, 2) candidate pairs (i < j) whose parts are linked in ``mask`` (J, J)."""
    part = np.asarray(part, dtype=np.int64)
    first, second = np.triu_indices(len(part), 1)
    keep = mask[part[first], part[second]]
    return np.stack([first[keep], second[keep]], axis=1)


def edge_gates(means, stds, model, num_stds: float) -> np.ndarray:
    """(J, J) largest distance in pixels at which two candidates of parts k and m still get an
    edge: ``|mean| + num_stds * |std|`` of the pair's offsets (pairwise statistics (J(J-1), 2),
    the larger of both directions), and for one part the distance beyond which the same-part
    rule gives under 0.1 %. ``num_stds`` <= 0 gates nothing (every distance allowed).

    Pairs farther apart would get a probability near 0 anyway; leaving them out makes the graph
    and the solver's work grow with the people's crowding rather than with their number squared.
    """
    j = model.num_joints
    gates = np.full((j, j), np.inf)
    if num_stds <= 0:
        return gates
    pairs = pair_list(j)
    reach = np.linalg.norm(means, axis=1) + num_stds * np.linalg.norm(stds, axis=1)
    gates[pairs[:, 0], pairs[:, 1]] = reach
    gates = np.maximum(gates, gates.T)
    with np.errstate(divide="ignore"):
        same = np.where(model.same_coef > 0, (model.same_bias + 6.9) / model.same_coef, np.inf)
    gates[np.arange(j), np.arange(j)] = np.maximum(same, 0.0)
    return gates


class GraphArrays(NamedTuple):
    """The spatial model, part-pair mask and gates as the compiled kernels take them, in the
    order of lib/pairwise.hpp's Model (lib.pairwise_cy.graph_edges, lib.people_cy)."""

    linked: np.ndarray
    """uint8 (J, J): part pairs that get edges."""
    fitted: np.ndarray
    """uint8 (J, J): part pairs with a fitted model."""
    coef: np.ndarray
    """float64 (J, J, 8): SpatialModel.folded weights."""
    bias: np.ndarray
    """float64 (J, J)."""
    same_coef: np.ndarray
    """float64 (J,)."""
    same_bias: np.ndarray
    """float64 (J,)."""
    max_dist2: np.ndarray
    """float64 (J, J): squared distance gates (inf: none)."""
    gate_px: float
    """Offset gate in pixels, -1 when off."""
    gate_rel: float


def graph_arrays(model, mask, gates=None, offset_gate=None) -> GraphArrays:
    """GraphArrays of a spatial ``model``, a part-pair ``mask`` (J, J), distance ``gates``
    (J, J) or None and an ``offset_gate`` (pixels, fraction) or None; see build_graph."""
    j = model.num_joints
    coef, bias = model.folded()
    gate_px, gate_rel = (-1.0, 0.0) if offset_gate is None else map(float, offset_gate)
    limit = np.full((j, j), np.inf) if gates is None else np.square(np.asarray(gates, np.float64))
    for name, array in (("mask", np.asarray(mask)), ("gates", limit)):
        if array.shape != (j, j):  # the compiled code reads (J, J) of each
            raise InputError(f"graph_arrays: {name}: expected shape ({j}, {j}), the spatial "
                             f"model's joints, got {array.shape}")
    if np.isnan(limit).any():
        raise InputError("graph_arrays: gates: expected distances or inf, got NaN")
    if not (math.isfinite(gate_px) and math.isfinite(gate_rel)):
        raise InputError(f"graph_arrays: offset_gate: expected finite (pixels, fraction), got "
                         f"{offset_gate}")
    return GraphArrays(
        np.ascontiguousarray(mask, np.uint8), np.ascontiguousarray(model.fitted, np.uint8),
        np.ascontiguousarray(coef, np.float64), np.ascontiguousarray(bias, np.float64),
        np.ascontiguousarray(model.same_coef, np.float64),
        np.ascontiguousarray(model.same_bias, np.float64), np.ascontiguousarray(limit),
        gate_px, gate_rel)


def build_graph(dets, model, mask, gates=None, offset_gate=None):
    """(edges (E, 2), probabilities (E,)) of the candidates ``dets`` (multiperson.detections):
    every pair i < j of linked parts (``mask`` (J, J)) at most ``gates`` (J, J) pixels apart
    (default: any distance) with its probability under the spatial ``model``.

    ``offset_gate`` (pixels, fraction) or None keeps only the pairs that the network's offsets
    point at: for different parts, the actual offset from one candidate to the other must miss
    the predicted one by at most pixels + fraction * its length, in either direction; for one
    part, the candidates must lie within the longer offset either predicts (the reach of its
    body). Pairs it drops belong to different people with near certainty, so the graph grows
    with the number of people rather than with its square. Compiled (lib/pairwise_cy.pyx);
    without gates it equals candidate_edges followed by the probabilities of the numpy reference
    (tests/grouping_reference.py).
    """
    j = dets.num_joints
    if model.num_joints != j or mask.shape != (j, j):
        raise ValueError(f"build_graph: the detections have {j} parts, the spatial model "
                         f"{model.num_joints} and the part-pair mask {mask.shape}")
    part = np.asarray(dets.part, np.int32)
    order = None
    if len(part) > 1 and (np.diff(part) < 0).any():
        order = np.argsort(part, kind="stable")
    take = (lambda a: a) if order is None else (lambda a: np.asarray(a)[order])
    offsets = dets.offsets if dets.offsets is not None else np.zeros((len(dets), j, 2))
    edges, prob = graph_edges(
        np.ascontiguousarray(take(part)), np.ascontiguousarray(take(dets.xy), np.float64),
        np.ascontiguousarray(take(dets.grid_xy), np.float64),
        np.ascontiguousarray(take(offsets), np.float64),
        *graph_arrays(model, mask, gates, offset_gate))
    if edges is None:
        raise ValueError(f"build_graph: no spatial model for the linked part pair {prob}; fit it "
                         f"with `posecut fit-pairwise` or leave the pair out of sparse_graph")
    if order is not None:
        edges = np.sort(order[edges], axis=1)
    return edges, prob
