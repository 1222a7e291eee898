// Candidate edges and their same-person probabilities (see multiperson.graph.build_graph).
//
// For every candidate pair i < j whose parts are linked, the probability of
// multiperson.pairwise.edge_probabilities (DeeperCut's features and per-pair logistic model, or
// the same-part rule), in one pass without temporaries. Plain C++17, header-only, no Python:
// the Cython binding (pairwise_cy.pyx) and the TensorFlow op (people_op.cc) both call it.
// Large graphs are split into row ranges built on separate threads; the result is the same.
#ifndef POSECUT_LIB_PAIRWISE_HPP
#define POSECUT_LIB_PAIRWISE_HPP

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <thread>
#include <vector>

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

inline double angle(double ax, double ay, double bx, double by) {
    return std::atan2(std::fabs(ax * by - ay * bx), ax * bx + ay * by);
}

inline double sigmoid(double z) { return 0.5 * (1.0 + std::tanh(0.5 * z)); }

// Rows [row_begin, row_end) of the edge list into `out`; stops at a missing model.
inline void build_rows(const Problem& p, const std::vector<int64_t>& block_start,
                       const std::vector<double>& off_len, const std::vector<double>& reach,
                       int64_t row_begin, int64_t row_end, Edges& out) {
    const int joints = p.joints;
    const Model& model = p.model;
    const bool gated = model.gate_px >= 0.0;
    double feats[8];
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
            const double* w = model.coef + (k * joints + m) * 8;
            for (int64_t j = start; j < block_start[m + 1]; ++j) {
                const double xj = p.xy[2 * j], yj = p.xy[2 * j + 1];
                const double dx = xi - xj, dy = yi - yj;
                const double d2 = dx * dx + dy * dy;
                if (d2 > limit2) continue;
                double z;
                if (k == m) {
                    if (gated) {
                        const double r = std::max(reach[i], reach[j]);
                        if (d2 > r * r) continue;
                    }
                    z = model.same_bias[k] - model.same_coef[k] * std::sqrt(d2);
                } else {
                    const double* oj = p.offsets + (j * joints + k) * 2;
                    const double gxj = p.grid_xy[2 * j], gyj = p.grid_xy[2 * j + 1];
                    const double rx1 = xj - gxi, ry1 = yj - gyi;  // actual offset i -> j
                    const double rx2 = xi - gxj, ry2 = yi - gyj;  // actual offset j -> i
                    if (gated) {
                        double ex = rx1 - oi[0], ey = ry1 - oi[1];
                        double tol = model.gate_px + model.gate_rel * off_len[i * joints + m];
                        if (ex * ex + ey * ey > tol * tol) {
                            ex = rx2 - oj[0];
                            ey = ry2 - oj[1];
                            tol = model.gate_px + model.gate_rel * off_len[j * joints + k];
                            if (ex * ex + ey * ey > tol * tol) continue;
                        }
                    }
                    feats[0] = std::sqrt((rx1 - oi[0]) * (rx1 - oi[0]) +
                                         (ry1 - oi[1]) * (ry1 - oi[1]));
                    feats[1] = angle(rx1, ry1, oi[0], oi[1]);
                    feats[2] = std::sqrt((rx2 - oj[0]) * (rx2 - oj[0]) +
                                         (ry2 - oj[1]) * (ry2 - oj[1]));
                    feats[3] = angle(rx2, ry2, oj[0], oj[1]);
                    for (int f = 0; f < 4; ++f) feats[4 + f] = std::exp(-feats[f]);
                    z = model.bias[k * joints + m];
                    for (int f = 0; f < 8; ++f) z += w[f] * feats[f];
                }
                out.first.push_back(i);
                out.second.push_back(j);
                out.prob.push_back(sigmoid(z));
            }
        }
    }
}

}  // namespace detail

// Pairs scanned per thread before a second thread pays for its start (about 30 us).
constexpr int64_t kPairsPerThread = 20000;

// The edges of the linked candidate pairs i < j within `max_dist2` of their parts; with the
// offset gate on, a pair of different parts also needs one of its two offset errors (actual
// minus predicted offset) to be at most gate_px + gate_rel * that predicted offset's length,
// and a same-part pair must lie within the longer predicted offset of either candidate.
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
            for (int m = 0; m < joints; ++m) {
                const double* o = p.offsets + (i * joints + m) * 2;
                const double length = std::sqrt(o[0] * o[0] + o[1] * o[1]);
                off_len[i * joints + m] = length;
                reach[i] = std::max(reach[i], length);
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
    int threads = max_threads > 0 ? max_threads
                                  : std::max(1u, std::thread::hardware_concurrency());
    threads = static_cast<int>(std::min<int64_t>(threads, 1 + work[n] / kPairsPerThread));
    if (threads <= 1) {
        detail::build_rows(p, block_start, off_len, reach, 0, n, out);
        return;
    }
    std::vector<int64_t> bounds(threads + 1, n);
    bounds[0] = 0;
    for (int t = 1; t < threads; ++t) {
        const int64_t target = work[n] * t / threads;
        bounds[t] = std::lower_bound(work.begin(), work.end(), target) - work.begin();
        bounds[t] = std::max(bounds[t], bounds[t - 1]);
    }
    std::vector<Edges> parts(threads);
    std::vector<std::thread> pool;
    for (int t = 1; t < threads; ++t) {
        pool.emplace_back(detail::build_rows, std::cref(p), std::cref(block_start),
                          std::cref(off_len), std::cref(reach), bounds[t], bounds[t + 1],
                          std::ref(parts[t]));
    }
    detail::build_rows(p, block_start, off_len, reach, bounds[0], bounds[1], parts[0]);
    for (auto& thread : pool) thread.join();
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

}  // namespace pairwise
}  // namespace posecut

#endif  // POSECUT_LIB_PAIRWISE_HPP
