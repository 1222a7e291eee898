// Implementation of the NL-LMP heuristic declared in nl_lmp.hpp.
//
// State of the search: a partition of all nodes into clusters, each cluster C
// with f(C) = node costs + internal edge costs; E = sum_C min(0, f(C)). Every
// move below computes its exact change of E from f of the clusters involved
// and the summed edge costs between the moved nodes and those clusters, and
// the search only ever keeps changes that lower E.
//
// Phases (Search::run): greedy contraction from singletons (contract), then
// rounds of single-node moves (move_nodes), multi-way Kernighan-Lin
// sequences on pairs of clusters (kernighan_lin, kl_prepare, kl_sequence) and
// a further contraction, while that contraction still lowers E.
#include "nl_lmp.hpp"

#include "threads.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <numeric>
#include <vector>

namespace posecut {
namespace nl_lmp {

namespace {

// Smallest decrease of E that counts as an improvement; keeps rounding noise
// from producing endless cycles of moves.
constexpr double kImprovement = 1e-9;

// A Kernighan-Lin sequence stops after this many steps without a new best,
// or once E has climbed this far above the lowest value of the sequence so
// far: improving sequences were seen to climb by less than 4 before they
// reach their best.
constexpr int kPatience = 40;
constexpr double kUphill = 8.0;

// Pairs of clusters whose negative edges between them sum to more than this
// are not worth a Kernighan-Lin sequence.
constexpr double kPairAttraction = -1.0;

inline double clamp0(double x) { return std::min(x, 0.0); }

// Change of E when clusters with values fa and fb (and summed edge cost w
// between them) become one cluster.
inline double merge_gain(double fa, double fb, double w) {
    return clamp0(fa + fb + w) - clamp0(fa) - clamp0(fb);
}

// Entry of an adjacency list: of a cluster in the contraction, or of a node
// in the graph (then c is a node and n is 1), so that the contraction starts
// from a copy of the graph.
struct Adj {
    double w;  // summed cost of the edges to c
    int c;     // neighbouring cluster
    int n;     // number of those edges
};

// Undirected graph in compressed sparse rows: the neighbours of v and the
// edge costs are adj[start[v] .. start[v + 1]), those with negative costs (the
// attracting ones) first, up to negative_end[v].
struct Graph {
    int n = 0;
    std::vector<double> node;
    std::vector<int> start;
    std::vector<int> negative_end;
    std::vector<Adj> adj;
    std::vector<int> back;  // scratch of build_graph
    double scale = 0.0;     // sum of all |costs|: bounds every partial sum
};

// Sum of |values[i]|, in four running sums that do not wait on each other
// (it is only used as a bound, in any order).
double sum_abs(const double* values, int64_t count) {
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    int64_t i = 0;
    for (; i + 4 <= count; i += 4) {
        s0 += std::fabs(values[i]);
        s1 += std::fabs(values[i + 1]);
        s2 += std::fabs(values[i + 2]);
        s3 += std::fabs(values[i + 3]);
    }
    for (; i < count; ++i) s0 += std::fabs(values[i]);
    return (s0 + s1) + (s2 + s3);
}

// Fills g (reusing its buffers) with the problem.
void build_graph(Graph& g, int n, const double* node_costs, int64_t m, const int64_t* edges,
                 const double* edge_costs) {
    g.n = n;
    g.node.assign(node_costs, node_costs + n);
    g.start.assign(static_cast<std::size_t>(n) + 1, 0);
    for (int64_t e = 0; e < m; ++e) {
        ++g.start[edges[2 * e] + 1];
        ++g.start[edges[2 * e + 1] + 1];
    }
    for (int v = 0; v < n; ++v) g.start[v + 1] += g.start[v];
    g.scale = sum_abs(node_costs, n) + sum_abs(edge_costs, m);
    g.adj.resize(static_cast<std::size_t>(2 * m));
    // Negative edges fill each row from the front, the others from the back.
    std::vector<int>& front = g.negative_end;
    std::vector<int>& back = g.back;
    front.assign(g.start.begin(), g.start.end() - 1);
    back.assign(g.start.begin() + 1, g.start.end());
    for (int64_t e = 0; e < m; ++e) {
        const int u = static_cast<int>(edges[2 * e]);
        const int v = static_cast<int>(edges[2 * e + 1]);
        const double c = edge_costs[e];
        const int iu = c < 0.0 ? front[u]++ : --back[u];
        const int iv = c < 0.0 ? front[v]++ : --back[v];
        g.adj[iu] = {c, v, 1};
        g.adj[iv] = {c, u, 1};
    }
}

// A merge queued by the contraction, and its heap entry.
struct MergeItem {
    double w;   // summed edge cost between a and b
    int a, b;   // the clusters, a < b
    int sa, sb; // their stamps when queued
    int owner;  // the cluster (a or b) whose best merge this is
};
struct HeapEntry {
    double key;
    int item;
    // Heap order: the smallest key (then the earliest item) comes first.
    static bool later(const HeapEntry& x, const HeapEntry& y) {
        return (x.key > y.key) | ((x.key == y.key) & (x.item > y.item));
    }
};

constexpr double kEpsilon = std::numeric_limits<double>::epsilon();

// 1/n (rounded) for small n.
struct Reciprocals {
    static constexpr int kCount = 256;
    double values[kCount];
    constexpr Reciprocals() : values() {
        for (int n = 1; n < kCount; ++n) values[n] = 1.0 / n;
    }
};
constexpr Reciprocals kReciprocals;

// Local search over partitions; see the top of this file.
class Search {
public:
    explicit Search(const Graph& g) : g_(g) {}

    // Starts from singletons on the graph as it is now; the buffers keep
    // their capacity from earlier searches.
    void reset() {
        capacity_ = 2 * g_.n + 1;
        label_.resize(g_.n);
        std::iota(label_.begin(), label_.end(), 0);
        f_.assign(capacity_, 0.0);
        std::copy(g_.node.begin(), g_.node.end(), f_.begin());
        size_.assign(capacity_, 0);
        std::fill(size_.begin(), size_.begin() + g_.n, 1);
        num_clusters_ = g_.n;
        acc_.assign(capacity_, 0.0);
        mark_.assign(capacity_, 0);
        pos_.assign(g_.n, -1);
        tidx_.assign(capacity_, -1);
        kl_label_.clear();
        kl_size_.clear();
    }

    void run(const Options& options) {
        compact();
        contract();
        for (int round = 0; round < options.max_rounds; ++round) {
            move_nodes();
            if (options.kernighan_lin) kernighan_lin();
            if (!contract()) break;
        }
        compact(true);
    }

    // Writes the labelling and returns its E (f is exact after run()).
    double write(uint8_t* active, int32_t* cluster) {
        std::vector<int>& id = scratch_int_;
        id.assign(num_clusters_, -1);
        int32_t next = 0;
        double total = 0.0;
        for (int v = 0; v < g_.n; ++v) {
            const int c = label_[v];
            if (f_[c] < 0.0) {
                if (id[c] < 0) {
                    id[c] = next++;
                    total += f_[c];
                }
                active[v] = 1;
                cluster[v] = id[c];
            } else {
                active[v] = 0;
                cluster[v] = -1;
            }
        }
        return total;
    }

private:
    // Renumbers the clusters 0..K-1 in order of their smallest node and
    // splits clusters with f >= 0 into singletons (never raises E: such a
    // cluster counts 0, its singletons min(0, c_v) each). With `recompute`,
    // f and the sizes are first recomputed from scratch (labels may then be
    // any ids below capacity_).
    void compact(bool recompute = false) {
        if (recompute) {
            compute_values();
            num_clusters_ = capacity_;
        }
        const int n = g_.n;
        std::vector<int>& id = scratch_int_;
        id.assign(num_clusters_, -1);
        new_f_.resize(n);
        new_size_.resize(n);
        int k = 0;
        for (int v = 0; v < n; ++v) {
            const int c = label_[v];
            if (f_[c] >= 0.0 && size_[c] > 1) {
                new_f_[k] = g_.node[v];
                new_size_[k] = 1;
                label_[v] = k++;
            } else {
                int& c2 = id[c];
                if (c2 < 0) {
                    c2 = k++;
                    new_f_[c2] = f_[c];
                    new_size_[c2] = size_[c];
                }
                label_[v] = c2;
            }
        }
        std::copy(new_f_.begin(), new_f_.begin() + k, f_.begin());
        std::copy(new_size_.begin(), new_size_.begin() + k, size_.begin());
        std::fill(f_.begin() + k, f_.begin() + std::max(k, num_clusters_), 0.0);
        std::fill(size_.begin() + k, size_.begin() + std::max(k, num_clusters_), 0);
        num_clusters_ = k;
        free_ids_.clear();
    }

    // Recomputes f and the sizes of all clusters from scratch.
    void compute_values() {
        std::fill(f_.begin(), f_.end(), 0.0);
        std::fill(size_.begin(), size_.end(), 0);
        for (int v = 0; v < g_.n; ++v) {
            const int c = label_[v];
            f_[c] += g_.node[v];
            ++size_[c];
            for (int i = g_.start[v]; i < g_.start[v + 1]; ++i) {
                const int u = g_.adj[i].c;
                if (u > v && label_[u] == c) f_[c] += g_.adj[i].w;
            }
        }
    }

    // E of the current partition.
    double value() const {
        double total = 0.0;
        for (int c = 0; c < num_clusters_; ++c) total += clamp0(f_[c]);
        return total;
    }

    // Takes an unused cluster id.
    int take_id() {
        if (free_ids_.empty()) return num_clusters_++;
        const int c = free_ids_.back();
        free_ids_.pop_back();
        return c;
    }

    // Greedy contraction of the current clusters: repeatedly merges the
    // adjacent pair with the most negative mean edge cost between them among
    // the pairs whose merge does not raise E (it lowers E, or both stay
    // suppressed and their edges attract), until there is none. Adjacency
    // lists live in an arena: a merged list is appended, a refreshed one is
    // rewritten in place. Each cluster queues only its own best merge
    // (push_best); a queued merge carries the stamps of both clusters, and
    // once either has changed it is dropped and its cluster, if still
    // unchanged, queues its best anew. Returns whether E went down.
    bool contract() {
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
        heap_.clear();

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
        std::make_heap(heap_.begin(), heap_.end(), HeapEntry::later);

        while (!heap_.empty()) {
            const MergeItem top = items_[heap_.front().item];
            heap_pop();
            const int a = top.a, b = top.b;
            if (parent_[a] != a || parent_[b] != b || stamp_[a] != top.sa ||
                stamp_[b] != top.sb) {
                // The partner of the cluster that queued this merge has
                // changed: queue that cluster's best merge anew.
                const int o = top.owner;
                if (parent_[o] == o && stamp_[o] == (o == a ? top.sa : top.sb)) {
                    refresh_list(o);
                    if (push_best<true>(o)) heap_sift_up();
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
            if (push_best<true>(a)) heap_sift_up();
        }
        for (int v = 0; v < g_.n; ++v) label_[v] = find_root(label_[v]);
        compact();
        return value() < before - kImprovement;
    }

    // Removes the first entry of the binary heap heap_ (ordered by
    // HeapEntry::later): the hole at the top moves down to a leaf along the
    // earlier children (chosen without branches, as the comparisons are
    // unpredictable), and the last entry fills it and moves up, usually not
    // far.
    void heap_pop() {
        const HeapEntry last = heap_.back();
        heap_.pop_back();
        const std::size_t size = heap_.size();
        if (size == 0) return;
        HeapEntry* heap = heap_.data();
        std::size_t hole = 0;
        for (std::size_t child = 1; child + 1 < size; child = 2 * hole + 1) {
            child += HeapEntry::later(heap[child], heap[child + 1]);
            heap[hole] = heap[child];
            hole = child;
        }
        if (2 * hole + 1 < size) {
            heap[hole] = heap[2 * hole + 1];
            hole = 2 * hole + 1;
        }
        sift_up(hole, last);
    }

    // Restores the heap order after an entry was appended.
    void heap_sift_up() { sift_up(heap_.size() - 1, heap_.back()); }

    // Puts entry into the heap at hole or above it.
    void sift_up(std::size_t hole, const HeapEntry entry) {
        HeapEntry* heap = heap_.data();
        while (hole > 0) {
            const std::size_t parent = (hole - 1) / 2;
            if (!HeapEntry::later(heap[parent], entry)) break;
            heap[hole] = heap[parent];
            hole = parent;
        }
        heap[hole] = entry;
    }

    // Makes room for `extra` more entries at the end of the arena. When it
    // is full, the lists of the current clusters (at most one entry per end
    // of a graph edge) are copied into a buffer with room for twice as many
    // plus `extra`; the others are stale.
    void reserve_arena(std::size_t extra) {
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
    void add_entry(Adj* out, int& len, int d, double w, int n) {
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
    void finish_list(int c, int begin, int len) {
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
    template <bool clear = false>
    bool push_best(int c) {
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
        heap_.push_back({best_key, static_cast<int>(items_.size())});
        items_.push_back({best_w, a, b, stamp_[a], stamp_[b], c});
        return true;
    }

    // Adds cluster c's adjacency list, mapped to the current clusters, to the
    // list being written at out (add_entry), leaving out cluster `self`. The
    // list being written may be c's own (refresh_list): it never gets ahead
    // of the reading.
    void gather_list(int c, int self, Adj* out, int& len) {
        const Adj* list = arena_.get() + begin_[c];
        for (int i = 0, end = length_[c]; i < end; ++i) {
            const Adj e = list[i];
            const int d = find_root(e.c);
            if (d != self) add_entry(out, len, d, e.w, e.n);
        }
    }

    // Rewrites cluster c's adjacency list over the current clusters, in place.
    void refresh_list(int c) {
        int len = 0;
        gather_list(c, c, arena_.get() + begin_[c], len);
        finish_list(c, begin_[c], len);
    }

    // Root of x in the union-find forest, halving the path; a root or a
    // child of one (the usual case) is answered without the loop.
    int find_root(int x) {
        const int p = parent_[x];
        if (parent_[p] == p) return p;
        while (parent_[x] != x) {
            parent_[x] = parent_[parent_[x]];
            x = parent_[x];
        }
        return x;
    }

    // Moves single nodes to the neighbouring cluster (or a new singleton)
    // that lowers E most: a sweep over all nodes, then further sweeps over
    // the neighbours of the nodes that moved, until nothing moves.
    void move_nodes() {
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
    bool may_move(int v, int a, double cv) const {
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
    static double mask(double x, bool keep) {
        std::uint64_t bits;
        std::memcpy(&bits, &x, sizeof bits);
        bits &= -static_cast<std::uint64_t>(keep);
        std::memcpy(&x, &bits, sizeof bits);
        return x;
    }

    // Moves node v to the neighbouring cluster or new singleton that lowers
    // E most, if any; returns whether it moved.
    bool move_node(int v) {
        const int a = label_[v];
        const double cv = g_.node[v];
        if (!may_move(v, a, cv)) return false;
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
        if (target == -2) {
            target = take_id();
            f_[target] = cv;
            size_[target] = 1;
        } else {
            f_[target] += cv + acc_[target];
            ++size_[target];
        }
        f_[a] = fa_new;
        if (--size_[a] == 0) {
            f_[a] = 0.0;
            free_ids_.push_back(a);
        }
        label_[v] = target;
        return true;
    }

    // Kernighan-Lin phase: for every active cluster a and every cluster b of
    // two or more nodes that a attracts (negative edges between them summing
    // below kPairAttraction), a multi-way sequence on a and b as they are and
    // one on a and b merged. Repeats over the pairs with a cluster changed in
    // the previous pass; clusters unchanged since the last phase start out as
    // unchanged.
    void kernighan_lin() {
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
    bool kl_pair(int a, int b) {
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
    void kl_prepare(int a, int b) {
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

    void kl_release() {
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
    bool kl_sequence(int a, int b, bool joined) {
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

    const Graph& g_;
    // Cluster ids run below capacity_ = 2n + 1, so that a free id is always
    // at hand (there are never more than n clusters).
    int capacity_ = 0;
    std::vector<int> label_;  // cluster of each node
    std::vector<double> f_;   // per cluster: node costs + internal edge costs
    std::vector<int> size_;   // per cluster: number of nodes
    int num_clusters_ = 0;    // ids at or above this are unused
    std::vector<int> free_ids_;
    // Scratch indexed by cluster (acc_, mark_, tidx_) or node (pos_);
    // mark_, pos_ and tidx_ are back to 0, -1 and -1 between uses.
    std::vector<double> acc_;
    std::vector<char> mark_;
    std::vector<int> pos_;
    std::vector<int> tidx_;
    std::vector<int> touched_, scratch_int_, new_size_, neighbours_, work_, next_work_;
    std::vector<char> queued_;
    std::vector<double> new_f_;
    // Contraction: union-find forest, stamps, adjacency lists in an arena,
    // queued merges and their heap.
    std::vector<int> parent_, stamp_, begin_, length_, order_nodes_, first_;
    std::vector<int> slot_;  // per cluster: its entry in the list being written, or -1
    std::unique_ptr<Adj[]> arena_;
    std::size_t arena_size_ = 0, arena_capacity_ = 0;
    std::vector<MergeItem> items_;
    std::vector<HeapEntry> heap_;
    // Kernighan-Lin: members per cluster, change flags, the labelling at the
    // end of the last phase, and the state of one sequence (nodes, their
    // side, lock, targets, summed costs node x target, values per target).
    std::vector<std::vector<int>> members_;
    std::vector<char> changed_, changed_next_;
    std::vector<int> kl_label_, kl_size_;
    std::vector<int> nodes_, order_, targets_;
    std::vector<int> side_, from_, base_side_;
    std::vector<char> locked_;
    std::vector<double> base_tw_, tw_, tf_, best_tf_, ctf_, cv_;
    std::vector<int> open_;
    std::vector<std::uint64_t> tmask_;
};

// A graph and a search on it, kept from one solve to the next.
struct Workspace {
    Graph graph;
    Search search{graph};
};

// Largest number of nodes plus edges whose buffers a thread keeps (about
// 100 bytes per edge: some 13 MB at most).
constexpr int64_t kKeepSize = int64_t{1} << 17;

}  // namespace

Issue check_costs(const double* values, int64_t count) {
    for (int64_t i = 0; i < count; ++i) {
        if (std::isnan(values[i])) return {kNotANumber, i, -1};
        if (!std::isfinite(values[i])) return {kNotFinite, i, -1};
    }
    return {};
}

Issue check_probabilities(const double* values, int64_t count) {
    for (int64_t i = 0; i < count; ++i) {
        if (std::isnan(values[i])) return {kNotANumber, i, -1};
        if (values[i] < 0.0 || values[i] > 1.0) return {kOutsideUnit, i, -1};
    }
    return {};
}

void probabilities_to_costs(const double* p, int64_t count, double* out) {
    constexpr double lo = 1e-7, hi = 1.0 - 1e-7;
    for (int64_t i = 0; i < count; ++i) {
        const double q = std::min(std::max(p[i], lo), hi);
        out[i] = std::log((1.0 - q) / q);
    }
}

Issue check_edges(int64_t num_nodes, const int64_t* edges, int64_t num_edges) {
    // Edge lists usually come sorted by (smaller end, larger end); then every
    // pair differs from the one before it and there is no duplicate to look for.
    bool increasing = true;
    int64_t previous_lo = -1, previous_hi = -1;
    for (int64_t e = 0; e < num_edges; ++e) {
        const int64_t u = edges[2 * e], v = edges[2 * e + 1];
        if (u < 0 || u >= num_nodes || v < 0 || v >= num_nodes) return {kNodeOutOfRange, e, -1};
        if (u == v) return {kSelfEdge, e, -1};
        const int64_t lo = std::min(u, v), hi = std::max(u, v);
        increasing = increasing && (lo > previous_lo || (lo == previous_lo && hi > previous_hi));
        previous_lo = lo;
        previous_hi = hi;
    }
    if (increasing) return {};
    // Bucket the edges by their smaller end (in edge order) and look for a
    // repeated larger end within each bucket.
    std::vector<int64_t> start(static_cast<std::size_t>(num_nodes) + 1, 0);
    for (int64_t e = 0; e < num_edges; ++e)
        ++start[std::min(edges[2 * e], edges[2 * e + 1]) + 1];
    for (int64_t v = 0; v < num_nodes; ++v) start[v + 1] += start[v];
    std::vector<int64_t> bucket(static_cast<std::size_t>(num_edges));
    {
        std::vector<int64_t> fill(start.begin(), start.end() - 1);
        for (int64_t e = 0; e < num_edges; ++e)
            bucket[fill[std::min(edges[2 * e], edges[2 * e + 1])]++] = e;
    }
    std::vector<int64_t> seen(static_cast<std::size_t>(num_nodes), -1);
    Issue issue;
    for (int64_t v = 0; v < num_nodes; ++v) {
        for (int64_t i = start[v]; i < start[v + 1]; ++i) {
            const int64_t e = bucket[i];
            const int64_t w = std::max(edges[2 * e], edges[2 * e + 1]);
            const int64_t earlier = seen[w];
            if (earlier >= 0 && std::min(edges[2 * earlier], edges[2 * earlier + 1]) == v) {
                if (issue.kind == kOk || e < issue.index) issue = {kDuplicateEdge, e, earlier};
            } else {
                seen[w] = e;
            }
        }
    }
    return issue;
}

namespace {

// Solves one problem in `workspace`, whose buffers are kept from one solve to the next.
double solve_one(Workspace& workspace, int n, const double* node_costs, int64_t m,
                 const int64_t* edges, const double* edge_costs, const Options& options,
                 uint8_t* active, int32_t* cluster) {
    build_graph(workspace.graph, n, node_costs, m, edges, edge_costs);
    workspace.search.reset();
    workspace.search.run(options);
    return workspace.search.write(active, cluster);
}

// The problem split into the components of its attracting (negative) edges, nodes and edges
// grouped by component in their original order and renumbered within it; components of one
// node are left out.
struct Components {
    int count = 0;
    std::vector<int> of_node;           // [n] component, -1 for a node alone
    std::vector<int64_t> node_start;    // [count + 1] into node_costs
    std::vector<int64_t> edge_start;    // [count + 1] into local_edges / edge_costs
    std::vector<int64_t> local_edges;   // [2 * kept edges]
    std::vector<double> node_costs, edge_costs;

    int64_t work(int c) const {
        return (node_start[c + 1] - node_start[c]) + (edge_start[c + 1] - edge_start[c]);
    }
};

int find_root(std::vector<int>& parent, int v) {
    while (parent[v] != v) {
        parent[v] = parent[parent[v]];
        v = parent[v];
    }
    return v;
}

void split_components(int n, const double* node_costs, int64_t m, const int64_t* edges,
                      const double* edge_costs, Components& out) {
    std::vector<int> parent(n);
    std::iota(parent.begin(), parent.end(), 0);
    for (int64_t e = 0; e < m; ++e) {
        if (!(edge_costs[e] < 0.0)) continue;
        const int a = find_root(parent, static_cast<int>(edges[2 * e]));
        const int b = find_root(parent, static_cast<int>(edges[2 * e + 1]));
        if (a != b) parent[std::max(a, b)] = std::min(a, b);
    }
    std::vector<int> size(n, 0), id(n, -1);
    for (int v = 0; v < n; ++v) ++size[find_root(parent, v)];
    out.of_node.assign(n, -1);
    out.count = 0;
    for (int v = 0; v < n; ++v) {
        const int r = find_root(parent, v);
        if (size[r] < 2) continue;
        if (id[r] < 0) id[r] = out.count++;
        out.of_node[v] = id[r];
    }
    const int k = out.count;
    out.node_start.assign(k + 1, 0);
    out.edge_start.assign(k + 1, 0);
    for (int v = 0; v < n; ++v) {
        if (out.of_node[v] >= 0) ++out.node_start[out.of_node[v] + 1];
    }
    for (int64_t e = 0; e < m; ++e) {
        const int c = out.of_node[edges[2 * e]];
        if (c >= 0 && c == out.of_node[edges[2 * e + 1]]) ++out.edge_start[c + 1];
    }
    for (int c = 0; c < k; ++c) {
        out.node_start[c + 1] += out.node_start[c];
        out.edge_start[c + 1] += out.edge_start[c];
    }
    std::vector<int64_t> fill(out.node_start.begin(), out.node_start.end() - 1);
    std::vector<int64_t> local(n, -1);
    out.node_costs.resize(out.node_start[k]);
    for (int v = 0; v < n; ++v) {
        const int c = out.of_node[v];
        if (c < 0) continue;
        local[v] = fill[c] - out.node_start[c];
        out.node_costs[fill[c]++] = node_costs[v];
    }
    fill.assign(out.edge_start.begin(), out.edge_start.end() - 1);
    out.local_edges.resize(2 * out.edge_start[k]);
    out.edge_costs.resize(out.edge_start[k]);
    for (int64_t e = 0; e < m; ++e) {
        const int64_t u = edges[2 * e], v = edges[2 * e + 1];
        const int c = out.of_node[u];
        if (c < 0 || c != out.of_node[v]) continue;
        out.local_edges[2 * fill[c]] = local[u];
        out.local_edges[2 * fill[c] + 1] = local[v];
        out.edge_costs[fill[c]++] = edge_costs[e];
    }
}

// Work (nodes plus edges) a second thread must have before it pays for its start.
constexpr int64_t kWorkPerThread = 3000;

// The root of v in a union-find forest, with path halving.
int find(std::vector<int>& parent, int v) {
    while (parent[v] != v) v = parent[v] = parent[parent[v]];
    return v;
}

// Splits every cluster into the pieces its inner edges connect, drops the pieces whose
// objective f is not negative, and renumbers the clusters in order of their smallest node;
// returns E. A cluster of two pieces with no edge between them has f = f(A) + f(B), and
// min(0, f(A) + f(B)) >= min(0, f(A)) + min(0, f(B)): splitting never raises E, and a person
// made of parts that share no edge (a lone wrist beside a lower body) is two people, or fewer.
double split_disconnected(int n, const double* node_costs, int64_t m, const int64_t* edges,
                          const double* edge_costs, uint8_t* active, int32_t* cluster) {
    std::vector<int> parent(n);
    std::iota(parent.begin(), parent.end(), 0);
    for (int64_t e = 0; e < m; ++e) {
        const int u = static_cast<int>(edges[2 * e]), v = static_cast<int>(edges[2 * e + 1]);
        if (cluster[u] >= 0 && cluster[u] == cluster[v]) {
            const int a = find(parent, u), b = find(parent, v);
            if (a != b) parent[std::max(a, b)] = std::min(a, b);
        }
    }
    std::vector<double> f(n, 0.0);
    for (int v = 0; v < n; ++v) {
        if (cluster[v] >= 0) f[find(parent, v)] += node_costs[v];
    }
    for (int64_t e = 0; e < m; ++e) {
        const int u = static_cast<int>(edges[2 * e]), v = static_cast<int>(edges[2 * e + 1]);
        if (cluster[u] >= 0 && cluster[u] == cluster[v]) f[find(parent, u)] += edge_costs[e];
    }
    std::vector<int32_t> id(n, -1);
    int32_t next = 0;
    double total = 0.0;
    for (int v = 0; v < n; ++v) {
        if (cluster[v] < 0) continue;
        const int root = find(parent, v);
        if (!(f[root] < 0.0)) {
            active[v] = 0;
            cluster[v] = -1;
            continue;
        }
        if (id[root] < 0) {
            id[root] = next++;
            total += f[root];
        }
        cluster[v] = id[root];
    }
    return total;
}

}  // namespace

double solve(int64_t num_nodes, const double* node_costs, int64_t num_edges,
             const int64_t* edges, const double* edge_costs, const Options& options,
             uint8_t* active, int32_t* cluster) {
    if (num_nodes == 0) return 0.0;
    // Each thread keeps the buffers of its last solves for the next ones (they would otherwise
    // be allocated and paged in anew on every call), unless the problem was large; it lends
    // them to the threads it starts.
    thread_local std::vector<std::unique_ptr<Workspace>> cache;
    const int n = static_cast<int>(num_nodes);
    Components parts;
    split_components(n, node_costs, num_edges, edges, edge_costs, parts);
    // A cluster of nodes from two components is never better than its pieces: the edges
    // between them cost >= 0 and min(0, a + b + w) >= min(0, a) + min(0, b) for w >= 0. So
    // each component is solved on its own (and on its own thread, when worth one).
    const int k = parts.count;
    std::vector<int> order(k);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](int a, int b) { return parts.work(a) > parts.work(b); });
    int64_t total_work = 0;
    for (int c = 0; c < k; ++c) total_work += parts.work(c);
    const int count = static_cast<int>(std::max<int64_t>(
        1, std::min<int64_t>(
               {threads::available(options.max_threads), k, total_work / kWorkPerThread})));
    // Components to threads, largest first to the least loaded.
    std::vector<std::vector<int>> assigned(count);
    std::vector<int64_t> load(count, 0);
    for (int c : order) {
        const int t = static_cast<int>(std::min_element(load.begin(), load.end()) - load.begin());
        assigned[t].push_back(c);
        load[t] += parts.work(c);
    }
    // A thread_local named inside the lambda would be the worker's own, hence the reference.
    std::vector<std::unique_ptr<Workspace>>& lent = cache;
    while (static_cast<int>(lent.size()) < count) lent.emplace_back(new Workspace);
    std::vector<uint8_t> local_active(parts.node_start[k]);
    std::vector<int32_t> local_cluster(parts.node_start[k]);
    threads::run(count, [&](int t) {
        for (int c : assigned[t]) {
            const int64_t nb = parts.node_start[c], eb = parts.edge_start[c];
            solve_one(*lent[t], static_cast<int>(parts.node_start[c + 1] - nb),
                      parts.node_costs.data() + nb, parts.edge_start[c + 1] - eb,
                      parts.local_edges.data() + 2 * eb, parts.edge_costs.data() + eb, options,
                      local_active.data() + nb, local_cluster.data() + nb);
        }
    });
    for (auto& kept : lent) {
        if (kept->graph.n + static_cast<int64_t>(kept->graph.adj.size()) / 2 > kKeepSize) {
            kept.reset(new Workspace);
        }
    }
    // Clusters numbered in order of their smallest node; a node alone is active exactly when
    // its cost is negative.
    std::vector<int32_t> first_id(parts.node_start[k], -1);
    int32_t next = 0;
    std::vector<int64_t> seen(k, 0);
    for (int v = 0; v < n; ++v) {
        const int c = parts.of_node[v];
        if (c < 0) {
            const bool on = node_costs[v] < 0.0;
            active[v] = on ? 1 : 0;
            cluster[v] = on ? next++ : -1;
            continue;
        }
        const int64_t i = parts.node_start[c] + seen[c]++;
        active[v] = local_active[i];
        if (!local_active[i]) {
            cluster[v] = -1;
            continue;
        }
        int32_t& id = first_id[parts.node_start[c] + local_cluster[i]];
        if (id < 0) id = next++;
        cluster[v] = id;
    }
    return split_disconnected(n, node_costs, num_edges, edges, edge_costs, active, cluster);
}

}  // namespace nl_lmp
}  // namespace posecut
