// bench-explain: the cost of explaining the seed model (design.md §7) at W = 90, float, batch 1
// and 32, per sample and relative to a forward pass measured in the same rounds. Every
// explanation is timed through `explain(x, target)`, which INCLUDES its own forward pass; the
// "backward only" column times `explain(trace, target)` on a stored trace. The ", kept" rows
// explain into an Explanation kept across rounds (`explain(x, target, out)`: after a first call
// with the batch size, no heap call). Integrated gradients is timed in a second interleaved group
// with its own forward reference. See bench/README.md.

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include <innspect/analyzers/gradient.hpp>
#include <innspect/analyzers/integrated_gradients.hpp>
#include <innspect/analyzers/lrp.hpp>
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
    double goal_ratio = 0;                               ///< ratio to forward it should stay under (0: none)
    double goal_us_at_32 = 0;                            ///< µs per sample at batch 32 (0: none)
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
    std::vector<Analysis> analyses{
        {"forward", "", [&](const Batch<T>& x, ins::ExplainOptions) { keep(model.forward(x).out.back()); }, nullptr},
        {"LRP-epsilon(0.1)", "output max (logit)", [&](const Batch<T>& x, ins::ExplainOptions o) { keep(eps.explain(x, logit, o).relevance); },
         [&](const ins::Trace<T>& t, ins::ExplainOptions o) { keep(eps.explain(t, logit, o).relevance); }, 2.5},
        {"LRP-epsilon(0.1)", "conv2 index 0 (latent)",
         [&](const Batch<T>& x, ins::ExplainOptions o) { keep(eps.explain(x, latent, o).relevance); },
         [&](const ins::Trace<T>& t, ins::ExplainOptions o) { keep(eps.explain(t, latent, o).relevance); }},
        {"LRP-epsilon(0.1)", "autoencoder all (recon)",
         [&](const Batch<T>& x, ins::ExplainOptions o) { keep(eps.explain(x, recon, o).relevance); },
         [&](const ins::Trace<T>& t, ins::ExplainOptions o) { keep(eps.explain(t, recon, o).relevance); }, 0, 100},
        {"LRP-alpha2-beta1", "output max (logit)", [&](const Batch<T>& x, ins::ExplainOptions o) { keep(ab.explain(x, logit, o).relevance); },
         [&](const ins::Trace<T>& t, ins::ExplainOptions o) { keep(ab.explain(t, logit, o).relevance); }, 5.0},
        {"gradient", "output max (logit)", [&](const Batch<T>& x, ins::ExplainOptions o) { keep(grad.explain(x, logit, o).relevance); },
         [&](const ins::Trace<T>& t, ins::ExplainOptions o) { keep(grad.explain(t, logit, o).relevance); }},
        kept_row("LRP-epsilon(0.1), kept", "output max (logit)", eps, logit, kept_eps_logit),
        kept_row("LRP-epsilon(0.1), kept", "autoencoder all (recon)", eps, recon, kept_eps_recon),
        kept_row("LRP-alpha2-beta1, kept", "output max (logit)", ab, logit, kept_ab),
        kept_row("gradient, kept", "output max (logit)", grad, logit, kept_grad),
        {"integrated gradients (32)", "output max (logit)",
         [&](const Batch<T>& x, ins::ExplainOptions o) { keep(ig.explain(x, logit, o).relevance); }, nullptr},
    };

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
                    return [&parts, shards, a] {
                        run_on_threads(shards, [&](int k) { a->on_input(parts[static_cast<std::size_t>(k)], {}); });
                    };
                return [&x, &opt, a] { a->on_input(x, opt); };
            };
            for (std::size_t i = 0; i < analyses.size(); ++i) {
                if (analyses[i].on_trace || i == 0) cases.emplace_back(analyses[i].name, on_input(analyses[i], i == 0), b);
                if (!analyses[i].on_trace || i == 0) {
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
                if (analyses[i].on_trace || i == 0) return {&cases[i], &cases[0]};
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
                char line[256];
                if (analyses[i].goal_ratio > 0) {
                    std::snprintf(line, sizeof line, "%-12s batch %2d: %-18s %-24s %6.2f x forward (cpu %.2f x; goal <= %.1f x)",
                                  mode_short.c_str(), b, analyses[i].name.c_str(), analyses[i].target.c_str(), r.median, rc.median,
                                  analyses[i].goal_ratio);
                    goals.push_back({line, r.median <= analyses[i].goal_ratio});
                }
                if (analyses[i].goal_us_at_32 > 0 && b == 32) {
                    std::snprintf(line, sizeof line, "%-12s batch %2d: %-18s %-24s %6.1f us/sample (cpu %.1f us; goal <= %.0f us)",
                                  mode_short.c_str(), b, analyses[i].name.c_str(), analyses[i].target.c_str(), s.median * 1e6,
                                  c.median * 1e6, analyses[i].goal_us_at_32);
                    goals.push_back({line, s.median * 1e6 <= analyses[i].goal_us_at_32});
                }
            }
        }
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
