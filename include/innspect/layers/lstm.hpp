#pragma once
/// \file
/// Keras `LSTM(units, activation, recurrent_activation, use_bias, return_sequences, go_backwards)`
/// on a sequence Shape<steps, features>, Keras's layout: kernel [F, 4u], recurrent_kernel [u, 4u],
/// bias [4u], gates in the order i, f, c, o. With σ = recurrent_activation, φ = activation:
///
///   z_t = x_t·W + h_{t−1}·U + b = [z_i | z_f | z_c | z_o]      h_0 = c_0 = 0
///   i = σ(z_i), f = σ(z_f), g = φ(z_c), o = σ(z_o)
///   c_t = f ⊙ c_{t−1} + i ⊙ g,   h_t = o ⊙ φ(c_t)
///
/// Output: every h_t (return_sequences, Shape<steps, u>, in processing order) or the last
/// (Shape<u>). Keras 2.0–2.2 defaulted recurrent_activation to hard_sigmoid: declare it
/// (`LSTM<"l", 8, Recurrent{}, Tanh, HardSigmoid>`).
///
/// LRP through time (Arras et al. 2017, 2019), from the last step to the first:
///   R_{c_t} += R_{h_t}                        h_t = o ⊙ φ(c_t): the gate o gets nothing, the
///                                             signal c_t all ("signal-take-all"; φ passes R)
///   R_{c_{t−1}} = f⊙c_{t−1} ⊙ R_{c_t} / (c_t + ε·sgn₀ c_t),  R_g = i⊙g ⊙ R_{c_t} / (c_t + ε·sgn₀ c_t)
///                                             the sum split in proportion (ε: the rule's, 1e-6
///                                             when it has none); within each product the gate
///                                             gets nothing
///   R_{[x_t | h_{t−1}]} = rule(z_c = [x_t | h_{t−1}]·[W_c; U_c] + b_c, R_g)
///                                             the composite's rule for this layer (ε by
///                                             default) on the candidate's linear map; g = φ(z_c)
///                                             passes R to z_c
/// R_{h_{t−1}} joins the relevance the output gives h_{t−1}. h_0 = c_0 = 0 take nothing. With
/// zero biases and ε → 0 the layer conserves relevance exactly: the gates take none, and every
/// split above is a sum of its parts; b_c's share is reported as the bias's.
///
/// Gradient: exact backpropagation through time.

#include <Eigen/Core>

#include <cstdint>
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

namespace detail {
inline constexpr KerasField lstm_extra_fields[] = {
    {.key = "recurrent_activation", .type = FieldType::text, .has_fallback = true, .text_fallback = "sigmoid"},
};
inline constexpr auto lstm_fields = rnn_fields_with(lstm_extra_fields);

}  // namespace detail

/// Keras's LSTM config.
inline constexpr KerasSchema lstm_schema{"LSTM", detail::lstm_fields, false, {}};

/// Keras LSTM (see the file comment). `Opt`: return_sequences, go_backwards, use_bias.
template <fixed_string Name, int Units, Recurrent Opt = Recurrent{}, ActivationFunction Act = Tanh,
          ActivationFunction RecAct = Sigmoid>
struct LSTM {
    static_assert(Units > 0, "LSTM: units must be positive");
    static_assert(Opt.reset_after, "LSTM: reset_after is a GRU option");
    static constexpr std::string_view name = Name.view();
    static constexpr const KerasSchema& keras = lstm_schema;
    static constexpr std::string_view keras_class = keras.keras_class;
    static constexpr Recurrent options = Opt;
    /// The same layer reading the other way (Bidirectional's backward layer).
    using reversed = LSTM<Name, Units, detail::flip_go_backwards(Opt), Act, RecAct>;
    static void keras_values(KerasValues& v) {
        detail::rnn_keras_values<Units, Act, Opt>(v);
        v.text("recurrent_activation", RecAct::name);
    }

    template <ShapeType In>
    static constexpr bool check() {
        static_assert(In::rank == 2, "LSTM: the input must be a sequence Shape<steps, features>");
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
        using activation = Linear;  // nothing to strip at the output: h_t is explained as it is
        using cell_activation = Act;
        using recurrent_activation = RecAct;
        using input_shape = In;
        using output_shape = output_shape_for<In>;
        static constexpr std::string_view name = LSTM::name;
        static constexpr std::string_view keras_class = LSTM::keras_class;
        static constexpr bool pre_is_input = false;
        static constexpr RuleFamily family = RuleFamily::dense;  // its linear maps are dense
        static constexpr LrpPolicy lrp = LrpPolicy::own_rule;
        static constexpr bool lrp_takes_rule = true;
        static constexpr std::string_view lrp_rule_name = "LRP through time, signal-take-all at the gates";
        static constexpr int units = Units, steps = S, features = F;

        layer() : kernel_(Matrix<T>::Zero(F, 4 * U)), recurrent_(Matrix<T>::Zero(U, 4 * U)) {
            if (Opt.use_bias) bias_ = Vector<T>::Zero(4 * U);
        }

        Matrix<T>& kernel() { return kernel_; }
        Matrix<T>& recurrent_kernel() { return recurrent_; }
        Vector<T>& bias() { return bias_; }
        const Matrix<T>& kernel() const { return kernel_; }
        const Matrix<T>& recurrent_kernel() const { return recurrent_; }
        const Vector<T>& bias() const { return bias_; }

        std::vector<WeightRef<T>> weights() {
            std::vector<WeightRef<T>> w{{"kernel", {F, 4 * U}, kernel_.data()},
                                        {"recurrent_kernel", {U, 4 * U}, recurrent_.data()}};
            if (Opt.use_bias) w.push_back({"bias", {4 * U}, bias_.data()});
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
            run(x, detail::thread_workspace<Workspace>(), false, out);
        }

        /// Backpropagation through time: the gradient w.r.t. the input sequence given g at the
        /// output, into `gx`. The forward pass it re-runs and the steps' buffers live in a
        /// workspace the analyzer keeps in `cache` (no allocation in steady state);
        /// `backward(x, g)` (detail::ReturningSteps) returns it.
        void backward_into(const Batch<T>& x, const Batch<T>& g, ParamCache<T>& cache, Batch<T>& gx) const {
            Workspace& w = cache.template workspace<Workspace>("lstm");
            check(g, output_shape::size, "gradient at the output");
            run(x, w, true, w.out);
            const Record& rec = w.rec;
            const Eigen::Index B = x.rows();
            Batch<T>& dz_all = w.rec.z;  // ∂/∂z at input step t, written where z was once read
            // run's step buffers, free again, under this loop's names.
            Batch<T>& dh = w.h;
            Batch<T>& dc = w.dc;
            Batch<T>& dz = w.z;
            dh.setZero(B, U);
            dc.setZero(B, U);
            Batch<T>& c = w.c;
            Batch<T>& phic = w.phi;
            Batch<T>& dphic = w.u;
            Batch<T>* dgate = w.gate;
            Batch<T>& zq = w.zq;
            Batch<T>& aq = w.aq;
            for (int q = 0; q < 4; ++q) dgate[q].resize(B, U);
            zq.resize(B, U);
            aq.resize(B, U);
            for (int k = S - 1; k >= 0; --k) {
                add_output_share(dh, g, k);
                const auto a = rec.a_at(k);
                c = rec.c_at(k + 1);
                Act::forward(c, phic, U);
                // h = o ⊙ φ(c)
                dphic = dh.cwiseProduct(a.middleCols(3 * U, U));
                Act::vjp(c, phic, dphic, U);
                dc += dphic;
                dgate[0] = dc.cwiseProduct(a.middleCols(2 * U, U));
                dgate[1] = dc.cwiseProduct(rec.c_at(k));
                dgate[2] = dc.cwiseProduct(a.middleCols(0, U));
                dgate[3] = dh.cwiseProduct(phic);
                for (int q = 0; q < 4; ++q) {
                    zq = rec.z_at(k).middleCols(q * U, U);
                    aq = a.middleCols(q * U, U);
                    if (q == 2) Act::vjp(zq, aq, dgate[q], U);
                    else RecAct::vjp(zq, aq, dgate[q], U);
                    dz.middleCols(q * U, U) = dgate[q];
                }
                dc = dc.cwiseProduct(a.middleCols(U, U));  // c_t = f ⊙ c_{t−1} + ...
                dh.noalias() = dz * recurrent_.transpose();
                detail::step_view(dz_all, input_step(k), 4 * U, S) = dz;
            }
            gx.resize(B, In::size);
            Eigen::Map<Matrix<T>>(gx.data(), B * S, F).noalias() =
                Eigen::Map<const Matrix<T>>(dz_all.data(), B * S, 4 * U) * kernel_.transpose();
        }

        /// LRP through time with `rule` on the candidate's linear map (see the file comment): the
        /// relevance at the input into `rx`; returns what the bias absorbed. The forward pass it
        /// re-runs and every step's buffers (the rule's too) live in a workspace the analyzer
        /// keeps in `cache`: repeated explanations at one batch size allocate nothing.
        /// `lrp_backward(x, R, rule, cache)` (detail::ReturningSteps) returns an LrpStep.
        template <class Rule>
        double lrp_backward_into(const Batch<T>& x, const Batch<T>& r, const Rule& rule, ParamCache<T>& cache,
                                 Batch<T>& rx) const {
            check(r, output_shape::size, "relevance at the output");
            Workspace& w = cache.template workspace<Workspace>("lstm");
            run(x, w, true, w.out);
            const Record& rec = w.rec;
            const Eigen::Index B = x.rows();
            const T eps = static_cast<T>(detail::split_epsilon(rule));
            const LinearParams<T>& p = cache.get("lstm candidate [W_c; U_c], b_c", [&] { return candidate_params(); });
            ParamCache<T>& part = cache.part("lstm candidate");
            double bias_absorbed = 0;
            rx.resize(B, In::size);  // every step's slice is written below
            // run's step buffers, free again, under this loop's names.
            Batch<T>& rh = w.h;
            Batch<T>& rc = w.c;
            Batch<T>& s = w.u;
            Batch<T>& rg = w.phi;
            Batch<T>& zc = w.zq;
            Batch<T>& xin = w.xin;
            rh.setZero(B, U);
            rc.setZero(B, U);
            zc.resize(B, U);
            xin.resize(B, F + U);
            for (int k = S - 1; k >= 0; --k) {
                add_output_share(rh, r, k);
                rc += rh;  // h = o ⊙ φ(c): all to c
                const auto a = rec.a_at(k);
                detail::split_factor(rc, rec.c_at(k + 1), eps, s);
                rg = a.middleCols(0, U).cwiseProduct(a.middleCols(2 * U, U)).cwiseProduct(s);
                rc = a.middleCols(U, U).cwiseProduct(rec.c_at(k)).cwiseProduct(s);
                const int t = input_step(k);
                xin.leftCols(F) = detail::step_view(x, t, F, S);
                xin.rightCols(U) = rec.h_at(k);
                zc = rec.z_at(k).middleCols(2 * U, U);
                bias_absorbed += detail::cell_rule(rule, p, xin, zc, part, rg, w.rin);
                step_view(rx, t, F) = w.rin.leftCols(F);
                rh = w.rin.rightCols(U);
            }
            // rh and rc now hold what reaches h_0 = 0 and c_0 = 0: nothing (their inputs are 0).
            return bias_absorbed;
        }

    private:
        /// What the backward passes need from a forward pass, per processing step k:
        /// z[k], a[k] (B × 4u: pre-activations and activations of i, f, g, o), c[k+1], h[k+1]
        /// (c[0] = h[0] = 0).
        struct Record {
            Batch<T> z, a;  // B × S·4u (z by input step: it is where the input's share was summed)
            Batch<T> c, h;  // B × (S+1)·u
            auto z_at(int k) const { return detail::step_view(z, input_step(k), 4 * U, S); }
            auto a_at(int k) const { return detail::step_view(a, k, 4 * U, S); }
            auto c_at(int k) const { return detail::step_view(c, k, U, S + 1); }
            auto h_at(int k) const { return detail::step_view(h, k, U, S + 1); }
        };

        /// The record and every buffer a step works in, sized on entry (a no-op at an unchanged
        /// batch size), so no step allocates. The backward passes reuse the step buffers under
        /// names of their own (see there).
        struct Workspace {
            Record rec;
            Batch<T> out;                 // run's output when only the record is wanted
            Batch<T> h, c, z, a, u, phi;  // B × u, except z, a: B × 4u
            Batch<T> gate[4], zq, aq;     // B × u
            Batch<T> xin, rin;            // B × (F+u): the candidate's input, the rule's relevance there
            Batch<T> dc;                  // B × u: the gradient at c (backward_into)
        };

        static constexpr int input_step(int k) { return Opt.go_backwards ? S - 1 - k : k; }

        static auto step_view(Batch<T>& m, int t, int width = U) { return detail::step_view(m, t, width, S); }

        /// v += what the output gives h at processing step k.
        static void add_output_share(Batch<T>& v, const Batch<T>& at_output, int k) {
            if constexpr (Opt.return_sequences) v += detail::step_view(at_output, k, U, S);
            else if (k == S - 1) v += at_output;
        }

        static void check(const Batch<T>& x, int expected, const char* what) {
            if (x.cols() != expected)
                throw shape_error(std::string(name) + ": " + what + " has " + std::to_string(x.cols()) +
                                  " features per sample, expected " + std::to_string(expected));
        }

        LinearParams<T> candidate_params() const {
            LinearParams<T> p;
            p.kernel.resize(F + U, U);
            p.kernel.topRows(F) = kernel_.middleCols(2 * U, U);
            p.kernel.bottomRows(U) = recurrent_.middleCols(2 * U, U);
            p.has_bias = Opt.use_bias;
            if (Opt.use_bias) p.bias = bias_.segment(2 * U, U);
            return p;
        }

        /// The forward pass into `out`, in w's buffers; with `record`, also w.rec's a, c, h
        /// (w.rec.z holds z either way: it is summed in place of the input's share).
        void run(const Batch<T>& x, Workspace& w, bool record, Batch<T>& out) const {
            check(x, In::size, "input");
            const Eigen::Index B = x.rows();
            Record& rec = w.rec;
            // The input's share of every step at once: (B·S × F)·(F × 4u), row b·S + t.
            Batch<T>& xw = rec.z;
            xw.resize(B, S * 4 * U);
            Eigen::Map<Matrix<T>> xwm(xw.data(), B * S, 4 * U);
            xwm.noalias() = Eigen::Map<const Matrix<T>>(x.data(), B * S, F) * kernel_;
            if (Opt.use_bias) xwm.rowwise() += bias_.transpose();
            Batch<T>& h = w.h;
            Batch<T>& c = w.c;
            Batch<T>& z = w.z;
            Batch<T>& a = w.a;
            Batch<T>& zg = w.u;
            Batch<T>& phi = w.phi;
            h.setZero(B, U);
            c.setZero(B, U);
            z.resize(B, 4 * U);
            a.resize(B, 4 * U);
            zg.resize(B, U);
            phi.resize(B, U);
            out.resize(B, output_shape::size);
            if (record) {
                rec.a.resize(B, S * 4 * U);
                rec.c.resize(B, (S + 1) * U);
                rec.h.resize(B, (S + 1) * U);
                detail::step_view(rec.c, 0, U, S + 1).setZero();
                detail::step_view(rec.h, 0, U, S + 1).setZero();
            }
            for (int k = 0; k < S; ++k) {
                auto zk = detail::step_view(xw, input_step(k), 4 * U, S);
                zk.noalias() += h * recurrent_;
                z = zk;
                RecAct::forward(z, a, 4 * U);
                zg = z.middleCols(2 * U, U);
                Act::forward(zg, phi, U);
                a.middleCols(2 * U, U) = phi;
                c = a.middleCols(U, U).cwiseProduct(c) + a.middleCols(0, U).cwiseProduct(a.middleCols(2 * U, U));
                Act::forward(c, phi, U);
                h = a.middleCols(3 * U, U).cwiseProduct(phi);
                if constexpr (Opt.return_sequences) step_view(out, k) = h;
                if (record) {
                    detail::step_view(rec.a, k, 4 * U, S) = a;
                    detail::step_view(rec.c, k + 1, U, S + 1) = c;
                    detail::step_view(rec.h, k + 1, U, S + 1) = h;
                }
            }
            if constexpr (!Opt.return_sequences) out = h;
        }

        Matrix<T> kernel_, recurrent_;
        Vector<T> bias_;
    };
};

}  // namespace innspect
