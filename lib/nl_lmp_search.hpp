// The local search of the NL-LMP solver (nl_lmp.hpp): class Search holds a partition of all
// nodes into clusters, each cluster C with f(C) = node costs + internal edge costs, so that
// E = sum_C min(0, f(C)). Every move computes its exact change of E from f of the clusters
// involved and the summed edge costs between the moved nodes and those clusters, and the
// search only ever keeps changes that lower E.
//
// Phases (Search::run): greedy contraction from singletons (nl_lmp_contract.hpp), then rounds
// of single-node moves (nl_lmp_moves.hpp), multi-way Kernighan-Lin sequences on pairs of
// clusters (nl_lmp_kl.hpp) and a further contraction, while that contraction still lowers E;
// then passes of ejection chains (nl_lmp_eject.hpp), each followed by such a round.
// This header has the state and its bookkeeping; each phase lives in its own header.
// Included by nl_lmp.cpp only.
#ifndef POSECUT_LIB_NL_LMP_SEARCH_HPP
#define POSECUT_LIB_NL_LMP_SEARCH_HPP

#include "nl_lmp.hpp"
#include "nl_lmp_graph.hpp"
#include "nl_lmp_queue.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <numeric>
#include <utility>
#include <vector>

namespace posecut {
namespace nl_lmp {
namespace detail {

// Smallest decrease of E that counts as an improvement; keeps rounding noise
// from producing endless cycles of moves.
constexpr double kImprovement = 1e-9;

inline double clamp0(double x) { return std::min(x, 0.0); }

// Change of E when clusters with values fa and fb (and summed edge cost w
// between them) become one cluster.
inline double merge_gain(double fa, double fb, double w) {
    return clamp0(fa + fb + w) - clamp0(fa) - clamp0(fb);
}

constexpr double kEpsilon = std::numeric_limits<double>::epsilon();

// Local search over partitions of the nodes of one graph; see the top of this file.
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
        // Then ejection chains, each pass followed by a round as above, while they lower E.
        if (options.kernighan_lin && options.max_rounds > 0) {
            for (int pass = 0; pass < options.max_rounds && eject(pass == 0); ++pass) {
                move_nodes();
                kernighan_lin();
                contract();
            }
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

    // Greedy contraction (nl_lmp_contract.hpp).
    bool contract();
    void reserve_arena(std::size_t extra);
    void add_entry(Adj* out, int& len, int d, double w, int n);
    void finish_list(int c, int begin, int len);
    template <bool clear = false> bool push_best(int c);
    void gather_list(int c, int self, Adj* out, int& len);
    void refresh_list(int c);
    int find_root(int x);

    // Single-node moves (nl_lmp_moves.hpp).
    void move_nodes();
    bool may_move(int v, int a, double cv) const;
    static double mask(double x, bool keep);
    bool move_node(int v);
    void sum_to_clusters(int v);
    void relocate(int v, int target, double fa_new, double w);

    // Ejection chains: forced moves repaired by single moves (nl_lmp_eject.hpp).
    bool eject(bool first);
    bool eject_node(int v);
    bool repair(int v, int partner, bool repelled_first);
    void force(int v, int t);
    void open_journal();
    void note_cluster(int c);
    double journal_change() const;
    void undo_journal();

    // Kernighan-Lin sequences on pairs of clusters (nl_lmp_kl.hpp).
    void kernighan_lin();
    bool kl_pair(int a, int b);
    void kl_prepare(int a, int b);
    void kl_release();
    bool kl_sequence(int a, int b, bool joined);

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
    MergeQueue queue_;
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
    // Ejection chains: the journal of the changes since open_journal() (labels, clusters with
    // their old f and size, marked per cluster by the journal's stamp) and the saved free ids.
    bool journal_open_ = false;
    int journal_stamp_ = 0;
    std::vector<int> journal_mark_;
    std::vector<std::pair<int, int>> journal_labels_;
    struct ClusterNote {
        int c;
        double f;
        int size;
    };
    std::vector<ClusterNote> journal_clusters_;
    std::vector<int> saved_free_ids_;
    int saved_num_clusters_ = 0;
    std::vector<int> eject_targets_, repair_queue_;
    std::vector<double> eject_gains_;
    std::vector<char> eject_try_, eject_changed_;
    std::vector<int> eject_label_, eject_size_;  // the partition at the end of the last pass
};

}  // namespace detail
}  // namespace nl_lmp
}  // namespace posecut
#endif  // POSECUT_LIB_NL_LMP_SEARCH_HPP
