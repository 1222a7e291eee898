// The problem as the NL-LMP solver (nl_lmp.hpp) sees it: the graph in compressed sparse rows
// (build_graph), its split into the components of the attracting edges, solved apart
// (split_components), and the final split of clusters into connected pieces
// (split_disconnected). Included by nl_lmp.cpp only.
#ifndef POSECUT_LIB_NL_LMP_GRAPH_HPP
#define POSECUT_LIB_NL_LMP_GRAPH_HPP

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <vector>

namespace posecut {
namespace nl_lmp {
namespace detail {

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
inline double sum_abs(const double* values, int64_t count) {
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
inline void build_graph(Graph& g, int n, const double* node_costs, int64_t m,
                        const int64_t* edges, const double* edge_costs) {
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

// The root of v in a union-find forest, with path halving.
inline int find(std::vector<int>& parent, int v) {
    while (parent[v] != v) v = parent[v] = parent[parent[v]];
    return v;
}

// Fills `out` with the components of the attracting edges (see Components).
inline void split_components(int n, const double* node_costs, int64_t m, const int64_t* edges,
                             const double* edge_costs, Components& out) {
    std::vector<int> parent(n);
    std::iota(parent.begin(), parent.end(), 0);
    for (int64_t e = 0; e < m; ++e) {
        if (!(edge_costs[e] < 0.0)) continue;
        const int a = find(parent, static_cast<int>(edges[2 * e]));
        const int b = find(parent, static_cast<int>(edges[2 * e + 1]));
        if (a != b) parent[std::max(a, b)] = std::min(a, b);
    }
    std::vector<int> size(n, 0), id(n, -1);
    for (int v = 0; v < n; ++v) ++size[find(parent, v)];
    out.of_node.assign(n, -1);
    out.count = 0;
    for (int v = 0; v < n; ++v) {
        const int r = find(parent, v);
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

// Splits every cluster into the pieces its inner edges connect, drops the pieces whose
// objective f is not negative, and renumbers the clusters in order of their smallest node;
// returns E. A cluster of two pieces with no edge between them has f = f(A) + f(B), and
// min(0, f(A) + f(B)) >= min(0, f(A)) + min(0, f(B)): splitting never raises E, and a person
// made of parts that share no edge (a lone wrist beside a lower body) is two people, or fewer.
inline double split_disconnected(int n, const double* node_costs, int64_t m, const int64_t* edges,
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

}  // namespace detail
}  // namespace nl_lmp
}  // namespace posecut
#endif  // POSECUT_LIB_NL_LMP_GRAPH_HPP
