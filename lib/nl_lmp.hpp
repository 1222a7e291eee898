// Node-labelled lifted multicut (NL-LMP) heuristic used for multi-person grouping.
//
// The problem: nodes v with a cost c_v (negative: worth keeping) and edges uv
// with a cost c_uv (negative: worth joining). Choose which nodes are active and
// partition the active nodes into clusters so that
//
//     E = sum_{active v} c_v + sum_{uv inside one cluster of active nodes} c_uv
//
// is minimal. DeeperCut's costs are c = log((1 - p) / p) of the detection and
// the same-person probabilities.
//
// Since an inactive node contributes nothing, E is also the minimum over
// partitions of all nodes of sum_C min(0, f(C)) with f(C) = sum_{v in C} c_v +
// sum_{uv inside C} c_uv: a cluster is active exactly when f(C) < 0. The
// solver searches partitions with that clamped objective (in the spirit of
// Levinkov et al., CVPR 2017, and Keuper et al., ICCV 2015):
//   1. greedy contraction from singletons: merge the adjacent pair with the
//      most negative mean edge cost whose merge does not raise E (a priority
//      queue with lazy deletion over merged adjacency lists);
//   2. single-node moves to a neighbouring cluster or a new singleton;
//   3. multi-way Kernighan-Lin sequences on pairs of attracted clusters (as
//      they are, and merged), in which nodes may also go to a new cluster or
//      any cluster they are attracted to, and singletons next to the pair may
//      join; the best prefix of each sequence is kept;
//   4. another contraction; steps 2-4 repeat while the contraction lowers E;
//   5. ejection chains: a node (or the node and its most attracted neighbour) is forced into
//      a cluster it is attracted to, or a new one, and its neighbours may then follow by
//      single moves; the chain is kept when it lowers E, else undone. Each pass that lowers E
//      is followed by steps 2-4 once, and the next pass tries only the nodes near changes.
//      They find the coupled moves of a few nodes that steps 2-4 miss (an arm that must leave
//      another person's cluster whole).
// Every step only keeps changes that lower E, computed exactly, so the result is never worse
// than that of steps 1-4 alone.
//
// The search runs on each component of the graph of attracting (negative) edges on its own,
// large ones on separate threads: a cluster that spans two such components is never better
// than its two pieces, since the edges between them cost >= 0.
//
// Everything here is plain C++17 without Python objects so that the binding can
// call it with the GIL released. The functions are deterministic: the same
// input gives the same output. solve() keeps its working buffers per thread
// for the next call (unless the problem was large), so that repeated solves
// do not allocate them anew.
#ifndef POSECUT_LIB_NL_LMP_HPP
#define POSECUT_LIB_NL_LMP_HPP

#include <cstdint>

namespace posecut {
namespace nl_lmp {

// Limits of the search; the defaults reach the optimum on most problems.
struct Options {
    // Rounds of steps 2-4 above (0: the greedy contraction only); the search
    // stops earlier once a round's contraction no longer lowers E.
    int max_rounds = 50;
    // Run step 3, the Kernighan-Lin sequences, and step 5, the ejection chains.
    bool kernighan_lin = true;
    // Most threads for the independent parts of the problem (<= 0: the machine's cores); the
    // result does not depend on it.
    int max_threads = 0;
};

// What is wrong with an input, if anything. `index` is the offending element
// (node or edge index); for a duplicate edge, `other` is the earlier edge.
enum IssueKind : int {
    kOk = 0,
    kNotANumber = 1,       // value is NaN
    kNotFinite = 2,        // value is +-inf (costs only)
    kOutsideUnit = 3,      // probability outside [0, 1]
    kNodeOutOfRange = 4,   // edge end < 0 or >= number of nodes
    kSelfEdge = 5,         // edge from a node to itself
    kDuplicateEdge = 6,    // same unordered pair as an earlier edge
};

struct Issue {
    int kind = kOk;
    int64_t index = -1;
    int64_t other = -1;
};

// Checks that every cost is a finite number.
Issue check_costs(const double* values, int64_t count);

// Checks that every probability is a number in [0, 1].
Issue check_probabilities(const double* values, int64_t count);

// Writes log((1 - p) / p) with p clipped to [1e-7, 1 - 1e-7]; `out` may alias `p`.
void probabilities_to_costs(const double* p, int64_t count, double* out);

// Checks the edge list (row-major, `num_edges` x 2): ends in range, no self
// edges, no unordered pair twice.
Issue check_edges(int64_t num_nodes, const int64_t* edges, int64_t num_edges);

// Solves the problem; the input must have passed the checks above.
// Writes active[v] (1 active, 0 suppressed) and cluster[v] (clusters of active
// nodes numbered 0, 1, ... in order of their smallest node, -1 for suppressed
// nodes) and returns E of that labelling. Every cluster is connected by the
// edges inside it (a disconnected one is split, which never raises E).
double solve(int64_t num_nodes, const double* node_costs,
             int64_t num_edges, const int64_t* edges, const double* edge_costs,
             const Options& options, uint8_t* active, int32_t* cluster);

}  // namespace nl_lmp
}  // namespace posecut

#endif  // POSECUT_LIB_NL_LMP_HPP
