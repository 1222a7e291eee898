// Ejection chains of the NL-LMP search (nl_lmp_search.hpp), run after the rounds of moves,
// Kernighan-Lin sequences and contractions have converged.
//
// What the earlier phases miss (measured against the exact optimum on the generated scenes)
// are coupled moves of a few nodes: an arm of one person that must leave another person's
// cluster as a whole, or two or three nodes of two clusters that together join a third. No
// single move lowers E, and the greedy steps of a Kernighan-Lin sequence take other moves
// first. An ejection chain forces one move that raises E (node v, or v and its most attracted
// neighbour, into a cluster v is attracted to or a new one), then lets the nodes around it
// follow by single moves that lower E (the repair: best-improvement moves of the neighbours of
// moved nodes, a bounded number of them); the whole chain is kept if it lowers E and undone
// otherwise, from a journal of the old values. Deterministic: nodes and targets are taken in
// a fixed order, and the work is bounded per node, not by time.
#ifndef POSECUT_LIB_NL_LMP_EJECT_HPP
#define POSECUT_LIB_NL_LMP_EJECT_HPP

#include "nl_lmp_search.hpp"

#include <algorithm>
#include <limits>
#include <utility>

namespace posecut {
namespace nl_lmp {
namespace detail {

// A forced move that raises E by more than this is not tried: its repair would have to win
// that back. On the generated scenes the chains that lowered E started up to 5.6 uphill;
// with 4 instead of 6, a scene of 40 people kept a gap of 0.15 %.
constexpr double kEjectUphill = 6.0;
// Targets tried per node (those whose forced move raises E least); 1 left a scene of 10
// people 0.16 % above the optimum, for little saved time.
constexpr int kEjectTargets = 2;
// Single-move evaluations of one repair (the chains that lower E move a few nodes; 20 lost
// three optima of the generated scenes and saved under a tenth of the time).
constexpr int kRepairEvaluations = 32;

// Starts recording changes (relocate notes them) so that undo_journal() can restore the state.
inline void Search::open_journal() {
    if (static_cast<int>(journal_mark_.size()) < capacity_) journal_mark_.assign(capacity_, 0);
    if (journal_stamp_ == std::numeric_limits<int>::max()) {  // before the stamps overflow
        std::fill(journal_mark_.begin(), journal_mark_.end(), 0);
        journal_stamp_ = 0;
    }
    ++journal_stamp_;
    journal_labels_.clear();
    journal_clusters_.clear();
    saved_free_ids_.assign(free_ids_.begin(), free_ids_.end());
    saved_num_clusters_ = num_clusters_;
    journal_open_ = true;
}

// Notes cluster c's values before its first change since open_journal().
inline void Search::note_cluster(int c) {
    if (journal_mark_[c] == journal_stamp_) return;
    journal_mark_[c] = journal_stamp_;
    journal_clusters_.push_back({c, f_[c], size_[c]});
}

// Change of E since open_journal(): only the noted clusters changed.
inline double Search::journal_change() const {
    double change = 0.0;
    for (const ClusterNote& note : journal_clusters_)
        change += clamp0(f_[note.c]) - clamp0(note.f);
    return change;
}

// Restores the state of open_journal() exactly (labels, values, free ids) and closes it.
inline void Search::undo_journal() {
    for (auto it = journal_labels_.rbegin(); it != journal_labels_.rend(); ++it)
        label_[it->first] = it->second;
    for (const ClusterNote& note : journal_clusters_) {
        f_[note.c] = note.f;
        size_[note.c] = note.size;
    }
    free_ids_.assign(saved_free_ids_.begin(), saved_free_ids_.end());
    num_clusters_ = saved_num_clusters_;
    journal_open_ = false;
}

// Single moves that lower E, of the neighbours of v and then of the neighbours of each node
// that moves (first in, first out), at most kRepairEvaluations of them; v and its partner
// (>= 0 when it was moved along) stay. Returns false when nothing moved and every queued node
// was evaluated: then no other order of the queue would move anything either.
inline bool Search::repair(int v, int partner, bool repelled_first) {
    repair_queue_.clear();
    queued_[v] = 1;
    repair_queue_.push_back(v);
    if (partner >= 0) {
        queued_[partner] = 1;
        repair_queue_.push_back(partner);
    }
    auto enqueue = [this](int x) {
        if (!queued_[x]) {
            queued_[x] = 1;
            repair_queue_.push_back(x);
        }
    };
    // The attracted neighbours first (that may follow), then the repelled ones (that may have
    // to leave), or the other way round.
    auto enqueue_neighbours = [this, &enqueue, repelled_first](int u) {
        const int begin = g_.start[u], middle = g_.negative_end[u], end = g_.start[u + 1];
        if (repelled_first) {
            for (int i = middle; i < end; ++i) enqueue(g_.adj[i].c);
            for (int i = begin; i < middle; ++i) enqueue(g_.adj[i].c);
        } else {
            for (int i = begin; i < end; ++i) enqueue(g_.adj[i].c);
        }
    };
    // (Also queueing the partner's neighbours was measured to do worse: they take up the
    // evaluations.)
    enqueue_neighbours(v);
    std::size_t at = partner >= 0 ? 2 : 1;
    bool moved = false;
    for (int evaluations = 0; at < repair_queue_.size() && evaluations < kRepairEvaluations;
         ++evaluations) {
        const int u = repair_queue_[at++];
        queued_[u] = 0;  // may be queued again once a neighbour moves
        if (move_node(u)) {
            enqueue_neighbours(u);
            moved = true;
        }
    }
    for (const int u : repair_queue_) queued_[u] = 0;
    return moved || at < repair_queue_.size();
}

// Moves node v to cluster t (which must not be its own), whatever that does to E.
inline void Search::force(int v, int t) {
    const int a = label_[v];
    double own = 0.0, into = 0.0;
    for (int i = g_.start[v]; i < g_.start[v + 1]; ++i) {
        const int c = label_[g_.adj[i].c];
        if (c == a) own += g_.adj[i].w;
        if (c == t) into += g_.adj[i].w;
    }
    relocate(v, t, f_[a] - g_.node[v] - own, into);
}

// Tries the ejection chains that start with node v. Targets: the clusters with a negative
// summed edge cost to v and a new cluster, the kEjectTargets whose forced move raises E least
// (below kEjectUphill). For each: v alone, then v with its partner (its most attracted
// neighbour in its own cluster: a wrist leaves with its elbow), then the same with the
// repelled neighbours repaired first (two left ears leave a cluster, which lets a third node
// join it). Keeps the first chain that lowers E; returns whether one did.
inline bool Search::eject_node(int v) {
    const int a = label_[v];
    const double cv = g_.node[v];
    sum_to_clusters(v);
    const double own = mark_[a] ? acc_[a] : 0.0;
    const double fa_new = f_[a] - cv - own;
    const double leave = clamp0(fa_new) - clamp0(f_[a]);
    // v's strongest attracted neighbour in its own cluster, moved along in the pair variant.
    int partner = -1;
    {
        double strongest = 0.0;
        for (int i = g_.start[v]; i < g_.negative_end[v]; ++i) {
            const int u = g_.adj[i].c;
            if (label_[u] == a && g_.adj[i].w < strongest) {
                strongest = g_.adj[i].w;
                partner = u;
            }
        }
    }
    eject_targets_.clear();
    eject_gains_.clear();
    for (const int c : touched_) {
        mark_[c] = 0;
        if (c == a || !(acc_[c] < 0.0)) continue;
        const double gain = leave + clamp0(f_[c] + cv + acc_[c]) - clamp0(f_[c]);
        if (!(gain < kEjectUphill)) continue;
        // Insertion into the list of the best kEjectTargets, by gain, then cluster id.
        int at = static_cast<int>(eject_targets_.size());
        eject_targets_.push_back(c);
        eject_gains_.push_back(gain);
        while (at > 0 && (eject_gains_[at - 1] > gain ||
                          (eject_gains_[at - 1] == gain && eject_targets_[at - 1] > c))) {
            eject_targets_[at] = eject_targets_[at - 1];
            eject_gains_[at] = eject_gains_[at - 1];
            --at;
        }
        eject_targets_[at] = c;
        eject_gains_[at] = gain;
        if (static_cast<int>(eject_targets_.size()) > kEjectTargets) {
            eject_targets_.pop_back();
            eject_gains_.pop_back();
        }
    }
    if (size_[a] > 1 && leave + clamp0(cv) < kEjectUphill) {
        const double gain = leave + clamp0(cv);
        eject_targets_.push_back(-2);
        eject_gains_.push_back(gain);
        int at = static_cast<int>(eject_targets_.size()) - 1;
        while (at > 0 && eject_gains_[at - 1] > gain) {
            std::swap(eject_targets_[at], eject_targets_[at - 1]);
            std::swap(eject_gains_[at], eject_gains_[at - 1]);
            --at;
        }
        if (static_cast<int>(eject_targets_.size()) > kEjectTargets) {
            eject_targets_.pop_back();
            eject_gains_.pop_back();
        }
    }
    // acc_ is overwritten by the repair: keep the summed costs into the targets.
    double w[kEjectTargets];
    const int count = static_cast<int>(eject_targets_.size());
    for (int k = 0; k < count; ++k) w[k] = eject_targets_[k] >= 0 ? acc_[eject_targets_[k]] : 0.0;
    for (int k = 0; k < count; ++k) {
        // Variants: v alone; v and its partner; the same, repelled neighbours repaired first
        // (unless the repair of the second moved nothing with all its queue seen).
        int variants = partner >= 0 ? 3 : 1;
        for (int variant = 0; variant < variants; ++variant) {
            open_journal();
            relocate(v, eject_targets_[k], fa_new, w[k]);
            if (variant > 0) force(partner, label_[v]);
            if (!repair(v, variant > 0 ? partner : -1, variant == 2) && variant == 1) variants = 2;
            if (journal_change() < -kImprovement) {
                journal_open_ = false;
                return true;
            }
            undo_journal();
        }
    }
    return false;
}

// One pass of ejection chains: from every node in turn on the first pass (`first`), later only
// from the nodes in or next to a cluster that changed since the previous pass (the others
// would find the chains that failed then). Returns whether E went down.
inline bool Search::eject(bool first) {
    compact();
    const int n = g_.n;
    queued_.assign(n, 0);
    eject_try_.assign(n, first ? 1 : 0);
    if (!first) {
        // A cluster is unchanged when all its nodes had one label at the end of the last
        // pass and that cluster had as many nodes.
        std::vector<int>& rep = scratch_int_;
        rep.assign(num_clusters_, -1);
        eject_changed_.assign(num_clusters_, 0);
        for (int v = 0; v < n; ++v) {
            const int c = label_[v];
            if (rep[c] < 0) rep[c] = eject_label_[v];
            eject_changed_[c] |= eject_label_[v] != rep[c];
        }
        for (int c = 0; c < num_clusters_; ++c)
            eject_changed_[c] |= rep[c] >= 0 && eject_size_[rep[c]] != size_[c];
        for (int v = 0; v < n; ++v) {
            if (!eject_changed_[label_[v]]) continue;
            eject_try_[v] = 1;
            for (int i = g_.start[v]; i < g_.start[v + 1]; ++i) eject_try_[g_.adj[i].c] = 1;
        }
    }
    bool improved = false;
    for (int v = 0; v < n; ++v) {
        if (eject_try_[v]) improved = eject_node(v) | improved;
    }
    compact();
    eject_label_.assign(label_.begin(), label_.end());
    eject_size_.assign(size_.begin(), size_.begin() + num_clusters_);
    return improved;
}

}  // namespace detail
}  // namespace nl_lmp
}  // namespace posecut
#endif  // POSECUT_LIB_NL_LMP_EJECT_HPP
