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
                const unsigned char[:, ::1] fitted, const double[:, :, ::1] coef,
                const double[:, ::1] bias, const double[::1] same_coef,
                const double[::1] same_bias,
                const double[:, ::1] max_dist2, double gate_px=-1.0, double gate_rel=0.0):
    """(edges int64 (E, 2), probabilities float64 (E,)) of the linked candidate pairs i < j
    whose squared distance is at most ``max_dist2`` of their parts, in row-major order.

    ``part`` must be ascending. With ``gate_px`` >= 0, a pair of different parts also needs one
    of its two offset errors (actual minus predicted offset) to be at most ``gate_px`` plus
    ``gate_rel`` times that predicted offset's length, and a same-part pair to lie within the
    longer predicted offset of either candidate (its body's reach).
    ``coef`` (J, J, 8) and ``bias`` (J, J) are the per-pair logistic models with their feature
    scaling folded in (multiperson.pairwise.SpatialModel.folded).
    Returns (None, (k, m)) for the first linked pair of parts that has no fitted model.
    """
    cdef Py_ssize_t n = part.shape[0], joints = linked.shape[0], i, j, f, start
    cdef int k, m
    cdef double feats[8]
    cdef double dx, dy, z, ex, ey, length, tol, d2, r
    cdef bint gated = gate_px >= 0.0, keep
    cdef vector[long long] out_first, out_second
    cdef vector[double] out_prob
    cdef vector[Py_ssize_t] block_start
    cdef vector[double] off_len, reach
    cdef int missing_lo = -1, missing_hi = -1
    with nogil:
        block_start.resize(joints + 1, n)
        for i in range(n - 1, -1, -1):
            block_start[part[i]] = i
        for k in range(<int>joints - 1, -1, -1):
            if block_start[k] > block_start[k + 1]:
                block_start[k] = block_start[k + 1]
        if gated:
            off_len.resize(n * joints)
            reach.resize(n, 0.0)
            for i in range(n):
                for m in range(<int>joints):
                    length = sqrt(offsets[i, m, 0] * offsets[i, m, 0] +
                                  offsets[i, m, 1] * offsets[i, m, 1])
                    off_len[i * joints + m] = length
                    if length > reach[i]:
                        reach[i] = length
        for i in range(n):
            k = part[i]
            for m in range(k, <int>joints):
                if not linked[k, m]:
                    continue
                start = i + 1 if m == k else block_start[m]
                if m != k and not fitted[k, m]:
                    if block_start[m] < block_start[m + 1]:
                        missing_lo, missing_hi = k, m
                        break
                    continue
                for j in range(start, block_start[m + 1]):
                    dx = xy[i, 0] - xy[j, 0]
                    dy = xy[i, 1] - xy[j, 1]
                    d2 = dx * dx + dy * dy
                    if d2 > max_dist2[k, m]:
                        continue
                    if k == m:
                        if gated:
                            r = reach[i] if reach[i] > reach[j] else reach[j]
                            if d2 > r * r:
                                continue
                        z = same_bias[k] - same_coef[k] * sqrt(d2)
                    else:
                        if gated:
                            ex = xy[j, 0] - grid_xy[i, 0] - offsets[i, m, 0]
                            ey = xy[j, 1] - grid_xy[i, 1] - offsets[i, m, 1]
                            tol = gate_px + gate_rel * off_len[i * joints + m]
                            keep = ex * ex + ey * ey <= tol * tol
                            if not keep:
                                ex = xy[i, 0] - grid_xy[j, 0] - offsets[j, k, 0]
                                ey = xy[i, 1] - grid_xy[j, 1] - offsets[j, k, 1]
                                tol = gate_px + gate_rel * off_len[j * joints + k]
                                if ex * ex + ey * ey > tol * tol:
                                    continue
                        _direction(xy[j, 0] - grid_xy[i, 0], xy[j, 1] - grid_xy[i, 1],
                                   offsets[i, m, 0], offsets[i, m, 1], feats)
                        _direction(xy[i, 0] - grid_xy[j, 0], xy[i, 1] - grid_xy[j, 1],
                                   offsets[j, k, 0], offsets[j, k, 1], feats + 2)
                        for f in range(4):
                            feats[4 + f] = exp(-feats[f])
                        z = bias[k, m]
                        for f in range(8):
                            z += coef[k, m, f] * feats[f]
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
