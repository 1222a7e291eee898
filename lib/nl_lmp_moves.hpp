// Single-node moves of the NL-LMP search (nl_lmp_search.hpp): each node to the neighbouring
// cluster (or a new one) that lowers E most. Included by nl_lmp.cpp only.
#ifndef POSECUT_LIB_NL_LMP_MOVES_HPP
#define POSECUT_LIB_NL_LMP_MOVES_HPP

#include "nl_lmp_search.hpp"

namespace posecut {
namespace nl_lmp {
namespace detail {

// Moves single nodes to the neighbouring cluster (or a new singleton)
// that lowers E most: a sweep over all nodes, then further sweeps over
// the neighbours of the nodes that moved, until nothing moves.
inline void Search::move_nodes() {
    compact();
    const int n = g_.n;
    work_.resize(n);
    std::iota(work_.begin(), work_.end(), 0);
    queued_.assign(n, 0);
    for (int sweep = 0; sweep < 1000 && !work_.empty(); ++sweep) {
        next_work_.clear();
        for (const int v : work_) {
            queued_[v] = 0;
            if (!move_node(v)) continue;
            for (int i = g_.start[v]; i < g_.start[v + 1]; ++i) {
                const int u = g_.adj[i].c;
                if (!queued_[u]) {
                    queued_[u] = 1;
                    next_work_.push_back(u);
                }
            }
        }
        work_.swap(next_work_);
    }
}

// Whether move_node(v) may find a move, by a cheaper bound: a move to a
// cluster c lowers E by no more than moving v alone with the negative
// edges to all other clusters would, since
// min(0, f + x) - min(0, f) >= min(0, x), less what rounding can take
// (a margin of a few units of the last place per summed term, of the
// sum of all |costs|). The own sum, and so the cost of leaving, is
// summed as in move_node, without branches (a masked term adds 0.0).
inline bool Search::may_move(int v, int a, double cv) const {
    double own = 0.0, outside = 0.0;
    const int begin = g_.start[v], middle = g_.negative_end[v], end = g_.start[v + 1];
    for (int i = begin; i < middle; ++i) {
        const bool mine = label_[g_.adj[i].c] == a;
        own += mask(g_.adj[i].w, mine);
        outside += mask(g_.adj[i].w, !mine);
    }
    for (int i = middle; i < end; ++i) own += mask(g_.adj[i].w, label_[g_.adj[i].c] == a);
    const double leave = clamp0(f_[a] - cv - own) - clamp0(f_[a]);
    if (size_[a] > 1 && leave + clamp0(cv) < -kImprovement) return true;
    const double margin = (end - begin + 8) * 16 * kEpsilon * g_.scale;
    return leave + clamp0(cv + outside) < -kImprovement + margin;
}

// x where keep, else 0.0 (without a branch).
inline double Search::mask(double x, bool keep) {
    std::uint64_t bits;
    std::memcpy(&bits, &x, sizeof bits);
    bits &= -static_cast<std::uint64_t>(keep);
    std::memcpy(&x, &bits, sizeof bits);
    return x;
}

// The summed edge costs of v to each cluster it has an edge to: acc_[c], with mark_[c] set and
// c listed in touched_ (the caller clears the marks).
inline void Search::sum_to_clusters(int v) {
    touched_.clear();
    for (int i = g_.start[v]; i < g_.start[v + 1]; ++i) {
        const int c = label_[g_.adj[i].c];
        if (!mark_[c]) {
            mark_[c] = 1;
            acc_[c] = 0.0;
            touched_.push_back(c);
        }
        acc_[c] += g_.adj[i].w;
    }
}

// Moves node v to the neighbouring cluster or new singleton that lowers
// E most, if any; returns whether it moved.
inline bool Search::move_node(int v) {
    const int a = label_[v];
    const double cv = g_.node[v];
    if (!may_move(v, a, cv)) return false;
    sum_to_clusters(v);
    const double own = mark_[a] ? acc_[a] : 0.0;
    const double fa_new = f_[a] - cv - own;
    const double leave = clamp0(fa_new) - clamp0(f_[a]);
    double best = -kImprovement;
    int target = -1;
    if (size_[a] > 1) {
        const double gain = leave + clamp0(cv);
        if (gain < best) {
            best = gain;
            target = -2;
        }
    }
    for (const int c : touched_) {
        mark_[c] = 0;
        if (c == a) continue;
        const double gain = leave + clamp0(f_[c] + cv + acc_[c]) - clamp0(f_[c]);
        if (gain < best) {
            best = gain;
            target = c;
        }
    }
    if (target == -1) return false;
    relocate(v, target, fa_new, target >= 0 ? acc_[target] : 0.0);
    return true;
}

// Moves node v from its cluster a to `target` (-2: a new singleton); fa_new is f of a without
// v, w the summed cost of v's edges into target. While a journal is open (nl_lmp_eject.hpp),
// the old values of both clusters and of v's label are noted first, so that it can be undone.
inline void Search::relocate(int v, int target, double fa_new, double w) {
    const int a = label_[v];
    const double cv = g_.node[v];
    if (journal_open_) {
        note_cluster(a);
        journal_labels_.push_back({v, a});
    }
    if (target == -2) {
        target = take_id();
        if (journal_open_) note_cluster(target);
        f_[target] = cv;
        size_[target] = 1;
    } else {
        if (journal_open_) note_cluster(target);
        f_[target] += cv + w;
        ++size_[target];
    }
    f_[a] = fa_new;
    if (--size_[a] == 0) {
        f_[a] = 0.0;
        free_ids_.push_back(a);
    }
    label_[v] = target;
}


}  // namespace detail
}  // namespace nl_lmp
}  // namespace posecut
#endif  // POSECUT_LIB_NL_LMP_MOVES_HPP
