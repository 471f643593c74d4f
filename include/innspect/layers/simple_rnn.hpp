#pragma once
/// \file
/// Keras `SimpleRNN(units, activation, use_bias, return_sequences, go_backwards)` on a sequence
/// Shape<steps, features>, Keras's layout: kernel [F, u], recurrent_kernel [u, u], bias [u]:
///
///   h_t = φ(x_t·W + h_{t−1}·U + b),  h_0 = 0
///
/// LRP through time: φ passes R to its argument, the composite's rule on the linear map
/// [x_t | h_{t−1}]·[W; U] + b hands R to x_t and h_{t−1}, where it joins what the output gives
/// h_{t−1}. With zero biases and ε → 0 it conserves relevance exactly. Gradient: exact BPTT.

#include <Eigen/Core>

#include <string>
#include <string_view>
#include <vector>

#include "innspect/core/fixed_string.hpp"
#include "innspect/core/layer_traits.hpp"
#include "innspect/core/rule_context.hpp"
#include "innspect/core/shape.hpp"
#include "innspect/core/tensor.hpp"
#include "innspect/core/weights.hpp"
#include "innspect/layers/activation_functions.hpp"
#include "innspect/layers/keras_schema.hpp"
#include "innspect/layers/recurrent.hpp"

namespace innspect {

/// Keras's SimpleRNN config.
inline constexpr KerasSchema simple_rnn_schema{"SimpleRNN", detail::rnn_fields, false, {}};

/// Keras SimpleRNN (see the file comment). `Opt`: return_sequences, go_backwards, use_bias.
template <fixed_string Name, int Units, Recurrent Opt = Recurrent{}, ActivationFunction Act = Tanh>
struct SimpleRNN {
    static_assert(Units > 0, "SimpleRNN: units must be positive");
    static_assert(Opt.reset_after, "SimpleRNN: reset_after is a GRU option");
    static constexpr std::string_view name = Name.view();
    static constexpr const KerasSchema& keras = simple_rnn_schema;
    static constexpr std::string_view keras_class = keras.keras_class;
    static constexpr Recurrent options = Opt;
    /// The same layer reading the other way (Bidirectional's backward layer).
    using reversed = SimpleRNN<Name, Units, detail::flip_go_backwards(Opt), Act>;
    static void keras_values(KerasValues& v) { detail::rnn_keras_values<Units, Act, Opt>(v); }

    template <ShapeType In>
    static constexpr bool check() {
        static_assert(In::rank == 2, "SimpleRNN: the input must be a sequence Shape<steps, features>");
        return true;
    }
    template <ShapeType In>
        requires(check<In>())
    using output_shape_for = std::conditional_t<Opt.return_sequences, Shape<In::w, Units>, Shape<Units>>;

    template <class T, ShapeType In>
    class layer : public detail::ReturningSteps<layer<T, In>, T> {
        static constexpr int S = In::w, F = In::c, U = Units;

    public:
        using scalar = T;
        using activation = Linear;
        using cell_activation = Act;
        using input_shape = In;
        using output_shape = output_shape_for<In>;
        static constexpr std::string_view name = SimpleRNN::name;
        static constexpr std::string_view keras_class = SimpleRNN::keras_class;
        static constexpr bool pre_is_input = false;
        static constexpr RuleFamily family = RuleFamily::dense;
        static constexpr LrpPolicy lrp = LrpPolicy::own_rule;
        static constexpr bool lrp_takes_rule = true;
        static constexpr std::string_view lrp_rule_name = "LRP through time";
        static constexpr int units = Units, steps = S, features = F;

        layer() : kernel_(Matrix<T>::Zero(F, U)), recurrent_(Matrix<T>::Zero(U, U)) {
            if (Opt.use_bias) bias_ = Vector<T>::Zero(U);
        }

        Matrix<T>& kernel() { return kernel_; }
        Matrix<T>& recurrent_kernel() { return recurrent_; }
        Vector<T>& bias() { return bias_; }
        const Matrix<T>& kernel() const { return kernel_; }
        const Matrix<T>& recurrent_kernel() const { return recurrent_; }
        const Vector<T>& bias() const { return bias_; }

        std::vector<WeightRef<T>> weights() {
            std::vector<WeightRef<T>> w{{"kernel", {F, U}, kernel_.data()}, {"recurrent_kernel", {U, U}, recurrent_.data()}};
            if (Opt.use_bias) w.push_back({"bias", {U}, bias_.data()});
            return w;
        }
        void check_finite() const {
            require_finite(kernel_, std::string(name) + ": kernel");
            require_finite(recurrent_, std::string(name) + ": recurrent_kernel");
            if (Opt.use_bias) require_finite(bias_, std::string(name) + ": bias");
        }

        /// The forward pass into `out`, its step buffers the thread's (kept: no allocation in
        /// steady state).
        void forward(const Batch<T>& x, Batch<T>& pre, Batch<T>& out) const {
            pre.resize(0, 0);
            run(x, nullptr, detail::thread_workspace<Steps>(), out);
        }

        /// Backpropagation through time into `gx`. The forward pass it re-runs and the steps'
        /// buffers live in a workspace the analyzer keeps in `cache` (no allocation in steady
        /// state); `backward(x, g)` (detail::ReturningSteps) returns it.
        void backward_into(const Batch<T>& x, const Batch<T>& g, ParamCache<T>& cache, Batch<T>& gx) const {
            check(g, output_shape::size, "gradient at the output");
            Workspace& w = cache.template workspace<Workspace>("simple_rnn");
            const Record& rec = w.rec;
            run(x, &w.rec, w.steps, w.out);
            const Eigen::Index B = x.rows();
            Batch<T>& dz_all = w.all;
            Batch<T>& dh = w.h;
            dz_all.resize(B, S * U);
            dh.setZero(B, U);
            for (int k = S - 1; k >= 0; --k) {
                add_output_share(dh, g, k);
                Act::vjp(rec.z[k], rec.h[k + 1], dh, U);
                detail::step_view(dz_all, input_step(k), U, S) = dh;
                w.next.noalias() = dh * recurrent_.transpose();
                dh.swap(w.next);
            }
            gx.resize(B, In::size);
            Eigen::Map<Matrix<T>>(gx.data(), B * S, F).noalias() =
                Eigen::Map<const Matrix<T>>(dz_all.data(), B * S, U) * kernel_.transpose();
        }

        /// LRP through time with `rule` on [x_t | h_{t−1}] → z_t: the relevance at the input into
        /// `rx`; returns what the bias absorbed. The record of the forward pass it re-runs and the
        /// steps' buffers live in a workspace the analyzer keeps in `cache`: repeated
        /// explanations at one batch size allocate nothing. `lrp_backward(x, R, rule, cache)`
        /// (detail::ReturningSteps) returns an LrpStep.
        template <class Rule>
        double lrp_backward_into(const Batch<T>& x, const Batch<T>& r, const Rule& rule, ParamCache<T>& cache,
                                 Batch<T>& rx) const {
            check(r, output_shape::size, "relevance at the output");
            Workspace& w = cache.template workspace<Workspace>("simple_rnn");
            const Record& rec = w.rec;
            run(x, &w.rec, w.steps, w.out);
            const Eigen::Index B = x.rows();
            const auto& p = cache.get("simple_rnn [W; U], b", [&] {
                LinearParams<T> q;
                q.kernel.resize(F + U, U);
                q.kernel.topRows(F) = kernel_;
                q.kernel.bottomRows(U) = recurrent_;
                q.has_bias = Opt.use_bias;
                if (Opt.use_bias) q.bias = bias_;
                return q;
            });
            ParamCache<T>& part = cache.part("simple_rnn");
            double bias_absorbed = 0;
            rx.resize(B, In::size);  // every step's slice is written below
            Batch<T>& rh = w.h;
            Batch<T>& xin = w.all;
            rh.setZero(B, U);
            xin.resize(B, F + U);
            for (int k = S - 1; k >= 0; --k) {
                add_output_share(rh, r, k);
                const int t = input_step(k);
                xin << detail::step_view(x, t, F, S), rec.h[k];
                bias_absorbed += detail::cell_rule(rule, p, xin, rec.z[k], part, rh, w.next);
                detail::step_view(rx, t, F, S) = w.next.leftCols(F);
                rh = w.next.rightCols(U);
            }
            return bias_absorbed;
        }

    private:
        struct Record {
            std::vector<Batch<T>> z, h;  // z[k]: pre-activation at processing step k; h[k] (h[0] = 0)
            Batch<T> xw;                 // the input's share of every step
        };

        static constexpr int input_step(int k) { return Opt.go_backwards ? S - 1 - k : k; }

        static void add_output_share(Batch<T>& v, const Batch<T>& at_output, int k) {
            if constexpr (Opt.return_sequences) v += detail::step_view(at_output, k, U, S);
            else if (k == S - 1) v += at_output;
        }

        static void check(const Batch<T>& x, int expected, const char* what) {
            if (x.cols() != expected)
                throw shape_error(std::string(name) + ": " + what + " has " + std::to_string(x.cols()) +
                                  " features per sample, expected " + std::to_string(expected));
        }

        /// The step state of a forward pass (and the input's share when there is no record).
        struct Steps {
            Batch<T> xw, h, z;
        };

        /// What the backward passes keep in the analyzer's cache: the forward pass's record, step
        /// state and output, and their own buffers (sized once per batch size).
        struct Workspace {
            Record rec;
            Steps steps;
            Batch<T> out;
            Batch<T> all;      // B × S·u (the gradient at every z) or B × (F+u) ([x_t | h_{t−1}])
            Batch<T> h, next;  // B × u: at h_t; the next step's (LRP: the rule's result, B × (F+u))
        };

        /// The forward pass into `out`, in w's buffers; with `rec`, also the record.
        void run(const Batch<T>& x, Record* rec, Steps& w, Batch<T>& out) const {
            check(x, In::size, "input");
            const Eigen::Index B = x.rows();
            Batch<T>& xw = rec ? rec->xw : w.xw;
            xw.resize(B, S * U);
            Eigen::Map<Matrix<T>> xwm(xw.data(), B * S, U);
            xwm.noalias() = Eigen::Map<const Matrix<T>>(x.data(), B * S, F) * kernel_;
            if (Opt.use_bias) xwm.rowwise() += bias_.transpose();
            Batch<T>& h = w.h;
            Batch<T>& z = w.z;
            h.setZero(B, U);
            z.resize(B, U);
            out.resize(B, output_shape::size);
            if (rec) {  // assigned step by step below: a kept record is not allocated again
                rec->z.resize(S);
                rec->h.resize(S + 1);
                rec->h[0] = h;
            }
            for (int k = 0; k < S; ++k) {
                z = detail::step_view(xw, input_step(k), U, S);
                z.noalias() += h * recurrent_;
                Act::forward(z, h, U);
                if constexpr (Opt.return_sequences) detail::step_view(out, k, U, S) = h;
                if (rec) {
                    rec->z[k] = z;
                    rec->h[k + 1] = h;
                }
            }
            if constexpr (!Opt.return_sequences) out = h;
        }

        Matrix<T> kernel_, recurrent_;
        Vector<T> bias_;
    };
};

}  // namespace innspect
