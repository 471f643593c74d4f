// Issue 10, item 1 for several tasks: `explain(x, target, out, {.threads = 2})` (and from a trace)
// with the workers the analyzer keeps (analyzers/tasks.hpp, TaskCrew; integrated gradients and
// SmoothGrad through RowTasks, from the input only) makes no heap call once it
// has run with the batch size — no analyzer copy, no thread start, no task's fresh Explanation —
// and gives, in every field, the bits of the serial run of the same tasks (threads = 1, the same
// rows_per_task). Heap calls of every thread are counted (bench/alloc_counter.cpp).

#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include <innspect/innspect.hpp>

#include "alloc/kept_checks.hpp"
#include "alloc_counter.hpp"
#include "connectome/seed_model.hpp"
#include "support/model_checks.hpp"
#include "support/test_support.hpp"

using namespace innspect;
namespace alloc = innspect_bench::alloc;

namespace {

using test::kept::check_same;
using test::kept::same_bits;

void check_no_heap(const alloc::Counts& c) {
    if constexpr (detail::kept_gemm_buffers) {
        CHECK(c.calls == 0);
    } else {
        MESSAGE(
            "this Eigen build's GEMM allocates its packing buffers (not Eigen 3.4, or OpenMP): " << c.calls);
    }
}

/// `make(model)` makes an analyzer; it explains on two threads into one kept Explanation, from the
/// input and from a trace. Splits whose tasks a worker takes have one size: the default (8 = 4 + 4,
/// 7 = 4 + 3: one task a thread) and 2 rows a task (8 = 4 tasks, two a worker).
template <class M, class Make>
void check_tasks(std::uint64_t seed, Make make) {
    using T = typename M::scalar;
    M m;
    test::Rng rng(seed);
    test::randomize(m, rng);
    const auto analyzer = make(m);
    const std::vector<Target<T>> targets{target("autoencoder", select::all<T>()),
                                         target("output", select::index<T>(1))};
    struct Split {
        int batch;
        Eigen::Index per;
    };
    for (const auto& target : targets) {
        CAPTURE(target.layer);
        for (bool keep_layers : {false, true}) {
            CAPTURE(keep_layers);
            Explanation<T> kept, kept_trace;
            for (const Split s : {Split{8, 0}, Split{7, 0}, Split{8, 2}}) {
                CAPTURE(s.batch);
                CAPTURE(s.per);
                const Batch<T> x = rng.batch<T>(s.batch, M::input_shape::size);
                const Trace<T> trace = m.forward(x);
                const ExplainOptions opt{.keep_layers = keep_layers, .threads = 2, .rows_per_task = s.per};
                // Integrated gradients and SmoothGrad explain from the input only.
                constexpr bool from_trace = requires { analyzer.explain(trace, target, kept_trace, opt); };
                analyzer.explain(x, target, kept, opt);  // the first call with this split may allocate
                if constexpr (from_trace) analyzer.explain(trace, target, kept_trace, opt);
                alloc::start();
                analyzer.explain(x, target, kept, opt);
                const alloc::Counts c = alloc::stop();
                check_no_heap(c);
                const Eigen::Index per = s.per > 0 ? s.per : (s.batch + 1) / 2;
                const ExplainOptions serial{.keep_layers = keep_layers, .threads = 1, .rows_per_task = per};
                check_same(make(m).explain(x, target, serial), kept);
                if constexpr (from_trace) {
                    alloc::start();
                    analyzer.explain(trace, target, kept_trace, opt);
                    const alloc::Counts ct = alloc::stop();
                    check_no_heap(ct);
                    // From the whole batch's trace: its rows are not bit for bit a task's own forward pass.
                    check_same(make(m).explain(trace, target, serial), kept_trace);
                }
            }
        }
    }
}

}  // namespace

TEST_CASE(
    "steady state: explaining in tasks on two kept threads allocates nothing and gives the serial tasks' "
    "bits") {
    using M = seed::SeedModel<float, 90>;
    SUBCASE("LRP-epsilon") {
        check_tasks<M>(11, [](const M& m) { return lrp(m, Epsilon(0.1)); });
    }
    SUBCASE("LRP alpha2beta1") {
        check_tasks<M>(12, [](const M& m) { return lrp(m, AlphaBeta(2, 1)); });
    }
    SUBCASE("gradient") {
        check_tasks<M>(13, [](const M& m) { return gradient(m); });
    }
    SUBCASE("integrated gradients (4 steps, a baseline row)") {
        test::Rng rng(14);
        const Batch<float> baseline = rng.batch<float>(1, M::input_shape::size);
        check_tasks<M>(14, [&](const M& m) { return IntegratedGradients<M>(m, 4, baseline); });
    }
    SUBCASE("SmoothGrad (4 samples: each row's noise stream is its place in the batch)") {
        check_tasks<M>(15, [](const M& m) { return SmoothGrad<M>(m, 4, 0.1, 7); });
    }
}
