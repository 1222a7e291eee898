// Implementation of the NL-LMP heuristic declared in nl_lmp.hpp: the input checks and the
// driver solve(), which splits the problem into the components of its attracting edges and
// runs the local search (nl_lmp_search.hpp and the phases it includes) on each, on threads.
//
// Files, one job each (all plain C++17, only this file includes them):
//   nl_lmp_graph.hpp     graph in compressed rows, components, connected pieces of clusters
//   nl_lmp_queue.hpp     priority queue of the contraction
//   nl_lmp_search.hpp    the search state (partition, cluster values) and its bookkeeping
//   nl_lmp_contract.hpp  greedy contraction
//   nl_lmp_moves.hpp     single-node moves
//   nl_lmp_kl.hpp        Kernighan-Lin sequences on pairs of clusters
//   nl_lmp_eject.hpp     ejection chains: forced moves repaired by single moves
#include "nl_lmp.hpp"

#include "nl_lmp_contract.hpp"
#include "nl_lmp_eject.hpp"
#include "nl_lmp_graph.hpp"
#include "nl_lmp_kl.hpp"
#include "nl_lmp_moves.hpp"
#include "nl_lmp_search.hpp"
#include "threads.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <numeric>
#include <vector>

namespace posecut {
namespace nl_lmp {

namespace {

using detail::Components;
using detail::Graph;
using detail::Search;

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
    detail::build_graph(workspace.graph, n, node_costs, m, edges, edge_costs);
    workspace.search.reset();
    workspace.search.run(options);
    return workspace.search.write(active, cluster);
}

// Work (nodes plus edges) a second thread must have before it pays for its start.
constexpr int64_t kWorkPerThread = 3000;

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
    detail::split_components(n, node_costs, num_edges, edges, edge_costs, parts);
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
    return detail::split_disconnected(n, node_costs, num_edges, edges, edge_costs, active, cluster);
}

}  // namespace nl_lmp
}  // namespace posecut
