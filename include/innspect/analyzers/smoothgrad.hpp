#pragma once
/// \file
/// SmoothGrad (Smilkov et al. 2017): A = (1/N) Σ_k ∂S/∂x (x + ε_k), ε_k ~ N(0, σ²) per feature,
/// σ = noise_level · (max(x) − min(x)) per sample. Every sample is noisy. Sample b's noise comes
/// from a std::mt19937_64 seeded with (seed, b), so a given seed reproduces the same attribution
/// (with the same standard library), and a sample's noise does not depend on the others — the
/// batch can be explained in tasks (ExplainOptions::threads) with the same result. The units explained are fixed at x (the reconstruction error: E of each noisy input). Attributes to the model input only.

#include <array>
#include <cstdint>
#include <random>
#include <string>

#include "innspect/analyzers/gradient.hpp"

namespace innspect {

template <class Model>
class SmoothGrad : public detail::ExplainByName<SmoothGrad<Model>, Model> {
public:
    using T = typename Model::scalar;
    using detail::ExplainByName<SmoothGrad, Model>::explain;
    SmoothGrad(const Model&&, int = 32, double = 0.1, std::uint64_t = 0) = delete;  // a temporary

    SmoothGrad(const Model& model, int samples = 32, double noise_level = 0.1, std::uint64_t seed = 0)
        : model_(model), samples_(samples), noise_level_(noise_level), seed_(seed) {
        if (samples < 1) throw value_error("SmoothGrad: samples must be >= 1, got " + std::to_string(samples));
        if (!(noise_level >= 0))
            throw value_error("SmoothGrad: noise_level must be >= 0, got " + std::to_string(noise_level));
    }

    Explanation<T> explain(const Batch<T>& x, const Target<T>& target, ExplainOptions opt = {}) const {
        if (detail::several_tasks(opt, x.rows(), target)) return detail::explain_in_tasks(*this, x, target, opt);
        return explain_rows(x, target, opt, 0);
    }

    /// Rows [first, first + x.rows()) of a larger batch: sample b's noise is the stream of
    /// (seed, first + b), so it does not depend on the other samples of the batch.
    Explanation<T> explain_rows(const Batch<T>& x, const Target<T>& target, ExplainOptions, Eigen::Index first) const {
        if (!target.stop_at.empty())
            throw value_error("SmoothGrad: attributes to the model input; stop_at ('" + target.stop_at +
                              "') is not supported");
        const auto trace = model_.forward(x, target.layer);
        const auto rt = detail::resolve(trace, target);
        auto e = detail::start_explanation(trace, rt);
        e.relevance.resize(x.rows(), x.cols());
        Trace<T> nt;  // one trace for every sample's noisy copies: its buffers are reused
        for (Eigen::Index b = 0; b < x.rows(); ++b) {
            const auto s = static_cast<std::uint64_t>(first + b);
            std::seed_seq seq{static_cast<std::uint32_t>(seed_), static_cast<std::uint32_t>(seed_ >> 32),
                              static_cast<std::uint32_t>(s), static_cast<std::uint32_t>(s >> 32)};
            std::mt19937_64 gen(seq);
            std::normal_distribution<double> normal(0.0, 1.0);
            const T sigma = T(noise_level_) * (x.row(b).maxCoeff() - x.row(b).minCoeff());
            Batch<T> noisy(samples_, x.cols());
            for (Eigen::Index k = 0; k < noisy.rows(); ++k)
                for (Eigen::Index f = 0; f < noisy.cols(); ++f) noisy(k, f) = x(b, f) + sigma * T(normal(gen));
            const Target<T> fixed = detail::fixed_at(target, rt, b);
            model_.forward(noisy, nt, target.layer);
            const auto nrt = detail::resolve(nt, fixed);
            e.relevance.row(b) = detail::backpropagate(model_, nt, nrt, ReluMode::gradient, nullptr, caches_.data()).colwise().mean();
        }
        return e;
    }

private:
    const Model& model_;
    int samples_;
    double noise_level_;
    std::uint64_t seed_;
    mutable std::array<ParamCache<T>, Model::size> caches_;  // as GradientAnalyzer's
};

}  // namespace innspect
