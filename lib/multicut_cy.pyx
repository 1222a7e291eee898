# cython: boundscheck=False, wraparound=False, initializedcheck=False
"""Thin binding of the C++ NL-LMP solver (nl_lmp.hpp), run with the GIL released.

Use lib.multicut: it normalises the arguments, turns the issues reported here
into errors and documents the problem. This module only moves arrays in and
out of C++. An issue is None or a tuple (kind, index, other) with kind one of
the IssueKind numbers of nl_lmp.hpp.
"""
from libc.stdint cimport int32_t, int64_t, uint8_t

import numpy as np

cdef extern from "nl_lmp.hpp" nogil:
    cdef cppclass Options "posecut::nl_lmp::Options":
        Options()
        int max_rounds
        bint kernighan_lin
        int max_threads

    cdef cppclass Issue "posecut::nl_lmp::Issue":
        int kind
        int64_t index
        int64_t other

    Issue c_check_costs "posecut::nl_lmp::check_costs"(const double* values, int64_t count)
    Issue c_check_probabilities "posecut::nl_lmp::check_probabilities"(
        const double* values, int64_t count)
    void c_probabilities_to_costs "posecut::nl_lmp::probabilities_to_costs"(
        const double* p, int64_t count, double* out)
    Issue c_check_edges "posecut::nl_lmp::check_edges"(
        int64_t num_nodes, const int64_t* edges, int64_t num_edges) except +
    double c_solve "posecut::nl_lmp::solve"(
        int64_t num_nodes, const double* node_costs, int64_t num_edges,
        const int64_t* edges, const double* edge_costs, const Options& options,
        uint8_t* active, int32_t* cluster) except +


cdef inline object _issue(Issue issue):
    return None if issue.kind == 0 else (issue.kind, issue.index, issue.other)


def costs(const double[::1] values, bint probabilities):
    """Checks values; returns (issue, costs), costs a new float64 array or None.

    Probabilities become log((1 - p) / p) after clipping to [1e-7, 1 - 1e-7];
    costs are copied.
    """
    cdef int64_t count = values.shape[0], i
    out = np.empty(count, dtype=np.float64)
    cdef double[::1] out_view = out
    cdef Issue issue
    if count == 0:
        return None, out
    with nogil:
        if probabilities:
            issue = c_check_probabilities(&values[0], count)
            if issue.kind == 0:
                c_probabilities_to_costs(&values[0], count, &out_view[0])
        else:
            issue = c_check_costs(&values[0], count)
            if issue.kind == 0:
                for i in range(count):
                    out_view[i] = values[i]
    if issue.kind != 0:
        return _issue(issue), None
    return None, out


def check_edges(int64_t num_nodes, const int64_t[:, ::1] edges):
    """Returns the first issue of the edge list (range, self edge, duplicate) or None."""
    cdef int64_t m = edges.shape[0]
    cdef Issue issue
    if m == 0:
        return None
    with nogil:
        issue = c_check_edges(num_nodes, &edges[0, 0], m)
    return _issue(issue)


def solve(const double[::1] node_costs, const int64_t[:, ::1] edges,
          const double[::1] edge_costs, int max_rounds, bint kernighan_lin, int max_threads=0):
    """Solves a checked problem; returns (active bool[N], cluster int32[N], E)."""
    cdef int64_t n = node_costs.shape[0], m = edges.shape[0]
    active = np.zeros(n, dtype=np.bool_)
    cluster = np.full(n, -1, dtype=np.int32)
    cdef uint8_t[::1] active_view = active.view(np.uint8)
    cdef int32_t[::1] cluster_view = cluster
    cdef Options options
    options.max_rounds = max_rounds
    options.kernighan_lin = kernighan_lin
    options.max_threads = max_threads
    cdef double value = 0.0
    if n > 0:
        with nogil:
            value = c_solve(n, &node_costs[0], m, &edges[0, 0] if m > 0 else NULL,
                          &edge_costs[0] if m > 0 else NULL, options,
                          &active_view[0], &cluster_view[0])
    return active, cluster, value
