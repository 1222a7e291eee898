# distutils: language = c++
"""Cython declarations of lib/pairwise.hpp, shared by the bindings that build its Model."""
from libc.stdint cimport int32_t, int64_t, uint8_t
from libcpp.vector cimport vector


cdef extern from "pairwise.hpp" nogil:
    cdef cppclass Model "posecut::pairwise::Model":
        const uint8_t* linked
        const uint8_t* fitted
        const double* coef
        const double* bias
        const double* same_coef
        const double* same_bias
        const double* max_dist2
        double gate_px
        double gate_rel

    cdef cppclass Problem "posecut::pairwise::Problem":
        int64_t n
        int joints
        const int32_t* part
        const double* xy
        const double* grid_xy
        const double* offsets
        Model model

    cdef cppclass Edges "posecut::pairwise::Edges":
        vector[int64_t] first, second
        vector[double] prob
        int missing_first, missing_second

    void graph_edges "posecut::pairwise::graph_edges"(const Problem& p, Edges& out,
                                                      int max_threads)
    void edge_features "posecut::pairwise::edge_features"(const Problem& p, const int64_t* first,
                                                          const int64_t* second, int64_t count,
                                                          double* out)


cdef inline Model model_of(const uint8_t[:, ::1] linked, const uint8_t[:, ::1] fitted,
                           const double[:, :, ::1] coef, const double[:, ::1] bias,
                           const double[::1] same_coef, const double[::1] same_bias,
                           const double[:, ::1] max_dist2, double gate_px, double gate_rel):
    """The Model over the arrays of multiperson.graph.graph_arrays (J >= 1); they must outlive it."""
    cdef Model m
    m.linked = &linked[0, 0]
    m.fitted = &fitted[0, 0]
    m.coef = &coef[0, 0, 0]
    m.bias = &bias[0, 0]
    m.same_coef = &same_coef[0]
    m.same_bias = &same_bias[0]
    m.max_dist2 = &max_dist2[0, 0]
    m.gate_px = gate_px
    m.gate_rel = gate_rel
    return m
