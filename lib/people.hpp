// Everything after the network in C++: candidates, graph, multicut, people.
//
// The one implementation of these steps (with lib/nms.hpp, lib/pairwise.hpp and lib/nl_lmp.hpp;
// the graph's model and gates are lib/pairwise.hpp's Model). The predictor, evaluation,
// fit-pairwise and the oracle reach it through lib/people_cy.pyx, one call per image or per
// stage, and the TensorFlow op of lib/people_op.cc runs it inside an exported model. The tests
// check it against plain numpy references (tests/grouping_reference.py). Plain C++17, no Python.
#ifndef POSECUT_LIB_PEOPLE_HPP
#define POSECUT_LIB_PEOPLE_HPP

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

#include "nl_lmp.hpp"
#include "nms.hpp"
#include "pairwise.hpp"

namespace posecut {
namespace people {

// One image's network outputs (batch axis dropped), row-major, as the network gives them.
struct Outputs {
    int64_t height = 0, width = 0;
    int joints = 0;
    const float* part_prob;  // [h, w, J] sigmoid scores
    const float* locref;     // [h, w, J, 2] normalised refinements, or nullptr
    const float* pairwise;   // [h, w, P, 2] normalised offsets, slot s of the pairwise head
    const int32_t* pair_slots;  // [J, J] slot of the ordered pair (k, m), -1: none (HeadLayout)
    int64_t pairs = 0;          // P, the slots of the pairwise head
    const double* means;     // [J(J-1), 2] pairwise statistics in DeeperCut's pair order
    const double* stds;      // [J(J-1), 2]
};

// Settings of multiperson.predict.MultiPersonSettings (stride and locref_stdev from its head
// layout), with the same precision as Python uses them (the threshold and locref scale are
// float32 there). No defaults: the config is their one source, and people() refuses unset ones.
struct Settings {
    double stride = 0.0;
    float locref_stdev = 0.0f;
    double nms_radius = 0.0;
    float det_min_score = 0.0f;
    int min_person_parts = 0;
    double duplicate_px = -1.0;  // 0: keep duplicates (DeeperCut)
};

// Candidates grouped by part, as multiperson.detections.Detections.
struct Candidates {
    std::vector<int32_t> part;
    std::vector<double> xy, grid_xy;  // [n, 2]
    std::vector<double> score;        // [n]
    std::vector<double> offsets;      // [n, J, 2]
};

// K people: poses [K, J, 3] (x, y, score; zeros where a part is missing), scores [K]; sorted
// by falling score.
struct People {
    std::vector<double> poses;
    std::vector<double> scores;
};

// Channel of the ordered joint pair (first -> second) in DeeperCut's pairwise layout.
inline int64_t pair_index(int64_t first, int64_t second, int64_t joints) {
    return (joints - 1) * first + second - (first < second ? 1 : 0);
}

// What went wrong, empty if nothing did.
struct Problem {
    std::string message;
};

// Checks the slot table of a pairwise head of `pairs` slots: each slot -1 or in 0..pairs-1,
// none on the diagonal, and (when `linked` is given, [J, J]) a slot for every linked pair of
// two different parts, whose offsets the graph reads.
inline Problem check_slots(const int32_t* slots, int joints, int64_t pairs,
                           const uint8_t* linked = nullptr) {
    for (int k = 0; k < joints; ++k) {
        for (int m = 0; m < joints; ++m) {
            const int64_t slot = slots[k * joints + m];
            const bool wrong = slot < -1 || slot >= pairs || (k == m && slot != -1);
            const bool unread = linked != nullptr && k != m && linked[k * joints + m] && slot < 0;
            if (!wrong && !unread) continue;
            const std::string pair = "(" + std::to_string(k) + ", " + std::to_string(m) + ")";
            if (wrong) {
                return {"pair_slots: slot " + std::to_string(slot) + " of the part pair " + pair +
                        " outside -1.." + std::to_string(pairs - 1) + " (the pairwise head's " +
                        std::to_string(pairs) + " pairs)"};
            }
            return {"pair_slots: the linked part pair " + pair +
                    " has no pairwise channel; link only pairs the head predicts"};
        }
    }
    return {};
}

// The candidates of every part: NMS peaks, refined positions (cell centres without locref) and
// de-normalised offsets (zeros without a pairwise map). A NaN refinement or offset read at a
// candidate, or a NaN score anywhere, is a problem naming the output and the cell.
inline Problem extract(const Outputs& o, const Settings& s, Candidates& out) {
    const int joints = o.joints;
    const int64_t cells = o.height * o.width * joints;
    int nan = 0;  // a loop without an early exit vectorises; the NaN is located only if found
    for (int64_t i = 0; i < cells; ++i) nan |= o.part_prob[i] != o.part_prob[i];
    for (int64_t i = 0; nan && i < cells; ++i) {
        if (std::isnan(o.part_prob[i])) {
            return {"part_prob: NaN score at (row, col, part) = (" +
                    std::to_string(i / joints / o.width) + ", " +
                    std::to_string(i / joints % o.width) + ", " + std::to_string(i % joints) + ")"};
        }
    }
    nms::Peaks peaks;
    nms::suppress(o.part_prob, o.height, o.width, joints, s.nms_radius, s.det_min_score, peaks);
    const size_t n = peaks.part.size();
    const int64_t channels = o.pairs;
    if (o.pairwise != nullptr) {
        const Problem bad = check_slots(o.pair_slots, joints, o.pairs);
        if (!bad.message.empty()) return bad;
    }
    out.part = peaks.part;
    out.xy.resize(2 * n);
    out.grid_xy.resize(2 * n);
    out.score.resize(n);
    out.offsets.assign(2 * n * joints, 0.0);
    for (size_t i = 0; i < n; ++i) {
        const int64_t cell = peaks.cell[i], k = peaks.part[i];
        // The cell's centre as lib/grid.py's cell_centres places it (tests/test_grid.py).
        const double gx = static_cast<double>(cell % o.width) * s.stride + 0.5 * s.stride;
        const double gy = static_cast<double>(cell / o.width) * s.stride + 0.5 * s.stride;
        out.grid_xy[2 * i] = gx;
        out.grid_xy[2 * i + 1] = gy;
        out.xy[2 * i] = gx;
        out.xy[2 * i + 1] = gy;
        // Where a NaN was read, for the message (built only then).
        const auto nan_at = [&](const char* output) -> Problem {
            return {std::string(output) + ": NaN at (row, col, part) = (" +
                    std::to_string(cell / o.width) + ", " + std::to_string(cell % o.width) +
                    ", " + std::to_string(k) + ")"};
        };
        if (o.locref != nullptr) {
            const float* r = o.locref + (cell * joints + k) * 2;
            if (std::isnan(r[0]) || std::isnan(r[1])) return nan_at("locref");
            out.xy[2 * i] += static_cast<double>(r[0] * s.locref_stdev);
            out.xy[2 * i + 1] += static_cast<double>(r[1] * s.locref_stdev);
        }
        out.score[i] = static_cast<double>(peaks.score[i]);
        if (o.pairwise == nullptr) continue;
        for (int64_t m = 0; m < joints; ++m) {
            const int64_t slot = o.pair_slots[k * joints + m];
            if (slot < 0) continue;  // the same part, or a pair the head does not predict: 0
            const int64_t c = pair_index(k, m, joints);  // row of the statistics
            const float* raw = o.pairwise + (cell * channels + slot) * 2;
            double* dst = out.offsets.data() + (i * joints + m) * 2;
            if (std::isnan(raw[0]) || std::isnan(raw[1])) return nan_at("pairwise_pred");
            dst[0] = static_cast<double>(raw[0]) * o.stds[2 * c] + o.means[2 * c];
            dst[1] = static_cast<double>(raw[1]) * o.stds[2 * c + 1] + o.means[2 * c + 1];
        }
    }
    return {};
}

// Which of K people (poses [K, J, 3], by falling score) to keep: a person every one of whose
// parts lies within `radius` pixels of some part of a person kept before it is the same body
// seen again, as other parts (a leg detected as both its left and its right knee and ankle),
// and is dropped. `radius` 0 keeps everyone.
inline std::vector<uint8_t> distinct_people(const double* poses, int64_t k, int joints,
                                            double radius) {
    std::vector<uint8_t> keep(k, 1);
    if (!(radius > 0.0)) return keep;
    const double limit = radius * radius;
    for (int64_t p = 0; p < k; ++p) {
        bool covered = true, any = false;
        for (int j = 0; j < joints && covered; ++j) {
            const double* a = poses + (p * joints + j) * 3;
            if (!(a[2] > 0.0)) continue;
            any = true;
            bool near = false;
            for (int64_t q = 0; q < p && !near; ++q) {
                if (!keep[q]) continue;
                for (int i = 0; i < joints && !near; ++i) {
                    const double* b = poses + (q * joints + i) * 3;
                    const double dx = a[0] - b[0], dy = a[1] - b[1];
                    near = b[2] > 0.0 && dx * dx + dy * dy <= limit;
                }
            }
            covered = near;
        }
        keep[p] = any && covered ? 0 : 1;
    }
    return keep;
}

// People of the clusters (cluster >= 0) of the candidates: per part the score-weighted mean
// position of the cluster's candidates, scored by their best score; clusters with fewer than
// `min_parts` distinct parts are dropped, and so are duplicates within `duplicate_px` (see
// distinct_people; 0 keeps them).
inline void assemble(const Candidates& c, const int32_t* cluster, int joints, int min_parts,
                     double duplicate_px, People& out) {
    const size_t n = c.part.size();
    int64_t count = 0;
    for (size_t i = 0; i < n; ++i) count = std::max<int64_t>(count, cluster[i] + 1);
    std::vector<double> total(count * joints, 0.0), sx(count * joints, 0.0),
        sy(count * joints, 0.0), best(count * joints, 0.0);
    for (size_t i = 0; i < n; ++i) {
        if (cluster[i] < 0) continue;
        const int64_t cell = static_cast<int64_t>(cluster[i]) * joints + c.part[i];
        const double value = c.score[i], weight = std::max(value, 1e-12);
        total[cell] += weight;
        sx[cell] += weight * c.xy[2 * i];
        sy[cell] += weight * c.xy[2 * i + 1];
        best[cell] = std::max(best[cell], value);
    }
    std::vector<double> poses, scores;
    for (int64_t p = 0; p < count; ++p) {
        int found = 0;
        double sum = 0.0;
        for (int j = 0; j < joints; ++j) {
            found += total[p * joints + j] > 0 ? 1 : 0;
            sum += best[p * joints + j];
        }
        if (found < std::max(1, min_parts)) continue;
        for (int j = 0; j < joints; ++j) {
            const int64_t cell = p * joints + j;
            const bool has = total[cell] > 0;
            poses.push_back(has ? sx[cell] / total[cell] : 0.0);
            poses.push_back(has ? sy[cell] / total[cell] : 0.0);
            poses.push_back(best[cell]);
        }
        scores.push_back(sum / joints);
    }
    std::vector<size_t> order(scores.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return scores[a] > scores[b]; });
    out.poses.resize(poses.size());
    out.scores.resize(scores.size());
    for (size_t r = 0; r < order.size(); ++r) {
        std::copy_n(poses.begin() + order[r] * joints * 3, joints * 3,
                    out.poses.begin() + r * joints * 3);
        out.scores[r] = scores[order[r]];
    }
    if (!(duplicate_px > 0.0)) return;
    const std::vector<uint8_t> keep = distinct_people(
        out.poses.data(), static_cast<int64_t>(out.scores.size()), joints, duplicate_px);
    size_t kept = 0;
    for (size_t r = 0; r < keep.size(); ++r) {
        if (!keep[r]) continue;
        std::copy_n(out.poses.begin() + r * joints * 3, joints * 3,
                    out.poses.begin() + kept * joints * 3);
        out.scores[kept++] = out.scores[r];
    }
    out.poses.resize(kept * joints * 3);
    out.scores.resize(kept);
}

// Seconds per stage of one call, as multiperson.predict.STAGES names them.
struct Timings {
    double nms = 0.0, pairwise = 0.0, solver = 0.0, assembly = 0.0;
};

namespace detail {

// Seconds since `start`, and `start` moved to now.
inline double lap(std::chrono::steady_clock::time_point& start) {
    const auto now = std::chrono::steady_clock::now();
    const double seconds = std::chrono::duration<double>(now - start).count();
    start = now;
    return seconds;
}

}  // namespace detail

// The people of one image's outputs; returns a message instead for NaN scores or a linked
// part pair without a fitted model. `timings`, if given, receives the seconds per stage.
inline Problem people_from_outputs(const Outputs& o, const Settings& s,
                                   const pairwise::Model& m, People& out,
                                   Timings* timings = nullptr) {
    Timings local;
    Timings& t = timings != nullptr ? *timings : local;
    if (!(s.stride > 0.0) || !(s.locref_stdev > 0.0f) || !(s.nms_radius > 0.0) ||
        s.min_person_parts < 1 || !(s.duplicate_px >= 0.0) || std::isinf(s.duplicate_px)) {
        return {"settings: stride, locref_stdev and nms_radius must be positive, "
                "min_person_parts at least 1 and duplicate_px finite and >= 0 (set from the config)"};
    }
    if (o.pairwise != nullptr) {
        const Problem slots = check_slots(o.pair_slots, o.joints, o.pairs, m.linked);
        if (!slots.message.empty()) return slots;
    }
    auto start = std::chrono::steady_clock::now();
    Candidates c;
    const Problem bad = extract(o, s, c);
    if (!bad.message.empty()) return bad;
    t.nms = detail::lap(start);
    pairwise::Problem p;
    p.n = static_cast<int64_t>(c.part.size());
    p.joints = o.joints;
    p.part = c.part.data();
    p.xy = c.xy.data();
    p.grid_xy = c.grid_xy.data();
    p.offsets = c.offsets.data();
    p.model = m;
    pairwise::Edges edges;
    if (p.n > 0) pairwise::graph_edges(p, edges);
    t.pairwise = detail::lap(start);
    if (edges.missing_first >= 0) {
        return {"no spatial model for the linked part pair (" +
                std::to_string(edges.missing_first) + ", " +
                std::to_string(edges.missing_second) + ")"};
    }
    const int64_t num_edges = static_cast<int64_t>(edges.prob.size());
    std::vector<int64_t> pairs(2 * num_edges);
    for (int64_t e = 0; e < num_edges; ++e) {
        pairs[2 * e] = edges.first[e];
        pairs[2 * e + 1] = edges.second[e];
    }
    std::vector<double> node_costs(p.n), edge_costs(num_edges);
    nl_lmp::probabilities_to_costs(c.score.data(), p.n, node_costs.data());
    nl_lmp::probabilities_to_costs(edges.prob.data(), num_edges, edge_costs.data());
    std::vector<uint8_t> active(p.n, 0);
    std::vector<int32_t> cluster(p.n, -1);
    if (p.n > 0) {
        nl_lmp::solve(p.n, node_costs.data(), num_edges, pairs.data(), edge_costs.data(),
                      nl_lmp::Options(), active.data(), cluster.data());
    }
    t.solver = detail::lap(start);
    assemble(c, cluster.data(), o.joints, s.min_person_parts, s.duplicate_px, out);
    t.assembly = detail::lap(start);
    return {};
}

}  // namespace people
}  // namespace posecut

#endif  // POSECUT_LIB_PEOPLE_HPP
