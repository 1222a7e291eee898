# distutils: language = c++
"""Binding of lib/nms.hpp for lib/nms.py: greedy non-maximum suppression of every part's score map."""
from libc.stdint cimport int32_t, int64_t
from libcpp.vector cimport vector

import numpy as np

cimport cython


cdef extern from "nms.hpp" nogil:
    cdef cppclass Peaks "posecut::nms::Peaks":
        vector[int32_t] part
        vector[int64_t] cell
        vector[float] score

    void c_suppress "posecut::nms::suppress"(const float* scmap, int64_t height, int64_t width,
                                             int64_t parts, double radius, float threshold,
                                             Peaks& out)


@cython.boundscheck(False)
@cython.wraparound(False)
def nms_scoremaps(const float[:, :, ::1] scmap, double radius, float threshold):
    """Per part, the cells kept by greedy suppression within ``radius`` cells; see lib.nms."""
    cdef int64_t height = scmap.shape[0], width = scmap.shape[1], parts = scmap.shape[2]
    cdef Peaks peaks
    if height * width * parts > 0:
        with nogil:
            c_suppress(&scmap[0, 0, 0], height, width, parts, radius, threshold, peaks)
    cdef Py_ssize_t n = peaks.part.size(), k
    part = np.empty(n, np.int32)
    cells = np.empty(n, np.int64)
    score = np.empty(n, np.float32)
    cdef int32_t[::1] part_view = part
    cdef int64_t[::1] cell_view = cells
    cdef float[::1] score_view = score
    for k in range(n):
        part_view[k] = peaks.part[k]
        cell_view[k] = peaks.cell[k]
        score_view[k] = peaks.score[k]
    return part, cells // width, cells % width, score
