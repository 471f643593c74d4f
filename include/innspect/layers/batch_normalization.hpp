#pragma once
/// \file
/// Keras `BatchNormalization(axis=-1, epsilon, center, scale)` at inference:
///   z = γ (x − μ) / √(σ² + ε) + β = k·x + c,   k = γ/√(σ²+ε),  c = β − k·μ   (per channel)
/// It is a linear layer (a diagonal one), so every LRP rule applies to it; the LRP analyzer folds
/// it into a directly preceding linear layer with no activation (design.md §5).

#include <cmath>
#include <string>
#include <string_view>

#include "innspect/core/errors.hpp"
#include "innspect/core/fixed_string.hpp"
#include "innspect/core/layer_kind.hpp"
#include "innspect/core/linear_params.hpp"
#include "innspect/core/shape.hpp"
#include "innspect/core/tensor.hpp"
#include "innspect/core/weights.hpp"
#include "innspect/layers/activation_functions.hpp"

namespace innspect {

template <fixed_string Name, double Epsilon = 1e-3, bool Center = true, bool Scale = true>
struct BatchNormalization {
    static_assert(Epsilon > 0, "BatchNormalization: epsilon must be positive");
    static constexpr std::string_view name = Name.view();
    static constexpr LayerKind kind = LayerKind::batch_norm;

    template <ShapeType In>
    using output_shape_for = In;

    template <class T, ShapeType In>
    class layer {
        static constexpr int C = In::c;

    public:
        using scalar = T;
        using activation = Linear;
        using input_shape = In;
        using output_shape = In;
        static constexpr std::string_view name = BatchNormalization::name;
        static constexpr LayerKind kind = LayerKind::batch_norm;
        static constexpr bool pre_is_input = false;
        static constexpr double epsilon = Epsilon;
        static constexpr bool center = Center, scale = Scale;

        layer()
            : gamma_(Vector<T>::Ones(C)), beta_(Vector<T>::Zero(C)), mean_(Vector<T>::Zero(C)),
              variance_(Vector<T>::Ones(C)) {}

        /// Keras's arrays in Keras's order: gamma (if scale), beta (if center), moving_mean,
        /// moving_variance. Handing out write access marks the folded k, c as stale.
        std::vector<WeightRef<T>> weights() {
            dirty_ = true;
            std::vector<WeightRef<T>> w;
            if (Scale) w.push_back({"gamma", {C}, gamma_.data()});
            if (Center) w.push_back({"beta", {C}, beta_.data()});
            w.push_back({"moving_mean", {C}, mean_.data()});
            w.push_back({"moving_variance", {C}, variance_.data()});
            return w;
        }

        /// Sets the statistics directly (γ, β, μ, σ²).
        void set(const Vector<T>& gamma, const Vector<T>& beta, const Vector<T>& mean, const Vector<T>& variance) {
            gamma_ = gamma;
            beta_ = beta;
            mean_ = mean;
            variance_ = variance;
            dirty_ = true;
        }

        /// k as a 1 × C "kernel" and c as the bias. Throws value_error for a negative variance.
        const LinearParams<T>& params() const {
            if (dirty_) refresh();
            return params_;
        }

        void check_finite() const {
            require_finite(gamma_, std::string(name) + ": gamma");
            require_finite(beta_, std::string(name) + ": beta");
            require_finite(mean_, std::string(name) + ": moving_mean");
            require_finite(variance_, std::string(name) + ": moving_variance");
            params();
        }

        /// apply(x, P) = x·k + c per channel; apply_transposed(s, P) = s·k.
        Batch<T> apply(const Batch<T>& x, const LinearParams<T>& p) const {
            check(x, "input");
            Batch<T> z(x.rows(), x.cols());
            Eigen::Map<const Matrix<T>> xm(x.data(), x.size() / C, C);
            Eigen::Map<Matrix<T>> zm(z.data(), x.size() / C, C);
            zm = xm.array().rowwise() * p.kernel.row(0).array();
            if (p.has_bias) zm.rowwise() += p.bias.transpose();
            return z;
        }
        Batch<T> apply_transposed(const Batch<T>& s, const LinearParams<T>& p) const {
            check(s, "relevance/gradient at the output");
            Batch<T> c(s.rows(), s.cols());
            Eigen::Map<const Matrix<T>> sm(s.data(), s.size() / C, C);
            Eigen::Map<Matrix<T>>(c.data(), s.size() / C, C) = sm.array().rowwise() * p.kernel.row(0).array();
            return c;
        }

        void forward(const Batch<T>& x, Batch<T>& pre, Batch<T>& out) const {
            pre.resize(0, 0);
            out = apply(x, params());
        }
        Batch<T> backward_linear(const Batch<T>& g) const { return apply_transposed(g, params()); }

    private:
        void refresh() const {
            for (int i = 0; i < C; ++i)
                if (!(variance_(i) >= T(0)))
                    throw value_error(std::string(name) + ": moving_variance[" + std::to_string(i) +
                                      "] = " + std::to_string(static_cast<double>(variance_(i))) +
                                      " is negative; a variance cannot be");
            const Vector<T> k = (Scale ? gamma_ : Vector<T>::Ones(C)).array() /
                                (variance_.array() + T(Epsilon)).sqrt();
            params_.kernel = k.transpose();
            params_.bias = (Center ? beta_ : Vector<T>::Zero(C)) - k.cwiseProduct(mean_);
            params_.has_bias = true;
            dirty_ = false;
        }
        static void check(const Batch<T>& x, const char* what) {
            if (x.cols() != In::size)
                throw shape_error(std::string(name) + ": " + what + " has " + std::to_string(x.cols()) +
                                  " features per sample, expected " + std::to_string(In::size));
        }

        Vector<T> gamma_, beta_, mean_, variance_;
        mutable LinearParams<T> params_;
        mutable bool dirty_ = true;
    };
};

}  // namespace innspect
