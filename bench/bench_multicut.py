"""Benchmark of the NL-LMP solver (lib.multicut): time per problem and gap to the optimum.

Problems come from tests/multicut_problems.py (realistic scenes of 1 to 100
people, sparse part-pair graph, and the complete part-pair graph for 40
people). For each size the table gives the mean numbers of nodes and edges,
the time of one `lib.multicut.solve` call (validation included): the median
over the problems of each problem's median over repeated solves
(time.perf_counter), and the gap (E_heuristic - E_optimum) / |E_optimum|. The
header names the CPU and its flags. A comparison with DeeperCut's own solver
needs that solver built on the same machine and timed in the same run, so no
time measured elsewhere is printed beside ours:

- the reference is the optimum proven by the integer program of
  tests/exact_multicut.py (HiGHS, lazily added cycle inequalities) wherever
  it finishes within --exact-seconds;
- for the other problems it is the best of the heuristic on --restarts random
  renumberings of the nodes (different tie-breaks and move orders) and of the
  integer program's incumbent, and the column adds how far the heuristic can
  at most be from the optimum by the integer program's lower bound.

The column gives the mean and largest gap and on how many problems the
heuristic found the reference value.

Run: .venv/bin/python bench/bench_multicut.py [--quick]
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path[:0] = [os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests")]

import multicut_problems  # noqa: E402
from exact_multicut import energy, solve_sparse  # noqa: E402

from lib import multicut  # noqa: E402
from nnet.precision import describe_cpu  # noqa: E402

# Sizes: (label, people, complete part-pair graph). A comparison with DeeperCut's own solver
# needs it built on the same machine and timed in the same run; its time is not a constant here.
SIZES = [
    ("1", 1, False),
    ("5", 5, False),
    ("10", 10, False),
    ("20", 20, False),
    ("40", 40, False),
    ("40 complete", 40, True),
    ("100", 100, False),
]


def time_solve(problem, min_seconds, min_repeats):
    """Median time of a solve call on one problem (after one warm-up call)."""
    multicut.solve(problem.node_prob, problem.edges, problem.edge_prob)
    times = []
    start = time.perf_counter()
    while len(times) < min_repeats or time.perf_counter() - start < min_seconds:
        t0 = time.perf_counter()
        multicut.solve(problem.node_prob, problem.edges, problem.edge_prob)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def restart_best(problem, node_cost, edge_cost, restarts, seed):
    """Best E over solves of randomly renumbered copies of the problem."""
    rng = np.random.default_rng(seed)
    n = len(problem.node_prob)
    best = np.inf
    for _ in range(restarts):
        perm = rng.permutation(n)  # new index of each node
        inverse = np.argsort(perm)
        edges = perm[problem.edges]
        order = rng.permutation(len(edges))
        edges = edges[order]
        flip = rng.random(len(edges)) < 0.5
        edges[flip] = edges[flip][:, ::-1]
        result = multicut.solve(problem.node_prob[inverse], edges, problem.edge_prob[order])
        active = result.active[perm]
        cluster = result.cluster[perm]
        best = min(best, energy(node_cost, problem.edges, edge_cost, active, cluster))
    return best


def run(args):
    rows = []
    for label, people, complete in SIZES:
        if args.sizes and label.split()[0] + ("c" if complete else "") not in args.sizes:
            continue
        count = args.problems if people <= 20 else max(2, args.problems // 2)
        times, nodes, edges, gaps, bound_gaps, optimal_hits, proven = [], [], [], [], [], 0, 0
        for seed in range(count):
            problem = multicut_problems.make_problem(people, seed=seed, complete=complete)
            nodes.append(len(problem.node_prob))
            edges.append(len(problem.edges))
            times.append(time_solve(problem, args.min_seconds, args.min_repeats))
            result = multicut.solve(problem.node_prob, problem.edges, problem.edge_prob)
            node_cost = multicut.probabilities_to_costs(problem.node_prob)
            edge_cost = multicut.probabilities_to_costs(problem.edge_prob)
            exact = None
            if args.exact_seconds > 0:
                exact = solve_sparse(node_cost, problem.edges, edge_cost,
                                     time_limit=args.exact_seconds,
                                     start=(result.active, result.cluster))
            if exact is not None and exact.optimal:
                proven += 1
                reference = exact.objective
            else:
                reference = min(result.objective,
                                restart_best(problem, node_cost, edge_cost, args.restarts, seed))
                if exact is not None:
                    reference = min(reference, exact.objective)
                    bound_gaps.append(100.0 * (result.objective - exact.bound) / abs(exact.bound))
                else:
                    bound_gaps.append(np.inf)
            gap = 100.0 * (result.objective - reference) / abs(reference)
            gaps.append(gap if abs(gap) > 1e-9 else 0.0)  # no "-0.000%" from rounding
            optimal_hits += gap <= 1e-7
        median_ms = 1e3 * statistics.median(times)
        summary = (f"mean {np.mean(gaps):.3f}%, max {np.max(gaps):.3f}%, "
                   f"at the reference {optimal_hits}/{count}")
        if proven == count:
            gap_text = f"exact optimum for {count}/{count}: {summary}"
        else:
            bound_text = (f"; unproven ones within {np.max(bound_gaps):.2f}% of the MILP bound"
                          if np.all(np.isfinite(bound_gaps)) else "")
            gap_text = (f"exact optimum for {proven}/{count}, best of {args.restarts} restarts "
                        f"and the MILP incumbent for the rest: {summary}{bound_text}")
        rows.append((label, f"{np.mean(nodes):.0f}", f"{np.mean(edges):.0f}", f"{median_ms:.3f}",
                     gap_text))
        print_table(rows[-1:], header=len(rows) == 1)
    return rows


def print_table(rows, header):
    widths = (12, 6, 7, 10)
    if header:
        names = ("people", "nodes", "edges", "median ms", "gap to optimum")
        print("  ".join(n.rjust(w) for n, w in zip(names, widths)) + "  " + names[-1])
    for row in rows:
        print("  ".join(c.rjust(w) for c, w in zip(row, widths)) + "  " + row[-1], flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", type=int, default=10,
                        help="problems per size up to 20 people (half as many above)")
    parser.add_argument("--min-seconds", type=float, default=0.2,
                        help="least time spent timing each problem")
    parser.add_argument("--min-repeats", type=int, default=7, help="least solves per problem")
    parser.add_argument("--exact-seconds", type=float, default=300.0,
                        help="time limit of the integer program per problem (0: skip it)")
    parser.add_argument("--restarts", type=int, default=20,
                        help="renumbered solves for the reference where the optimum is not proven")
    parser.add_argument("--sizes", nargs="*",
                        help="subset of sizes: 1 5 10 20 40 40c 100")
    parser.add_argument("--quick", action="store_true",
                        help="3 problems per size, 20 s integer programs")
    args = parser.parse_args(argv)
    print(describe_cpu())
    if args.quick:
        args.problems, args.exact_seconds = 3, 20.0
    run(args)


if __name__ == "__main__":
    main()
