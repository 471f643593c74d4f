#pragma once
/// \file
/// Explaining a batch as several tasks of rows, on threads when asked (ExplainOptions::threads,
/// ::rows_per_task). The library starts no thread unless `threads` > 1.
///
/// Why results depend on the tasks and not on the threads: every sample's explanation depends
/// only on that sample mathematically, but not bit for bit — Eigen's matrix products sum a row's
/// products in an order that depends on where the row sits in the batch (its GEMM kernels treat
/// the rows left over after their register blocks differently), so the same sample explained in a
/// batch of 8 and in a batch of 5 can differ in the last bits. A task is therefore the unit of
/// reproducibility: the batch is cut into tasks of `rows_per_task` rows, each task is explained
/// exactly as `explain` would explain those rows alone, and `threads` only decides how many tasks
/// run at once. One thread or eight, the same tasks give the same bits.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "innspect/analyzers/explanation.hpp"
#include "innspect/core/errors.hpp"
#include "innspect/core/trace.hpp"
#include "innspect/targets/target.hpp"

namespace innspect::detail {

/// Rows per task for a batch of `batch` rows: `rows_per_task`, or when it is 0 the batch shared
/// evenly among the threads (⌈batch / threads⌉; the whole batch for one thread).
inline Eigen::Index rows_per_task(const ExplainOptions& opt, Eigen::Index batch) {
    if (opt.threads < 1) throw value_error("ExplainOptions: threads must be >= 1, got " + std::to_string(opt.threads));
    if (opt.rows_per_task < 0)
        throw value_error("ExplainOptions: rows_per_task must be >= 0, got " + std::to_string(opt.rows_per_task));
    const Eigen::Index r = opt.rows_per_task > 0 ? opt.rows_per_task : (batch + opt.threads - 1) / opt.threads;
    return std::max<Eigen::Index>(1, std::min(r, batch));
}

/// Whether `explain` should cut this batch into tasks: more than one task, and a selection whose
/// per-sample rows (if any) match the batch — a selection of the wrong size is left to the one
/// task, which reports it as it always does.
template <class T>
bool several_tasks(const ExplainOptions& opt, Eigen::Index batch, const Target<T>& t) {
    if (rows_per_task(opt, batch) >= batch) return false;
    const auto rows = t.selection.values.rows();
    return t.selection.values.size() == 0 || rows == 1 || rows == batch;
}

/// The target for rows [begin, begin + n) of a batch of `batch` rows, into `r` (its buffers
/// reused): per-sample selection rows are cut to the task's, a single broadcast row is kept.
/// Field by field, so that a kept `r` takes only the task's rows of a per-sample selection.
template <class T>
void target_rows(const Target<T>& t, Eigen::Index begin, Eigen::Index n, Eigen::Index batch, Target<T>& r) {
    r.layer = t.layer;
    r.strip_activation = t.strip_activation;
    r.stop_at = t.stop_at;
    const Selection<T>& s = t.selection;
    r.selection.kind = s.kind;
    r.selection.flat_index = s.flat_index;
    r.selection.h = s.h;
    r.selection.w = s.w;
    r.selection.c = s.c;
    if (s.values.rows() == batch && batch > 1)
        r.selection.values = s.values.middleRows(begin, n);
    else
        r.selection.values = s.values;
}
template <class T>
Target<T> target_rows(const Target<T>& t, Eigen::Index begin, Eigen::Index n, Eigen::Index batch) {
    Target<T> r;
    target_rows(t, begin, n, batch, r);
    return r;
}

/// Rows [begin, begin + n) of a forward pass, into `r` (its buffers reused): the input and what the
/// layers `needed` (backward_path's: the tap and every layer it depends on) computed. The other
/// layers are marked as not run (Trace::output throws for them), their buffers left as they were.
template <class T>
void trace_rows(const Trace<T>& t, Eigen::Index begin, Eigen::Index n, const std::vector<bool>& needed,
                Trace<T>& r) {
    const auto cut = [&](const Batch<T>& b, Batch<T>& into) {
        if (b.size() == 0)
            into.resize(0, 0);
        else
            into = b.middleRows(begin, n);
    };
    cut(t.input, r.input);
    r.layers = t.layers;
    r.ran.assign(t.ran.size(), 0);
    r.out.resize(t.out.size());
    r.pre.resize(t.pre.size());
    r.joined.resize(t.joined.size());
    for (std::size_t i = 0; i < t.out.size(); ++i) {
        if (i >= needed.size() || !needed[i] || t.ran[i] == 0) continue;
        cut(t.out[i], r.out[i]);
        cut(t.pre[i], r.pre[i]);
        cut(t.joined[i], r.joined[i]);
        r.ran[i] = 1;
    }
}

/// Adds a later task's report sums to `into` (task order fixes the order of summation).
inline void add_report_sums(ConservationReport& into, const ConservationReport& r) {
    into.initial += r.initial;
    into.final += r.final;
    into.bypassed += r.bypassed;
    into.direct += r.direct;
    for (std::size_t l = 0; l < into.layers.size() && l < r.layers.size(); ++l) {
        into.layers[l].relevance_out += r.layers[l].relevance_out;
        into.layers[l].relevance_in += r.layers[l].relevance_in;
        into.layers[l].bias_absorbed += r.layers[l].bias_absorbed;
        into.layers[l].stabilizer_lost += r.layers[l].stabilizer_lost;
    }
}

/// The tasks' explanations, in row order, as one: matrices stacked, report sums added (the
/// report's sums therefore equal a single task's up to the order of summation).
template <class T>
Explanation<T> stack(std::vector<Explanation<T>>& parts) {
    const auto stack_rows = [&](auto member) {
        Eigen::Index rows = 0;
        for (const auto& p : parts) rows += member(p).rows();
        Batch<T> m(rows, member(parts.front()).cols());
        Eigen::Index at = 0;
        for (const auto& p : parts) {
            m.middleRows(at, member(p).rows()) = member(p);
            at += member(p).rows();
        }
        return m;
    };
    if (parts.size() == 1) return std::move(parts.front());
    const Explanation<T>& first = parts.front();
    Explanation<T> e;
    e.at = first.at;
    e.shape = first.shape;
    e.report = first.report;
    e.layers.resize(first.layers.size());
    for (std::size_t l = 0; l < e.layers.size(); ++l) e.layers[l].layer = first.layers[l].layer;
    e.relevance = stack_rows([](const Explanation<T>& p) -> const Batch<T>& { return p.relevance; });
    e.initial = stack_rows([](const Explanation<T>& p) -> const Batch<T>& { return p.initial; });
    Eigen::Index rows = 0;
    for (const auto& p : parts) rows += p.score.size();
    e.score.resize(rows);
    Eigen::Index at = 0;
    for (const auto& p : parts) {
        e.score.segment(at, p.score.size()) = p.score;
        at += p.score.size();
    }
    for (std::size_t l = 0; l < e.layers.size(); ++l)
        e.layers[l].relevance =
            stack_rows([l](const Explanation<T>& p) -> const Batch<T>& { return p.layers[l].relevance; });
    for (std::size_t k = 1; k < parts.size(); ++k) add_report_sums(e.report, parts[k].report);
    return e;
}

/// Explains a batch of `batch` rows task by task: `task(analyzer, begin, n)` explains rows
/// [begin, begin + n) alone. Up to `opt.threads` workers take tasks in turn; each worker has its
/// own copy of the analyzer (analyzers fill caches on first use and serve one thread at a time),
/// the calling thread is one of them. The first task's exception, in row order, is rethrown.
/// Per call: copies of the analyzer, threads and the tasks' explanations, all fresh. The path of
/// the analyzers that return a fresh Explanation anyway (integrated gradients, SmoothGrad,
/// occlusion, the residual map: one call explains many points per sample); LRP and the gradient
/// analyzers keep theirs (TaskCrew below).
template <class T, class Analyzer, class Task>
Explanation<T> run_tasks(const Analyzer& analyzer, Eigen::Index batch, const ExplainOptions& opt, Task task) {
    const Eigen::Index per = rows_per_task(opt, batch);
    const auto tasks = static_cast<std::size_t>((batch + per - 1) / per);
    const std::size_t workers = std::min<std::size_t>(static_cast<std::size_t>(opt.threads), tasks);
    std::vector<Explanation<T>> parts(tasks);
    std::vector<std::exception_ptr> errors(tasks);
    std::atomic<std::size_t> next{0};
    const auto work = [&](const Analyzer& a) {
        for (std::size_t k; (k = next.fetch_add(1)) < tasks;) {
            const Eigen::Index begin = static_cast<Eigen::Index>(k) * per;
            try {
                parts[k] = task(a, begin, std::min(per, batch - begin));
            } catch (...) {
                errors[k] = std::current_exception();
            }
        }
    };
    {
        const std::vector<Analyzer> copies(workers - 1, analyzer);  // made before any worker starts
        std::vector<std::jthread> pool;
        pool.reserve(copies.size());
        for (const Analyzer& c : copies) pool.emplace_back([&work, &c] { work(c); });
        work(analyzer);
    }  // the workers join here
    for (const auto& err : errors)
        if (err) std::rethrow_exception(err);
    return stack(parts);
}

/// The options a task runs with: one task, on the thread it was given.
inline ExplainOptions one_task(ExplainOptions opt) {
    opt.threads = 1;
    opt.rows_per_task = 0;
    return opt;
}

/// `analyzer.explain(x, t, opt)` in tasks: each task explains its rows of x alone. An analyzer
/// whose per-sample state is indexed by the sample's place in the batch (a baseline row, a noise
/// stream) has `explain_rows(x, t, opt, first)`, told where its rows start.
template <class T, class Analyzer>
Explanation<T> explain_in_tasks(const Analyzer& analyzer, const Batch<T>& x, const Target<T>& t,
                                const ExplainOptions& opt) {
    return run_tasks<T>(analyzer, x.rows(), opt, [&](const Analyzer& a, Eigen::Index b, Eigen::Index n) {
        const Batch<T> rows = x.middleRows(b, n);
        const Target<T> tr = target_rows(t, b, n, x.rows());
        if constexpr (requires { a.explain_rows(rows, tr, opt, b); })
            return a.explain_rows(rows, tr, one_task(opt), b);
        else
            return a.explain(rows, tr, one_task(opt));
    });
}

/// What an analyzer that explains into a kept Explanation (LRP, the gradient analyzers: ExplainInto
/// in analyzers/backward.hpp) keeps for explaining in tasks, so that a repeated call
/// `explain(x, target, out, {.threads = N})` costs no copy, no thread start and no heap call:
///
/// - worker w (w = 0 the calling thread, which uses the analyzer itself; w ≥ 1 a kept thread with
///   a copy of the analyzer made once, its caches as warm as the original's were then) keeps its
///   task's target, trace (its analyzer's own; for the trace overload one with the task's rows of
///   the layers the tap needs) and Explanation; it takes tasks
///   w, w + m, w + 2m, … (m workers), a fixed share, so its buffers keep their sizes from call to
///   call, and copies each task's rows straight into the caller's `out` (sized once per call by
///   the first task done, under a lock) and its report into the task's kept slot;
/// - the caller adds the slots' sums in task order (the order of summation is the tasks', never
///   the threads') and rethrows the first failed task's exception.
///
/// Why kept threads rather than threads started per call: the layers keep their scratch and the
/// GEMMs their packing buffers per thread (core/scratch.hpp, kernels/gemm.hpp), so a fresh thread
/// allocates and faults in all of them again, and starting and joining threads costs tens of µs
/// per call, against a budget of ~60 µs for 1.7× at batch 32 (a call of the LRP-ε logit is ~0.75 ms
/// on one thread). The threads start at the first call that needs them (never for threads = 1),
/// wait between calls (yielding for up to 50 µs, then asleep on a condition variable), grow when
/// a call asks for more, and end with the analyzer. A copy of the analyzer starts with none.
template <class A, class T>
class TaskCrew {
public:
    TaskCrew() = default;
    TaskCrew(const TaskCrew&) {}
    TaskCrew& operator=(const TaskCrew&) { return *this; }
    TaskCrew(TaskCrew&&) noexcept = default;
    TaskCrew& operator=(TaskCrew&&) noexcept = default;
    ~TaskCrew() = default;

    /// `self.explain(in, t, out, opt)` in tasks, `in` the input batch or a trace of `batch` rows.
    template <class In>
    void explain(const A& self, const In& in, Eigen::Index batch, const Target<T>& t, Explanation<T>& out,
                 const ExplainOptions& opt) {
        const Eigen::Index per = rows_per_task(opt, batch);
        const auto tasks = static_cast<std::size_t>((batch + per - 1) / per);
        const std::size_t m = std::min<std::size_t>(static_cast<std::size_t>(opt.threads), tasks);
        State& s = grow(self, m);
        s.reports.resize(std::max(s.reports.size(), tasks));
        s.errors.assign(tasks, nullptr);
        s.sized = false;
        Call<In> call{self, in, batch, per, tasks, m, t, out, one_task(opt), s};
        void (*const job)(void*, std::size_t) = [](void* c, std::size_t w) { static_cast<Call<In>*>(c)->run(w); };
        s.run(m, job, &call);
        for (std::size_t k = 0; k < tasks; ++k)
            if (s.errors[k]) std::rethrow_exception(s.errors[k]);
        out.report = s.reports[0];
        for (std::size_t k = 1; k < tasks; ++k) add_report_sums(out.report, s.reports[k]);
    }

private:
    /// What worker w keeps between calls.
    struct Slot {
        std::unique_ptr<A> copy;       ///< the worker's own analyzer (none for the calling thread's slot)
        Target<T> target;              ///< the task's target
        Trace<T> trace;                ///< the trace overload: the task's rows of the caller's trace
        std::vector<bool> on, needed;  ///< the trace overload: the layers whose rows it copies
        Explanation<T> part;           ///< the task's explanation, before it is copied into `out`
    };

    struct State {
        std::vector<std::unique_ptr<Slot>> slots;  // one a worker, each on its own allocation
        std::vector<ConservationReport> reports;   // one a task
        std::vector<std::exception_ptr> errors;    // one a task
        std::mutex size_mutex;                     // the first task done sizes `out`
        bool sized = false;

        // The rounds' handshake. `round` holds the round's number (high 32 bits) and its number of
        // workers (low 32), read at once; `job` and `context` are written before a round is released
        // and read after it is acquired, and not written again before every worker is done.
        std::atomic<std::uint64_t> round{0};
        std::atomic<std::size_t> running{0};  // kept threads still at work in this round
        std::atomic<bool> stop{false};
        void (*job)(void*, std::size_t) = nullptr;
        void* context = nullptr;
        std::mutex mutex;  // only for sleeping: a waiter re-checks under it, a waker takes it first
        std::condition_variable start, done;
        std::vector<std::jthread> threads;  // worker w ≥ 1 is threads[w − 1]

        ~State() {
            stop.store(true, std::memory_order_release);
            wake(start);
            threads.clear();  // joins them, before the slots they use go
        }

        /// Runs `job(context, w)` for w = 0 (here) … m − 1 (the kept threads) and returns when all are done.
        void run(std::size_t m, void (*j)(void*, std::size_t), void* c) {
            if (m > 1) {
                job = j;
                context = c;
                running.store(m - 1, std::memory_order_relaxed);
                const std::uint64_t next = (round.load(std::memory_order_relaxed) >> 32) + 1;
                round.store(next << 32 | m, std::memory_order_release);
                wake(start);
            }
            j(c, 0);
            if (m > 1) wait_until(done, [&] { return running.load(std::memory_order_acquire) == 0; });
        }

        /// Thread `w`: waits for a round after `seen`, takes part when the round has more than w workers.
        void work(std::size_t w, std::uint64_t seen) {
            for (;;) {
                std::uint64_t now = seen;
                wait_until(start, [&] {
                    now = round.load(std::memory_order_acquire);
                    return now != seen || stop.load(std::memory_order_acquire);
                });
                if (stop.load(std::memory_order_acquire)) return;
                seen = now;
                if (w >= (now & 0xffffffffu)) continue;
                job(context, w);
                if (running.fetch_sub(1, std::memory_order_acq_rel) == 1) wake(done);
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
                    std::unique_lock lock(mutex);
                    cv.wait(lock, ready);
                    return;
                }
                std::this_thread::yield();
            }
        }
        /// Wakes the sleepers on `cv` after a change `wait_until`'s caller waits for (made before).
        void wake(std::condition_variable& cv) {
            { const std::lock_guard lock(mutex); }
            cv.notify_all();
        }
    };

    /// One call's tasks, as every worker sees them.
    template <class In>
    struct Call {
        const A& self;
        const In& in;
        Eigen::Index batch, per;
        std::size_t tasks, workers;
        const Target<T>& target;
        Explanation<T>& out;
        ExplainOptions opt;  // one task
        State& s;

        /// Worker w's share of the tasks. Never throws: a task's exception goes to its slot.
        void run(std::size_t w) noexcept {
            Slot& slot = *s.slots[w];
            const A& a = w == 0 ? self : *slot.copy;
            for (std::size_t k = w; k < tasks; k += workers) {
                const Eigen::Index begin = static_cast<Eigen::Index>(k) * per,
                                   n = std::min(per, batch - begin);
                try {
                    target_rows(target, begin, n, batch, slot.target);
                    if constexpr (std::is_same_v<In, Trace<T>>) {
                        // Only what the explanation reads: the tap and the layers it depends on.
                        backward_path(in.layers, in.index_of(target.layer), -1, slot.on, slot.needed);
                        trace_rows(in, begin, n, slot.needed, slot.trace);
                        a.explain(slot.trace, slot.target, slot.part, opt);
                    } else {
                        a.explain_task(in, begin, n, slot.target, slot.part, opt);
                    }
                    place(slot.part, k, begin, n);
                } catch (...) {
                    s.errors[k] = std::current_exception();
                }
            }
        }

        /// Task k's explanation `p` into rows [begin, begin + n) of `out`, its report into slot k.
        void place(const Explanation<T>& p, std::size_t k, Eigen::Index begin, Eigen::Index n) {
            {
                const std::lock_guard lock(s.size_mutex);
                if (!s.sized) {
                    size_like(p);
                    s.sized = true;
                }
            }
            const auto fits = [&](const auto& a, const auto& b) {
                return a.rows() == n && a.cols() == b.cols();
            };
            bool same = fits(p.relevance, out.relevance) && fits(p.initial, out.initial) &&
                        p.score.size() == n && p.layers.size() == out.layers.size();
            for (std::size_t l = 0; same && l < p.layers.size(); ++l)
                same = fits(p.layers[l].relevance, out.layers[l].relevance);
            if (!same)
                throw error("explaining in tasks: task " + std::to_string(k) +
                            "'s explanation has another shape than the first one's");
            out.relevance.middleRows(begin, n) = p.relevance;
            out.initial.middleRows(begin, n) = p.initial;
            out.score.segment(begin, n) = p.score;
            for (std::size_t l = 0; l < p.layers.size(); ++l)
                out.layers[l].relevance.middleRows(begin, n) = p.layers[l].relevance;
            s.reports[k] = p.report;
        }

        /// `out` with `batch` rows of `p`'s columns, and what every task has alike (the end it reached,
        /// the layers' names).
        void size_like(const Explanation<T>& p) {
            out.relevance.resize(batch, p.relevance.cols());
            out.initial.resize(batch, p.initial.cols());
            out.score.resize(batch);
            out.at = p.at;
            out.shape = p.shape;
            out.layers.resize(p.layers.size());
            for (std::size_t l = 0; l < p.layers.size(); ++l) {
                out.layers[l].layer = p.layers[l].layer;
                out.layers[l].relevance.resize(batch, p.layers[l].relevance.cols());
            }
        }
    };

    /// The state with m workers' slots and m − 1 threads, made or grown.
    State& grow(const A& self, std::size_t m) {
        if (!state_) state_ = std::make_unique<State>();
        State& s = *state_;
        while (s.slots.size() < m) {
            auto slot = std::make_unique<Slot>();
            if (!s.slots.empty()) slot->copy = std::make_unique<A>(self);
            s.slots.push_back(std::move(slot));
        }
        if (s.threads.size() + 1 < m) {
            const std::uint64_t seen =
                s.round.load(std::memory_order_relaxed);  // it joins the rounds after this one
            s.threads.reserve(m - 1);
            while (s.threads.size() + 1 < m) {
                const std::size_t w = s.threads.size() + 1;
                s.threads.emplace_back([&s, w, seen] { s.work(w, seen); });
            }
        }
        return s;
    }

    std::unique_ptr<State> state_;
};

}  // namespace innspect::detail
