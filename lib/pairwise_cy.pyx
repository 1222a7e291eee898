# distutils: language = c++
"""Binding of lib/pairwise.hpp: candidate edges and their probabilities (multiperson.graph.build_graph)
and the edges' features (fit-pairwise), computed with the GIL released."""
from libc.stdint cimport int32_t, int64_t, uint8_t

import numpy as np

cimport cython

from lib.pairwise_hpp cimport (Edges, Problem, edge_features as c_edge_features,
                               graph_edges as c_graph_edges, model_of)


cdef extern from "vector_math.hpp" nogil:
    void c_exp_all "posecut::vmath::exp_all"(const double* x, double* out, int64_t count)
    void c_atan2_upper_all "posecut::vmath::atan2_upper_all"(const double* y, const double* x,
                                                             double* out, int64_t count)


def vector_exp(const double[::1] x):
    """e^x of each value with the vectorised exp of lib/vector_math.hpp (0 below -707.7)."""
    out = np.empty(x.shape[0], np.float64)
    cdef double[::1] o = out
    if x.shape[0] > 0:
        c_exp_all(&x[0], &o[0], x.shape[0])
    return out


def vector_atan2(const double[::1] y, const double[::1] x):
    """atan2(y, x) for y >= 0 with the vectorised atan2 of lib/vector_math.hpp."""
    if y.shape[0] != x.shape[0]:
        raise ValueError(f"vector_atan2: y has {y.shape[0]} values, x {x.shape[0]}")
    out = np.empty(x.shape[0], np.float64)
    cdef double[::1] o = out
    if x.shape[0] > 0:
        c_atan2_upper_all(&y[0], &x[0], &o[0], x.shape[0])
    return out


@cython.boundscheck(False)
@cython.wraparound(False)
def graph_edges(const int32_t[::1] part, const double[:, ::1] xy, const double[:, ::1] grid_xy,
                const double[:, :, ::1] offsets, const uint8_t[:, ::1] linked,
                const uint8_t[:, ::1] fitted, const double[:, :, ::1] coef,
                const double[:, ::1] bias, const double[::1] same_coef,
                const double[::1] same_bias, const double[:, ::1] max_dist2,
                double gate_px=-1.0, double gate_rel=0.0, int max_threads=0):
    """(edges int64 (E, 2), probabilities float64 (E,)) of the linked candidate pairs i < j
    whose squared distance is at most ``max_dist2`` of their parts, in row-major order.

    ``part`` must be ascending. With ``gate_px`` >= 0, a pair of different parts also needs one
    of its two offset errors (actual minus predicted offset) to be at most ``gate_px`` plus
    ``gate_rel`` times that predicted offset's length, and a same-part pair to lie within the
    longer predicted offset of either candidate (its body's reach).
    ``coef`` (J, J, 8) and ``bias`` (J, J) are the per-pair logistic models with their feature
    scaling folded in (multiperson.pairwise.SpatialModel.folded); the arguments from ``linked``
    on are multiperson.graph.graph_arrays. ``max_threads`` <= 0 lets large graphs use every
    core; the result does not depend on it.
    Returns (None, (k, m)) for the first linked pair of parts that has no fitted model.
    """
    cdef Problem p
    cdef Edges out
    p.n = part.shape[0]
    p.joints = <int>linked.shape[0]
    if p.n > 0:
        p.part = &part[0]
        p.xy = &xy[0, 0]
        p.grid_xy = &grid_xy[0, 0]
        p.offsets = &offsets[0, 0, 0]
        p.model = model_of(linked, fitted, coef, bias, same_coef, same_bias, max_dist2, gate_px,
                           gate_rel)
        with nogil:
            c_graph_edges(p, out, max_threads)
    if out.missing_first >= 0:
        return None, (out.missing_first, out.missing_second)
    cdef Py_ssize_t count = out.prob.size(), i
    edges = np.empty((count, 2), np.int64)
    prob = np.empty(count, np.float64)
    cdef int64_t[:, ::1] e = edges
    cdef double[::1] q = prob
    for i in range(count):
        e[i, 0] = out.first[i]
        e[i, 1] = out.second[i]
        q[i] = out.prob[i]
    return edges, prob


@cython.boundscheck(False)
@cython.wraparound(False)
def edge_features(const int32_t[::1] part, const double[:, ::1] xy, const double[:, ::1] grid_xy,
                  const double[:, :, ::1] offsets, const int64_t[::1] first,
                  const int64_t[::1] second):
    """(E, 8) features of the candidate pairs (first[e], second[e]) of different parts, as
    graph_edges computes them: forward length and angle, backward length and angle, then
    exp(-x) of those four. Indices must lie in [0, N); the caller checks them."""
    cdef Problem p
    cdef Py_ssize_t count = first.shape[0]
    out = np.empty((count, 8), np.float64)
    cdef double[:, ::1] o = out
    if count == 0:
        return out
    p.n = part.shape[0]
    p.joints = <int>offsets.shape[1]
    p.part = &part[0]
    p.xy = &xy[0, 0]
    p.grid_xy = &grid_xy[0, 0]
    p.offsets = &offsets[0, 0, 0]
    with nogil:
        c_edge_features(p, &first[0], &second[0], count, &o[0, 0])
    return out
