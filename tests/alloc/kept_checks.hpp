#pragma once
/// \file
/// What the allocation-counting tests check about an explanation into a kept Explanation: after a
/// first call with a batch size, a call makes no heap call, and every field is byte for byte what
/// a fresh analyzer's plain `explain(x, target)` returns. Shared by every
/// file of tests/alloc/.

#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include <innspect/innspect.hpp>

#include "alloc_counter.hpp"
#include "support/model_checks.hpp"
#include "support/test_support.hpp"

namespace innspect::test::kept {

namespace alloc = innspect_bench::alloc;

/// test::randomize with its own seeded generator.
template <class M>
void randomize(M& m, std::uint64_t seed) {
    Rng rng(seed);
    test::randomize(m, rng);
}

template <class T>
bool same_bits(const Batch<T>& a, const Batch<T>& b) {
    return a.rows() == b.rows() && a.cols() == b.cols() &&
           std::memcmp(a.data(), b.data(), sizeof(T) * static_cast<std::size_t>(a.size())) == 0;
}
template <class T>
bool same_bits(const Vector<T>& a, const Vector<T>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), sizeof(T) * static_cast<std::size_t>(a.size())) == 0;
}
inline bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

/// Every field of two explanations, byte for byte.
template <class T>
void check_same(const Explanation<T>& fresh, const Explanation<T>& kept) {
    CHECK(same_bits(fresh.relevance, kept.relevance));
    CHECK(same_bits(fresh.initial, kept.initial));
    CHECK(same_bits(fresh.score, kept.score));
    CHECK(fresh.at == kept.at);
    CHECK(fresh.shape == kept.shape);
    REQUIRE(fresh.layers.size() == kept.layers.size());
    for (std::size_t l = 0; l < fresh.layers.size(); ++l) {
        CAPTURE(l);
        CHECK(fresh.layers[l].layer == kept.layers[l].layer);
        CHECK(same_bits(fresh.layers[l].relevance, kept.layers[l].relevance));
    }
    const ConservationReport &a = fresh.report, &b = kept.report;
    CHECK(same_bits(a.initial, b.initial));
    CHECK(same_bits(a.final, b.final));
    CHECK(same_bits(a.bypassed, b.bypassed));
    CHECK(same_bits(a.direct, b.direct));
    CHECK(a.has_direct == b.has_direct);
    REQUIRE(a.layers.size() == b.layers.size());
    for (std::size_t l = 0; l < a.layers.size(); ++l) {
        CAPTURE(l);
        CHECK(a.layers[l].layer == b.layers[l].layer);
        CHECK(a.layers[l].rule == b.layers[l].rule);
        CHECK(same_bits(a.layers[l].relevance_out, b.layers[l].relevance_out));
        CHECK(same_bits(a.layers[l].relevance_in, b.layers[l].relevance_in));
        CHECK(same_bits(a.layers[l].bias_absorbed, b.layers[l].bias_absorbed));
        CHECK(same_bits(a.layers[l].stabilizer_lost, b.layers[l].stabilizer_lost));
    }
}

/// `make(model)` makes an analyzer; into one kept Explanation it explains each target repeatedly,
/// with batch sizes that grow and shrink, with and without every layer's relevance. After a first
/// call with a batch size a call makes no heap call, and gives field by field the bits of a fresh
/// analyzer's plain `explain(x, target)`.
template <class M, class Make>
void check_explain(std::uint64_t seed, Make make, const std::vector<Target<typename M::scalar>>& targets,
                   std::initializer_list<int> batches = {8, 3, 64, 1, 8}) {
    using T = typename M::scalar;
    M m;
    randomize(m, seed);
    Rng rng(seed + 1);
    const auto analyzer = make(m);
    for (const auto& target : targets) {
        CAPTURE(target.layer);
        for (bool keep_layers : {false, true}) {
            CAPTURE(keep_layers);
            const ExplainOptions opt{.keep_layers = keep_layers};
            Explanation<T> kept;
            for (int batch : batches) {
                CAPTURE(batch);
                const Batch<T> x = rng.batch<T>(batch, M::input_shape::size);
                analyzer.explain(x, target, kept, opt);  // the first call with this batch size may allocate
                alloc::start();
                analyzer.explain(x, target, kept, opt);
                const alloc::Counts c = alloc::stop();
                if constexpr (detail::kept_gemm_buffers) {
                    CHECK(c.calls == 0);
                } else {
                    MESSAGE("this Eigen build's GEMM allocates its packing buffers (not Eigen 3.4, or OpenMP): " << c.calls);
                }
                check_same(make(m).explain(x, target, opt), kept);
            }
        }
    }
}

}  // namespace innspect::test::kept
