#pragma once
/// \file
/// Heap accounting for the benchmarks: while a scope is open, every malloc/calloc/realloc/
/// posix_memalign/aligned_alloc/free of the process (Eigen's aligned_malloc, std::vector,
/// std::string, ...) is counted. Implemented in alloc_counter.cpp by interposing glibc's
/// allocator (forwarding to __libc_malloc & co.); without it (INNSPECT_BENCH_COUNT_ALLOCS=OFF)
/// `available()` is false and the counts stay 0. Counting is off while timing.

#include <cstdint>

namespace innspect_bench::alloc {

struct Counts {
    std::int64_t calls = 0;  ///< allocations made
    std::int64_t bytes = 0;  ///< bytes allocated in total (usable sizes)
    std::int64_t peak = 0;   ///< highest (allocated − freed) bytes since start(): peak extra heap
};

bool available();
void start();
Counts stop();

}  // namespace innspect_bench::alloc
