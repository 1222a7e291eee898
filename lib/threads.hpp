// Work split over threads, for the kernels that use every core on large inputs
// (lib/pairwise.hpp, lib/nl_lmp.cpp). Plain C++17, header-only.
#ifndef POSECUT_LIB_THREADS_HPP
#define POSECUT_LIB_THREADS_HPP

#include <algorithm>
#include <exception>
#include <thread>
#include <vector>

namespace posecut {
namespace threads {

// Threads to use at most: `max_threads` when > 0, else the machine's cores.
inline int available(int max_threads) {
    return max_threads > 0 ? max_threads
                           : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

// Calls work(t) for t = 0 .. count - 1: t = 0 on the calling thread, the others on threads of
// their own. An exception (out of memory) must not leave a thread: the first one thrown is
// rethrown here once every call has finished.
template <class Work>
void run(int count, Work&& work) {
    std::vector<std::exception_ptr> failure(std::max(count, 1));
    auto guarded = [&](int t) {
        try {
            work(t);
        } catch (...) {
            failure[t] = std::current_exception();
        }
    };
    std::vector<std::thread> pool;
    for (int t = 1; t < count; ++t) pool.emplace_back(guarded, t);
    guarded(0);
    for (auto& thread : pool) thread.join();
    for (const std::exception_ptr& error : failure) {
        if (error) std::rethrow_exception(error);
    }
}

}  // namespace threads
}  // namespace posecut

#endif  // POSECUT_LIB_THREADS_HPP
