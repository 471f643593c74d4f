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
#include <cstddef>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "innspect/analyzers/explanation.hpp"
#include "innspect/analyzers/task_rounds.hpp"
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
/// the analyzers that return a fresh Explanation anyway (occlusion, the residual map); LRP, the
/// gradient analyzers, integrated gradients and SmoothGrad keep their workers (TaskCrew below).
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

/// What the tasks of one call leave for the caller, and how a task's explanation gets into the
/// caller's `out`: the part of TaskCrew that depends on the scalar only, so that it is compiled
/// once for all analyzers of a program.
template <class T>
struct TaskResults {
    std::vector<ConservationReport> reports;  // one a task
    std::vector<std::exception_ptr> errors;   // one a task
    std::mutex size_mutex;                    // the first task done sizes `out`
    bool sized = false;

    /// Before a call of `tasks` tasks.
    void begin(std::size_t tasks) {
        reports.resize(std::max(reports.size(), tasks));
        errors.assign(tasks, nullptr);
        sized = false;
    }

    /// Task k's explanation `p` into rows [begin, begin + n) of `out` (`batch` rows, sized by the
    /// first task done), its report into slot k.
    void place(Explanation<T>& out, const Explanation<T>& p, std::size_t k, Eigen::Index begin, Eigen::Index n,
               Eigen::Index batch) {
        {
            const std::lock_guard lock(size_mutex);
            if (!sized) {
                size_like(out, p, batch);
                sized = true;
            }
        }
        const auto fits = [&](const auto& a, const auto& b) { return a.rows() == n && a.cols() == b.cols(); };
        bool same = fits(p.relevance, out.relevance) && fits(p.initial, out.initial) && p.score.size() == n &&
                    p.layers.size() == out.layers.size();
        for (std::size_t l = 0; same && l < p.layers.size(); ++l)
            same = fits(p.layers[l].relevance, out.layers[l].relevance);
        if (!same)
            throw error("explaining in tasks: task " + std::to_string(k) + " (rows " + std::to_string(begin) + " to " +
                        std::to_string(begin + n - 1) + ")'s explanation has another shape than the first one's");
        out.relevance.middleRows(begin, n) = p.relevance;
        out.initial.middleRows(begin, n) = p.initial;
        out.score.segment(begin, n) = p.score;
        for (std::size_t l = 0; l < p.layers.size(); ++l)
            out.layers[l].relevance.middleRows(begin, n) = p.layers[l].relevance;
        reports[k] = p.report;
    }

    /// After the call: rethrows the first failed task's exception (in row order), else the tasks'
    /// report sums added in task order into `out.report` (the order of summation is the tasks',
    /// never the threads').
    void finish(Explanation<T>& out, std::size_t tasks) const {
        for (std::size_t k = 0; k < tasks; ++k)
            if (errors[k]) std::rethrow_exception(errors[k]);
        out.report = reports[0];
        for (std::size_t k = 1; k < tasks; ++k) add_report_sums(out.report, reports[k]);
    }

private:
    /// `out` with `batch` rows of `p`'s columns, and what every task has alike (the end it
    /// reached, the layers' names).
    static void size_like(Explanation<T>& out, const Explanation<T>& p, Eigen::Index batch) {
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

/// What an analyzer that explains into a kept Explanation (LRP, the gradient analyzers: ExplainInto
/// in analyzers/backward.hpp; integrated gradients, SmoothGrad: RowTasks below) keeps for
/// explaining in tasks, so that a repeated call
/// `explain(x, target, out, {.threads = N})` costs no copy, no thread start and no heap call:
///
/// - worker w (w = 0 the calling thread, which uses the analyzer itself; w ≥ 1 a kept thread with
///   a copy of the analyzer made once, its caches as warm as the original's were then) keeps its
///   task's target, trace (its analyzer's own; for the trace overload one with the task's rows of
///   the layers the tap needs) and Explanation; it takes tasks
///   w, w + m, w + 2m, … (m workers), a fixed share, so its buffers keep their sizes from call to
///   call, and copies each task's rows straight into the caller's `out` (sized once per call by
///   the first task done, under a lock) and its report into the task's kept slot;
/// - the caller adds the slots' sums in task order and rethrows the first failed task's
///   exception (TaskResults).
///
/// Why kept threads rather than threads started per call: the layers keep their scratch and the
/// GEMMs their packing buffers per thread (core/scratch.hpp, kernels/gemm.hpp), so a fresh thread
/// allocates and faults in all of them again, and starting and joining threads costs tens of µs
/// per call, against a budget of ~60 µs for 1.7× at batch 32 (a call of the LRP-ε logit is ~0.75 ms
/// on one thread). The threads (TaskRounds, analyzers/task_rounds.hpp) start at the first call
/// that needs them (never for threads = 1), grow when a call asks for more, and end with the
/// analyzer. A copy of the analyzer starts with none.
///
/// Only what needs the analyzer's type is here (the slots and a task's call); the threads and
/// the results are compiled once per program and scalar.
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
        s.results.begin(tasks);
        Call<In> call{self, in, batch, per, tasks, m, t, out, one_task(opt), s};
        s.rounds.run(m, [](void* c, std::size_t w) { static_cast<Call<In>*>(c)->run(w); }, &call);
        s.results.finish(out, tasks);
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
        TaskResults<T> results;
        std::vector<std::unique_ptr<Slot>> slots;  // one a worker, each on its own allocation
        TaskRounds rounds;                          // declared last: its threads end before the slots go
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
                    s.results.place(out, slot.part, k, begin, n, batch);
                } catch (...) {
                    s.results.errors[k] = std::current_exception();
                }
            }
        }
    };

    /// The state with m workers' slots (the threads start in the round that needs them).
    State& grow(const A& self, std::size_t m) {
        if (!state_) state_ = std::make_unique<State>();
        State& s = *state_;
        while (s.slots.size() < m) {
            auto slot = std::make_unique<Slot>();
            if (!s.slots.empty()) slot->copy = std::make_unique<A>(self);
            s.slots.push_back(std::move(slot));
        }
        return s;
    }

    std::unique_ptr<State> state_;
};

/// The kept workers for an analyzer that explains rows [first, first + n) of a batch as
/// `explain_rows_into(rows, target, out, first)` (integrated gradients, SmoothGrad: their
/// per-sample state — a baseline row, a noise stream — is indexed by the row's place in the
/// batch). Derived declares this class its friend and calls `explain_batch` from its
/// `explain(x, target, out, opt)`.
template <class Derived, class T>
class RowTasks {
public:
    /// Rows [begin, begin + n) of x explained alone into `out`: one task (TaskCrew's call), its
    /// rows copied into a kept buffer first.
    void explain_task(const Batch<T>& x, Eigen::Index begin, Eigen::Index n, const Target<T>& target,
                      Explanation<T>& out, const ExplainOptions&) const {
        rows_ = x.middleRows(begin, n);
        self().explain_rows_into(rows_, target, out, begin);
    }

protected:
    /// The batch in tasks with the kept workers when `opt` asks for several, else as one.
    void explain_batch(const Batch<T>& x, const Target<T>& target, Explanation<T>& out, const ExplainOptions& opt) const {
        if (several_tasks(opt, x.rows(), target))
            crew_.explain(self(), x, x.rows(), target, out, opt);
        else
            self().explain_rows_into(x, target, out, 0);
    }

private:
    const Derived& self() const { return static_cast<const Derived&>(*this); }

    mutable TaskCrew<Derived, T> crew_;
    mutable Batch<T> rows_;  ///< a task's rows
};

}  // namespace innspect::detail
