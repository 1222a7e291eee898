// Candidate edges and their same-person probabilities (see multiperson.graph.build_graph).
//
// For every candidate pair i < j whose parts are linked, the probability that both are one
// person's (DeeperCut's features and per-pair logistic model, or the same-part rule), in one
// pass without temporaries; and the features alone for fitting (edge_features). Plain C++17,
// header-only, no Python: the Cython binding (pairwise_cy.pyx) and the TensorFlow op
// (people_op.cc) call it; tests/grouping_reference.py holds the numpy version it is checked on.
// Large graphs are split into row ranges built on separate threads; the result is the same.
#ifndef POSECUT_LIB_PAIRWISE_HPP
#define POSECUT_LIB_PAIRWISE_HPP

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "threads.hpp"
#include "vector_math.hpp"

namespace posecut {
namespace pairwise {

// The spatial model and the gates of the graph; arrays are row-major.
struct Model {
    const uint8_t* linked;       // [J, J] part pairs that get edges
    const uint8_t* fitted;       // [J, J] part pairs with a fitted model
    const double* coef;          // [J, J, 8] logistic weights, feature scaling folded in
    const double* bias;          // [J, J]
    const double* same_coef;     // [J] same-part rule: sigmoid(same_bias - same_coef * d)
    const double* same_bias;     // [J]
    const double* max_dist2;     // [J, J] squared distance gate
    double gate_px = -1.0;       // offset gate (< 0: off)
    double gate_rel = 0.0;
};

// The candidates, sorted by part, and the model; arrays are row-major.
struct Problem {
    int64_t n = 0;               // candidates
    int joints = 0;              // J
    const int32_t* part;         // [n], ascending
    const double* xy;            // [n, 2] refined positions
    const double* grid_xy;       // [n, 2] cell centres
    const double* offsets;       // [n, J, 2] predicted offsets to every joint
    Model model;
};

struct Edges {
    std::vector<int64_t> first, second;  // i < j, row-major order
    std::vector<double> prob;
    int missing_first = -1, missing_second = -1;  // first linked part pair with no model
};

namespace detail {

// Pairs of different parts whose features wait to be computed together, as structure of
// arrays: offset errors (actual minus predicted) and the cross and dot products of actual and
// predicted offsets, in both directions.
struct Pending {
    static constexpr int kSize = 256;
    int count = 0;
    double ex1[kSize], ey1[kSize], cross1[kSize], dot1[kSize];
    double ex2[kSize], ey2[kSize], cross2[kSize], dot2[kSize];
    int64_t slot[kSize];    // index into Edges::prob
    int32_t weights[kSize]; // index into Model::coef / 8 (k * J + m)

    // Queues a pair from its actual offsets r1 (i's cell to j) and r2 (j's cell to i) and the
    // predicted ones o1, o2; returns its index among the pending pairs.
    int add(double rx1, double ry1, const double* o1, double rx2, double ry2, const double* o2) {
        const int e = count++;
        ex1[e] = rx1 - o1[0];
        ey1[e] = ry1 - o1[1];
        cross1[e] = rx1 * o1[1] - ry1 * o1[0];
        dot1[e] = rx1 * o1[0] + ry1 * o1[1];
        ex2[e] = rx2 - o2[0];
        ey2[e] = ry2 - o2[1];
        cross2[e] = rx2 * o2[1] - ry2 * o2[0];
        dot2[e] = rx2 * o2[0] + ry2 * o2[1];
        return e;
    }
};

// DeeperCut's eight features (two distances, two angles and their exp(-x)) of pending pairs,
// by feature; a loop the compiler vectorises, cloned for the vector units the machine has.
__attribute__((target_clones("avx512f", "avx2", "default")))
inline void features(const Pending& p, double (*f)[Pending::kSize]) {
    for (int e = 0; e < p.count; ++e) {
        f[0][e] = std::sqrt(p.ex1[e] * p.ex1[e] + p.ey1[e] * p.ey1[e]);
        f[1][e] = vmath::atan2_upper(std::fabs(p.cross1[e]), p.dot1[e]);
        f[2][e] = std::sqrt(p.ex2[e] * p.ex2[e] + p.ey2[e] * p.ey2[e]);
        f[3][e] = vmath::atan2_upper(std::fabs(p.cross2[e]), p.dot2[e]);
        for (int k = 0; k < 4; ++k) f[4 + k][e] = vmath::exp(-f[k][e]);
    }
}

// The logistic model's input of each pending pair, written to its slot of `z`.
inline void flush(const Model& model, Pending& p, double* z) {
    double f[8][Pending::kSize];
    features(p, f);
    for (int e = 0; e < p.count; ++e) {
        const double* w = model.coef + static_cast<int64_t>(p.weights[e]) * 8;
        double value = model.bias[p.weights[e]];
        for (int k = 0; k < 8; ++k) value += w[k] * f[k][e];
        z[p.slot[e]] = value;
    }
    p.count = 0;
}

// 1 / (1 + e^-z) in place; vectorised like features().
__attribute__((target_clones("avx512f", "avx2", "default")))
inline void sigmoid(double* z, int64_t count) {
    for (int64_t e = 0; e < count; ++e) z[e] = 1.0 / (1.0 + vmath::exp(-z[e]));
}

// Rows [row_begin, row_end) of the edge list into `out`; stops at a missing model.
inline void build_rows(const Problem& p, const std::vector<int64_t>& block_start,
                       const std::vector<double>& off_len, const std::vector<double>& reach,
                       int64_t row_begin, int64_t row_end, Edges& out) {
    const int joints = p.joints;
    const Model& model = p.model;
    const bool gated = model.gate_px >= 0.0;
    Pending pending;
    // out.prob holds the logistic model's input z until the end.
    for (int64_t i = row_begin; i < row_end; ++i) {
        const int k = p.part[i];
        const double xi = p.xy[2 * i], yi = p.xy[2 * i + 1];
        const double gxi = p.grid_xy[2 * i], gyi = p.grid_xy[2 * i + 1];
        for (int m = k; m < joints; ++m) {
            if (!model.linked[k * joints + m]) continue;
            const int64_t start = m == k ? i + 1 : block_start[m];
            if (m != k && !model.fitted[k * joints + m]) {
                if (block_start[m] < block_start[m + 1]) {
                    out.missing_first = k;
                    out.missing_second = m;
                    return;
                }
                continue;
            }
            const double limit2 = model.max_dist2[k * joints + m];
            const double* oi = p.offsets + (i * joints + m) * 2;
            for (int64_t j = start; j < block_start[m + 1]; ++j) {
                const double xj = p.xy[2 * j], yj = p.xy[2 * j + 1];
                const double dx = xi - xj, dy = yi - yj;
                const double d2 = dx * dx + dy * dy;
                if (d2 > limit2) continue;
                if (k == m) {
                    if (gated) {
                        const double r = std::max(reach[i], reach[j]);
                        if (d2 > r * r) continue;
                    }
                    out.first.push_back(i);
                    out.second.push_back(j);
                    out.prob.push_back(model.same_bias[k] - model.same_coef[k] * std::sqrt(d2));
                    continue;
                }
                const double* oj = p.offsets + (j * joints + k) * 2;
                const double gxj = p.grid_xy[2 * j], gyj = p.grid_xy[2 * j + 1];
                const double rx1 = xj - gxi, ry1 = yj - gyi;  // actual offset i -> j
                const double rx2 = xi - gxj, ry2 = yi - gyj;  // actual offset j -> i
                const double ex1 = rx1 - oi[0], ey1 = ry1 - oi[1];
                const double ex2 = rx2 - oj[0], ey2 = ry2 - oj[1];
                if (gated) {
                    const double tol1 = model.gate_px + model.gate_rel * off_len[i * joints + m];
                    if (ex1 * ex1 + ey1 * ey1 > tol1 * tol1) {
                        const double tol2 =
                            model.gate_px + model.gate_rel * off_len[j * joints + k];
                        if (ex2 * ex2 + ey2 * ey2 > tol2 * tol2) continue;
                    }
                }
                const int e = pending.add(rx1, ry1, oi, rx2, ry2, oj);
                pending.slot[e] = static_cast<int64_t>(out.prob.size());
                pending.weights[e] = k * joints + m;
                out.first.push_back(i);
                out.second.push_back(j);
                out.prob.push_back(0.0);
                if (pending.count == Pending::kSize) flush(model, pending, out.prob.data());
            }
        }
    }
    flush(model, pending, out.prob.data());
    sigmoid(out.prob.data(), static_cast<int64_t>(out.prob.size()));
}

}  // namespace detail

// Pairs scanned per thread before a second thread pays for its start (43 us here, median of
// 2000 starts and joins).
constexpr int64_t kPairsPerThread = 20000;

// The edges of the linked candidate pairs i < j within `max_dist2` of their parts; with the
// offset gate on, a pair of different parts also needs one of its two offset errors (actual
// minus predicted offset) to be at most gate_px + gate_rel * that predicted offset's length,
// and a same-part pair must lie within the longer predicted offset of either candidate (to the
// parts linked to its part).
// `max_threads` <= 0 uses the machine's cores.
inline void graph_edges(const Problem& p, Edges& out, int max_threads = 0) {
    const int joints = p.joints;
    const Model& model = p.model;
    const int64_t n = p.n;
    std::vector<int64_t> block_start(joints + 1, n);
    for (int64_t i = n - 1; i >= 0; --i) block_start[p.part[i]] = i;
    for (int k = joints - 1; k >= 0; --k) block_start[k] = std::min(block_start[k], block_start[k + 1]);
    std::vector<double> off_len, reach;
    if (model.gate_px >= 0.0) {
        off_len.resize(n * joints);
        reach.assign(n, 0.0);
        for (int64_t i = 0; i < n; ++i) {
            const int k = p.part[i];
            for (int m = 0; m < joints; ++m) {
                const double* o = p.offsets + (i * joints + m) * 2;
                const double length = std::sqrt(o[0] * o[0] + o[1] * o[1]);
                off_len[i * joints + m] = length;
                // The body's reach: the offsets to the parts linked to k (those a sparse
                // pairwise head predicts; every part with DeeperCut's full graph).
                if (model.linked[k * joints + m]) reach[i] = std::max(reach[i], length);
            }
        }
    }
    // Pairs each row scans, to split the rows into ranges of equal work.
    std::vector<int64_t> work(n + 1, 0);
    for (int64_t i = 0; i < n; ++i) {
        const int k = p.part[i];
        int64_t count = 0;
        for (int m = k; m < joints; ++m) {
            if (model.linked[k * joints + m]) count += block_start[m + 1] - (m == k ? i + 1 : block_start[m]);
        }
        work[i + 1] = work[i] + count;
    }
    const int count = static_cast<int>(
        std::min<int64_t>(threads::available(max_threads), 1 + work[n] / kPairsPerThread));
    if (count <= 1) {
        detail::build_rows(p, block_start, off_len, reach, 0, n, out);
        return;
    }
    std::vector<int64_t> bounds(count + 1, n);
    bounds[0] = 0;
    for (int t = 1; t < count; ++t) {
        const int64_t target = work[n] * t / count;
        bounds[t] = std::lower_bound(work.begin(), work.end(), target) - work.begin();
        bounds[t] = std::max(bounds[t], bounds[t - 1]);
    }
    std::vector<Edges> parts(count);
    threads::run(count, [&](int t) {
        detail::build_rows(p, block_start, off_len, reach, bounds[t], bounds[t + 1], parts[t]);
    });
    for (const Edges& piece : parts) {
        if (piece.missing_first >= 0) {
            out.missing_first = piece.missing_first;
            out.missing_second = piece.missing_second;
            return;
        }
        out.first.insert(out.first.end(), piece.first.begin(), piece.first.end());
        out.second.insert(out.second.end(), piece.second.begin(), piece.second.end());
        out.prob.insert(out.prob.end(), piece.prob.begin(), piece.prob.end());
    }
}

// DeeperCut's eight features of the candidate pairs (first[e], second[e]) of different parts,
// row-major into out [count, 8]: forward length and angle (first's cell to second, against
// first's predicted offset), backward length and angle, then exp(-x) of those four; the
// arithmetic graph_edges feeds the logistic model (and fit-pairwise fits it on). `part` of the
// problem need not be sorted here.
inline void edge_features(const Problem& p, const int64_t* first, const int64_t* second,
                          int64_t count, double* out) {
    const int joints = p.joints;
    detail::Pending pending;
    double f[8][detail::Pending::kSize];
    for (int64_t begin = 0; begin < count; begin += detail::Pending::kSize) {
        const int64_t end = std::min<int64_t>(count, begin + detail::Pending::kSize);
        pending.count = 0;
        for (int64_t e = begin; e < end; ++e) {
            const int64_t i = first[e], j = second[e];
            const int k = p.part[i], m = p.part[j];
            const double* oi = p.offsets + (i * joints + m) * 2;
            const double* oj = p.offsets + (j * joints + k) * 2;
            pending.add(p.xy[2 * j] - p.grid_xy[2 * i], p.xy[2 * j + 1] - p.grid_xy[2 * i + 1], oi,
                        p.xy[2 * i] - p.grid_xy[2 * j], p.xy[2 * i + 1] - p.grid_xy[2 * j + 1], oj);
        }
        detail::features(pending, f);
        for (int slot = 0; slot < pending.count; ++slot) {
            for (int c = 0; c < 8; ++c) out[(begin + slot) * 8 + c] = f[c][slot];
        }
    }
}

}  // namespace pairwise
}  // namespace posecut

#endif  // POSECUT_LIB_PAIRWISE_HPP
