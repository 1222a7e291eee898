// Multi-way Kernighan-Lin sequences of the NL-LMP search (nl_lmp_search.hpp) on pairs of
// attracted clusters, as they are and merged. Included by nl_lmp.cpp only.
#ifndef POSECUT_LIB_NL_LMP_KL_HPP
#define POSECUT_LIB_NL_LMP_KL_HPP

#include "nl_lmp_search.hpp"

namespace posecut {
namespace nl_lmp {
namespace detail {

// A Kernighan-Lin sequence stops after this many steps without a new best,
// or once E has climbed this far above the lowest value of the sequence so
// far: improving sequences were seen to climb by less than 4 before they
// reach their best.
constexpr int kPatience = 40;
constexpr double kUphill = 8.0;

// Pairs of clusters whose negative edges between them sum to more than this
// are not worth a Kernighan-Lin sequence.
constexpr double kPairAttraction = -1.0;

// Kernighan-Lin phase: for every active cluster a and every cluster b of
// two or more nodes that a attracts (negative edges between them summing
// below kPairAttraction), a multi-way sequence on a and b as they are and
// one on a and b merged. Repeats over the pairs with a cluster changed in
// the previous pass; clusters unchanged since the last phase start out as
// unchanged.
inline void Search::kernighan_lin() {
    compact();
    members_.resize(capacity_);
    for (auto& m : members_) m.clear();
    for (int v = 0; v < g_.n; ++v) members_[label_[v]].push_back(v);
    changed_.assign(capacity_, 1);
    if (!kl_label_.empty()) {
        for (int c = 0; c < num_clusters_; ++c) {
            const int previous = kl_label_[members_[c][0]];
            bool same = kl_size_[previous] == size_[c];
            for (const int v : members_[c]) same = same && kl_label_[v] == previous;
            changed_[c] = !same;
        }
    }
    changed_next_.assign(capacity_, 0);
    std::vector<int>& neighbours = neighbours_;
    for (int pass = 0; pass < 100; ++pass) {
        bool any = false;
        const int k = num_clusters_;
        for (int a = 0; a < k; ++a) {
            if (size_[a] == 0 || !(f_[a] < 0.0)) continue;
            neighbours.clear();
            for (const int v : members_[a]) {
                for (int i = g_.start[v]; i < g_.negative_end[v]; ++i) {
                    const int c = label_[g_.adj[i].c];
                    if (c != a && size_[c] > 1 && (c > a || !(f_[c] < 0.0))) {
                        if (!mark_[c]) {
                            mark_[c] = 1;
                            acc_[c] = 0.0;
                            neighbours.push_back(c);
                        }
                        acc_[c] += g_.adj[i].w;
                    }
                }
            }
            int kept = 0;
            for (const int c : neighbours) {
                mark_[c] = 0;
                if (acc_[c] < kPairAttraction) neighbours[kept++] = c;
            }
            neighbours.resize(kept);
            std::sort(neighbours.begin(), neighbours.end());
            for (const int b : neighbours) {
                if (!(f_[a] < 0.0) || size_[b] < 2) continue;
                if (!changed_[a] && !changed_[b]) continue;
                if (kl_pair(a, b)) any = true;
            }
        }
        if (!any) break;
        changed_.swap(changed_next_);
        std::fill(changed_next_.begin(), changed_next_.end(), 0);
    }
    kl_label_ = label_;
    kl_size_.assign(size_.begin(), size_.end());
}

// Both sequences on clusters a and b: as they are, then merged (on the
// pair as it is then). They share one preparation unless the first
// changed the clusters. Returns whether E went down.
inline bool Search::kl_pair(int a, int b) {
    kl_prepare(a, b);
    const bool moved = kl_sequence(a, b, false);
    if (moved) {
        kl_release();
        if (!(f_[a] < 0.0) || size_[b] < 2) return true;
        kl_prepare(a, b);
    }
    const bool joined = kl_sequence(a, b, true);
    kl_release();
    return moved || joined;
}

// Prepares the Kernighan-Lin sequences on clusters a and b: their nodes
// and the singleton clusters with a negative edge to them are the nodes
// that may move; the targets are a (0), b (1), a new cluster (2) and
// every cluster those nodes have a negative edge to (whose own nodes stay
// put). Fills the summed edge cost of each node to each target. Leaves
// pos_ and tidx_ set until kl_release().
inline void Search::kl_prepare(int a, int b) {
    nodes_.clear();
    targets_.clear();
    for (const int v : members_[a]) nodes_.push_back(v);
    for (const int v : members_[b]) nodes_.push_back(v);
    const int core = static_cast<int>(nodes_.size());
    for (int i = 0; i < core; ++i) pos_[nodes_[i]] = i;
    targets_.push_back(a);
    targets_.push_back(b);
    targets_.push_back(-1);
    tidx_[a] = 0;
    tidx_[b] = 1;
    for (int i = 0; i < static_cast<int>(nodes_.size()); ++i) {
        const int v = nodes_[i];
        for (int j = g_.start[v]; j < g_.negative_end[v]; ++j) {
            const int u = g_.adj[j].c;
            if (pos_[u] >= 0) continue;
            const int c = label_[u];
            if (tidx_[c] >= 0) continue;
            tidx_[c] = static_cast<int>(targets_.size());
            targets_.push_back(c);
            if (i < core && size_[c] == 1) {
                pos_[u] = static_cast<int>(nodes_.size());
                nodes_.push_back(u);
            }
        }
    }
    const int s = static_cast<int>(nodes_.size());
    const int t_count = static_cast<int>(targets_.size());
    base_tw_.assign(static_cast<std::size_t>(s) * t_count, 0.0);
    base_side_.resize(s);
    cv_.resize(s);
    for (int i = 0; i < s; ++i) {
        const int v = nodes_[i];
        cv_[i] = g_.node[v];
        base_side_[i] = tidx_[label_[v]];
        double* row = &base_tw_[static_cast<std::size_t>(i) * t_count];
        for (int j = g_.start[v]; j < g_.start[v + 1]; ++j) {
            const int t = tidx_[label_[g_.adj[j].c]];
            if (t >= 0) row[t] += g_.adj[j].w;
        }
    }
}

inline void Search::kl_release() {
    for (const int v : nodes_) pos_[v] = -1;
    for (const int c : targets_)
        if (c >= 0) tidx_[c] = -1;
}

// One multi-way Kernighan-Lin sequence on the prepared nodes; with
// `joined`, a and b start merged (side 0) and side 1 starts empty, so
// that "join, then split off a few nodes" can be found. Each step takes
// the move that lowers E most (or raises it least) among moves to side 0,
// side 1 or a new cluster, or into a target the node has a negative edge
// to, and locks the node; the best prefix of the sequence is kept and
// applied. Returns whether E went down.
inline bool Search::kl_sequence(int a, int b, bool joined) {
    const int s = static_cast<int>(nodes_.size());
    const int t_count = static_cast<int>(targets_.size());
    const bool use_mask = t_count <= 64;
    // Targets a move may always go to, whatever the edges: sides 0 and 1
    // and the new cluster.
    const std::uint64_t fixed = 7;
    tw_ = base_tw_;
    side_.assign(base_side_.begin(), base_side_.end());
    locked_.assign(s, 0);
    tf_.resize(t_count);
    for (int t = 0; t < t_count; ++t) tf_[t] = targets_[t] >= 0 ? f_[targets_[t]] : 0.0;
    double gain = 0.0;
    if (joined) {
        double between = 0.0;
        for (int i = 0; i < s; ++i) {
            double* row = &tw_[static_cast<std::size_t>(i) * t_count];
            if (side_[i] == 0) between += row[1];
            if (side_[i] == 1) side_[i] = 0;
            row[0] += row[1];
            row[1] = 0.0;
        }
        const double fab = f_[a] + f_[b] + between;
        gain = clamp0(fab) - clamp0(f_[a]) - clamp0(f_[b]);
        tf_[0] = fab;
        tf_[1] = 0.0;
    }
    if (use_mask) {
        tmask_.resize(s);
        for (int i = 0; i < s; ++i) {
            const double* row = &tw_[static_cast<std::size_t>(i) * t_count];
            std::uint64_t m = fixed;
            for (int t = 0; t < t_count; ++t)
                if (row[t] < 0.0) m |= std::uint64_t{1} << t;
            tmask_[i] = m;
        }
    }
    auto allowed = [fixed](int t, double w) {
        return (t < 64 && ((fixed >> t) & 1)) || w < 0.0;
    };
    double best_gain = -kImprovement;
    int best_steps = -1;
    if (gain < best_gain) {
        best_gain = gain;
        best_steps = 0;
    }
    double lowest = gain;
    best_tf_ = tf_;
    order_.clear();
    from_.clear();
    open_.resize(s);
    std::iota(open_.begin(), open_.end(), 0);
    ctf_.resize(t_count);
    for (int step = 0; step < s; ++step) {
        for (int t = 0; t < t_count; ++t) ctf_[t] = clamp0(tf_[t]);
        double pick_gain = std::numeric_limits<double>::infinity();
        int pick = -1, pick_to = 0, pick_at = 0;
        for (int at = 0, open = static_cast<int>(open_.size()); at < open; ++at) {
            const int i = open_[at];
            const double cv = cv_[i];
            const int from = side_[i];
            const double* row = &tw_[static_cast<std::size_t>(i) * t_count];
            const double leave = clamp0(tf_[from] - cv - row[from]) - ctf_[from];
            if (use_mask) {
                std::uint64_t m = tmask_[i] & ~(std::uint64_t{1} << from);
                while (m) {
                    const int t = __builtin_ctzll(m);
                    m &= m - 1;
                    const double d = leave + clamp0(tf_[t] + cv + row[t]) - ctf_[t];
                    if (d < pick_gain) {
                        pick = i;
                        pick_at = at;
                        pick_to = t;
                        pick_gain = d;
                    }
                }
            } else {
                for (int t = 0; t < t_count; ++t) {
                    if (t == from || !allowed(t, row[t])) continue;
                    const double d = leave + clamp0(tf_[t] + cv + row[t]) - ctf_[t];
                    if (d < pick_gain) {
                        pick = i;
                        pick_at = at;
                        pick_to = t;
                        pick_gain = d;
                    }
                }
            }
        }
        if (pick < 0) break;
        open_.erase(open_.begin() + pick_at);
        const int from = side_[pick];
        const double cv = cv_[pick];
        const double* row = &tw_[static_cast<std::size_t>(pick) * t_count];
        tf_[from] -= cv + row[from];
        tf_[pick_to] += cv + row[pick_to];
        locked_[pick] = 1;
        side_[pick] = pick_to;
        gain += pick_gain;
        order_.push_back(pick);
        from_.push_back(from);
        const int v = nodes_[pick];
        for (int j = g_.start[v]; j < g_.start[v + 1]; ++j) {
            const int p = pos_[g_.adj[j].c];
            if (p < 0 || locked_[p]) continue;
            double* prow = &tw_[static_cast<std::size_t>(p) * t_count];
            prow[from] -= g_.adj[j].w;
            prow[pick_to] += g_.adj[j].w;
            if (use_mask) {
                std::uint64_t& m = tmask_[p];
                const std::uint64_t bf = std::uint64_t{1} << from, bt = std::uint64_t{1} << pick_to;
                m = allowed(from, prow[from]) ? (m | bf) : (m & ~bf);
                m = allowed(pick_to, prow[pick_to]) ? (m | bt) : (m & ~bt);
            }
        }
        lowest = std::min(lowest, gain);
        if (gain < best_gain) {
            best_gain = gain;
            best_steps = step + 1;
            best_tf_ = tf_;
        } else if (step + 1 - std::max(best_steps, 0) >= kPatience ||
                   gain > lowest + kUphill) {
            break;
        }
    }
    if (best_steps < 0) return false;

    // Undo the moves after the best prefix, then relabel; the clusters
    // of the moving singletons are rebuilt from scratch.
    for (int t = static_cast<int>(order_.size()) - 1; t >= best_steps; --t)
        side_[order_[t]] = from_[t];
    for (int i = 0; i < s; ++i) {
        if (side_[i] == 2 && targets_[2] < 0) targets_[2] = take_id();
    }
    const int core = static_cast<int>(members_[a].size() + members_[b].size());
    for (int i = core; i < s; ++i) members_[label_[nodes_[i]]].clear();
    members_[a].clear();
    members_[b].clear();
    if (targets_[2] >= 0) members_[targets_[2]].clear();
    for (int i = 0; i < s; ++i) {
        const int v = nodes_[i];
        const int to = targets_[side_[i]];
        const int from = label_[v];
        members_[to].push_back(v);
        if (to == from) continue;
        label_[v] = to;
        ++size_[to];
        --size_[from];
    }
    for (int t = 0; t < t_count; ++t) {
        const int c = targets_[t];
        if (c < 0) continue;
        f_[c] = best_tf_[t];
        changed_next_[c] = 1;
        if (size_[c] == 0) {
            f_[c] = 0.0;
            free_ids_.push_back(c);
        }
    }
    return true;
}


}  // namespace detail
}  // namespace nl_lmp
}  // namespace posecut
#endif  // POSECUT_LIB_NL_LMP_KL_HPP
