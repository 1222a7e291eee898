# distutils: language = c++
"""Compiled kernel of lib/nms.py: greedy non-maximum suppression of every part's score map."""
from libcpp.vector cimport vector
from libcpp.pair cimport pair
from libcpp.algorithm cimport sort

import numpy as np

cimport cython


@cython.boundscheck(False)
@cython.wraparound(False)
def nms_scoremaps(const float[:, :, ::1] scmap, double radius, float threshold):
    """Per part, the cells kept by greedy suppression within ``radius`` cells; see lib.nms."""
    cdef Py_ssize_t height = scmap.shape[0], width = scmap.shape[1], parts = scmap.shape[2]
    cdef int reach = <int>radius
    cdef double radius2 = radius * radius
    cdef vector[pair[float, int]] order
    cdef vector[unsigned char] taken
    cdef vector[int] out_part, out_cell
    cdef vector[float] out_score
    cdef Py_ssize_t j, r, c, k
    cdef int cell, row, col, dr, dc, r0, r1, c0, c1
    cdef float value
    with nogil:
        taken.resize(height * width)
        for j in range(parts):
            order.clear()
            for r in range(height):
                for c in range(width):
                    value = scmap[r, c, j]
                    if value >= threshold:
                        order.push_back(pair[float, int](-value, <int>(r * width + c)))
            if order.size() == 0:
                continue
            sort(order.begin(), order.end())
            for k in range(<Py_ssize_t>order.size()):
                taken[order[k].second] = 0
            for k in range(<Py_ssize_t>order.size()):
                cell = order[k].second
                if taken[cell]:
                    continue
                out_part.push_back(<int>j)
                out_cell.push_back(cell)
                out_score.push_back(-order[k].first)
                row = cell // width
                col = cell % width
                r0 = row - reach if row - reach > 0 else 0
                r1 = row + reach if row + reach < height - 1 else <int>height - 1
                c0 = col - reach if col - reach > 0 else 0
                c1 = col + reach if col + reach < width - 1 else <int>width - 1
                for dr in range(r0 - row, r1 - row + 1):
                    for dc in range(c0 - col, c1 - col + 1):
                        if dr * dr + dc * dc <= radius2:
                            taken[(row + dr) * width + col + dc] = 1
    n = out_part.size()
    part = np.empty(n, np.int32)
    cells = np.empty(n, np.int64)
    score = np.empty(n, np.float32)
    for k in range(<Py_ssize_t>n):
        part[k] = out_part[k]
        cells[k] = out_cell[k]
        score[k] = out_score[k]
    return part, cells // width, cells % width, score
