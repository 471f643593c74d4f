#pragma once
/// \file
/// SmoothGrad (Smilkov et al. 2017): A = (1/N) Σ_k ∂S/∂x (x + ε_k), ε_k ~ N(0, σ²) per feature,
/// σ = noise_level · (max(x) − min(x)) per sample. Every sample is noisy. Sample b's noise comes
/// from a std::mt19937_64 seeded with (seed, b), so a given seed reproduces the same attribution
/// (with the same standard library), and a sample's noise does not depend on the others — the
/// batch can be explained in tasks (ExplainOptions::threads) with the same noise. The units explained are fixed at x (the reconstruction error: E of each noisy input). Attributes to the model input only.
/// The noisy copies of several samples go through the model together, in passes of a bounded
/// number of rows (analyzers/averaged_gradient.hpp).

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>

#include "innspect/analyzers/averaged_gradient.hpp"

namespace innspect {

namespace detail {

/// std::seed_seq for N fixed 32-bit words, without the heap (std::seed_seq keeps its words in a
/// std::vector): `generate` is the standard's algorithm ([rand.util.seedseq]), so an engine seeded
/// with it has the state std::seed_seq{words...} gives it.
template <std::size_t N>
struct FixedSeedSeq {
    using result_type = std::uint32_t;
    std::array<std::uint32_t, N> v;

    static constexpr std::size_t size() { return N; }

    template <class It>
    void generate(It begin, It end) const {
        if (begin == end) return;
        using U = std::uint32_t;
        const auto n = static_cast<std::size_t>(end - begin);
        for (std::size_t i = 0; i < n; ++i) begin[i] = U(0x8b8b8b8bu);
        const std::size_t s = N;
        const std::size_t t = n >= 623 ? 11 : n >= 68 ? 7 : n >= 39 ? 5 : n >= 7 ? 3 : (n - 1) / 2;
        const std::size_t p = (n - t) / 2, q = p + t, m = std::max(s + 1, n);
        const auto mix = [](U x) { return U(x ^ (x >> 27)); };
        for (std::size_t k = 0; k < m; ++k) {
            const U r1 = U(1664525u * mix(U(begin[k % n]) ^ U(begin[(k + p) % n]) ^ U(begin[(k + n - 1) % n])));
            const U r2 = U(r1 + (k == 0 ? U(s) : k <= s ? U(k % n) + v[k - 1] : U(k % n)));
            begin[(k + p) % n] = U(begin[(k + p) % n] + r1);
            begin[(k + q) % n] = U(begin[(k + q) % n] + r2);
            begin[k % n] = r2;
        }
        for (std::size_t k = m; k < m + n; ++k) {
            const U r3 = U(1566083941u * mix(U(U(begin[k % n]) + U(begin[(k + p) % n]) + U(begin[(k + n - 1) % n]))));
            const U r4 = U(r3 - U(k % n));
            begin[(k + p) % n] = U(begin[(k + p) % n] ^ r3);
            begin[(k + q) % n] = U(begin[(k + q) % n] ^ r4);
            begin[k % n] = r4;
        }
    }
};

/// The noise stream of sample `s` (its index in the whole batch) under `seed`: the generator
/// std::seed_seq{seed low, seed high, s low, s high} seeds.
inline FixedSeedSeq<4> noise_seed(std::uint64_t seed, std::uint64_t s) {
    return {{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32), static_cast<std::uint32_t>(s),
             static_cast<std::uint32_t>(s >> 32)}};
}

}  // namespace detail

template <class Model>
class SmoothGrad : public detail::ExplainByName<SmoothGrad<Model>, Model>,
                   public detail::RowTasks<SmoothGrad<Model>, typename Model::scalar> {
public:
    using T = typename Model::scalar;
    using detail::ExplainByName<SmoothGrad, Model>::explain;
    SmoothGrad(const Model&&, int = 32, double = 0.1, std::uint64_t = 0, Eigen::Index = 0) = delete;  // a temporary

    /// `samples` ≥ 1 noisy copies per sample, `noise_level` ≥ 0, `seed` for the noise;
    /// `rows_per_pass`: at most this many noisy copies (whole samples' copies, at least one) go
    /// through the model at once — memory grows with it; 0 (default): as many as keep a pass's
    /// layer outputs within 2¹⁵ values (analyzers/averaged_gradient.hpp says why).
    SmoothGrad(const Model& model, int samples = 32, double noise_level = 0.1, std::uint64_t seed = 0,
               Eigen::Index rows_per_pass = 0)
        : model_(model), samples_(samples), noise_level_(noise_level), seed_(seed),
          rows_per_pass_(detail::pass_rows<Model>(rows_per_pass, "SmoothGrad")) {
        if (samples < 1) throw value_error("SmoothGrad: samples must be >= 1, got " + std::to_string(samples));
        if (!(noise_level >= 0))
            throw value_error("SmoothGrad: noise_level must be >= 0, got " + std::to_string(noise_level));
    }

    Explanation<T> explain(const Batch<T>& x, const Target<T>& target, ExplainOptions opt = {}) const {
        Explanation<T> e;
        explain(x, target, e, opt);
        return e;
    }

    /// The same into `out`, an existing explanation whose buffers are reused; the forward passes,
    /// noisy copies, targets and gradients are the analyzer's own, kept across calls, so after a
    /// first call with a batch size a repeated call (same target; in tasks too, whose workers the
    /// analyzer keeps: detail::RowTasks) makes no heap
    /// allocation (for every target) and
    /// gives what `explain(x, target, opt)` returns, bit for bit. One analyzer serves one thread
    /// at a time.
    void explain(const Batch<T>& x, const Target<T>& target, Explanation<T>& out, ExplainOptions opt = {}) const {
        this->explain_batch(x, target, out, opt);
    }

    /// Rows [first, first + x.rows()) of a larger batch: sample b's noise is the stream of
    /// (seed, first + b), so it does not depend on the other samples of the batch.
    Explanation<T> explain_rows(const Batch<T>& x, const Target<T>& target, ExplainOptions, Eigen::Index first) const {
        Explanation<T> e;
        explain_rows_into(x, target, e, first);
        return e;
    }

private:
    friend detail::RowTasks<SmoothGrad, T>;

    void explain_rows_into(const Batch<T>& x, const Target<T>& target, Explanation<T>& e, Eigen::Index first) const {
        if (!target.stop_at.empty())
            throw value_error("SmoothGrad: attributes to the model input; stop_at ('" + target.stop_at +
                              "') is not supported");
        detail::explain_averaged(
            model_, x, target, samples_, rows_per_pass_, caches_.data(), ws_, e,
            [&](Eigen::Index b, auto noisy) {
                auto seq = detail::noise_seed(seed_, static_cast<std::uint64_t>(first + b));
                std::mt19937_64 gen(seq);
                std::normal_distribution<double> normal(0.0, 1.0);
                const T sigma = T(noise_level_) * (x.row(b).maxCoeff() - x.row(b).minCoeff());
                for (Eigen::Index k = 0; k < noisy.rows(); ++k)
                    for (Eigen::Index f = 0; f < noisy.cols(); ++f) noisy(k, f) = x(b, f) + sigma * T(normal(gen));
            },
            [&](Eigen::Index b, const auto& mean) { e.relevance.row(b) = mean; });
    }

    const Model& model_;
    int samples_;
    double noise_level_;
    std::uint64_t seed_;
    Eigen::Index rows_per_pass_;
    // Kept across calls, like GradientAnalyzer's: one analyzer serves one thread at a time.
    mutable std::array<ParamCache<T>, Model::size> caches_;
    mutable detail::AveragedGradientWorkspace<T> ws_;
};

}  // namespace innspect
