#pragma once
/// \file
/// Keras `BatchNormalization(axis=-1, epsilon, center, scale)` at inference:
///   z = γ (x − μ) / √(σ² + ε) + β = k·x + c,   k = γ/√(σ²+ε),  c = β − k·μ   (per channel)
/// It is a linear layer (a diagonal one), so every LRP rule applies to it; directly after a linear
/// layer with no activation it is merged into that layer before analysis
/// (canonizers/merge_batch_norm.hpp, design.md §5). k and c are computed from the statistics
/// when asked, so a loaded model holds no cache and is safe to share between threads.

#include <cmath>
#include <string>
#include <string_view>

#include "innspect/core/errors.hpp"
#include "innspect/core/fixed_string.hpp"
#include "innspect/core/layer_traits.hpp"
#include "innspect/core/linear_params.hpp"
#include "innspect/core/scratch.hpp"
#include "innspect/core/shape.hpp"
#include "innspect/core/tensor.hpp"
#include "innspect/core/weights.hpp"
#include "innspect/layers/activation_functions.hpp"
#include "innspect/layers/keras_schema.hpp"

namespace innspect {

namespace detail {
inline constexpr KerasField batch_normalization_fields[] = {
    {.key = "epsilon", .has_fallback = true, .fallback = {1e-3}},
    {.key = "center", .type = FieldType::boolean, .has_fallback = true, .fallback = {1}},
    {.key = "scale", .type = FieldType::boolean, .has_fallback = true, .fallback = {1}},
    {.key = "axis", .type = FieldType::raw, .requirement = "normalises the last (channel) axis only",
     .accepted = "-1|3|[-1]|[3]"},
};

}  // namespace detail
/// Keras's BatchNormalization config.
inline constexpr KerasSchema batch_normalization_schema{"BatchNormalization", detail::batch_normalization_fields, false,
                                                        {}};

template <fixed_string Name, double Epsilon = 1e-3, bool Center = true, bool Scale = true>
struct BatchNormalization {
    static_assert(Epsilon > 0, "BatchNormalization: epsilon must be positive");
    static constexpr std::string_view name = Name.view();
    static constexpr const KerasSchema& keras = batch_normalization_schema;
    static constexpr std::string_view keras_class = keras.keras_class;
    static void keras_values(KerasValues& v) {
        v.numbers("epsilon", {Epsilon});
        v.boolean("center", Center);
        v.boolean("scale", Scale);
    }

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
        static constexpr std::string_view keras_class = BatchNormalization::keras_class;
        static constexpr bool pre_is_input = false;
        static constexpr LrpPolicy lrp = LrpPolicy::linear;
        /// For rule selection a convolution on feature maps and a Dense layer on vectors (design.md §5).
        static constexpr RuleFamily family = In::rank == 1 ? RuleFamily::dense : RuleFamily::convolution;
        /// z = k ⊙ x + c per channel, with params() = (k as a 1 × C kernel, c as the bias): what
        /// canonizers/merge_batch_norm.hpp merges into a preceding linear layer.
        static constexpr bool channel_affine = true;
        static constexpr double epsilon = Epsilon;
        static constexpr bool center = Center, scale = Scale;

        layer()
            : gamma_(Vector<T>::Ones(C)), beta_(Vector<T>::Zero(C)), mean_(Vector<T>::Zero(C)),
              variance_(Vector<T>::Ones(C)) {}

        /// Keras's arrays in Keras's order: gamma (if scale), beta (if center), moving_mean,
        /// moving_variance.
        std::vector<WeightRef<T>> weights() {
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
        }

        /// k as a 1 × C "kernel" and c as the bias. Throws value_error for a negative variance.
        LinearParams<T> params() const {
            LinearParams<T> p;
            p.kernel.resize(1, C);
            p.bias.resize(C);
            fold(p.kernel.row(0), p.bias.transpose());
            p.has_bias = true;
            return p;
        }

        /// W·diag(k) over the C channels (the 1 × C kernel's columns).
        static LinearParams<T> scale_output_channels(const LinearParams<T>& p, const Vector<T>& k) {
            LinearParams<T> s = p;
            s.kernel = p.kernel * k.asDiagonal();
            if (p.has_bias) s.bias = p.bias.cwiseProduct(k);
            return s;
        }

        void check_finite() const {
            require_finite(gamma_, std::string(name) + ": gamma");
            require_finite(beta_, std::string(name) + ": beta");
            require_finite(mean_, std::string(name) + ": moving_mean");
            require_finite(variance_, std::string(name) + ": moving_variance");
            (void)params();  // throws for a negative variance
        }

        /// apply(x, P) = x·k + c per channel; apply_transposed(s, P) = s·k; into the caller's
        /// buffer or a new matrix.
        void apply_into(const Batch<T>& x, const LinearParams<T>& p, Batch<T>& z) const {
            check(x, "input");
            affine(x, p.kernel.row(0), p.has_bias ? &p.bias : nullptr, z);
        }
        Batch<T> apply(const Batch<T>& x, const LinearParams<T>& p) const {
            Batch<T> z;
            apply_into(x, p, z);
            return z;
        }
        void apply_transposed_into(const Batch<T>& s, const LinearParams<T>& p, Batch<T>& c) const {
            transposed(s, p.kernel.row(0), c);
        }
        Batch<T> apply_transposed(const Batch<T>& s, const LinearParams<T>& p) const {
            Batch<T> c;
            apply_transposed_into(s, p, c);
            return c;
        }

        /// out = x·k + c, into the caller's buffer; k and c are folded into the thread's scratch
        /// (params() would allocate them), with params()'s arithmetic.
        void forward(const Batch<T>& x, Batch<T>& pre, Batch<T>& out) const {
            pre.resize(0, 0);
            check(x, "input");
            auto kc = detail::scratch_matrix<T>(2, C);
            fold(kc.row(0), kc.row(1));
            const Vector<T>* no_bias = nullptr;
            affine(x, kc.row(0), no_bias, out);
            Eigen::Map<Matrix<T>>(out.data(), x.size() / C, C).rowwise() += kc.row(1);
        }
        /// g·k, with k folded into the thread's scratch (params() would allocate it).
        void backward_linear_into(const Batch<T>& g, Batch<T>& out) const {
            auto kc = detail::scratch_matrix<T>(2, C);
            fold(kc.row(0), kc.row(1));
            transposed(g, kc.row(0), out);
        }
        Batch<T> backward_linear(const Batch<T>& g) const {
            Batch<T> out;
            backward_linear_into(g, out);
            return out;
        }

    private:
        /// k = γ / √(σ² + ε) and c = β − k ⊙ μ into two rows of C. Throws value_error for a
        /// negative variance.
        template <class K, class B>
        void fold(K&& k, B&& c) const {
            for (int i = 0; i < C; ++i)
                if (!(variance_(i) >= T(0)))
                    throw value_error(std::string(name) + ": moving_variance[" + std::to_string(i) +
                                      "] = " + std::to_string(static_cast<double>(variance_(i))) +
                                      " is negative; a variance cannot be");
            if constexpr (Scale)
                k = (gamma_.array() / (variance_.array() + T(Epsilon)).sqrt()).transpose().matrix();
            else
                k = (T(1) / (variance_.array() + T(Epsilon)).sqrt()).transpose().matrix();
            if constexpr (Center)
                c = beta_.transpose() - k.cwiseProduct(mean_.transpose());
            else {
                c.setZero();  // 0 − k ⊙ μ, as params() always computed it (−0 and +0 differ as bits)
                c -= k.cwiseProduct(mean_.transpose());
            }
        }

        /// z = x ⊙ k per channel (+ bias).
        template <class K>
        static void affine(const Batch<T>& x, const K& k, const Vector<T>* bias, Batch<T>& z) {
            z.resize(x.rows(), x.cols());
            Eigen::Map<const Matrix<T>> xm(x.data(), x.size() / C, C);
            Eigen::Map<Matrix<T>> zm(z.data(), x.size() / C, C);
            zm = xm.array().rowwise() * k.array();
            if (bias) zm.rowwise() += bias->transpose();
        }

        /// c = s·k per channel.
        template <class K>
        static void transposed(const Batch<T>& s, const K& k, Batch<T>& c) {
            check(s, "relevance/gradient at the output");
            c.resize(s.rows(), s.cols());
            Eigen::Map<const Matrix<T>> sm(s.data(), s.size() / C, C);
            Eigen::Map<Matrix<T>>(c.data(), s.size() / C, C) = sm.array().rowwise() * k.array();
        }

        static void check(const Batch<T>& x, const char* what) {
            if (x.cols() != In::size)
                throw shape_error(std::string(name) + ": " + what + " has " + std::to_string(x.cols()) +
                                  " features per sample, expected " + std::to_string(In::size));
        }

        Vector<T> gamma_, beta_, mean_, variance_;
    };
};

}  // namespace innspect
