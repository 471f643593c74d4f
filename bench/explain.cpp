// bench-explain: the cost of explaining the seed model (design.md §7) at W = 90, float, batch 1
// and 32, per sample and relative to a forward pass measured in the same rounds. The forward pass
// every ratio refers to runs into a trace kept across rounds (`model.forward(x, trace)`: the
// steady state, no heap call), as the analyzers run theirs into their kept workspace; "forward,
// fresh trace" is the allocating `model.forward(x)`, for information (its cost depends on the
// allocator's history: a fresh 4.8 MiB trace per call at batch 32). Every explanation is timed
// through `explain(x, target)`, which INCLUDES its own forward pass; the "backward only" column
// times `explain(trace, target)` on a stored trace. The ", kept" rows explain into an Explanation
// kept across rounds (`explain(x, target, out)`: after a first call with the batch size, no heap
// call); issue 10's goals are checked on them. Integrated gradients is timed in a second
// interleaved group with its own forward reference. See bench/README.md.

#include <cstdio>
#include <map>
#include <stdexcept>
#include <tuple>
#include <string>
#include <utility>
#include <vector>

#include <innspect/analyzers/gradient.hpp>
#include <innspect/analyzers/integrated_gradients.hpp>
#include <innspect/analyzers/lrp.hpp>
#include <innspect/analyzers/smoothgrad.hpp>
#include <innspect/rules/alpha_beta.hpp>
#include <innspect/rules/epsilon.hpp>
#include <innspect/targets/target.hpp>

#include "bench_common.hpp"
#include "seed_model.hpp"

using namespace innspect_bench;
namespace ins = innspect;

namespace {

constexpr int W = 90;
using T = float;
using Net = SeedModel<T, W>;

/// One analysis: a name, its target, and how it runs on an input and (if it can) on a trace, with
/// the library's ExplainOptions (its `threads` in the sharding mode).
struct Analysis {
    std::string name, target;
    std::function<void(const Batch<T>&, ins::ExplainOptions)> on_input;
    std::function<void(const ins::Trace<T>&, ins::ExplainOptions)> on_trace;  ///< empty: needs its own forward passes
    double goal_ratio = 0;      ///< ratio to forward it should stay under (0: none)
    int goal_ratio_batch = 0;   ///< the batch size that ratio is for (0: every batch)
    double goal_us_at_1 = 0;    ///< µs per sample at batch 1 it should stay under (0: none)
    double goal_us_at_32 = 0;   ///< µs per sample at batch 32 (0: none)
    bool slow = false;          ///< timed in the second group (calls 30-100x longer)
    bool zero_heap = false;     ///< steady state: must make no heap call after a first call
    double goal_speedup_at_32 = 0;  ///< 2 threads (sharding) vs 1 thread at batch 32 (0: none)
};

}  // namespace

int main(int argc, char** argv) {
    const CommandLine cl = parse_command_line(argc, argv, {1, 32}, 8.0);
    print_header("bench-explain",
                 "explaining the seed model (design.md §7), W = 90, float, random N(0, 1/fan_in) weights");

    Net model;
    randomize(model, 42);
    const auto logit = ins::target<T>("output", ins::select::max<T>());
    const auto latent = ins::target<T>("conv2", ins::select::index<T>(0));
    const auto recon = ins::target<T>("autoencoder", ins::select::all<T>());
    const auto eps = ins::lrp(model, ins::Epsilon(0.1));
    const auto ab = ins::lrp(model, ins::AlphaBeta(2, 1));
    const auto grad = ins::gradient(model);
    const ins::IntegratedGradients<Net> ig(model, 32);
    const ins::SmoothGrad<Net> sg(model, 32);

    // The ", kept" rows explain into these, kept across rounds (their buffers are reused).
    ins::Explanation<T> kept_eps_logit, kept_eps_recon, kept_ab, kept_grad;
    auto kept_row = [](std::string name, std::string what, const auto& a, const auto& t, ins::Explanation<T>& e) {
        return Analysis{std::move(name), std::move(what),
                        [&a, &t, &e](const Batch<T>& x, ins::ExplainOptions o) {
                            a.explain(x, t, e, o);
                            keep(e.relevance);
                        },
                        [&a, &t, &e](const ins::Trace<T>& tr, ins::ExplainOptions o) {
                            a.explain(tr, t, e, o);
                            keep(e.relevance);
                        }};
    };
    // The forward pass into a trace kept across rounds, one per shard.
    std::vector<ins::Trace<T>> forward_traces(8);
    const auto forward_kept = [&](const Batch<T>& x, int shard) {
        auto& tr = forward_traces[static_cast<std::size_t>(shard)];
        model.forward(x, tr);
        keep(tr.out.back());
    };
    std::vector<Analysis> analyses{
        {"forward", "", [&](const Batch<T>& x, ins::ExplainOptions) { forward_kept(x, 0); }, nullptr},
        {"forward, fresh trace", "", [&](const Batch<T>& x, ins::ExplainOptions) { keep(model.forward(x).out.back()); }, nullptr},
        {"LRP-epsilon(0.1)", "output max (logit)", [&](const Batch<T>& x, ins::ExplainOptions o) { keep(eps.explain(x, logit, o).relevance); },
         [&](const ins::Trace<T>& t, ins::ExplainOptions o) { keep(eps.explain(t, logit, o).relevance); }},
        {"LRP-epsilon(0.1)", "conv2 index 0 (latent)",
         [&](const Batch<T>& x, ins::ExplainOptions o) { keep(eps.explain(x, latent, o).relevance); },
         [&](const ins::Trace<T>& t, ins::ExplainOptions o) { keep(eps.explain(t, latent, o).relevance); }},
        {"LRP-epsilon(0.1)", "autoencoder all (recon)",
         [&](const Batch<T>& x, ins::ExplainOptions o) { keep(eps.explain(x, recon, o).relevance); },
         [&](const ins::Trace<T>& t, ins::ExplainOptions o) { keep(eps.explain(t, recon, o).relevance); }},
        {"LRP-alpha2-beta1", "output max (logit)", [&](const Batch<T>& x, ins::ExplainOptions o) { keep(ab.explain(x, logit, o).relevance); },
         [&](const ins::Trace<T>& t, ins::ExplainOptions o) { keep(ab.explain(t, logit, o).relevance); }},
        {"gradient", "output max (logit)", [&](const Batch<T>& x, ins::ExplainOptions o) { keep(grad.explain(x, logit, o).relevance); },
         [&](const ins::Trace<T>& t, ins::ExplainOptions o) { keep(grad.explain(t, logit, o).relevance); }},
        kept_row("LRP-epsilon(0.1), kept", "output max (logit)", eps, logit, kept_eps_logit),
        kept_row("LRP-epsilon(0.1), kept", "autoencoder all (recon)", eps, recon, kept_eps_recon),
        kept_row("LRP-alpha2-beta1, kept", "output max (logit)", ab, logit, kept_ab),
        kept_row("gradient, kept", "output max (logit)", grad, logit, kept_grad),
    };
    // Integrated gradients and SmoothGrad explain from x only (their passes run the model on
    // points or noisy copies), and their calls are 20-130x a forward pass: the slow group.
    ins::Explanation<T> kept_ig, kept_sg;
    auto add_averaged = [&](const std::string& name, const auto& a, ins::Explanation<T>& e) {
        Analysis plain{name, "output max (logit)",
                       [&a, &logit](const Batch<T>& x, ins::ExplainOptions o) { keep(a.explain(x, logit, o).relevance); },
                       nullptr};
        Analysis kept{name + ", kept", "output max (logit)",
                      [&a, &logit, &e](const Batch<T>& x, ins::ExplainOptions o) {
                          a.explain(x, logit, e, o);
                          keep(e.relevance);
                      },
                      nullptr};
        plain.slow = kept.slow = true;
        analyses.push_back(std::move(plain));
        analyses.push_back(std::move(kept));
    };
    add_averaged("integrated gradients (32)", ig, kept_ig);
    add_averaged("SmoothGrad (32)", sg, kept_sg);  // no goal of its own: its cost is the noise
    // Issue 10's goals, on the steady-state rows.
    auto row = [&](const std::string& name, const std::string& target) -> Analysis& {
        for (auto& a : analyses)
            if (a.name == name && a.target == target) return a;
        throw std::logic_error("bench-explain: no row " + name);
    };
    row("forward", "").zero_heap = true;
    row("LRP-epsilon(0.1), kept", "output max (logit)").goal_ratio = 1.6;
    row("LRP-epsilon(0.1), kept", "autoencoder all (recon)").goal_us_at_1 = 70;
    row("LRP-epsilon(0.1), kept", "autoencoder all (recon)").goal_us_at_32 = 60;
    row("LRP-alpha2-beta1, kept", "output max (logit)").goal_ratio = 3.0;
    auto& ig_row = row("integrated gradients (32)", "output max (logit)");
    ig_row.goal_ratio = 25;
    ig_row.goal_ratio_batch = 1;
    for (auto& a : analyses)
        if (a.name.find(", kept") != std::string::npos) {
            a.zero_heap = true;
            a.goal_speedup_at_32 = 1.7;
        }
    // Medians per (threading, batch, row) for the threads goal.
    std::map<std::tuple<int, int, int, std::size_t>, double> median_of;  // (Eigen threads, shards, batch, row)

    struct Goal {
        std::string line;
        bool met;
    };
    std::vector<Goal> goals;

    // One single-threaded call of each first: the LRP analyzers fill their caches of modified
    // weights lazily and without a lock, so the first calls must not run concurrently.
    Eigen::setNbThreads(1);
    {
        const Batch<T> x = random_input<T>(2, Net::input_shape::size, 1);
        for (const auto& a : analyses) a.on_input(x, {});
    }

    for (const Threading& th : threadings(cl.threads)) {
        Eigen::setNbThreads(th.eigen_threads);
        const int t = th.threads();
        for (int b : cl.batches) {
            const int shards = std::min(th.shards, b);
            if (th.shards > 1 && shards < th.shards) continue;  // nothing to shard
            const Batch<T> x = random_input<T>(b, Net::input_shape::size, 2000 + b);
            // Sharding: the explanations run as the library's tasks (ExplainOptions::threads, one
            // task a thread); the forward pass they are compared with is sharded by hand.
            const std::vector<Batch<T>> parts = split_rows(x, shards);
            const ins::Trace<T> trace = model.forward(x);
            const ins::ExplainOptions opt{.threads = shards};
            // Two interleaved groups, each with its own forward reference: the fast analyses (many
            // rounds), and integrated gradients, whose calls are ~30-100x longer, with its own.
            std::vector<Case> cases, slow;
            std::vector<int> backward_case(analyses.size(), -1), slow_case(analyses.size(), -1);
            auto on_input = [&](const Analysis& analysis, bool forward) -> std::function<void()> {
                const Analysis* a = &analysis;
                if (forward)
                    return [&parts, shards, a, &forward_kept] {
                        run_on_threads(shards, [&](int k) {
                            if (a->name == "forward") forward_kept(parts[static_cast<std::size_t>(k)], k);
                            else a->on_input(parts[static_cast<std::size_t>(k)], {});
                        });
                    };
                return [&x, &opt, a] { a->on_input(x, opt); };
            };
            // Rows 0 and 1 (the forward passes) are sharded by hand; the first is every ratio's reference.
            for (std::size_t i = 0; i < analyses.size(); ++i) {
                if (!analyses[i].slow) cases.emplace_back(analyses[i].name, on_input(analyses[i], i <= 1), b);
                if (analyses[i].slow || i == 0) {
                    slow_case[i] = static_cast<int>(slow.size());
                    slow.emplace_back(analyses[i].name, on_input(analyses[i], i == 0), b);
                }
            }
            for (std::size_t i = 0; i < analyses.size(); ++i)
                if (analyses[i].on_trace) {
                    backward_case[i] = static_cast<int>(cases.size());
                    cases.emplace_back(analyses[i].name + " (backward)", [&, i] { analyses[i].on_trace(trace, opt); }, b);
                }
            run_interleaved(cases, cl.budget);
            Budget slow_budget = cl.budget;
            slow_budget.seconds = cl.budget.seconds / 2;
            run_interleaved(slow, slow_budget);
            // Case i of `analyses` and the forward it is paired with.
            auto case_of = [&](std::size_t i) -> std::pair<const Case*, const Case*> {
                if (!analyses[i].slow) return {&cases[i], &cases[0]};
                return {&slow[static_cast<std::size_t>(slow_case[i])], &slow[0]};
            };
            const std::string mode_short = th.shards > 1   ? std::to_string(t) + " shards"
                                           : t > 1 ? std::to_string(t) + " OpenMP"
                                                   : "1 thread";

            std::printf("\n## %s, batch = %d   (explanations include their forward pass), load average %s\n",
                        th.label().c_str(), b, load_average().c_str());
            std::printf("  %-26s %-24s %10s %20s %21s %9s %7s %11s %7s\n", "analysis", "target", "us/sample",
                        "[p25, p75]", "x forward [p25, p75]", "cpu us", "x (cpu)", "backward us", "samples");
            for (std::size_t i = 0; i < analyses.size(); ++i) {
                const auto [ci, fi] = case_of(i);
                const Stats s = ci->stats();
                const Stats r = paired_ratio(*ci, *fi);
                const Stats c = ci->cpu_stats();
                const Stats rc = paired_ratio(*ci, *fi, true);
                std::string bw = "-";
                if (backward_case[i] >= 0) bw = fmt_us(cases[static_cast<std::size_t>(backward_case[i])].stats().median);
                std::printf("  %-26s %-24s %10s %9s, %9s %6.2f [%5.2f, %5.2f] %9s %7.2f %11s %7zu\n",
                            analyses[i].name.c_str(), analyses[i].target.c_str(), fmt_us(s.median).c_str(),
                            fmt_us(s.p25).c_str(), fmt_us(s.p75).c_str(), r.median, r.p25, r.p75,
                            fmt_us(c.median).c_str(), rc.median, bw.c_str(), s.n);
                median_of[{th.eigen_threads, th.shards, b, i}] = s.median;
                char line[256];
                if (analyses[i].goal_ratio > 0 && (analyses[i].goal_ratio_batch == 0 || analyses[i].goal_ratio_batch == b)) {
                    std::snprintf(line, sizeof line, "%-12s batch %2d: %-24s %-24s %6.2f x forward (cpu %.2f x; goal <= %.1f x)",
                                  mode_short.c_str(), b, analyses[i].name.c_str(), analyses[i].target.c_str(), r.median, rc.median,
                                  analyses[i].goal_ratio);
                    goals.push_back({line, r.median <= analyses[i].goal_ratio});
                }
                const double goal_us = b == 1 ? analyses[i].goal_us_at_1 : b == 32 ? analyses[i].goal_us_at_32 : 0;
                if (goal_us > 0) {
                    std::snprintf(line, sizeof line, "%-12s batch %2d: %-24s %-24s %6.1f us/sample (cpu %.1f us; goal <= %.0f us)",
                                  mode_short.c_str(), b, analyses[i].name.c_str(), analyses[i].target.c_str(), s.median * 1e6,
                                  c.median * 1e6, goal_us);
                    goals.push_back({line, s.median * 1e6 <= goal_us});
                }
            }
        }
    }

    // With 2 threads (batch sharding: ExplainOptions::threads), the throughput at batch 32 against 1 thread.
    for (std::size_t i = 0; i < analyses.size(); ++i) {
        const auto one = median_of.find({1, 1, 32, i}), two = median_of.find({1, 2, 32, i});
        if (analyses[i].goal_speedup_at_32 <= 0 || one == median_of.end() || two == median_of.end()) continue;
        char line[256];
        const double speedup = one->second / two->second;
        std::snprintf(line, sizeof line, "2 threads    batch 32: %-24s %-24s %6.2f x one thread's throughput (goal >= %.1f x)",
                      analyses[i].name.c_str(), analyses[i].target.c_str(), speedup, analyses[i].goal_speedup_at_32);
        goals.push_back({line, speedup >= analyses[i].goal_speedup_at_32});
    }

    Eigen::setNbThreads(1);
    if (alloc::available()) {
        std::printf("\n## heap per call (threads = 1), after a first call with the batch size: allocations, bytes\n"
                    "## allocated, peak extra heap, minor page faults\n");
        std::printf("  %-26s %-24s", "analysis", "target");
        for (int b : cl.batches) std::printf("  %36s", ("batch " + std::to_string(b)).c_str());
        std::printf("\n");
        std::vector<Batch<T>> xs;
        for (int b : cl.batches) xs.push_back(random_input<T>(b, Net::input_shape::size, 2000 + b));
        for (const auto& a : analyses) {
            std::printf("  %-26s %-24s", a.name.c_str(), a.target.c_str());
            for (const auto& x : xs) {
                a.on_input(x, {});  // sizes the analyzer's workspace (and a kept explanation) for this batch
                const auto h = heap_of([&] { a.on_input(x, {}); });
                if (a.zero_heap) {
                    char line[256];
                    std::snprintf(line, sizeof line, "1 thread     batch %2lld: %-24s %-24s %6lld heap calls per call (goal 0)",
                                  static_cast<long long>(x.rows()), a.name.c_str(), a.target.c_str(),
                                  static_cast<long long>(h.heap.calls));
                    goals.push_back({line, h.heap.calls == 0});
                }
                std::printf("  %6lld x, %9s, %9s, %6ld", static_cast<long long>(h.heap.calls),
                            fmt_bytes(static_cast<double>(h.heap.bytes)).c_str(),
                            fmt_bytes(static_cast<double>(h.heap.peak)).c_str(), h.page_faults);
            }
            std::printf("\n");
        }
    }

    std::printf("\n## goals\n");
    for (const auto& g : goals) std::printf("  %-104s %s\n", g.line.c_str(), g.met ? "met" : "MISSED");
    return 0;
}
