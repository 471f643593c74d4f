// bench-forward: the seed model's forward pass (design.md §7) at W = 90, float, random weights
// of a trained network's scale, batch 1 / 32 / 256, next to Eigen's GEMM rate measured in the
// same run (square GEMMs, and the model's own GEMM shapes alone), single-threaded and with
// Eigen's OpenMP threading. See bench/README.md.

#include <cstdio>
#include <string>
#include <vector>

#include "bench_common.hpp"
#include "seed_model.hpp"

using namespace innspect_bench;

namespace {

constexpr int W = 90;
using T = float;
using Net = SeedModel<T, W>;

void print_flops(const Net& model) {
    std::printf("\n## FLOPs per sample (multiply-adds of every linear layer x 2; activations, bias not counted)\n");
    std::printf("  %-12s %-16s %-9s %-26s %10s  %s\n", "layer", "class", "act", "GEMM per sample (m x k x n)", "MACs",
                "im2col/col2im identity path");
    model.for_each_layer([&](const auto& layer) {
        using L = std::remove_cvref_t<decltype(layer)>;
        if constexpr (innspect::LinearLayer<L>) {
            const GemmShape s = gemm_shape(layer);
            char shape[64];
            std::snprintf(shape, sizeof shape, "%ld x %ld x %ld", s.m, s.k, s.n);
            std::printf("  %-12s %-16s %-9s %-26s %10ld  %s\n", std::string(L::name).c_str(),
                        std::string(L::keras_class).c_str(), std::string(L::activation::name).c_str(),
                        shape, s.macs(),
                        L::keras_class == "Dense" ? "(dense)" : (s.im2col_identity ? "yes" : "NO"));
        }
    });
    const long macs = model_macs(model);
    std::printf("  MACs = 32W^2 (conv1) + 2048W (conv2) + 4096 (dense1) + 128 (output) + 128 (dense2) + 4096 (conv3)\n"
                "       + 2048W (conv4) + 32W^2 (autoencoder) = 64W^2 + 4096W + 8448\n");
    std::printf("  FLOPs per sample = 2 x MACs = 128W^2 + 8192W + 16896 = %ld at W = %d (%.3f MFLOP)\n", 2 * macs, W,
                2e-6 * static_cast<double>(macs));
    if (64L * W * W + 4096L * W + 8448 != macs) std::printf("  ** formula and per-layer sum differ **\n");
}

}  // namespace

int main(int argc, char** argv) {
    const CommandLine cl = parse_command_line(argc, argv, {1, 32, 256}, 4.0);
    print_header("bench-forward", "seed model (design.md §7) forward pass, W = 90, float, random N(0, 1/fan_in) weights");

    Net model;
    randomize(model, 42);
    print_flops(model);
    const double flops = 2.0 * static_cast<double>(model_macs(model));

    std::vector<Batch<T>> inputs;
    for (int b : cl.batches) inputs.push_back(random_input<T>(b, Net::input_shape::size, 1000 + b));

    struct Summary {
        std::string mode;
        double gemm_rate, gemm_rate_cpu;  // best square GEMM, GFLOP/s (wall; CPU time)
        std::vector<double> fwd_rate, fwd_rate_cpu, shape_share, per_sample, kept_rate, kept_per_sample;
    };
    std::vector<Summary> summaries;

    for (const Threading& th : threadings(cl.threads)) {
        Eigen::setNbThreads(th.eigen_threads);
        const int shards = th.shards;
        // Every shard gets its own square GEMM operands and its own slice of each batch.
        std::vector<SquareGemm<T>> g512, g1024;
        for (int k = 0; k < shards; ++k) {
            g512.emplace_back(512);
            g1024.emplace_back(1024);
        }
        std::vector<std::vector<Batch<T>>> parts;           // [batch][shard]
        std::vector<std::vector<ModelGemms<T>>> shapes;     // [batch][shard]
        std::vector<std::vector<innspect::Trace<T>>> traces;          // [batch][shard]: kept across rounds
        for (std::size_t i = 0; i < cl.batches.size(); ++i) {
            parts.push_back(split_rows(inputs[i], std::min(shards, cl.batches[i])));
            shapes.emplace_back();
            for (const auto& p : parts.back()) shapes.back().emplace_back(model, p.rows());
            traces.emplace_back(parts.back().size());
        }

        std::vector<Case> cases;
        cases.emplace_back("square GEMM 512^3", [&] { run_on_threads(shards, [&](int k) { g512[k].run(); }); });
        cases.emplace_back("square GEMM 1024^3", [&] { run_on_threads(shards, [&](int k) { g1024[k].run(); }); });
        for (std::size_t i = 0; i < cl.batches.size(); ++i) {
            const double b = cl.batches[i];
            const int n = static_cast<int>(parts[i].size());
            cases.emplace_back("forward", [&, i, n] {
                run_on_threads(n, [&](int k) { keep(model.forward(parts[i][static_cast<std::size_t>(k)]).out.back()); });
            }, b);
            cases.emplace_back("forward, kept trace", [&, i, n] {
                run_on_threads(n, [&](int k) {
                    const auto s = static_cast<std::size_t>(k);
                    model.forward(parts[i][s], traces[i][s]);
                    keep(traces[i][s].out.back());
                });
            }, b);
            cases.emplace_back("model GEMMs", [&, i, n] {
                run_on_threads(n, [&](int k) { shapes[i][static_cast<std::size_t>(k)].run(); });
            }, b);
        }
        run_interleaved(cases, cl.budget);

        const int t = th.threads();
        std::printf("\n## %s, load average now %s\n", th.label().c_str(), load_average().c_str());
        std::printf("  %-20s %10s %22s %10s %9s %9s\n", "reference GEMM", "wall", "[p25, p75]", "cpu", "GFLOP/s",
                    "(cpu)");
        Summary sm{th.label(), 0, 0, {}, {}, {}, {}, {}, {}};
        for (int k = 0; k < 2; ++k) {
            const Stats s = cases[k].stats(), c = cases[k].cpu_stats();
            const double fl = (k == 0 ? g512[0].flops() : g1024[0].flops()) * shards;
            const double gf = fl / s.median * 1e-9, gc = fl / c.median * 1e-9 * t;
            sm.gemm_rate = std::max(sm.gemm_rate, gf);
            sm.gemm_rate_cpu = std::max(sm.gemm_rate_cpu, gc);
            char cpu_rate[16] = "-";
            if (t == 1) std::snprintf(cpu_rate, sizeof cpu_rate, "%.1f", gc);
            std::printf("  %-20s %10s %10s, %10s %10s %9.1f %9s\n", cases[k].name.c_str(), fmt_time(s.median).c_str(),
                        fmt_time(s.p25).c_str(), fmt_time(s.p75).c_str(), fmt_time(c.median).c_str(), gf, cpu_rate);
        }
        if (t == 1)
            std::printf("  GEMM rate (best square, wall) = %.1f GFLOP/s; from CPU time: %.1f GFLOP/s\n\n", sm.gemm_rate,
                        sm.gemm_rate_cpu);
        else
            std::printf("  GEMM rate (best square, wall) = %.1f GFLOP/s%s\n\n", sm.gemm_rate,
                        shards > 1 ? " (one GEMM per thread at once)" : "");
        std::printf("  %-5s %-12s %10s %20s %9s %10s %8s %8s %9s\n", "batch", "what", "us/sample", "[p25, p75]", "min",
                    "cpu us", "GFLOP/s", "% GEMM", "% shapes");
        for (std::size_t i = 0; i < cl.batches.size(); ++i) {
            const Case& f = cases[2 + 3 * i];
            const Case& kt = cases[3 + 3 * i];
            const Case& g = cases[4 + 3 * i];
            const Stats fs = f.stats(), gs = g.stats(), fc = f.cpu_stats(), gc = g.cpu_stats();
            const Stats ks = kt.stats(), kc = kt.cpu_stats();
            const double frate = flops / fs.median * 1e-9, grate = flops / gs.median * 1e-9;
            const Stats paired = paired_ratio(g, f);
            std::printf("  %-5d %-12s %10s %9s, %9s %9s %10s %8.1f %7.1f%% %8.1f%%\n", cl.batches[i], "forward",
                        fmt_us(fs.median).c_str(), fmt_us(fs.p25).c_str(), fmt_us(fs.p75).c_str(),
                        fmt_us(fs.min).c_str(), fmt_us(fc.median).c_str(), frate, 100 * frate / sm.gemm_rate,
                        100 * paired.median);
            const double krate = flops / ks.median * 1e-9;
            std::printf("  %-5d %-12s %10s %9s, %9s %9s %10s %8.1f %7.1f%% %8.1f%%\n", cl.batches[i], "kept trace",
                        fmt_us(ks.median).c_str(), fmt_us(ks.p25).c_str(), fmt_us(ks.p75).c_str(),
                        fmt_us(ks.min).c_str(), fmt_us(kc.median).c_str(), krate, 100 * krate / sm.gemm_rate,
                        100 * paired_ratio(g, kt).median);
            std::printf("  %-5d %-12s %10s %9s, %9s %9s %10s %8.1f %7.1f%%\n", cl.batches[i], "model GEMMs",
                        fmt_us(gs.median).c_str(), fmt_us(gs.p25).c_str(), fmt_us(gs.p75).c_str(),
                        fmt_us(gs.min).c_str(), fmt_us(gc.median).c_str(), grate, 100 * grate / sm.gemm_rate);
            sm.fwd_rate.push_back(frate);
            sm.fwd_rate_cpu.push_back(flops / fc.median * 1e-9 * t);
            sm.shape_share.push_back(paired.median);
            sm.per_sample.push_back(fs.median);
            sm.kept_rate.push_back(krate);
            sm.kept_per_sample.push_back(ks.median);
        }
        std::printf("  (\"forward\": model.forward(x), a fresh trace per call; \"kept trace\": model.forward(x, trace)\n"
                    "   into the trace of the previous round; \"model GEMMs\": the 8 layer GEMMs alone on preallocated\n"
                    "   buffers, no bias, activation or allocation; \"%% shapes\" = their time / the forward time,\n"
                    "   paired per round; cpu us = process CPU time per sample, all threads)\n");
        summaries.push_back(sm);
    }

    Eigen::setNbThreads(1);
    std::printf("\n## heap per forward call (threads = 1)\n");
    std::printf("  %-5s %12s %14s %14s %16s %12s\n", "batch", "allocations", "bytes", "peak extra", "peak per sample",
                "page faults");
    for (std::size_t i = 0; i < cl.batches.size(); ++i) {
        if (!alloc::available()) {
            std::printf("  (allocation counting not built: INNSPECT_BENCH_COUNT_ALLOCS=OFF)\n");
            break;
        }
        const auto h = heap_of([&] { keep(model.forward(inputs[i]).out.back()); });
        std::printf("  %-5d %12lld %14s %14s %16s %12ld\n", cl.batches[i], static_cast<long long>(h.heap.calls),
                    fmt_bytes(static_cast<double>(h.heap.bytes)).c_str(),
                    fmt_bytes(static_cast<double>(h.heap.peak)).c_str(),
                    fmt_bytes(static_cast<double>(h.heap.peak) / cl.batches[i]).c_str(), h.page_faults);
        innspect::Trace<T> kept;
        model.forward(inputs[i], kept);  // the first call with this batch size sizes the trace
        const auto hk = heap_of([&] {
            model.forward(inputs[i], kept);
            keep(kept.out.back());
        });
        std::printf("  %-5s %12lld %14s %14s %16s %12ld   (kept trace, after a first call)\n", "",
                    static_cast<long long>(hk.heap.calls), fmt_bytes(static_cast<double>(hk.heap.bytes)).c_str(),
                    fmt_bytes(static_cast<double>(hk.heap.peak)).c_str(),
                    fmt_bytes(static_cast<double>(hk.heap.peak) / cl.batches[i]).c_str(), hk.page_faults);
    }

    // Two goals: the fresh trace's 30 % is an earlier issue's, the kept trace's 45 % is issue 10's.
    std::printf("\n## summary at batch 256: forward's share of the machine's GEMM rate (goals: fresh trace "
                ">= 30%%, kept trace >= 45%%)\n");
    for (const auto& s : summaries)
        for (std::size_t i = 0; i < cl.batches.size(); ++i)
            if (cl.batches[i] == 256 || i + 1 == cl.batches.size()) {
                std::printf("  %s\n    batch %d: %.2f us/sample, %.1f GFLOP/s = %.1f%% of the GEMM rate %.1f GFLOP/s "
                            "(%s); GEMMs are %.0f%% of the forward time",
                            s.mode.c_str(), cl.batches[i], s.per_sample[i] * 1e6, s.fwd_rate[i],
                            100 * s.fwd_rate[i] / s.gemm_rate, s.gemm_rate,
                            100 * s.fwd_rate[i] / s.gemm_rate >= 30 ? "goal met" : "GOAL MISSED",
                            100 * s.shape_share[i]);
                if (s.mode.rfind("1 thread", 0) == 0)
                    std::printf("; by CPU time %.1f%%", 100 * s.fwd_rate_cpu[i] / s.gemm_rate_cpu);
                std::printf("\n");
                std::printf("    kept trace: %.2f us/sample, %.1f%% of the GEMM rate (issue 10's goal: >= 45%%: %s)",
                            s.kept_per_sample[i] * 1e6, 100 * s.kept_rate[i] / s.gemm_rate,
                            100 * s.kept_rate[i] / s.gemm_rate >= 45 ? "met" : "missed");
                std::printf("\n");
            }
    return 0;
}
