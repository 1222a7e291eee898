// Greedy contraction of the NL-LMP search (nl_lmp_search.hpp): merges adjacent clusters in
// order of their mean edge cost while that does not raise E. Included by nl_lmp.cpp only.
#ifndef POSECUT_LIB_NL_LMP_CONTRACT_HPP
#define POSECUT_LIB_NL_LMP_CONTRACT_HPP

#include "nl_lmp_search.hpp"

namespace posecut {
namespace nl_lmp {
namespace detail {

// 1/n (rounded) for small n.
struct Reciprocals {
    static constexpr int kCount = 256;
    double values[kCount];
    constexpr Reciprocals() : values() {
        for (int n = 1; n < kCount; ++n) values[n] = 1.0 / n;
    }
};
constexpr Reciprocals kReciprocals;

// Greedy contraction of the current clusters: repeatedly merges the
// adjacent pair with the most negative mean edge cost between them among
// the pairs whose merge does not raise E (it lowers E, or both stay
// suppressed and their edges attract), until there is none. Adjacency
// lists live in an arena: a merged list is appended, a refreshed one is
// rewritten in place. Each cluster queues only its own best merge
// (push_best); a queued merge carries the stamps of both clusters, and
// once either has changed it is dropped and its cluster, if still
// unchanged, queues its best anew. Returns whether E went down.
inline bool Search::contract() {
    compact();
    const int k = num_clusters_;
    if (k <= 1) return false;
    const double before = value();

    parent_.resize(k);
    std::iota(parent_.begin(), parent_.end(), 0);
    stamp_.assign(k, 0);
    begin_.resize(k);
    length_.resize(k);
    slot_.assign(k, -1);
    arena_size_ = 0;
    const std::size_t initial = 2 * g_.adj.size() + 16;
    if (arena_capacity_ < initial) {
        arena_.reset(new Adj[initial]);
        arena_capacity_ = initial;
    }
    items_.clear();
    queue_.clear();

    // Initial cluster adjacency (summed costs and edge counts between
    // clusters); when every cluster is one node it is the graph itself.
    Adj* arena = arena_.get();
    if (k == g_.n) {
        // Then cluster ids are node ids (compact() numbers clusters in
        // node order).
        std::copy(g_.adj.begin(), g_.adj.end(), arena);
        for (int v = 0; v < k; ++v) {
            begin_[v] = g_.start[v];
            length_[v] = g_.start[v + 1] - g_.start[v];
        }
        arena_size_ = g_.adj.size();
    } else {
        order_nodes_.resize(g_.n);
        first_.assign(k + 1, 0);
        for (int v = 0; v < g_.n; ++v) ++first_[label_[v] + 1];
        for (int c = 0; c < k; ++c) first_[c + 1] += first_[c];
        for (int v = 0; v < g_.n; ++v) order_nodes_[first_[label_[v]]++] = v;
        int at = 0;
        for (int c = 0; c < k; ++c) {
            Adj* out = arena + arena_size_;
            int len = 0;
            for (; at < g_.n && label_[order_nodes_[at]] == c; ++at) {
                const int v = order_nodes_[at];
                for (int i = g_.start[v]; i < g_.start[v + 1]; ++i) {
                    const int d = label_[g_.adj[i].c];
                    if (d != c) add_entry(out, len, d, g_.adj[i].w, 1);
                }
            }
            finish_list(c, static_cast<int>(arena_size_), len);
            arena_size_ += len;
            push_best<true>(c);
        }
    }
    if (k == g_.n) {
        for (int c = 0; c < k; ++c) push_best(c);
    }
    queue_.build();

    while (!queue_.empty()) {
        const MergeItem top = items_[queue_.pop().item];
        const int a = top.a, b = top.b;
        if (parent_[a] != a || parent_[b] != b || stamp_[a] != top.sa ||
            stamp_[b] != top.sb) {
            // The partner of the cluster that queued this merge has
            // changed: queue that cluster's best merge anew.
            const int o = top.owner;
            if (parent_[o] == o && stamp_[o] == (o == a ? top.sa : top.sb)) {
                refresh_list(o);
                if (push_best<true>(o)) queue_.sift_last();
            }
            continue;
        }
        reserve_arena(static_cast<std::size_t>(length_[a]) + length_[b]);
        parent_[b] = a;
        f_[a] = f_[a] + f_[b] + top.w;
        size_[a] += size_[b];
        ++stamp_[a];
        Adj* out = arena_.get() + arena_size_;
        int len = 0;
        gather_list(a, a, out, len);
        gather_list(b, a, out, len);
        finish_list(a, static_cast<int>(arena_size_), len);
        arena_size_ += len;
        if (push_best<true>(a)) queue_.sift_last();
    }
    for (int v = 0; v < g_.n; ++v) label_[v] = find_root(label_[v]);
    compact();
    return value() < before - kImprovement;
}

// Makes room for `extra` more entries at the end of the arena. When it
// is full, the lists of the current clusters (at most one entry per end
// of a graph edge) are copied into a buffer with room for twice as many
// plus `extra`; the others are stale.
inline void Search::reserve_arena(std::size_t extra) {
    if (arena_capacity_ >= arena_size_ + extra) return;
    std::size_t live = 0;
    for (int c = 0, k = static_cast<int>(parent_.size()); c < k; ++c)
        if (parent_[c] == c) live += length_[c];
    const std::size_t capacity = std::max(arena_capacity_, 2 * live + extra);
    std::unique_ptr<Adj[]> fresh(new Adj[capacity]);
    std::size_t size = 0;
    for (int c = 0, k = static_cast<int>(parent_.size()); c < k; ++c) {
        if (parent_[c] != c) continue;
        std::copy(arena_.get() + begin_[c], arena_.get() + begin_[c] + length_[c],
                  fresh.get() + size);
        begin_[c] = static_cast<int>(size);
        size += length_[c];
    }
    arena_ = std::move(fresh);
    arena_size_ = size;
    arena_capacity_ = capacity;
}

// Adds the weight w of n edges to cluster d in the list being written at
// out (len entries so far): to its entry (slot_) or to a new one. Without
// branches, as whether d is new is unpredictable: a zero entry is always
// written at out[len] and kept only when d is new. out[len] must be free
// or already read.
inline void Search::add_entry(Adj* out, int& len, int d, double w, int n) {
    const int s = slot_[d];
    const bool fresh = s < 0;
    const int t = fresh ? len : s;
    out[len] = {0.0, d, 0};
    slot_[d] = t;
    out[t].w += w;
    out[t].n += n;
    len += fresh;
}

// Makes the len entries at arena position `begin` cluster c's list (their
// slots are still set: push_best<true> clears them).
inline void Search::finish_list(int c, int begin, int len) {
    begin_[c] = begin;
    length_[c] = len;
}

// Queues cluster c's best admissible merge (the most negative mean edge
// cost; among equals the lowest id) from its adjacency list, which must
// list current clusters once each; returns whether it queued one (the
// caller restores the heap order). With `clear`, the list was just
// written by add_entry and its slots are cleared on the way.
//
// One entry per cluster suffices for the greedy order: the best pair
// overall is the best of the cluster that changed last of its two, and an
// entry whose partner has since changed comes out no later than any pair
// of its owner that did not change, and is then queued anew.
template <bool clear>
inline bool Search::push_best(int c) {
    const Adj* list = arena_.get() + begin_[c];
    const double fc = f_[c];
    const double* reciprocal = kReciprocals.values;
    int best = -1;
    double best_key = std::numeric_limits<double>::infinity(), best_w = 0.0;
    for (int i = 0, end = length_[c]; i < end; ++i) {
        const int d = list[i].c;
        if (clear) slot_[d] = -1;
        const double w = list[i].w;
        const int n = list[i].n;
        // A product with 1/n is within 3 units of the last place of the
        // quotient: most keys are seen to be worse without a division.
        if (n < Reciprocals::kCount) {
            const double approx = w * reciprocal[n];
            if (approx - 8 * kEpsilon * std::fabs(approx) - 1e-300 > best_key) continue;
        }
        // Only a key that may be better needs the admissibility test, and
        // only an admissible merge the exact key.
        const double gain = merge_gain(fc, f_[d], w);
        if (!(gain < -kImprovement || (gain <= 0.0 && w < -kImprovement))) continue;
        const double key = w / n;
        if (!(key < best_key || (key == best_key && d < best))) continue;
        best = d;
        best_key = key;
        best_w = w;
    }
    if (best < 0) return false;
    const int a = std::min(c, best), b = std::max(c, best);
    queue_.add({best_key, static_cast<int>(items_.size())});
    items_.push_back({best_w, a, b, stamp_[a], stamp_[b], c});
    return true;
}

// Adds cluster c's adjacency list, mapped to the current clusters, to the
// list being written at out (add_entry), leaving out cluster `self`. The
// list being written may be c's own (refresh_list): it never gets ahead
// of the reading.
inline void Search::gather_list(int c, int self, Adj* out, int& len) {
    const Adj* list = arena_.get() + begin_[c];
    for (int i = 0, end = length_[c]; i < end; ++i) {
        const Adj e = list[i];
        const int d = find_root(e.c);
        if (d != self) add_entry(out, len, d, e.w, e.n);
    }
}

// Rewrites cluster c's adjacency list over the current clusters, in place.
inline void Search::refresh_list(int c) {
    int len = 0;
    gather_list(c, c, arena_.get() + begin_[c], len);
    finish_list(c, begin_[c], len);
}

// Root of x in the union-find forest, halving the path; a root or a
// child of one (the usual case) is answered without the loop.
inline int Search::find_root(int x) {
    const int p = parent_[x];
    if (parent_[p] == p) return p;
    while (parent_[x] != x) {
        parent_[x] = parent_[parent_[x]];
        x = parent_[x];
    }
    return x;
}


}  // namespace detail
}  // namespace nl_lmp
}  // namespace posecut
#endif  // POSECUT_LIB_NL_LMP_CONTRACT_HPP
