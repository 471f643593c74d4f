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
#include <string>
#include <thread>
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

/// The target for rows [begin, begin + n) of a batch of `batch` rows: per-sample selection rows
/// are cut to the task's, a single broadcast row is kept.
template <class T>
Target<T> target_rows(const Target<T>& t, Eigen::Index begin, Eigen::Index n, Eigen::Index batch) {
    Target<T> r = t;
    if (t.selection.values.rows() == batch && batch > 1) r.selection.values = t.selection.values.middleRows(begin, n);
    return r;
}

/// Rows [begin, begin + n) of every buffer of a forward pass.
template <class T>
Trace<T> trace_rows(const Trace<T>& t, Eigen::Index begin, Eigen::Index n) {
    const auto cut = [&](const Batch<T>& b) { return b.size() == 0 ? Batch<T>() : Batch<T>(b.middleRows(begin, n)); };
    Trace<T> r;
    r.input = cut(t.input);
    r.layers = t.layers;
    r.ran = t.ran;
    r.out.reserve(t.out.size());
    for (const auto& b : t.out) r.out.push_back(cut(b));
    r.pre.reserve(t.pre.size());
    for (const auto& b : t.pre) r.pre.push_back(cut(b));
    r.joined.reserve(t.joined.size());
    for (const auto& b : t.joined) r.joined.push_back(cut(b));
    return r;
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
    for (std::size_t k = 1; k < parts.size(); ++k) {
        const ConservationReport& r = parts[k].report;
        e.report.initial += r.initial;
        e.report.final += r.final;
        e.report.bypassed += r.bypassed;
        e.report.direct += r.direct;
        for (std::size_t l = 0; l < e.report.layers.size() && l < r.layers.size(); ++l) {
            e.report.layers[l].relevance_out += r.layers[l].relevance_out;
            e.report.layers[l].relevance_in += r.layers[l].relevance_in;
            e.report.layers[l].bias_absorbed += r.layers[l].bias_absorbed;
            e.report.layers[l].stabilizer_lost += r.layers[l].stabilizer_lost;
        }
    }
    return e;
}

/// Explains a batch of `batch` rows task by task: `task(analyzer, begin, n)` explains rows
/// [begin, begin + n) alone. Up to `opt.threads` workers take tasks in turn; each worker has its
/// own copy of the analyzer (analyzers fill caches on first use and serve one thread at a time),
/// the calling thread is one of them. The first task's exception, in row order, is rethrown.
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

/// `analyzer.explain(trace, t, opt)` in tasks: each task explains its rows of the forward pass.
template <class T, class Analyzer>
Explanation<T> explain_in_tasks(const Analyzer& analyzer, const Trace<T>& trace, const Target<T>& t,
                                const ExplainOptions& opt) {
    return run_tasks<T>(analyzer, trace.batch(), opt, [&](const Analyzer& a, Eigen::Index b, Eigen::Index n) {
        return a.explain(trace_rows(trace, b, n), target_rows(t, b, n, trace.batch()), one_task(opt));
    });
}

}  // namespace innspect::detail
