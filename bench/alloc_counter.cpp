// Heap accounting for the benchmarks (see alloc_counter.hpp). glibc lets a program replace
// malloc & co.; each replacement forwards to glibc's own entry point and, while counting is
// on, records the block's usable size.

#include "alloc_counter.hpp"

#include <atomic>
#include <cstddef>

#ifdef INNSPECT_BENCH_COUNT_ALLOCS
extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* __libc_memalign(std::size_t, std::size_t);
void __libc_free(void*);
std::size_t malloc_usable_size(void*) noexcept;
}

namespace {
std::atomic<bool> counting{false};
std::atomic<std::int64_t> n_calls{0}, n_bytes{0}, live{0}, peak{0};

void note_alloc(void* p) {
    if (!p || !counting.load(std::memory_order_relaxed)) return;
    const auto s = static_cast<std::int64_t>(malloc_usable_size(p));
    n_calls.fetch_add(1, std::memory_order_relaxed);
    n_bytes.fetch_add(s, std::memory_order_relaxed);
    const std::int64_t now = live.fetch_add(s, std::memory_order_relaxed) + s;
    std::int64_t old = peak.load(std::memory_order_relaxed);
    while (now > old && !peak.compare_exchange_weak(old, now, std::memory_order_relaxed)) {
    }
}
void note_free(void* p) {
    if (!p || !counting.load(std::memory_order_relaxed)) return;
    live.fetch_sub(static_cast<std::int64_t>(malloc_usable_size(p)), std::memory_order_relaxed);
}
}  // namespace

extern "C" {
void* malloc(std::size_t n) noexcept {
    void* p = __libc_malloc(n);
    note_alloc(p);
    return p;
}
void* calloc(std::size_t n, std::size_t s) noexcept {
    void* p = __libc_calloc(n, s);
    note_alloc(p);
    return p;
}
void* realloc(void* old, std::size_t n) noexcept {
    note_free(old);
    void* p = __libc_realloc(old, n);
    note_alloc(p);
    return p;
}
void free(void* p) noexcept {
    note_free(p);
    __libc_free(p);
}
void* memalign(std::size_t a, std::size_t n) noexcept {
    void* p = __libc_memalign(a, n);
    note_alloc(p);
    return p;
}
void* aligned_alloc(std::size_t a, std::size_t n) noexcept {
    void* p = __libc_memalign(a, n);
    note_alloc(p);
    return p;
}
int posix_memalign(void** out, std::size_t a, std::size_t n) noexcept {
    void* p = __libc_memalign(a, n);
    if (!p) return 12;  // ENOMEM
    note_alloc(p);
    *out = p;
    return 0;
}
}

namespace innspect_bench::alloc {
bool available() { return true; }
void start() {
    n_calls = 0;
    n_bytes = 0;
    live = 0;
    peak = 0;
    counting = true;
}
Counts stop() {
    counting = false;
    return {n_calls.load(), n_bytes.load(), peak.load()};
}
}  // namespace innspect_bench::alloc

#else

namespace innspect_bench::alloc {
bool available() { return false; }
void start() {}
Counts stop() { return {}; }
}  // namespace innspect_bench::alloc

#endif
