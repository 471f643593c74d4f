// bench-lstm: the cost of explaining an LSTM autoencoder (issue 12: 100 steps, 8 features, 64
// units: LSTM encoder → RepeatVector → LSTM decoder (return_sequences) → TimeDistributed(Dense(8))),
// float, single-threaded, per sample and relative to a forward pass timed in the same interleaved
// rounds (median of the per-round ratios). Explanations are timed through `explain(x, target)`,
// which INCLUDES its own forward pass; "backward" times `explain(trace, target)` on a stored trace.
// Goal: LRP-ε of the whole reconstruction ≤ 4× forward.
//
// Measured twice, as bench-profile does for the seed model: with glibc's malloc defaults, and then
// with mallopt(no trim, no mmap). LRP re-runs each LSTM's forward pass into a per-step record
// (B × steps × 4u gates, cell and hidden states: 1.6 MB per array at batch 16). It lives in the
// analyzer's workspace, allocated once per batch size; when it was allocated per call glibc mapped
// it fresh and returned it every time, and the page faults, not the arithmetic, dominated (6-8x
// forward with glibc's defaults, 2.7x with mallopt). The gradient analyzers keep no workspace:
// their record is still allocated per call (bench/README.md, "bench-lstm").
//
//   bench-lstm [--quick] [--seconds S] [--batches 1,16]

#include <malloc.h>

#include <cmath>
#include <cstdio>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <innspect/innspect.hpp>

#include "bench_common.hpp"

using namespace innspect_bench;
namespace ins = innspect;

namespace {

using T = float;
constexpr int Steps = 100, Features = 8, Units = 64;
using Net = ins::Model<T, ins::Input<Steps, Features>, ins::LSTM<"encoder", Units>, ins::RepeatVector<"repeat_vector", Steps>,
                       ins::LSTM<"decoder", Units, ins::Recurrent{.return_sequences = true}>,
                       ins::TimeDistributed<"reconstruction", ins::Dense<"dense", Features>>>;

/// Glorot-like N(0, 1/fan_in) kernels, N(0, 0.05²) biases, for every array of every layer.
void randomize_all(Net& m, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> nd(0.0, 1.0);
    m.for_each_layer([&](auto& layer) {
        for (auto& w : layer.weights()) {
            long n = 1;
            for (auto d : w.shape) n *= d;
            const double sd = w.shape.size() == 2 ? 1.0 / std::sqrt(static_cast<double>(w.shape[0])) : 0.05;
            for (long i = 0; i < n; ++i) w.data[i] = static_cast<T>(sd * nd(rng));
        }
    });
}

struct Analysis {
    std::string name;
    std::function<void(const Batch<T>&)> on_input;
    std::function<void(const ins::Trace<T>&)> on_trace;
    double goal_ratio = 0;
};

}  // namespace

int main(int argc, char** argv) {
    const CommandLine cl = parse_command_line(argc, argv, {1, 16}, 6.0);
    print_header("bench-lstm", "explaining an LSTM autoencoder: 100 steps x 8 features, 64 units, float, 1 thread");
    Eigen::setNbThreads(1);
    Net model;
    randomize_all(model, 42);
    const auto recon = ins::target<T>("reconstruction", ins::select::all<T>());
    const auto code = ins::target<T>("encoder", ins::select::index<T>(0));
    const auto eps = ins::lrp(model, ins::Epsilon(0.01));
    const auto zplus = ins::lrp(model, ins::ZPlus());
    const auto grad = ins::gradient(model);
    std::vector<Analysis> analyses{
        {"forward", [&](const Batch<T>& x) { keep(model.forward(x).out.back()); }, nullptr},
        {"LRP-epsilon(0.01) recon", [&](const Batch<T>& x) { keep(eps.explain(x, recon).relevance); },
         [&](const ins::Trace<T>& t) { keep(eps.explain(t, recon).relevance); }, 4.0},
        {"LRP-epsilon(0.01) code[0]", [&](const Batch<T>& x) { keep(eps.explain(x, code).relevance); },
         [&](const ins::Trace<T>& t) { keep(eps.explain(t, code).relevance); }},
        {"LRP-zplus recon", [&](const Batch<T>& x) { keep(zplus.explain(x, recon).relevance); },
         [&](const ins::Trace<T>& t) { keep(zplus.explain(t, recon).relevance); }},
        {"gradient recon", [&](const Batch<T>& x) { keep(grad.explain(x, recon).relevance); },
         [&](const ins::Trace<T>& t) { keep(grad.explain(t, recon).relevance); }},
    };
    std::vector<std::string> goals;
    auto measure = [&](const char* malloc_mode) {
    for (int b : cl.batches) {
        const Batch<T> x = random_input<T>(b, Net::input_shape::size, 1000 + b);
        const ins::Trace<T> trace = model.forward(x);
        std::vector<Case> cases;
        for (const auto& a : analyses) cases.emplace_back(a.name, [&a, &x] { a.on_input(x); }, b);
        std::vector<int> backward(analyses.size(), -1);
        for (std::size_t i = 0; i < analyses.size(); ++i)
            if (analyses[i].on_trace) {
                backward[i] = static_cast<int>(cases.size());
                cases.emplace_back(analyses[i].name + " (backward)", [&a = analyses[i], &trace] { a.on_trace(trace); }, b);
            }
        run_interleaved(cases, cl.budget);
        std::printf("\n## %s, batch = %d (explanations include their forward pass), load average %s\n", malloc_mode, b, load_average().c_str());
        std::printf("  %-28s %11s %21s %22s %12s %8s\n", "analysis", "us/sample", "[p25, p75]", "x forward [p25, p75]",
                    "backward us", "samples");
        for (std::size_t i = 0; i < analyses.size(); ++i) {
            const Stats s = cases[i].stats();
            const Stats r = paired_ratio(cases[i], cases[0]);
            const std::string bw = backward[i] >= 0 ? fmt_us(cases[static_cast<std::size_t>(backward[i])].stats().median) : "-";
            std::printf("  %-28s %11s %10s, %9s %6.2f [%5.2f, %5.2f] %12s %8zu\n", analyses[i].name.c_str(),
                        fmt_us(s.median).c_str(), fmt_us(s.p25).c_str(), fmt_us(s.p75).c_str(), r.median, r.p25, r.p75,
                        bw.c_str(), s.n);
            if (analyses[i].goal_ratio > 0) {
                char line[240];
                std::snprintf(line, sizeof line, "%-26s batch %2d: %-26s %6.2f x forward (goal <= %.1f x) %s", malloc_mode, b,
                              analyses[i].name.c_str(), r.median, analyses[i].goal_ratio,
                              r.median <= analyses[i].goal_ratio ? "met" : "MISSED");
                goals.push_back(line);
            }
        }
    }
    };
    measure("glibc malloc defaults");
    mallopt(M_TRIM_THRESHOLD, 1 << 30);  // keep freed memory
    mallopt(M_MMAP_THRESHOLD, 1 << 30);  // never map a block of its own
    measure("mallopt(no trim, no mmap)");
    std::printf("\n## goals\n");
    for (const auto& g : goals) std::printf("  %s\n", g.c_str());
    return 0;
}
