"""Benchmark of the NL-LMP solver (lib.multicut): time per problem and gap to the optimum.

Problems come from tests/multicut_problems.py (realistic scenes of 1 to 100
people on the sparse part-pair graph; "40c" is the complete part-pair graph for
40 people). Per size the table gives:

- the mean numbers of nodes and edges;
- the time of one `lib.multicut.solve` call (validation included), measured
  here, in this run (time.perf_counter): each problem's median over repeated
  solves, then the median and the worst of those over the problems. No time
  measured elsewhere is printed. On a shared machine the times are inflated:
  re-measure on an idle one (`--exact-seconds 0` times the solves only);
- the gap (E_heuristic - E_reference) / |E_reference|, mean and worst, and on
  how many problems the heuristic is at the reference value;
- how many references are optima proven by the integer program of
  tests/exact_multicut.py (HiGHS, lazily added cycle inequalities) within
  --exact-seconds. For a problem it does not prove, the reference is the best of
  the integer program's incumbent, the heuristic and --restarts solves of
  randomly renumbered copies, and the last column gives the largest gap of the
  heuristic to the integer program's lower bound (how far from the optimum it
  can at most be).

The header names the CPU and its flags.

Run: .venv/bin/python bench/bench_multicut.py [--quick] [--sizes 1 2 5 10 20 40 40c 100]
"""
import argparse
import json
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

# Sizes: (label, people, complete part-pair graph). The default run is DEFAULT_SIZES.
SIZES = [
    ("1", 1, False),
    ("2", 2, False),
    ("5", 5, False),
    ("10", 10, False),
    ("20", 20, False),
    ("40", 40, False),
    ("40c", 40, True),
    ("100", 100, False),
]
DEFAULT_SIZES = ["1", "2", "5", "10", "20", "40"]


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


class ExactCache:
    """Integer-program results kept in a JSON file between runs (--exact-cache): the optimum
    of a problem does not depend on the heuristic. Keyed by size, seed and time limit."""

    def __init__(self, path):
        self.path = path
        self.data = {}
        if path and os.path.exists(path):
            with open(path) as f:
                self.data = json.load(f)

    def get(self, key):
        return self.data.get(key)

    def put(self, key, value):
        if not self.path:
            return
        self.data[key] = value
        with open(self.path, "w") as f:
            json.dump(self.data, f)


def exact_reference(problem, result, node_cost, edge_cost, args, cache, key):
    """(objective, bound, optimal) of the integer program, from the cache or solved now."""
    got = cache.get(key)
    if got is None:
        exact = solve_sparse(node_cost, problem.edges, edge_cost, time_limit=args.exact_seconds,
                             start=(result.active, result.cluster))
        got = [float(exact.objective), float(exact.bound), bool(exact.optimal)]
        cache.put(key, got)
    return got


def run(args):
    cache = ExactCache(args.exact_cache)
    rows = []
    for label, people, complete in SIZES:
        if label not in args.sizes:
            continue
        count = args.problems
        times, nodes, edges, gaps, bound_gaps, optimal_hits, proven = [], [], [], [], [], 0, 0
        for seed in range(count):
            problem = multicut_problems.make_problem(people, seed=seed, complete=complete)
            nodes.append(len(problem.node_prob))
            edges.append(len(problem.edges))
            times.append(time_solve(problem, args.min_seconds, args.min_repeats))
            if args.exact_seconds <= 0:
                continue
            result = multicut.solve(problem.node_prob, problem.edges, problem.edge_prob)
            node_cost = multicut.probabilities_to_costs(problem.node_prob)
            edge_cost = multicut.probabilities_to_costs(problem.edge_prob)
            key = f"{label}/{seed}/{args.exact_seconds:g}"
            objective, bound, optimal = exact_reference(problem, result, node_cost, edge_cost,
                                                        args, cache, key)
            if optimal:
                proven += 1
                reference = min(objective, result.objective)  # equal up to HiGHS's tolerance
            else:
                reference = min(result.objective, objective,
                                restart_best(problem, node_cost, edge_cost, args.restarts, seed))
                bound_gaps.append(100.0 * (result.objective - bound) / abs(bound))
            gap = 100.0 * (result.objective - reference) / abs(reference)
            gaps.append(gap if abs(gap) > 1e-9 else 0.0)  # no "-0.000%" from rounding
            optimal_hits += gap <= 1e-7
        row = [label, f"{np.mean(nodes):.0f}", f"{np.mean(edges):.0f}",
               f"{1e3 * statistics.median(times):.3f}", f"{1e3 * max(times):.3f}"]
        if gaps:
            row += [f"{np.mean(gaps):.4f}%", f"{np.max(gaps):.4f}%", f"{optimal_hits}/{count}",
                    f"{proven}/{count}",
                    f"{np.max(bound_gaps):.4f}%" if bound_gaps else "-"]
        else:
            row += ["-"] * 5
        rows.append(row)
        print_table(rows[-1:], header=len(rows) == 1)
    return rows


COLUMNS = ("people", "nodes", "edges", "median ms", "worst ms", "mean gap", "worst gap",
           "at optimum", "proven", "unproven: gap to bound")
WIDTHS = (6, 5, 6, 9, 8, 8, 9, 10, 6, 22)


def print_table(rows, header):
    if header:
        print("  ".join(n.rjust(w) for n, w in zip(COLUMNS, WIDTHS)))
    for row in rows:
        print("  ".join(c.rjust(w) for c, w in zip(row, WIDTHS)), flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", type=int, default=20, help="problems (seeds) per size")
    parser.add_argument("--min-seconds", type=float, default=0.2,
                        help="least time spent timing each problem")
    parser.add_argument("--min-repeats", type=int, default=7, help="least solves per problem")
    parser.add_argument("--exact-seconds", type=float, default=120.0,
                        help="time limit of the integer program per problem (0: times only)")
    parser.add_argument("--exact-cache", default=None,
                        help="JSON file keeping the integer programs' results between runs")
    parser.add_argument("--restarts", type=int, default=20,
                        help="renumbered solves for the reference where the optimum is not proven")
    parser.add_argument("--sizes", nargs="*", default=DEFAULT_SIZES,
                        help="sizes: " + " ".join(label for label, _, _ in SIZES))
    parser.add_argument("--quick", action="store_true",
                        help="3 problems per size, 20 s integer programs")
    args = parser.parse_args(argv)
    unknown = set(args.sizes) - {label for label, _, _ in SIZES}
    if unknown:
        parser.error(f"unknown sizes {sorted(unknown)}")
    print(describe_cpu())
    if args.quick:
        args.problems, args.exact_seconds = 3, 20.0
    print(f"{args.problems} problems per size; integer programs limited to "
          f"{args.exact_seconds:g} s; times: median of >= {args.min_repeats} solves and "
          f">= {args.min_seconds:g} s per problem; 'at optimum': at the proven optimum, or where "
          f"none is proven at the best value known (see the module's docstring)", flush=True)
    run(args)


if __name__ == "__main__":
    main()
