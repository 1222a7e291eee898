"""Exact NL-LMP solvers (integer programs solved with HiGHS) to check the heuristic in lib.multicut.

Two formulations of the same problem (see lib/multicut.py), both with a binary
activity x_v per node, minimising sum_v c_v x_v + sum of edge costs times joins:

- :func:`solve_complete`: a join variable y_uv for every node pair, y_uv <= x_u,
  y_uv <= x_v and transitivity y_uv + y_vw - y_uw <= 1 on every triple (all
  three rotations). Pairs that are not edges cost 0 but still obey
  transitivity. Cubic in the number of nodes: for tests on small problems.
- :func:`solve_sparse`: a join variable per edge only, y_e <= x_u, y_e <= x_v,
  and cycle inequalities (a cycle may not have exactly one cut edge) added
  lazily: solve, find edges that are cut although a path of joined edges links
  their ends, add the inequality for that path, solve again. Every
  intermediate program is a relaxation, so its optimum (or HiGHS's dual bound
  when a time limit stops it) is a lower bound on the optimum. It has the same
  optimum as the complete formulation: splitting a cluster into its connected
  components never raises E. Used by the benchmark on larger problems.
"""
import time
from typing import NamedTuple

import highspy
import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import breadth_first_order, connected_components


class ExactResult(NamedTuple):
    """Outcome of an exact solve; labelling as in lib.multicut (cluster -1: suppressed)."""

    objective: float
    """E of the labelling found."""
    bound: float
    """Proven lower bound on the optimum (equal to objective when optimal)."""
    optimal: bool
    """Whether the labelling is proven optimal (up to HiGHS's gap tolerance)."""
    active: np.ndarray
    cluster: np.ndarray


def energy(node_cost, edges, edge_cost, active, cluster):
    """E of a labelling: costs of active nodes plus edges inside one cluster of active nodes."""
    node_cost = np.asarray(node_cost, dtype=np.float64)
    edges = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    edge_cost = np.asarray(edge_cost, dtype=np.float64)
    active = np.asarray(active, dtype=bool)
    cluster = np.asarray(cluster)
    u, v = edges[:, 0], edges[:, 1]
    inside = active[u] & active[v] & (cluster[u] == cluster[v])
    return float(node_cost[active].sum() + edge_cost[inside].sum())


def _highs(time_limit):
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    h.setOptionValue("mip_rel_gap", 1e-9)
    h.setOptionValue("mip_abs_gap", 1e-7)
    h.setOptionValue("random_seed", 0)
    if time_limit is not None:
        h.setOptionValue("time_limit", float(time_limit))
    return h


def _add_binaries(h, costs):
    count = len(costs)
    h.addCols(count, np.asarray(costs, dtype=np.float64), np.zeros(count), np.ones(count),
              0, np.zeros(count, dtype=np.int32), np.zeros(0, dtype=np.int32), np.zeros(0))
    h.changeColsIntegrality(count, np.arange(count, dtype=np.int32),
                            np.full(count, highspy.HighsVarType.kInteger))


def _add_rows(h, columns, coefficients, upper):
    """Adds rows sum_j coefficients[r, j] * x[columns[r, j]] <= upper[r] (fixed width)."""
    columns = np.asarray(columns, dtype=np.int32)
    rows, width = columns.shape
    if rows == 0:
        return
    values = np.broadcast_to(np.asarray(coefficients, dtype=np.float64), (rows, width))
    h.addRows(rows, np.full(rows, -highspy.kHighsInf), np.asarray(upper, dtype=np.float64),
              rows * width, np.arange(0, rows * width, width, dtype=np.int32),
              columns.ravel(), np.ascontiguousarray(values).ravel())


def _add_ragged_rows(h, rows):
    """Adds rows given as (columns, coefficients, upper) triples."""
    if not rows:
        return
    starts = np.cumsum([0] + [len(r[0]) for r in rows[:-1]]).astype(np.int32)
    index = np.concatenate([np.asarray(r[0], dtype=np.int32) for r in rows])
    value = np.concatenate([np.asarray(r[1], dtype=np.float64) for r in rows])
    upper = np.array([r[2] for r in rows], dtype=np.float64)
    h.addRows(len(rows), np.full(len(rows), -highspy.kHighsInf), upper, len(index), starts,
              index, value)


def _labelling(n, active, pairs):
    """Cluster ids (consecutive over active nodes, -1 otherwise) from joined node pairs."""
    if len(pairs):
        graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
        _, component = connected_components(graph, directed=False)
    else:
        component = np.arange(n)
    cluster = np.full(n, -1, dtype=np.int32)
    ids = {}
    for v in range(n):
        if active[v]:
            cluster[v] = ids.setdefault(component[v], len(ids))
    return cluster


def _status(h):
    """(whether HiGHS proved optimality, its lower bound) after a run."""
    optimal = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return optimal, float(h.getInfo().mip_dual_bound)


def solve_complete(node_cost, edges, edge_cost, time_limit=None):
    """Exact optimum with a join variable per node pair and transitivity on all triples.

    Args:
        node_cost: float[N]; edges: int[E, 2]; edge_cost: float[E] (costs, not
            probabilities: c = log((1 - p) / p)).
        time_limit: seconds for HiGHS, None for no limit.

    Returns:
        ExactResult.
    """
    node_cost = np.asarray(node_cost, dtype=np.float64)
    edges = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    edge_cost = np.asarray(edge_cost, dtype=np.float64)
    n = len(node_cost)
    if n == 0:
        return ExactResult(0.0, 0.0, True, np.zeros(0, bool), np.zeros(0, np.int32))
    iu, ju = np.triu_indices(n, 1)
    pair_index = np.full((n, n), -1, dtype=np.int64)
    pair_index[iu, ju] = np.arange(len(iu)) + n
    pair_index[ju, iu] = pair_index[iu, ju]
    costs = np.concatenate([node_cost, np.zeros(len(iu))])
    if len(edges):
        costs[pair_index[edges[:, 0], edges[:, 1]]] += edge_cost

    h = _highs(time_limit)
    _add_binaries(h, costs)
    y = pair_index[iu, ju]
    _add_rows(h, np.stack([y, iu], 1), [1.0, -1.0], np.zeros(len(y)))
    _add_rows(h, np.stack([y, ju], 1), [1.0, -1.0], np.zeros(len(y)))
    if n >= 3:
        i, j, k = (a.ravel() for a in np.meshgrid(*(np.arange(n),) * 3, indexing="ij"))
        keep = (i < j) & (j < k)
        i, j, k = i[keep], j[keep], k[keep]
        ij, jk, ik = pair_index[i, j], pair_index[j, k], pair_index[i, k]
        for a, b, c in ((ij, jk, ik), (ij, ik, jk), (ik, jk, ij)):
            _add_rows(h, np.stack([a, b, c], 1), [1.0, 1.0, -1.0], np.ones(len(a)))
    h.run()
    optimal, bound = _status(h)
    x = np.asarray(h.getSolution().col_value)
    active = x[:n] > 0.5
    joined = x[n:] > 0.5
    pairs = np.stack([iu[joined], ju[joined]], 1)
    cluster = _labelling(n, active, pairs)
    value = energy(node_cost, edges, edge_cost, active, cluster)
    return ExactResult(value, value if optimal else bound, optimal, active, cluster)


def solve_sparse(node_cost, edges, edge_cost, time_limit=None, start=None, max_iterations=200):
    """Exact optimum with a join variable per edge and lazily added cycle inequalities.

    Args:
        node_cost, edges, edge_cost: the problem as costs (see solve_complete).
        time_limit: seconds for the whole loop, None for no limit. When it runs
            out, the result carries the best lower bound proven so far and the
            best known labelling (``start`` if given), with optimal=False.
        start: optional (active, cluster) labelling, e.g. from the heuristic,
            handed to HiGHS as incumbent.
        max_iterations: most rounds of adding inequalities.

    Returns:
        ExactResult.
    """
    node_cost = np.asarray(node_cost, dtype=np.float64)
    edges = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    edge_cost = np.asarray(edge_cost, dtype=np.float64)
    n, m = len(node_cost), len(edges)
    begin = time.perf_counter()
    best = None
    if start is not None:
        active0, cluster0 = (np.asarray(a) for a in start)
        best = (energy(node_cost, edges, edge_cost, active0, cluster0), active0, cluster0)
    if n == 0:
        return ExactResult(0.0, 0.0, True, np.zeros(0, bool), np.zeros(0, np.int32))

    h = _highs(None)
    _add_binaries(h, np.concatenate([node_cost, edge_cost]))
    y = np.arange(n, n + m)
    _add_rows(h, np.stack([y, edges[:, 0]], 1), [1.0, -1.0], np.zeros(m))
    _add_rows(h, np.stack([y, edges[:, 1]], 1), [1.0, -1.0], np.zeros(m))
    bound = -np.inf
    for _ in range(max_iterations):
        if time_limit is not None:
            left = time_limit - (time.perf_counter() - begin)
            if left <= 0:
                break
            h.setOptionValue("time_limit", left)
        if best is not None:
            x0 = _columns(n, edges, best[1], best[2])
            h.setSolution(len(x0), np.arange(len(x0), dtype=np.int32), x0)
        h.run()
        optimal, dual_bound = _status(h)
        bound = max(bound, dual_bound)
        if not optimal:
            break
        x = np.asarray(h.getSolution().col_value)
        active = x[:n] > 0.5
        joined = x[n:] > 0.5
        cuts = _violated_cycles(n, edges, joined)
        if not cuts:
            cluster = _labelling(n, active, edges[joined])
            value = energy(node_cost, edges, edge_cost, active, cluster)
            return ExactResult(value, value, True, active, cluster)
        _add_ragged_rows(h, cuts)
    if best is None:
        return ExactResult(np.inf, bound, False, np.zeros(n, bool), np.full(n, -1, np.int32))
    return ExactResult(best[0], min(bound, best[0]), False, best[1], best[2])


def _columns(n, edges, active, cluster):
    """Column values (x, y) of a labelling in the sparse formulation."""
    active = np.asarray(active, dtype=bool)
    cluster = np.asarray(cluster)
    u, v = edges[:, 0], edges[:, 1]
    joined = active[u] & active[v] & (cluster[u] == cluster[v])
    return np.concatenate([active, joined]).astype(np.float64)


def _violated_cycles(n, edges, joined):
    """Cycle inequalities violated by a join pattern, as (columns, coefficients, upper) rows.

    For each cut edge uv whose ends are linked by joined edges, the shortest
    such path P gives sum_{f in P} y_f - y_uv <= |P| - 1.
    """
    if not joined.any():
        return []
    jedges = edges[joined]
    jindex = np.flatnonzero(joined)
    graph = coo_matrix((np.ones(len(jedges)), (jedges[:, 0], jedges[:, 1])), shape=(n, n)).tocsr()
    graph = (graph + graph.T).tocsr()
    _, component = connected_components(graph, directed=False)
    cut = np.flatnonzero(~joined & (component[edges[:, 0]] == component[edges[:, 1]]))
    if len(cut) == 0:
        return []
    edge_id = {}
    for e, (a, b) in zip(jindex, jedges):
        edge_id[(int(a), int(b))] = edge_id[(int(b), int(a))] = int(e)
    rows = []
    by_source = {}
    for e in cut:
        by_source.setdefault(int(edges[e, 0]), []).append(int(e))
    for source, cut_edges in by_source.items():
        _, predecessor = breadth_first_order(graph, source, directed=False,
                                             return_predecessors=True)
        for e in cut_edges:
            path = []
            node = int(edges[e, 1])
            while node != source:
                previous = int(predecessor[node])
                path.append(edge_id[(previous, node)])
                node = previous
            columns = [n + f for f in path] + [n + e]
            coefficients = [1.0] * len(path) + [-1.0]
            rows.append((columns, coefficients, float(len(path) - 1)))
    return rows
