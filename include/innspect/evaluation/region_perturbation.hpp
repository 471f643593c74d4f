#pragma once
/// \file
/// Region perturbation, most relevant first (MoRF; Samek et al. 2017, "Evaluating the
/// visualization of what a deep neural network has learned"). The input is cut into patches;
/// patches are perturbed cumulatively in order of decreasing summed relevance, and the explained
/// score S = Σ_j m_j z_j (the same target as the explanation, units fixed at x; for the
/// reconstruction-error target, E of each perturbed input) is recorded after each step:
///   AOPC = 1/(K+1) Σ_{k=0..K} (S(x⁽⁰⁾) − S(x⁽ᵏ⁾))
/// A larger AOPC means the explanation found what the model relies on: removing it hurts sooner.
/// Perturbation: a constant, or values drawn uniformly from [low, high] by a seeded generator.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "innspect/analyzers/backward.hpp"
#include "innspect/core/errors.hpp"
#include "innspect/core/tensor.hpp"
#include "innspect/targets/target.hpp"

namespace innspect {

struct PerturbationOptions {
    int patch_h = 1, patch_w = 1;  ///< patch size in pixels (all channels of a pixel move together)
    int steps = 20;                ///< K: patches perturbed in total
    bool uniform_noise = true;     ///< true: uniform values in [low, high]; false: the constant `value`
    double low = -1, high = 1, value = 0;
    std::uint64_t seed = 0;
};

template <class T>
struct PerturbationCurve {
    Batch<T> scores;  ///< batch × (K+1): S(x⁽ᵏ⁾)
    Vector<T> aopc;   ///< per sample
    double mean_aopc() const { return static_cast<double>(aopc.mean()); }
};

/// MoRF curve and AOPC of `relevance` (batch × input features, the model's input shape) for
/// `target` on `model` at inputs `x`.
template <class Model>
PerturbationCurve<typename Model::scalar> morf(const Model& model, const Batch<typename Model::scalar>& x,
                                                 const Batch<typename Model::scalar>& relevance,
                                                 const Target<typename Model::scalar>& target,
                                                 const PerturbationOptions& opt = {}) {
    using T = typename Model::scalar;
    using In = typename Model::input_shape;
    if (relevance.rows() != x.rows() || relevance.cols() != x.cols())
        throw shape_error("morf: relevance is " + std::to_string(relevance.rows()) + " x " +
                          std::to_string(relevance.cols()) + ", the input " + std::to_string(x.rows()) + " x " +
                          std::to_string(x.cols()));
    if (opt.patch_h < 1 || opt.patch_w < 1 || opt.steps < 0)
        throw value_error("morf: patch sizes must be >= 1 and steps >= 0");
    if (opt.uniform_noise ? !(std::isfinite(opt.low) && std::isfinite(opt.high) && opt.low <= opt.high)
                          : !std::isfinite(opt.value))
        throw value_error(opt.uniform_noise
                              ? "morf: the noise range [" + std::to_string(opt.low) + ", " +
                                    std::to_string(opt.high) + "] must be finite with low <= high"
                              : "morf: the perturbation value " + std::to_string(opt.value) +
                                    " is not finite");
    // NaN relevance has no order (the sort below needs one)
    if (!relevance.allFinite()) require_finite(relevance, "morf: relevance");
    const int H = In::h, W = In::w, C = In::c;
    std::vector<std::pair<int, int>> patches;
    for (int h = 0; h < H; h += opt.patch_h)
        for (int w = 0; w < W; w += opt.patch_w) patches.emplace_back(h, w);
    const int K = std::min<int>(opt.steps, static_cast<int>(patches.size()));

    const auto trace = model.forward(x, target.layer);
    const auto rt = detail::resolve(trace, target);
    PerturbationCurve<T> out;
    out.scores.resize(x.rows(), K + 1);
    out.aopc.resize(x.rows());
    std::mt19937_64 gen(opt.seed);
    std::uniform_real_distribution<double> uniform(opt.low, opt.high);
    auto for_patch = [&](std::pair<int, int> p, auto&& f) {
        for (int h = p.first; h < std::min(p.first + opt.patch_h, H); ++h)
            for (int w = p.second; w < std::min(p.second + opt.patch_w, W); ++w)
                for (int c = 0; c < C; ++c) f((static_cast<Eigen::Index>(h) * W + w) * C + c);
    };
    for (Eigen::Index b = 0; b < x.rows(); ++b) {
        std::vector<T> score(patches.size(), T(0));
        for (std::size_t p = 0; p < patches.size(); ++p)
            for_patch(patches[p], [&](Eigen::Index k) { score[p] += relevance(b, k); });
        std::vector<std::size_t> order(patches.size());
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t c) { return score[a] > score[c]; });
        Batch<T> steps(K + 1, x.cols());
        steps.row(0) = x.row(b);
        for (int k = 1; k <= K; ++k) {
            steps.row(k) = steps.row(k - 1);
            for_patch(patches[order[static_cast<std::size_t>(k - 1)]], [&](Eigen::Index f) {
                steps(k, f) = opt.uniform_noise ? T(uniform(gen)) : T(opt.value);
            });
        }
        const Target<T> fixed = detail::fixed_at(target, rt, b);
        const auto st = model.forward(steps, target.layer);
        const Vector<T> s = detail::resolve(st, fixed).score();
        out.scores.row(b) = s.transpose();
        out.aopc(b) = (s(0) - s.array()).mean();
    }
    return out;
}

/// Uniform random relevance in [0, 1) — the baseline any explanation should beat in AOPC.
template <class T>
Batch<T> random_relevance(Eigen::Index rows, Eigen::Index cols, std::uint64_t seed) {
    std::mt19937_64 gen(seed);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    Batch<T> r(rows, cols);
    for (Eigen::Index i = 0; i < r.size(); ++i) r.data()[i] = T(u(gen));
    return r;
}

}  // namespace innspect
