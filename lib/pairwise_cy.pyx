# distutils: language = c++
"""Compiled kernel of multiperson.graph.build_graph: candidate edges and their probabilities.

Computes, for every candidate pair i < j whose parts are linked, the same probability as
multiperson.pairwise.edge_probabilities (DeeperCut's features and per-pair logistic model, or
the same-part rule) in one pass, without the temporaries of the vectorised version.
"""
from libc.math cimport atan2, exp, fabs, sqrt, tanh
from libcpp.vector cimport vector

import numpy as np

cimport cython


cdef inline double _angle(double ax, double ay, double bx, double by) noexcept nogil:
    return atan2(fabs(ax * by - ay * bx), ax * bx + ay * by)


cdef inline void _direction(double rx, double ry, double px, double py,
                            double* out) noexcept nogil:
    """Length of (real - predicted) offset and the angle between them, into out[0], out[1]."""
    out[0] = sqrt((rx - px) * (rx - px) + (ry - py) * (ry - py))
    out[1] = _angle(rx, ry, px, py)


cdef inline double _sigmoid(double z) noexcept nogil:
    return 0.5 * (1.0 + tanh(0.5 * z))


@cython.boundscheck(False)
@cython.wraparound(False)
@cython.cdivision(True)
def graph_edges(const int[::1] part, const double[:, ::1] xy, const double[:, ::1] grid_xy,
                const double[:, :, ::1] offsets, const unsigned char[:, ::1] linked,
                const unsigned char[:, ::1] fitted, const double[:, :, ::1] weights,
                const double[:, :, ::1] x_min, const double[:, :, ::1] x_max,
                const double[::1] same_coef, const double[::1] same_bias,
                const double[:, ::1] max_dist2):
    """(edges int64 (E, 2), probabilities float64 (E,)) of the linked candidate pairs i < j
    whose squared distance is at most ``max_dist2`` of their parts.

    Returns (None, (k, m)) for the first linked pair of parts that has no fitted model.
    """
    cdef Py_ssize_t n = part.shape[0], i, j, f, a, b
    cdef int k, m, lo, hi
    cdef double feats[8]
    cdef double dx, dy, z, span
    cdef vector[long long] out_first, out_second
    cdef vector[double] out_prob
    cdef int missing_lo = -1, missing_hi = -1
    with nogil:
        for i in range(n):
            k = part[i]
            for j in range(i + 1, n):
                m = part[j]
                if not linked[k, m]:
                    continue
                dx = xy[i, 0] - xy[j, 0]
                dy = xy[i, 1] - xy[j, 1]
                if dx * dx + dy * dy > max_dist2[k, m]:
                    continue
                if k == m:
                    z = same_bias[k] - same_coef[k] * sqrt(dx * dx + dy * dy)
                else:
                    if k < m:
                        a, b, lo, hi = i, j, k, m
                    else:
                        a, b, lo, hi = j, i, m, k
                    if not fitted[lo, hi]:
                        missing_lo, missing_hi = lo, hi
                        break
                    _direction(xy[b, 0] - grid_xy[a, 0], xy[b, 1] - grid_xy[a, 1],
                               offsets[a, hi, 0], offsets[a, hi, 1], feats)
                    _direction(xy[a, 0] - grid_xy[b, 0], xy[a, 1] - grid_xy[b, 1],
                               offsets[b, lo, 0], offsets[b, lo, 1], feats + 2)
                    for f in range(4):
                        feats[4 + f] = exp(-feats[f])
                    z = weights[lo, hi, 8]
                    for f in range(8):
                        span = x_max[lo, hi, f] - x_min[lo, hi, f]
                        if span == 0:
                            span = 1.0
                        z += weights[lo, hi, f] * (feats[f] - x_min[lo, hi, f]) / span
                out_first.push_back(i)
                out_second.push_back(j)
                out_prob.push_back(_sigmoid(z))
            if missing_lo >= 0:
                break
    if missing_lo >= 0:
        return None, (missing_lo, missing_hi)
    count = out_prob.size()
    edges = np.empty((count, 2), np.int64)
    prob = np.empty(count, np.float64)
    cdef long long[:, ::1] e = edges
    cdef double[::1] p = prob
    for i in range(<Py_ssize_t>count):
        e[i, 0] = out_first[i]
        e[i, 1] = out_second[i]
        p[i] = out_prob[i]
    return edges, prob
