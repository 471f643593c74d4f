#pragma once
/// \file
/// The kept worker threads of an analyzer that explains in tasks (TaskCrew, analyzers/tasks.hpp)
/// and the handshake of their rounds. Not a template: it knows nothing of the analyzer, the model
/// or the scalar, so a program compiles it once, however many analyzers it explains with (as a
/// member of TaskCrew<Analyzer, T> it was compiled once per analyzer type; bench/README.md
/// "Compile time" has the sizes).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace innspect::detail {

/// Threads 1 … m − 1 that run a job with the calling thread (thread 0) in rounds: `run(m, job,
/// context)` calls job(context, w) on thread w for w < m and returns when all are done. The threads
/// start at the first round that needs them (none for m = 1), wait between rounds (yielding for up
/// to 50 µs, then asleep on a condition variable) and are joined by the destructor. Serves one
/// caller at a time.
class TaskRounds {
public:
    using Job = void (*)(void* context, std::size_t worker);

    TaskRounds() = default;
    TaskRounds(const TaskRounds&) = delete;  // the threads hold `this`
    TaskRounds& operator=(const TaskRounds&) = delete;

    ~TaskRounds() {
        stop_.store(true, std::memory_order_release);
        wake(start_);
        threads_.clear();  // joins them, before the members they use go
    }

    /// Runs `job(context, w)` for w = 0 (here) … m − 1 (kept threads, started when fewer) and
    /// returns when all are done. `job` must not throw.
    void run(std::size_t m, Job job, void* context) {
        if (m > 1) {
            grow(m);
            job_ = job;
            context_ = context;
            running_.store(m - 1, std::memory_order_relaxed);
            const std::uint64_t next = (round_.load(std::memory_order_relaxed) >> 32) + 1;
            round_.store(next << 32 | m, std::memory_order_release);
            wake(start_);
        }
        job(context, 0);
        if (m > 1) wait_until(done_, [&] { return running_.load(std::memory_order_acquire) == 0; });
    }

private:
    /// At least m − 1 kept threads; a new one joins the rounds after the current one.
    void grow(std::size_t m) {
        if (threads_.size() + 1 >= m) return;
        const std::uint64_t seen = round_.load(std::memory_order_relaxed);
        threads_.reserve(m - 1);
        while (threads_.size() + 1 < m) {
            const std::size_t w = threads_.size() + 1;
            threads_.emplace_back([this, w, seen] { work(w, seen); });
        }
    }

    /// Thread `w`: waits for a round after `seen`, takes part when the round has more than w workers.
    void work(std::size_t w, std::uint64_t seen) {
        for (;;) {
            std::uint64_t now = seen;
            wait_until(start_, [&] {
                now = round_.load(std::memory_order_acquire);
                return now != seen || stop_.load(std::memory_order_acquire);
            });
            if (stop_.load(std::memory_order_acquire)) return;
            seen = now;
            if (w >= (now & 0xffffffffu)) continue;
            job_(context_, w);
            if (running_.fetch_sub(1, std::memory_order_acq_rel) == 1) wake(done_);
        }
    }

    /// Waits until `ready()`: yielding first, for up to 50 µs, then asleep on `cv`. The tasks of
    /// a call end close to each other and a caller's next call follows soon, so the wait spares
    /// most rounds a futex sleep and wake-up (10-20 µs each on a loaded VM, where a call of two
    /// tasks of 16 rows takes 0.4 ms); a thread with nothing to do sleeps after 50 µs.
    template <class Ready>
    void wait_until(std::condition_variable& cv, Ready ready) {
        const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(50);
        for (unsigned i = 1; !ready(); ++i) {
            if (i % 8 == 0 && std::chrono::steady_clock::now() > until) {
                std::unique_lock lock(mutex_);
                cv.wait(lock, ready);
                return;
            }
            std::this_thread::yield();
        }
    }
    /// Wakes the sleepers on `cv` after a change `wait_until`'s caller waits for (made before).
    void wake(std::condition_variable& cv) {
        { const std::lock_guard lock(mutex_); }
        cv.notify_all();
    }

    // `round_` holds the round's number (high 32 bits) and its number of workers (low 32), read at
    // once; `job_` and `context_` are written before a round is released and read after it is
    // acquired, and not written again before every worker is done.
    std::atomic<std::uint64_t> round_{0};
    std::atomic<std::size_t> running_{0};  // kept threads still at work in this round
    std::atomic<bool> stop_{false};
    Job job_ = nullptr;
    void* context_ = nullptr;
    std::mutex mutex_;  // only for sleeping: a waiter re-checks under it, a waker takes it first
    std::condition_variable start_, done_;
    std::vector<std::jthread> threads_;  // worker w ≥ 1 is threads_[w − 1]; declared last, joined first
};

}  // namespace innspect::detail
