// Greedy non-maximum suppression of every part's score map (see lib/nms.py for the rule).
//
// Plain C++17, header-only, no Python: the Cython binding (nms_cy.pyx) and the TensorFlow op
// (people_op.cc) both call it, so the exported model finds the same candidates as Python.
#ifndef POSECUT_LIB_NMS_HPP
#define POSECUT_LIB_NMS_HPP

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

namespace posecut {
namespace nms {

// Kept cells, grouped by part (ascending) and by falling score within a part.
struct Peaks {
    std::vector<int32_t> part;
    std::vector<int64_t> cell;  // row * width + col
    std::vector<float> score;
};

// Suppresses within `radius` cells around each kept cell of `scmap` (height x width x parts,
// row-major); cells scoring under `threshold` are never kept. Appends to `out`.
inline void suppress(const float* scmap, int64_t height, int64_t width, int64_t parts,
                     double radius, float threshold, Peaks& out) {
    const int64_t reach = static_cast<int64_t>(radius);
    const double radius2 = radius * radius;
    std::vector<std::pair<float, int64_t>> order;
    std::vector<unsigned char> taken(static_cast<size_t>(height * width), 0);
    for (int64_t j = 0; j < parts; ++j) {
        order.clear();
        for (int64_t cell = 0; cell < height * width; ++cell) {
            const float value = scmap[cell * parts + j];
            if (value >= threshold) order.emplace_back(-value, cell);
        }
        if (order.empty()) continue;
        std::sort(order.begin(), order.end());
        for (const auto& entry : order) taken[entry.second] = 0;
        for (const auto& entry : order) {
            const int64_t cell = entry.second;
            if (taken[cell]) continue;
            out.part.push_back(static_cast<int32_t>(j));
            out.cell.push_back(cell);
            out.score.push_back(-entry.first);
            const int64_t row = cell / width, col = cell % width;
            const int64_t r0 = std::max<int64_t>(row - reach, 0);
            const int64_t r1 = std::min<int64_t>(row + reach, height - 1);
            const int64_t c0 = std::max<int64_t>(col - reach, 0);
            const int64_t c1 = std::min<int64_t>(col + reach, width - 1);
            for (int64_t r = r0; r <= r1; ++r) {
                for (int64_t c = c0; c <= c1; ++c) {
                    const double dr = static_cast<double>(r - row);
                    const double dc = static_cast<double>(c - col);
                    if (dr * dr + dc * dc <= radius2) taken[r * width + c] = 1;
                }
            }
        }
    }
}

}  // namespace nms
}  // namespace posecut

#endif  // POSECUT_LIB_NMS_HPP
