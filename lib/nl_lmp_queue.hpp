// Priority queue of the greedy contraction (nl_lmp_contract.hpp): the queued merges and the
// heap that orders them. Part of the NL-LMP solver (nl_lmp.hpp); included by nl_lmp.cpp only.
#ifndef POSECUT_LIB_NL_LMP_QUEUE_HPP
#define POSECUT_LIB_NL_LMP_QUEUE_HPP

#include <algorithm>
#include <vector>

namespace posecut {
namespace nl_lmp {
namespace detail {

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

// The contraction's priority queue: a binary min-heap of HeapEntry (std::push_heap and
// std::pop_heap on a vector, which also allows clear() and building the heap in one go from
// entries added unordered). Entries are never removed early: the contraction drops a popped
// merge whose clusters have changed since it was queued (lazy deletion).
class MergeQueue {
public:
    void clear() { heap_.clear(); }
    bool empty() const { return heap_.empty(); }
    // Appends an entry without restoring the heap order: call sift_last() or build().
    void add(const HeapEntry& entry) { heap_.push_back(entry); }
    // Restores the heap order after add().
    void sift_last() { std::push_heap(heap_.begin(), heap_.end(), HeapEntry::later); }
    // Orders all entries added so far (linear time).
    void build() { std::make_heap(heap_.begin(), heap_.end(), HeapEntry::later); }
    // Removes and returns the first entry (the smallest key, then the earliest item).
    HeapEntry pop() {
        std::pop_heap(heap_.begin(), heap_.end(), HeapEntry::later);
        const HeapEntry top = heap_.back();
        heap_.pop_back();
        return top;
    }

private:
    std::vector<HeapEntry> heap_;
};

}  // namespace detail
}  // namespace nl_lmp
}  // namespace posecut
#endif  // POSECUT_LIB_NL_LMP_QUEUE_HPP
