"""NL-LMP multicut: which candidate detections are real and which belong to one person.

The problem (DeeperCut's grouping step; Levinkov et al., "Joint Graph
Decomposition and Node Labeling", CVPR 2017): N candidate detections (nodes),
each real with probability p_v, and E candidate pairs (edges), each with a
probability p_uv that both ends belong to the same person. Choose which nodes
are active and partition the active nodes into clusters (people) so that

    E = sum over active v of log((1 - p_v) / p_v)
        + sum over edges uv with both ends active and in one cluster of log((1 - p_uv) / p_uv)

is minimal; probabilities are clipped to [1e-7, 1 - 1e-7] first. Suppressed
(inactive) nodes and edges between clusters contribute nothing. Node pairs
that are not edges cost 0 but still follow the partition: two nodes can be in
one cluster without an edge between them, although an optimal labelling never
needs that.

The solver (lib/nl_lmp.cpp, compiled; the algorithm is described in
lib/nl_lmp.hpp) is a heuristic: greedy edge contraction, then rounds of node
moves, Kernighan-Lin move sequences on pairs of clusters and further
contractions, each keeping only changes that lower E. It is deterministic,
prints nothing and releases the GIL while it runs. On realistic problems it
reaches the optimum in most cases and stays within a few hundredths of a
percent of it on average (bench/bench_multicut.py).

Results are :class:`MulticutResult` tuples ``(active, cluster, objective)``:
``active`` is bool[N]; ``cluster`` is int32[N] with the clusters of active nodes
numbered 0, 1, ... in order of their smallest node and -1 for suppressed
nodes; ``objective`` is E of that labelling.

Invalid input (NaN, infinite costs, probabilities outside [0, 1], edge ends out
of range, self edges, the same pair twice in either order, lengths that do not
match) raises :class:`MulticutError`, a ``ValueError``, naming the argument and
the index.
"""
from typing import NamedTuple

import numpy as np

from lib import multicut_cy as _cy
from lib.errors import PosecutError

__all__ = [
    "MulticutError",
    "MulticutResult",
    "objective",
    "objective_costs",
    "probabilities_to_costs",
    "solve",
    "solve_costs",
]

# Largest number of nodes or edges (the solver indexes with 32-bit integers).
_MAX_SIZE = 2**30 - 1

# Issue kinds of nl_lmp.hpp (IssueKind) and what they mean in a message.
_NOT_A_NUMBER, _NOT_FINITE, _OUTSIDE_UNIT, _OUT_OF_RANGE, _SELF_EDGE, _DUPLICATE = range(1, 7)


class MulticutError(PosecutError, ValueError):
    """A multicut problem (or a labelling given for one) is malformed."""


class MulticutResult(NamedTuple):
    """Solution of an NL-LMP problem; unpacks as ``active, cluster, objective``."""

    active: np.ndarray
    """bool[N]: whether each node is a real detection."""
    cluster: np.ndarray
    """int32[N]: cluster (person) of each active node, 0, 1, ... in order of the
    smallest node of each cluster; -1 for suppressed nodes."""
    objective: float
    """E of this labelling."""


def solve(node_prob, edges, edge_prob, *, max_rounds=50, kernighan_lin=True, max_threads=0):
    """Solves the NL-LMP problem given by probabilities.

    Args:
        node_prob: float[N], probability that each node is a real detection.
        edges: int[E, 2], node pairs (each unordered pair at most once).
        edge_prob: float[E], probability that both ends of each edge belong to
            one cluster.
        max_rounds: most rounds of local search (node moves, Kernighan-Lin,
            contraction) after the greedy contraction; 0 keeps the greedy
            contraction alone. The search stops earlier once a round's
            contraction no longer lowers E.
        kernighan_lin: whether to run the Kernighan-Lin sequences (better
            optima; they take about half of the solve time).
        max_threads: most threads for the components of the attracting edges,
            which are solved apart (<= 0: the machine's cores); the result does
            not depend on it.

    Returns:
        MulticutResult ``(active, cluster, objective)``, see the module docstring.

    Raises:
        MulticutError: on invalid input; the message names the argument and index.
    """
    return _solve(node_prob, edges, edge_prob, True, max_rounds, kernighan_lin, max_threads)


def solve_costs(node_cost, edges, edge_cost, *, max_rounds=50, kernighan_lin=True,
                max_threads=0):
    """Solves the NL-LMP problem given by costs (negative: keep the node / join the pair).

    Same as :func:`solve` with ``node_cost = log((1 - p_v) / p_v)`` and
    ``edge_cost = log((1 - p_uv) / p_uv)`` given directly; costs must be finite.
    """
    return _solve(node_cost, edges, edge_cost, False, max_rounds, kernighan_lin, max_threads)


def probabilities_to_costs(prob):
    """Returns log((1 - p) / p) of probabilities clipped to [1e-7, 1 - 1e-7] (float64)."""
    values = _vector(prob, "prob")
    issue, costs = _cy.costs(values, True)
    _raise(issue, "prob", "probability")
    return costs


def objective(node_prob, edges, edge_prob, active, cluster):
    """E of a given labelling of a problem given by probabilities.

    Args:
        node_prob, edges, edge_prob: the problem, as for :func:`solve`.
        active: bool[N], which nodes are active.
        cluster: int[N], cluster id of each node; ids of suppressed nodes are
            ignored, active nodes with equal ids are in one cluster.

    Returns:
        E as a float.
    """
    node_cost, edges, edge_cost = _problem(node_prob, edges, edge_prob, True)
    return _objective(node_cost, edges, edge_cost, active, cluster)


def objective_costs(node_cost, edges, edge_cost, active, cluster):
    """E of a given labelling of a problem given by costs; see :func:`objective`."""
    node_cost, edges, edge_cost = _problem(node_cost, edges, edge_cost, False)
    return _objective(node_cost, edges, edge_cost, active, cluster)


def _solve(node_values, edges, edge_values, probabilities, max_rounds, kernighan_lin,
           max_threads):
    node_cost, edges, edge_cost = _problem(node_values, edges, edge_values, probabilities)
    max_rounds = int(max_rounds)
    if max_rounds < 0:
        raise MulticutError(f"max_rounds must be >= 0, got {max_rounds}")
    active, cluster, value = _cy.solve(
        node_cost, edges, edge_cost, min(max_rounds, 2**31 - 1), bool(kernighan_lin),
        max(-1, min(int(max_threads), 1024))
    )
    return MulticutResult(active, cluster, value)


def _problem(node_values, edges, edge_values, probabilities):
    """Checks a problem and returns (node costs, edges as int64[E, 2], edge costs)."""
    node_name, edge_name = ("node_prob", "edge_prob") if probabilities else ("node_cost", "edge_cost")
    what = "probability" if probabilities else "cost"
    node_values = _vector(node_values, node_name)
    edge_values = _vector(edge_values, edge_name)
    edges = _edge_array(edges)
    if len(edge_values) != len(edges):
        raise MulticutError(
            f"{edge_name} has {len(edge_values)} values but edges has {len(edges)} rows"
        )
    if len(node_values) > _MAX_SIZE or len(edges) > _MAX_SIZE:
        raise MulticutError(
            f"{len(node_values)} nodes and {len(edges)} edges: at most {_MAX_SIZE} of each supported"
        )
    issue, node_cost = _cy.costs(node_values, probabilities)
    _raise(issue, node_name, what)
    issue = _cy.check_edges(len(node_values), edges)
    if issue is not None:
        kind, index, other = issue
        u, v = (int(x) for x in edges[index])
        if kind == _OUT_OF_RANGE:
            raise MulticutError(
                f"edges[{index}] = ({u}, {v}) refers to a node outside 0..{len(node_values) - 1}"
            )
        if kind == _SELF_EDGE:
            raise MulticutError(f"edges[{index}] = ({u}, {v}) joins node {u} to itself")
        raise MulticutError(
            f"edges[{index}] = ({u}, {v}) repeats edges[{other}] = "
            f"({int(edges[other, 0])}, {int(edges[other, 1])}); each node pair may appear once"
        )
    issue, edge_cost = _cy.costs(edge_values, probabilities)
    _raise(issue, edge_name, what)
    return node_cost, edges, edge_cost


def _vector(values, name):
    """values as a contiguous float64 vector."""
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise MulticutError(f"{name} must be numbers: {error}") from None
    if array.ndim != 1:
        raise MulticutError(f"{name} must be one-dimensional, got shape {array.shape}")
    return np.ascontiguousarray(array)


def _edge_array(edges):
    """edges as a contiguous int64 array of shape (E, 2)."""
    array = np.asarray(edges)
    if array.size == 0 and (array.ndim == 1 or (array.ndim == 2 and array.shape[0] == 0)):
        return np.empty((0, 2), dtype=np.int64)
    if array.ndim != 2 or array.shape[1] != 2:
        raise MulticutError(f"edges must have shape (E, 2), got {array.shape}")
    if array.dtype.kind not in "iu":
        raise MulticutError(f"edges must be integer node indices, got dtype {array.dtype}")
    if array.dtype.kind == "u" and array.size and array.max() > np.iinfo(np.int64).max:
        bad = int(np.argmax(array.max(axis=1) > np.iinfo(np.int64).max))
        raise MulticutError(f"edges[{bad}] refers to a node index too large for int64")
    return np.ascontiguousarray(array, dtype=np.int64)


def _raise(issue, name, what):
    """Raises the error for a value issue of a node or edge vector."""
    if issue is None:
        return
    kind, index, _ = issue
    if kind == _NOT_A_NUMBER:
        raise MulticutError(f"{name}[{index}] is NaN")
    if kind == _NOT_FINITE:
        raise MulticutError(f"{name}[{index}] is infinite; a {what} must be finite")
    raise MulticutError(f"{name}[{index}] is outside [0, 1]; a {what} must lie in [0, 1]")


def _objective(node_cost, edges, edge_cost, active, cluster):
    n = len(node_cost)
    active = np.asarray(active)
    cluster = np.asarray(cluster)
    if active.shape != (n,):
        raise MulticutError(f"active must have shape ({n},), got {active.shape}")
    if cluster.shape != (n,):
        raise MulticutError(f"cluster must have shape ({n},), got {cluster.shape}")
    if active.dtype != np.bool_:
        raise MulticutError(f"active must be boolean, got dtype {active.dtype}")
    if cluster.dtype.kind not in "iu":
        raise MulticutError(f"cluster must be integer ids, got dtype {cluster.dtype}")
    u, v = edges[:, 0], edges[:, 1]
    inside = active[u] & active[v] & (cluster[u] == cluster[v])
    return float(node_cost[active].sum() + edge_cost[inside].sum())
