#pragma once
/// \file
/// Integrated gradients (Sundararajan et al. 2017), Riemann sum on the right end points:
///   A = (x − x₀) ⊙ (1/n) Σ_{k=1..n} ∂S/∂x (x₀ + (k/n)(x − x₀))
/// so Σ A ≈ S(x) − S(x₀) (completeness). The units explained (the selection, e.g. `max`) are fixed
/// at x and kept along the path; the reconstruction error is E of each point itself (Σ A ≈ E(x) − E(x₀)). Baseline x₀ = 0 by default. Attributes to the model input only.
/// The path points of several samples go through the model together, in passes of a bounded
/// number of rows (analyzers/averaged_gradient.hpp).

#include <array>
#include <string>

#include "innspect/analyzers/averaged_gradient.hpp"

namespace innspect {

template <class Model>
class IntegratedGradients : public detail::ExplainByName<IntegratedGradients<Model>, Model>,
                            public detail::RowTasks<IntegratedGradients<Model>, typename Model::scalar> {
public:
    using T = typename Model::scalar;
    using detail::ExplainByName<IntegratedGradients, Model>::explain;
    IntegratedGradients(const Model&&, int = 32, Batch<T> = {}, Eigen::Index = 0) = delete;  // a temporary

    /// `steps` ≥ 1 points on the path; `baseline`: empty (zeros), one row, or one row per sample.
    /// `rows_per_pass`: at most this many path points (whole samples' paths, at least one) go
    /// through the model at once — memory grows with it; 0 (default): as many as keep a pass's
    /// layer outputs within 2¹⁵ values (analyzers/averaged_gradient.hpp says why).
    IntegratedGradients(const Model& model, int steps = 32, Batch<T> baseline = {},
                        Eigen::Index rows_per_pass = 0)
        : model_(model), steps_(steps), baseline_(std::move(baseline)),
          rows_per_pass_(detail::pass_rows<Model>(rows_per_pass, "IntegratedGradients")) {
        if (steps < 1) throw value_error("IntegratedGradients: steps must be >= 1, got " + std::to_string(steps));
    }

    Explanation<T> explain(const Batch<T>& x, const Target<T>& target, ExplainOptions opt = {}) const {
        Explanation<T> e;
        explain(x, target, e, opt);
        return e;
    }

    /// The same into `out`, an existing explanation whose buffers are reused; the forward passes,
    /// path points, targets and gradients are the analyzer's own, kept across calls, so after a
    /// first call with a batch size a repeated call (same target; in tasks too, whose workers the
    /// analyzer keeps: detail::RowTasks) makes no heap
    /// allocation (for every target) and
    /// gives what `explain(x, target, opt)` returns, bit for bit. One analyzer serves one thread
    /// at a time.
    void explain(const Batch<T>& x, const Target<T>& target, Explanation<T>& out, ExplainOptions opt = {}) const {
        if (baseline_.rows() > 1 && baseline_.rows() != x.rows())
            throw shape_error("IntegratedGradients: the baseline has " + std::to_string(baseline_.rows()) +
                              " rows, expected 1 or the batch's " + std::to_string(x.rows()));
        this->explain_batch(x, target, out, opt);
    }

    /// Rows [first, first + x.rows()) of a larger batch: the baseline's rows are indexed from `first`.
    Explanation<T> explain_rows(const Batch<T>& x, const Target<T>& target, ExplainOptions, Eigen::Index first) const {
        Explanation<T> e;
        explain_rows_into(x, target, e, first);
        return e;
    }

private:
    friend detail::RowTasks<IntegratedGradients, T>;

    void explain_rows_into(const Batch<T>& x, const Target<T>& target, Explanation<T>& e, Eigen::Index first) const {
        if (!target.stop_at.empty())
            throw value_error("IntegratedGradients: attributes to the model input; stop_at ('" + target.stop_at +
                              "') is not supported");
        detail::explain_averaged(
            model_, x, target, steps_, rows_per_pass_, caches_.data(), ws_, e,
            [&](Eigen::Index b, auto points) {
                baseline_row(first + b, x.cols(), x0_);
                dx_ = x.row(b) - x0_;
                for (int k = 1; k <= steps_; ++k) points.row(k - 1) = x0_ + (T(k) / T(steps_)) * dx_;
            },
            [&](Eigen::Index b, const auto& mean) {
                baseline_row(first + b, x.cols(), x0_);
                e.relevance.row(b) = (x.row(b) - x0_).cwiseProduct(mean);
            });
    }

    /// x₀ of sample b (of the whole batch), into `x0` (1 × features).
    void baseline_row(Eigen::Index b, Eigen::Index features, Batch<T>& x0) const {
        if (baseline_.size() == 0) {
            x0.setZero(1, features);
            return;
        }
        if (baseline_.cols() != features)
            throw shape_error("IntegratedGradients: baseline has " + std::to_string(baseline_.cols()) +
                              " features, the model input " + std::to_string(features));
        x0 = baseline_.row(baseline_.rows() == 1 ? 0 : b);
    }

    const Model& model_;
    int steps_;
    Batch<T> baseline_;
    Eigen::Index rows_per_pass_;
    // Kept across calls, like GradientAnalyzer's: one analyzer serves one thread at a time.
    mutable std::array<ParamCache<T>, Model::size> caches_;
    mutable detail::AveragedGradientWorkspace<T> ws_;
    mutable Batch<T> x0_, dx_;  ///< a sample's baseline row and x − x₀
};

}  // namespace innspect
