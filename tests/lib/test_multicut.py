"""Tests of lib.multicut, the NL-LMP grouping solver: optimality against exact integer
programs on small problems, the labelling conventions, and the input checks."""
import math
import threading

import numpy as np
import pytest

from lib import multicut
from lib.multicut import MulticutError
from lib.errors import PosecutError

import exact_multicut
import multicut_problems


def cost(p):
    """log((1 - p) / p) after clipping, computed independently of the library."""
    p = min(max(float(p), 1e-7), 1.0 - 1e-7)
    return math.log((1.0 - p) / p)


def energy(node_prob, edges, edge_prob, active, cluster):
    """E of a labelling, written out plainly (no numpy tricks) as a reference."""
    total = 0.0
    for v, p in enumerate(node_prob):
        if active[v]:
            total += cost(p)
    for (u, v), p in zip(edges, edge_prob):
        if active[u] and active[v] and cluster[u] == cluster[v]:
            total += cost(p)
    return total


def check_labelling(result, n):
    """The documented form of a result: ids 0, 1, ... by smallest node, -1 when suppressed."""
    active, cluster, _ = result
    assert active.dtype == np.bool_ and active.shape == (n,)
    assert cluster.dtype == np.int32 and cluster.shape == (n,)
    assert np.all(cluster[~active] == -1)
    seen = []
    for c in cluster[active]:
        if c not in seen:
            seen.append(int(c))
    assert seen == list(range(len(seen)))


def random_problem(rng, n, density):
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n) if rng.random() < density]
    edges = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    return rng.random(n), edges, rng.random(len(edges))


def exact(node_prob, edges, edge_prob):
    node_cost = [cost(p) for p in node_prob]
    edge_cost = [cost(p) for p in edge_prob]
    result = exact_multicut.solve_complete(node_cost, edges, edge_cost)
    assert result.optimal
    return result


# Trivial problems and conventions.

def test_empty_problem():
    result = multicut.solve([], [], [])
    assert result.active.shape == (0,) and result.cluster.shape == (0,)
    assert result.objective == 0.0
    assert multicut.solve(np.zeros(0), np.zeros((0, 2), dtype=int), np.zeros(0)).objective == 0.0


def test_isolated_nodes_are_active_iff_probable():
    p = [0.9, 0.2, 0.5, 0.51, 0.49, 1.0, 0.0]
    active, cluster, value = multicut.solve(p, [], [])
    assert active.tolist() == [True, False, False, True, False, True, False]
    assert cluster.tolist() == [0, -1, -1, 1, -1, 2, -1]
    assert value == pytest.approx(cost(0.9) + cost(0.51) + cost(1.0))


def test_two_clear_clusters():
    node_prob = [0.9] * 6
    edges, edge_prob = [], []
    for i in range(6):
        for j in range(i + 1, 6):
            edges.append((i, j))
            edge_prob.append(0.95 if (i < 3) == (j < 3) else 0.05)
    # Interleave the groups in the node order: ids follow the smallest node.
    order = [0, 3, 1, 4, 2, 5]
    relabel = {old: new for new, old in enumerate(order)}
    edges = [(relabel[u], relabel[v]) for u, v in edges]
    result = multicut.solve(node_prob, edges, edge_prob)
    check_labelling(result, 6)
    assert result.active.all()
    assert result.cluster.tolist() == [0, 1, 0, 1, 0, 1]
    assert result.objective == pytest.approx(energy(node_prob, edges, edge_prob, *result[:2]))


def test_unlikely_node_is_suppressed_and_weak_node_joins():
    # Node 2 is unlikely and weakly tied; node 3 is unlikely but strongly tied
    # to the confident pair 0-1, so it is worth keeping.
    node_prob = [0.9, 0.9, 0.1, 0.4]
    edges = [(0, 1), (1, 2), (0, 3), (1, 3)]
    edge_prob = [0.9, 0.6, 0.95, 0.95]
    active, cluster, _ = multicut.solve(node_prob, edges, edge_prob)
    assert active.tolist() == [True, True, False, True]
    assert cluster.tolist() == [0, 0, -1, 0]


def test_repulsive_pair_splits_and_costs_add_up():
    node_prob = [0.8, 0.7]
    active, cluster, value = multicut.solve(node_prob, [(1, 0)], [0.2])
    assert cluster.tolist() == [0, 1]
    assert value == pytest.approx(cost(0.8) + cost(0.7))


def test_probabilities_zero_and_one_are_clipped():
    active, cluster, value = multicut.solve([1.0, 1.0, 0.0], [(0, 1), (1, 2)], [1.0, 1.0])
    assert math.isfinite(value)
    assert active.tolist() == [True, True, True]
    assert cluster.tolist() == [0, 0, 0]
    assert value == pytest.approx(2 * cost(1.0) + cost(0.0) + 2 * cost(1.0))
    np.testing.assert_allclose(multicut.probabilities_to_costs([0.0, 0.5, 1.0]),
                               [cost(0.0), 0.0, cost(1.0)])


def test_solve_costs_matches_solve():
    rng = np.random.default_rng(3)
    node_prob, edges, edge_prob = random_problem(rng, 12, 0.5)
    a = multicut.solve(node_prob, edges, edge_prob)
    b = multicut.solve_costs([cost(p) for p in node_prob], edges, [cost(p) for p in edge_prob])
    np.testing.assert_array_equal(a.active, b.active)
    np.testing.assert_array_equal(a.cluster, b.cluster)
    assert a.objective == pytest.approx(b.objective)


def test_objective_of_any_labelling():
    node_prob = [0.9, 0.6, 0.3, 0.8]
    edges = [(0, 1), (1, 2), (2, 3), (0, 3)]
    edge_prob = [0.7, 0.4, 0.9, 0.2]
    active = np.array([True, True, False, True])
    cluster = np.array([5, 5, 5, 7])  # the id of the suppressed node does not matter
    expected = energy(node_prob, edges, edge_prob, active, cluster)
    assert multicut.objective(node_prob, edges, edge_prob, active, cluster) == pytest.approx(expected)
    costs = ([cost(p) for p in node_prob], edges, [cost(p) for p in edge_prob])
    assert multicut.objective_costs(*costs, active, cluster) == pytest.approx(expected)
    with pytest.raises(MulticutError, match="active must have shape"):
        multicut.objective(node_prob, edges, edge_prob, active[:3], cluster)
    with pytest.raises(MulticutError, match="active must be boolean"):
        multicut.objective(node_prob, edges, edge_prob, active.astype(int), cluster)


def test_input_types_are_accepted():
    result = multicut.solve((np.float32(0.9), 0.8), np.array([[1, 0]], dtype=np.uint8),
                            np.array([0.9], dtype=np.float32))
    assert result.cluster.tolist() == [0, 0]
    result = multicut.solve([0.9, 0.8], [[0, 1]], [0.9], max_rounds=0, kernighan_lin=False)
    assert result.cluster.tolist() == [0, 0]


def test_deterministic_and_silent(capfd):
    rng = np.random.default_rng(5)
    problem = multicut_problems.make_problem(5, seed=1)
    first = multicut.solve(problem.node_prob, problem.edges, problem.edge_prob)
    for _ in range(3):
        again = multicut.solve(problem.node_prob, problem.edges, problem.edge_prob)
        np.testing.assert_array_equal(first.active, again.active)
        np.testing.assert_array_equal(first.cluster, again.cluster)
        assert first.objective == again.objective
    node_prob, edges, edge_prob = random_problem(rng, 30, 0.3)
    multicut.solve(node_prob, edges, edge_prob)
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_threads_give_the_same_results():
    problems = [multicut_problems.make_problem(10, seed=s) for s in range(4)]
    expected = [multicut.solve(p.node_prob, p.edges, p.edge_prob) for p in problems]
    results = [None] * len(problems)

    def work(i):
        p = problems[i]
        results[i] = multicut.solve(p.node_prob, p.edges, p.edge_prob)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(problems))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for got, want in zip(results, expected):
        np.testing.assert_array_equal(got.cluster, want.cluster)
        assert got.objective == want.objective


def test_solver_threads_give_the_same_results():
    # Crowded scenes fall into many components of attracting edges, solved on threads.
    for seed in range(3):
        p = multicut_problems.make_problem(20, seed=seed)
        one = multicut.solve(p.node_prob, p.edges, p.edge_prob, max_threads=1)
        for threads in (2, 3, 0):
            got = multicut.solve(p.node_prob, p.edges, p.edge_prob, max_threads=threads)
            np.testing.assert_array_equal(got.active, one.active)
            np.testing.assert_array_equal(got.cluster, one.cluster)
            assert got.objective == one.objective


def test_components_of_attracting_edges_are_solved_apart():
    # Copies of a scene, interleaved and tied together by repulsive edges only: each copy gets
    # the labelling it gets alone, and the objective is their sum.
    p = multicut_problems.make_problem(6, seed=3)
    alone = multicut.solve(p.node_prob, p.edges, p.edge_prob)
    n, copies = len(p.node_prob), 3
    node_of = lambda copy, v: v * copies + copy  # noqa: E731
    edges = [np.stack([node_of(c, p.edges[:, 0]), node_of(c, p.edges[:, 1])], 1)
             for c in range(copies)]
    probs = [p.edge_prob] * copies
    rng = np.random.default_rng(0)
    cross = rng.integers(0, n, (200, 2))
    edges.append(np.stack([node_of(0, cross[:, 0]), node_of(1, cross[:, 1])], 1))
    probs.append(rng.uniform(0.0, 0.5, len(cross)))
    edges, keep = np.unique(np.sort(np.concatenate(edges), axis=1), axis=0, return_index=True)
    edge_prob = np.concatenate(probs)[keep]
    node_prob = np.repeat(p.node_prob, copies)
    result = multicut.solve(node_prob, edges, edge_prob)
    check_labelling(result, n * copies)
    for c in range(copies):
        part = node_of(c, np.arange(n))
        np.testing.assert_array_equal(result.active[part], alone.active)
        # The same partition of the copy, whatever the cluster ids.
        same = alone.cluster[:, None] == alone.cluster[None, :]
        got = result.cluster[part]
        np.testing.assert_array_equal(got[:, None] == got[None, :], same)
    assert result.objective == pytest.approx(copies * alone.objective, rel=1e-12)
    assert result.objective == pytest.approx(
        energy(node_prob, edges, edge_prob, result.active, result.cluster), rel=1e-12)


# Optimality against the exact integer programs.

def test_exact_formulations_agree():
    rng = np.random.default_rng(11)
    for _ in range(15):
        node_prob, edges, edge_prob = random_problem(rng, int(rng.integers(4, 9)), rng.uniform(0.2, 1.0))
        node_cost = [cost(p) for p in node_prob]
        edge_cost = [cost(p) for p in edge_prob]
        complete = exact_multicut.solve_complete(node_cost, edges, edge_cost)
        sparse = exact_multicut.solve_sparse(node_cost, edges, edge_cost)
        assert complete.optimal and sparse.optimal
        assert sparse.objective == pytest.approx(complete.objective, abs=1e-6)
        assert complete.objective == pytest.approx(
            energy(node_prob, edges, edge_prob, complete.active, complete.cluster))


def test_random_small_problems_reach_the_optimum():
    rng = np.random.default_rng(2024)
    hits = 0
    count = 50
    for _ in range(count):
        node_prob, edges, edge_prob = random_problem(rng, int(rng.integers(6, 10)), rng.uniform(0.3, 1.0))
        result = multicut.solve(node_prob, edges, edge_prob)
        check_labelling(result, len(node_prob))
        reference = energy(node_prob, edges, edge_prob, result.active, result.cluster)
        assert result.objective == pytest.approx(reference, abs=1e-9)
        assert multicut.objective(node_prob, edges, edge_prob, result.active, result.cluster) == \
            pytest.approx(reference, abs=1e-9)
        optimum = exact(node_prob, edges, edge_prob).objective
        assert result.objective >= optimum - 1e-6
        hits += result.objective <= optimum + 1e-6
    assert hits >= 0.9 * count


def test_structured_small_problems_reach_the_optimum():
    # Chains, stars and two-group problems with some mislabelled edges.
    rng = np.random.default_rng(7)
    hits = 0
    count = 30
    for k in range(count):
        n = int(rng.integers(6, 10))
        group = rng.integers(0, 2 + k % 3, n)
        edges = [(i, j) for i in range(n) for j in range(i + 1, n)
                 if k % 3 != 1 or j == i + 1 or i == 0]
        edges = np.array(edges, dtype=np.int64)
        same = group[edges[:, 0]] == group[edges[:, 1]]
        noisy = rng.random(len(edges)) < 0.2
        edge_prob = np.where(same != noisy, rng.uniform(0.6, 0.99, len(edges)),
                             rng.uniform(0.01, 0.4, len(edges)))
        node_prob = rng.uniform(0.2, 0.95, n)
        result = multicut.solve(node_prob, edges, edge_prob)
        assert result.objective == pytest.approx(
            energy(node_prob, edges, edge_prob, result.active, result.cluster), abs=1e-9)
        optimum = exact(node_prob, edges, edge_prob).objective
        assert result.objective >= optimum - 1e-6
        hits += result.objective <= optimum + 1e-6
    assert hits >= 0.9 * count


def test_one_person_scenes_reach_the_optimum():
    for seed in range(5):
        problem = multicut_problems.make_problem(1, seed=seed)
        result = multicut.solve(problem.node_prob, problem.edges, problem.edge_prob)
        node_cost = multicut.probabilities_to_costs(problem.node_prob)
        edge_cost = multicut.probabilities_to_costs(problem.edge_prob)
        optimum = exact_multicut.solve_sparse(node_cost, problem.edges, edge_cost)
        assert optimum.optimal
        assert result.objective == pytest.approx(optimum.objective, abs=1e-6)
        assert result.objective == pytest.approx(energy(
            problem.node_prob, problem.edges, problem.edge_prob, result.active, result.cluster))


# Scenes on which the search without ejection chains (moves, Kernighan-Lin and contractions
# only, as the solver was before them) stopped above the optimum: (people, seed) and its gap then, in % of
# |E_opt|. Each needed a coupled move of two to four nodes (an arm leaving another person's
# cluster, a leg joining the rest of its body from two clusters).
MISSED_BEFORE_EJECTION = [(5, 3, 0.199), (5, 7, 0.021), (5, 16, 0.198), (10, 9, 0.079)]


@pytest.mark.parametrize("people, seed, old_gap", MISSED_BEFORE_EJECTION)
def test_scenes_missed_before_ejection_chains_reach_the_optimum(people, seed, old_gap):
    problem = multicut_problems.make_problem(people, seed=seed)
    result = multicut.solve(problem.node_prob, problem.edges, problem.edge_prob)
    node_cost = multicut.probabilities_to_costs(problem.node_prob)
    edge_cost = multicut.probabilities_to_costs(problem.edge_prob)
    optimum = exact_multicut.solve_sparse(node_cost, problem.edges, edge_cost,
                                          start=(result.active, result.cluster))
    assert optimum.optimal
    assert result.objective == pytest.approx(optimum.objective, abs=1e-6)
    assert result.objective == pytest.approx(energy(
        problem.node_prob, problem.edges, problem.edge_prob, result.active, result.cluster))
    assert _disconnected_clusters(problem.edges, result.active, result.cluster) == 0


def test_ejection_chains_are_deterministic():
    # Same input, same output, whatever the thread count, on scenes where the chains act.
    for people, seed, _ in MISSED_BEFORE_EJECTION[:3]:
        p = multicut_problems.make_problem(people, seed=seed)
        first = multicut.solve(p.node_prob, p.edges, p.edge_prob)
        for threads in (1, 2, 0):
            again = multicut.solve(p.node_prob, p.edges, p.edge_prob, max_threads=threads)
            np.testing.assert_array_equal(again.active, first.active)
            np.testing.assert_array_equal(again.cluster, first.cluster)
            assert again.objective == first.objective


def test_search_never_ends_above_fewer_rounds():
    # The later phases only keep changes that lower E: more rounds never end higher.
    for seed in range(6):
        p = multicut_problems.make_problem(10, seed=seed)
        values = [multicut.solve(p.node_prob, p.edges, p.edge_prob, max_rounds=r).objective
                  for r in (0, 1, 50)]
        assert values[1] <= values[0] + 1e-9 and values[2] <= values[1] + 1e-9


# Input checks: each error names the argument and the index.

@pytest.mark.parametrize(
    "node_prob, edges, edge_prob, message",
    [
        ([0.5, 0.5], [(0, 1), (1, 1)], [0.5, 0.5], r"edges\[1\] = \(1, 1\) joins node 1 to itself"),
        ([0.5] * 3, [(0, 1), (1, 2), (1, 0)], [0.5] * 3, r"edges\[2\] = \(1, 0\) repeats edges\[0\]"),
        ([0.5] * 3, [(0, 2), (2, 0)], [0.5] * 2, r"edges\[1\] = \(2, 0\) repeats edges\[0\]"),
        ([0.5] * 3, [(0, 1), (0, 3)], [0.5] * 2, r"edges\[1\] = \(0, 3\) refers to a node outside 0..2"),
        ([0.5] * 3, [(0, 1), (-1, 2)], [0.5] * 2, r"edges\[1\] = \(-1, 2\) refers to a node outside"),
        ([0.5, float("nan")], [(0, 1)], [0.5], r"node_prob\[1\] is NaN"),
        ([0.5, 0.5], [(0, 1)], [float("nan")], r"edge_prob\[0\] is NaN"),
        ([0.5, 1.5], [(0, 1)], [0.5], r"node_prob\[1\] is outside \[0, 1\]"),
        ([0.5, 0.5], [(0, 1)], [-0.1], r"edge_prob\[0\] is outside \[0, 1\]"),
        ([0.5, 0.5], [(0, 1)], [0.5, 0.5], r"edge_prob has 2 values but edges has 1 rows"),
        ([0.5, 0.5], [(0, 1, 1)], [0.5], r"edges must have shape \(E, 2\)"),
        ([0.5, 0.5], [(0.0, 1.0)], [0.5], r"edges must be integer node indices"),
        ([[0.5, 0.5]], [(0, 1)], [0.5], r"node_prob must be one-dimensional"),
        (["a", 0.5], [(0, 1)], [0.5], r"node_prob must be numbers"),
    ],
)
def test_invalid_input(node_prob, edges, edge_prob, message):
    with pytest.raises(MulticutError, match=message) as info:
        multicut.solve(node_prob, edges, edge_prob)
    assert isinstance(info.value, ValueError) and isinstance(info.value, PosecutError)


def test_duplicate_edges_in_sorted_and_unsorted_lists():
    # Sorted edge lists skip the duplicate search when every pair is new;
    # a repeat is still reported as the later edge, whatever the order.
    n = 8
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    node_prob, edge_prob = [0.6] * n, [0.7] * (len(pairs) + 1)
    assert multicut.solve(node_prob, pairs, edge_prob[:-1]).active.all()
    with pytest.raises(MulticutError, match=r"edges\[6\] = \(0, 6\) repeats edges\[5\] = \(0, 6\)"):
        multicut.solve(node_prob, pairs[:6] + pairs[5:], edge_prob)
    with pytest.raises(MulticutError, match=r"edges\[6\] = \(6, 0\) repeats edges\[5\] = \(0, 6\)"):
        multicut.solve(node_prob, pairs[:6] + [(6, 0)] + pairs[6:], edge_prob)
    shuffled = pairs[::-1]
    assert multicut.solve(node_prob, shuffled, edge_prob[:-1]).active.all()
    with pytest.raises(MulticutError, match=r"edges\[28\] = \(0, 1\) repeats edges\[27\] = \(0, 1\)"):
        multicut.solve(node_prob, shuffled + [(0, 1)], edge_prob)


def test_invalid_costs():
    with pytest.raises(MulticutError, match=r"node_cost\[0\] is infinite"):
        multicut.solve_costs([np.inf, 0.0], [(0, 1)], [0.0])
    with pytest.raises(MulticutError, match=r"edge_cost\[1\] is NaN"):
        multicut.solve_costs([0.0] * 3, [(0, 1), (1, 2)], [0.0, np.nan])
    with pytest.raises(MulticutError, match="max_rounds"):
        multicut.solve([0.5], [], [], max_rounds=-1)


def _disconnected_clusters(edges, active, cluster):
    """How many clusters the edges inside them do not connect (scipy's components)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    inside = (cluster[edges[:, 0]] >= 0) & (cluster[edges[:, 0]] == cluster[edges[:, 1]])
    n = len(cluster)
    graph = coo_matrix((np.ones(inside.sum()), (edges[inside, 0], edges[inside, 1])), (n, n))
    _, piece = connected_components(graph, directed=False)
    return sum(len(set(piece[cluster == c])) > 1 for c in range(cluster.max() + 1))


def test_every_cluster_is_connected_by_the_edges_inside_it():
    """A person whose parts share no edge (a lone wrist beside a lower body) is split: splitting
    never raises E, and the objective reported is that of the labelling returned."""
    rng = np.random.default_rng(11)
    problems = [random_problem(rng, int(rng.integers(5, 40)), 0.15) for _ in range(150)]
    problems += [multicut_problems.make_problem(people, seed=seed)[:3]
                 for people in (1, 5, 20) for seed in range(10)]
    for node_prob, edges, edge_prob in problems:
        result = multicut.solve(node_prob, edges, edge_prob)
        check_labelling(result, len(node_prob))
        assert _disconnected_clusters(edges, result.active, result.cluster) == 0
        assert result.objective == pytest.approx(
            energy(node_prob, edges, edge_prob, result.active, result.cluster), abs=1e-9)
