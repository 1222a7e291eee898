# distutils: language = c++
"""Binding of lib/people.hpp, with the GIL released: one image's raw network outputs to people in
one call, or its stages alone (candidates, assembly). Use multiperson.predict.people_from_raw_outputs,
multiperson.detections.extract_detections and multiperson.assemble.assemble_people, which
check the arguments."""
from libc.stdint cimport int32_t, int64_t, uint8_t
from libcpp.string cimport string
from libcpp.vector cimport vector

import numpy as np

cimport cython

from lib.pairwise_hpp cimport Model, model_of


cdef extern from "people.hpp" nogil:
    cdef cppclass Outputs "posecut::people::Outputs":
        int64_t height, width
        int joints
        const float* part_prob
        const float* locref
        const float* pairwise
        const int32_t* pair_slots
        int64_t pairs
        const double* means
        const double* stds

    cdef cppclass Settings "posecut::people::Settings":
        double stride
        float locref_stdev
        double nms_radius
        float det_min_score
        int min_person_parts
        double duplicate_px

    cdef cppclass People "posecut::people::People":
        vector[double] poses
        vector[double] scores

    cdef cppclass Problem "posecut::people::Problem":
        string message

    cdef cppclass Timings "posecut::people::Timings":
        double nms, pairwise, solver, assembly

    cdef cppclass Candidates "posecut::people::Candidates":
        vector[int32_t] part
        vector[double] xy, grid_xy, score, offsets

    Problem c_extract "posecut::people::extract"(const Outputs& o, const Settings& s,
                                                 Candidates& out) except +
    void c_assemble "posecut::people::assemble"(const Candidates& c, const int32_t* cluster,
                                                int joints, int min_parts, double duplicate_px,
                                                People& out) except +
    vector[uint8_t] c_distinct "posecut::people::distinct_people"(
        const double* poses, int64_t k, int joints, double radius) except +

    Problem c_people "posecut::people::people_from_outputs"(
        const Outputs& o, const Settings& s, const Model& m, People& out,
        Timings* timings) except +


@cython.boundscheck(False)
@cython.wraparound(False)
def people_from_raw(const float[:, :, ::1] part_prob, const float[:, :, ::1] locref,
                    const float[:, :, ::1] pairwise, const double[:, ::1] means,
                    const double[:, ::1] stds, const int32_t[:, ::1] pair_slots,
                    const uint8_t[:, ::1] linked,
                    const uint8_t[:, ::1] fitted, const double[:, :, ::1] coef,
                    const double[:, ::1] bias, const double[::1] same_coef,
                    const double[::1] same_bias, const double[:, ::1] max_dist2,
                    double gate_px, double gate_rel, double stride, float locref_stdev,
                    double nms_radius, float det_min_score, int min_person_parts,
                    double duplicate_px):
    """(poses float64 (K, J, 3), scores float64 (K,), problem str or None, timings dict) of
    one image: ``part_prob`` (h, w, J), raw ``locref`` (h, w, 2J) and ``pairwise``
    (h, w, 2P), its slots ``pair_slots`` (J, J) (nnet.heads.HeadLayout.pair_slots), statistics
    (J(J-1), 2); ``linked`` to ``gate_rel`` are multiperson.graph.graph_arrays. Shapes must
    already agree (the caller checks them; the slots' values are checked here)."""
    cdef Outputs o
    cdef Settings s
    cdef Model m
    cdef People out
    cdef Problem problem
    cdef Timings t
    o = _outputs(part_prob, locref, pairwise, means, stds, pair_slots)
    s.stride = stride
    s.locref_stdev = locref_stdev
    s.nms_radius = nms_radius
    s.det_min_score = det_min_score
    s.min_person_parts = min_person_parts
    s.duplicate_px = duplicate_px
    m = model_of(linked, fitted, coef, bias, same_coef, same_bias, max_dist2, gate_px, gate_rel)
    with nogil:
        problem = c_people(o, s, m, out, &t)
    timings = {"nms": t.nms, "pairwise": t.pairwise, "solver": t.solver,
               "assembly": t.assembly}
    if problem.message.size():
        return None, None, problem.message.decode(), timings
    cdef Py_ssize_t k = out.scores.size(), j = o.joints, i
    poses = np.empty((k, j, 3), np.float64)
    scores = np.empty(k, np.float64)
    cdef double[:, :, ::1] pv = poses
    for i in range(k * j * 3):
        pv[i // (j * 3), (i // 3) % j, i % 3] = out.poses[i]
    for i in range(k):
        scores[i] = out.scores[i]
    return poses, scores, None, timings


cdef Outputs _outputs(const float[:, :, ::1] part_prob, const float[:, :, ::1] locref,
                      const float[:, :, ::1] pairwise, const double[:, ::1] means,
                      const double[:, ::1] stds, const int32_t[:, ::1] pair_slots) except *:
    """The C++ view of one image's outputs (empty arrays become null: no such head)."""
    cdef Outputs o
    if pairwise.size and (pair_slots.shape[0] != part_prob.shape[2]
                          or pair_slots.shape[1] != part_prob.shape[2]):
        raise ValueError(f"pair_slots: expected shape ({part_prob.shape[2]}, "
                         f"{part_prob.shape[2]}), got ({pair_slots.shape[0]}, {pair_slots.shape[1]})")
    if pairwise.size and pairwise.shape[2] % 2:
        raise ValueError(f"pairwise: expected an even number of channels, got {pairwise.shape[2]}")
    o.pair_slots = &pair_slots[0, 0] if pair_slots.size else NULL
    o.pairs = pairwise.shape[2] // 2
    o.height = part_prob.shape[0]
    o.width = part_prob.shape[1]
    o.joints = <int>part_prob.shape[2]
    o.part_prob = &part_prob[0, 0, 0] if part_prob.size else NULL
    o.locref = &locref[0, 0, 0] if locref.size else NULL
    o.pairwise = &pairwise[0, 0, 0] if pairwise.size else NULL
    o.means = &means[0, 0] if means.size else NULL
    o.stds = &stds[0, 0] if stds.size else NULL
    return o


@cython.boundscheck(False)
@cython.wraparound(False)
def candidates(const float[:, :, ::1] part_prob, const float[:, :, ::1] locref,
               const float[:, :, ::1] pairwise, const double[:, ::1] means,
               const double[:, ::1] stds, const int32_t[:, ::1] pair_slots, double stride, float locref_stdev, double nms_radius,
               float det_min_score):
    """(part int32 (N,), xy (N, 2), grid_xy (N, 2), score (N,), offsets (N, J, 2)) of one
    image's raw outputs, as people_from_raw finds them; empty ``locref`` or ``pairwise`` arrays
    mean no such head (cell centres, zero offsets); ``pair_slots`` as there."""
    cdef Outputs o = _outputs(part_prob, locref, pairwise, means, stds, pair_slots)
    cdef Settings s
    cdef Candidates c
    s.stride = stride
    s.locref_stdev = locref_stdev
    s.nms_radius = nms_radius
    s.det_min_score = det_min_score
    cdef Problem problem
    with nogil:
        problem = c_extract(o, s, c)
    if problem.message.size():
        raise ValueError(problem.message.decode())
    cdef Py_ssize_t n = c.part.size(), j = o.joints
    part = np.asarray(<int32_t[:n]> c.part.data()).copy() if n else np.zeros(0, np.int32)
    xy = np.asarray(<double[:2 * n]> c.xy.data()).reshape(n, 2).copy() if n else np.zeros((0, 2))
    grid_xy = (np.asarray(<double[:2 * n]> c.grid_xy.data()).reshape(n, 2).copy() if n
               else np.zeros((0, 2)))
    score = np.asarray(<double[:n]> c.score.data()).copy() if n else np.zeros(0)
    offsets = (np.asarray(<double[:2 * n * j]> c.offsets.data()).reshape(n, j, 2).copy() if n
               else np.zeros((0, j, 2)))
    return part, xy, grid_xy, score, offsets


@cython.boundscheck(False)
@cython.wraparound(False)
def assemble(const int32_t[::1] part, const double[:, ::1] xy, const double[::1] score,
             const int32_t[::1] cluster, int joints, int min_parts, double duplicate_px):
    """(poses (K, J, 3), scores (K,)) of the clusters (>= 0) of candidates, as people_from_raw
    assembles them: per part the score-weighted mean position, scored by the best; clusters with
    fewer than ``min_parts`` distinct parts dropped; sorted by falling score; duplicates within
    ``duplicate_px`` dropped (distinct)."""
    cdef Candidates c
    cdef People out
    cdef Py_ssize_t n = part.shape[0], i
    c.part.resize(n)
    c.xy.resize(2 * n)
    c.score.resize(n)
    for i in range(n):
        c.part[i] = part[i]
        c.xy[2 * i] = xy[i, 0]
        c.xy[2 * i + 1] = xy[i, 1]
        c.score[i] = score[i]
    with nogil:
        c_assemble(c, &cluster[0] if n else NULL, joints, min_parts, duplicate_px, out)
    cdef Py_ssize_t k = out.scores.size()
    poses = (np.asarray(<double[:k * joints * 3]> out.poses.data()).reshape(k, joints, 3).copy()
             if k else np.zeros((0, joints, 3)))
    scores = np.asarray(<double[:k]> out.scores.data()).copy() if k else np.zeros(0)
    return poses, scores


@cython.boundscheck(False)
@cython.wraparound(False)
def distinct(const double[:, :, ::1] poses, double radius):
    """bool (K,): which of the people (K, J, 3), by falling score, are not the body of one kept
    before them seen again (every part within ``radius`` pixels of its parts); see
    lib/people.hpp distinct_people."""
    cdef Py_ssize_t k = poses.shape[0], j = poses.shape[1], i
    cdef vector[uint8_t] keep
    with nogil:
        keep = c_distinct(&poses[0, 0, 0] if k and j else NULL, k, j, radius)
    out = np.ones(k, np.bool_)
    for i in range(k):
        out[i] = keep[i] != 0
    return out
