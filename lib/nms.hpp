// Greedy non-maximum suppression of every part's score map (see lib/nms.py for the rule).
//
// Plain C++17, header-only, no Python: the Cython binding (nms_cy.pyx) and the TensorFlow op
// (people_op.cc) both call it, so the exported model finds the same candidates as Python.
#ifndef POSECUT_LIB_NMS_HPP
#define POSECUT_LIB_NMS_HPP

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

namespace posecut {
namespace nms {

// Kept cells, grouped by part (ascending) and by falling score within a part.
struct Peaks {
    std::vector<int32_t> part;
    std::vector<int64_t> cell;  // row * width + col
    std::vector<float> score;
};

// Sort key of a score: a larger score gives a smaller key (-0 counts as +0; no NaN).
inline uint32_t falling_key(float value) {
    value += 0.0f;
    uint32_t bits;
    std::memcpy(&bits, &value, sizeof bits);
    const uint32_t rising = (bits & 0x80000000u) != 0 ? ~bits : (bits | 0x80000000u);
    return ~rising;
}

// Suppresses within `radius` cells around each kept cell of `scmap` (height x width x parts,
// row-major, under 2^32 cells); cells scoring under `threshold` are never kept. Appends to
// `out`.
inline void suppress(const float* scmap, int64_t height, int64_t width, int64_t parts,
                     double radius, float threshold, Peaks& out) {
    const int64_t reach = static_cast<int64_t>(radius);
    const double radius2 = radius * radius;
    // Per part, (falling score, cell) keys of the cells to consider: a vectorised pass marks
    // the values at or above the threshold, then the marks are read eight at a time.
    const int64_t total = height * width * parts;
    std::vector<uint8_t> above(static_cast<size_t>(total) + 8, 0);
    for (int64_t i = 0; i < total; ++i) above[i] = scmap[i] >= threshold;
    std::vector<std::vector<uint64_t>> order(static_cast<size_t>(parts));
    for (int64_t start = 0; start < total; start += 8) {
        uint64_t marks;
        std::memcpy(&marks, above.data() + start, sizeof marks);
        for (; marks != 0; marks &= marks - 1) {
            const int64_t i = start + __builtin_ctzll(marks) / 8;
            const int64_t cell = i / parts;
            order[i % parts].push_back(static_cast<uint64_t>(falling_key(scmap[i])) << 32 |
                                       static_cast<uint64_t>(cell));
        }
    }
    std::vector<unsigned char> taken(static_cast<size_t>(height * width), 0);
    for (int64_t j = 0; j < parts; ++j) {
        std::vector<uint64_t>& keys = order[j];
        if (keys.empty()) continue;
        std::sort(keys.begin(), keys.end());  // falling score, then rising cell
        for (const uint64_t key : keys) taken[key & 0xFFFFFFFFu] = 0;
        for (const uint64_t key : keys) {
            const int64_t cell = static_cast<int64_t>(key & 0xFFFFFFFFu);
            if (taken[cell]) continue;
            out.part.push_back(static_cast<int32_t>(j));
            out.cell.push_back(cell);
            out.score.push_back(scmap[cell * parts + j]);
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
