#pragma once
/// \file
/// Integrated gradients (Sundararajan et al. 2017), Riemann sum on the right end points:
///   A = (x − x₀) ⊙ (1/n) Σ_{k=1..n} ∂S/∂x (x₀ + (k/n)(x − x₀))
/// so Σ A ≈ S(x) − S(x₀) (completeness). The units explained (the selection, e.g. `max`) are fixed
/// at x and kept along the path; the reconstruction error is E of each point itself (Σ A ≈ E(x) − E(x₀)). Baseline x₀ = 0 by default. Attributes to the model input only.

#include <array>
#include <string>

#include "innspect/analyzers/gradient.hpp"

namespace innspect {

template <class Model>
class IntegratedGradients : public detail::ExplainByName<IntegratedGradients<Model>, Model> {
public:
    using T = typename Model::scalar;
    using detail::ExplainByName<IntegratedGradients, Model>::explain;
    IntegratedGradients(const Model&&, int = 32, Batch<T> = {}) = delete;  // a temporary

    /// `steps` ≥ 1 points on the path; `baseline`: empty (zeros), one row, or one row per sample.
    IntegratedGradients(const Model& model, int steps = 32, Batch<T> baseline = {})
        : model_(model), steps_(steps), baseline_(std::move(baseline)) {
        if (steps < 1) throw value_error("IntegratedGradients: steps must be >= 1, got " + std::to_string(steps));
    }

    Explanation<T> explain(const Batch<T>& x, const Target<T>& target, ExplainOptions opt = {}) const {
        if (baseline_.rows() > 1 && baseline_.rows() != x.rows())
            throw shape_error("IntegratedGradients: the baseline has " + std::to_string(baseline_.rows()) +
                              " rows, expected 1 or the batch's " + std::to_string(x.rows()));
        if (detail::several_tasks(opt, x.rows(), target)) return detail::explain_in_tasks(*this, x, target, opt);
        return explain_rows(x, target, opt, 0);
    }

    /// Rows [first, first + x.rows()) of a larger batch: the baseline's rows are indexed from `first`.
    Explanation<T> explain_rows(const Batch<T>& x, const Target<T>& target, ExplainOptions, Eigen::Index first) const {
        if (!target.stop_at.empty())
            throw value_error("IntegratedGradients: attributes to the model input; stop_at ('" + target.stop_at +
                              "') is not supported");
        const auto trace = model_.forward(x, target.layer);
        const auto rt = detail::resolve(trace, target);
        auto e = detail::start_explanation(trace, rt);
        e.relevance.resize(x.rows(), x.cols());
        Trace<T> pt;  // one trace for every sample's path: its buffers are reused
        for (Eigen::Index b = 0; b < x.rows(); ++b) {
            const Batch<T> x0 = baseline_row(first + b, x.cols());
            const Batch<T> dx = x.row(b) - x0;
            Batch<T> points(steps_, x.cols());
            for (int k = 1; k <= steps_; ++k) points.row(k - 1) = x0 + (T(k) / T(steps_)) * dx;
            const Target<T> fixed = detail::fixed_at(target, rt, b);
            model_.forward(points, pt, target.layer);
            const auto prt = detail::resolve(pt, fixed);
            const Batch<T> g = detail::backpropagate(model_, pt, prt, ReluMode::gradient, nullptr, caches_.data());
            e.relevance.row(b) = dx.cwiseProduct(g.colwise().mean());
        }
        return e;
    }

private:
    Batch<T> baseline_row(Eigen::Index b, Eigen::Index features) const {
        if (baseline_.size() == 0) return Batch<T>::Zero(1, features);
        if (baseline_.cols() != features)
            throw shape_error("IntegratedGradients: baseline has " + std::to_string(baseline_.cols()) +
                              " features, the model input " + std::to_string(features));
        return baseline_.rows() == 1 ? baseline_ : Batch<T>(baseline_.row(b));
    }

    const Model& model_;
    int steps_;
    Batch<T> baseline_;
    mutable std::array<ParamCache<T>, Model::size> caches_;  // as GradientAnalyzer's
};

}  // namespace innspect
