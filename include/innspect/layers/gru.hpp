#pragma once
/// \file
/// Keras `GRU(units, activation, recurrent_activation, use_bias, return_sequences, go_backwards,
/// reset_after)` on a sequence Shape<steps, features>, Keras's layout: kernel [F, 3u],
/// recurrent_kernel [u, 3u], gates in the order z, r, h; bias [2, 3u] (input bias, recurrent
/// bias) with reset_after (Keras 2.3+ and 3's default), [3u] without. With σ =
/// recurrent_activation, φ = activation, h_0 = 0:
///
///   reset_after:  [x_z | x_r | x_h] = x_t·W + b_in,  [q_z | q_r | q_h] = h_{t−1}·U + b_rec
///                 z = σ(x_z + q_z), r = σ(x_r + q_r), n = x_h + r ⊙ q_h
///   otherwise:    [x_z | x_r | x_h] = x_t·W + b
///                 z = σ(x_z + h_{t−1}·U_z), r = σ(x_r + h_{t−1}·U_r), n = x_h + (r ⊙ h_{t−1})·U_h
///   h_t = z ⊙ h_{t−1} + (1 − z) ⊙ φ(n)
///
/// LRP through time (the LSTM's rules, Arras et al. 2017, applied to the GRU's equations), from the
/// last step to the first; the splits of a sum use ε·sgn₀ with the rule's ε (1e-6 when it has none):
///   h_t = z⊙h_{t−1} + (1−z)⊙φ(n)      split in proportion; the gate z (and 1 − z) takes nothing
///   φ(n)                              passes R to n
///   reset_after: n = x_h + r⊙q_h      split in proportion between x_h and r⊙q_h; r takes nothing;
///                                     the composite's rule on x_h = x_t·W_h + b_in,h (→ x_t) and
///                                     on q_h = h_{t−1}·U_h + b_rec,h (→ h_{t−1})
///   otherwise:   n = [x_t | r⊙h_{t−1}]·[W_h; U_h] + b_h
///                                     the rule on this map; r⊙h_{t−1} gives all to h_{t−1}
/// With zero biases and ε → 0 the layer conserves relevance exactly (the gates take none).
///
/// Gradient: exact backpropagation through time.

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

namespace detail {
inline constexpr KerasField gru_extra_fields[] = {
    {.key = "recurrent_activation", .type = FieldType::text, .has_fallback = true, .text_fallback = "sigmoid"},
    {.key = "reset_after", .type = FieldType::boolean, .has_fallback = true, .fallback = {1}},
};
inline constexpr auto gru_fields = rnn_fields_with(gru_extra_fields);
}  // namespace detail

/// Keras's GRU config. (Keras 2.0–2.2 wrote no reset_after and ran reset_after = false: declare
/// `Recurrent{.reset_after = false}` and HardSigmoid for those files.)
inline constexpr KerasSchema gru_schema{"GRU", detail::gru_fields, false, {}};

/// Keras GRU (see the file comment). `Opt`: return_sequences, go_backwards, use_bias, reset_after.
template <fixed_string Name, int Units, Recurrent Opt = Recurrent{}, ActivationFunction Act = Tanh,
          ActivationFunction RecAct = Sigmoid>
struct GRU {
    static_assert(Units > 0, "GRU: units must be positive");
    static constexpr std::string_view name = Name.view();
    static constexpr const KerasSchema& keras = gru_schema;
    static constexpr std::string_view keras_class = keras.keras_class;
    static constexpr Recurrent options = Opt;
    /// The same layer reading the other way (Bidirectional's backward layer).
    using reversed = GRU<Name, Units, detail::flip_go_backwards(Opt), Act, RecAct>;
    static void keras_values(KerasValues& v) {
        detail::rnn_keras_values<Units, Act, Opt>(v);
        v.text("recurrent_activation", RecAct::name);
        v.boolean("reset_after", Opt.reset_after);
    }

    template <ShapeType In>
    static constexpr bool check() {
        static_assert(In::rank == 2, "GRU: the input must be a sequence Shape<steps, features>");
        return true;
    }
    template <ShapeType In>
        requires(check<In>())
    using output_shape_for = std::conditional_t<Opt.return_sequences, Shape<In::w, Units>, Shape<Units>>;

    template <class T, ShapeType In>
    class layer : public detail::ReturningSteps<layer<T, In>, T> {
        static constexpr int S = In::w, F = In::c, U = Units;
        static constexpr bool after = Opt.reset_after, has_bias = Opt.use_bias;

    public:
        using scalar = T;
        using activation = Linear;
        using cell_activation = Act;
        using recurrent_activation = RecAct;
        using input_shape = In;
        using output_shape = output_shape_for<In>;
        static constexpr std::string_view name = GRU::name;
        static constexpr std::string_view keras_class = GRU::keras_class;
        static constexpr bool pre_is_input = false;
        static constexpr RuleFamily family = RuleFamily::dense;
        static constexpr LrpPolicy lrp = LrpPolicy::own_rule;
        static constexpr bool lrp_takes_rule = true;
        static constexpr std::string_view lrp_rule_name = "LRP through time, signal-take-all at the gates";
        static constexpr int units = Units, steps = S, features = F;

        layer() : kernel_(Matrix<T>::Zero(F, 3 * U)), recurrent_(Matrix<T>::Zero(U, 3 * U)) {
            if (has_bias) bias_ = Matrix<T>::Zero(after ? 2 : 1, 3 * U);
        }

        Matrix<T>& kernel() { return kernel_; }
        Matrix<T>& recurrent_kernel() { return recurrent_; }
        /// [2, 3u] with reset_after (row 0 the input bias, row 1 the recurrent bias), else [1, 3u].
        Matrix<T>& bias() { return bias_; }
        const Matrix<T>& kernel() const { return kernel_; }
        const Matrix<T>& recurrent_kernel() const { return recurrent_; }
        const Matrix<T>& bias() const { return bias_; }

        std::vector<WeightRef<T>> weights() {
            std::vector<WeightRef<T>> w{{"kernel", {F, 3 * U}, kernel_.data()},
                                        {"recurrent_kernel", {U, 3 * U}, recurrent_.data()}};
            if (has_bias) {
                if (after) w.push_back({"bias", {2, 3 * U}, bias_.data()});
                else w.push_back({"bias", {3 * U}, bias_.data()});
            }
            return w;
        }
        void check_finite() const {
            require_finite(kernel_, std::string(name) + ": kernel");
            require_finite(recurrent_, std::string(name) + ": recurrent_kernel");
            if (has_bias) require_finite(bias_, std::string(name) + ": bias");
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
            Workspace& w = cache.template workspace<Workspace>("gru");
            const Record& rec = w.rec;
            run(x, &w.rec, w.steps, w.out);
            const Eigen::Index B = x.rows();
            Batch<T>& dx_all = w.all;  // ∂/∂(x_t·W) at input step t, as a sequence
            Batch<T>&dh = w.h, &dxw = w.wide, &drec = w.wide2;
            Batch<T>&z = w.z, &r = w.r, &hh = w.hh, &dz = w.u1, &dn = w.u2, &dhp = w.u3, &dr = w.u4, &drh = w.u5;
            dx_all.resize(B, S * 3 * U);
            dh.setZero(B, U);
            dxw.resize(B, 3 * U);
            drec.resize(B, 3 * U);
            for (int k = S - 1; k >= 0; --k) {
                add_output_share(dh, g, k);
                z = rec.a[k].leftCols(U);
                r = rec.a[k].middleCols(U, U);
                hh = rec.a[k].rightCols(U);
                const Batch<T>& hp = rec.h[k];
                dz = dh.cwiseProduct(hp - hh);
                dn = dh.cwiseProduct(Batch<T>::Ones(B, U) - z);
                dhp = dh.cwiseProduct(z);
                Act::vjp(rec.n[k], hh, dn, U);
                if constexpr (after) {
                    dr = dn.cwiseProduct(rec.q[k]);
                } else {
                    drh.noalias() = dn * recurrent_.rightCols(U).transpose();  // ∂/∂(r⊙h)
                    dr = drh.cwiseProduct(hp);
                    dhp += drh.cwiseProduct(r);
                }
                w.zz = rec.zr[k].leftCols(U);
                RecAct::vjp(w.zz, z, dz, U);
                w.zz = rec.zr[k].rightCols(U);
                RecAct::vjp(w.zz, r, dr, U);
                dxw << dz, dr, dn;
                if constexpr (after) {
                    drec << dz, dr, dn.cwiseProduct(r);
                    dhp.noalias() += drec * recurrent_.transpose();
                } else {
                    dhp.noalias() += dxw.leftCols(2 * U) * recurrent_.leftCols(2 * U).transpose();
                }
                dh.swap(dhp);
                detail::step_view(dx_all, input_step(k), 3 * U, S) = dxw;
            }
            gx.resize(B, In::size);
            Eigen::Map<Matrix<T>>(gx.data(), B * S, F).noalias() =
                Eigen::Map<const Matrix<T>>(dx_all.data(), B * S, 3 * U) * kernel_.transpose();
        }

        /// LRP through time with `rule` on the cell's linear maps (see the file comment): the
        /// relevance at the input into `rx`; returns what the biases absorbed. The record of the
        /// forward pass it re-runs and the steps' buffers live in a workspace the analyzer keeps
        /// in `cache`: repeated explanations at one batch size allocate nothing.
        /// `lrp_backward(x, R, rule, cache)` (detail::ReturningSteps) returns an LrpStep.
        template <class Rule>
        double lrp_backward_into(const Batch<T>& x, const Batch<T>& r, const Rule& rule, ParamCache<T>& cache,
                                 Batch<T>& rx) const {
            check(r, output_shape::size, "relevance at the output");
            Workspace& w = cache.template workspace<Workspace>("gru");
            const Record& rec = w.rec;
            run(x, &w.rec, w.steps, w.out);
            const Eigen::Index B = x.rows();
            const T eps = static_cast<T>(detail::split_epsilon(rule));
            double bias_absorbed = 0;
            rx.resize(B, In::size);  // every step's slice is written below
            Batch<T>&rh = w.h, &z = w.z, &rg = w.r, &hh = w.hh, &s = w.u1, &r_prev = w.u2, &rn = w.u3;
            rh.setZero(B, U);
            for (int k = S - 1; k >= 0; --k) {
                add_output_share(rh, r, k);
                z = rec.a[k].leftCols(U);
                rg = rec.a[k].middleCols(U, U);
                hh = rec.a[k].rightCols(U);
                const Batch<T>& hp = rec.h[k];
                detail::split_factor(rh, rec.h[k + 1], eps, s);
                r_prev = z.cwiseProduct(hp).cwiseProduct(s);
                rn = (Batch<T>::Ones(B, U) - z).cwiseProduct(hh).cwiseProduct(s);
                const int t = input_step(k);
                Batch<T>& xt = w.xt;
                xt = detail::step_view(x, t, F, S);
                if constexpr (after) {
                    Batch<T>&s2 = w.u4, &ra = w.u5, &rq = w.zz;
                    detail::split_factor(rn, rec.n[k], eps, s2);
                    ra = rec.xh[k].cwiseProduct(s2);
                    rq = rg.cwiseProduct(rec.q[k]).cwiseProduct(s2);
                    const auto& px = cache.get("gru x_h = x W_h + b_in,h", [&] { return input_params(); });
                    const auto& ph = cache.get("gru q_h = h U_h + b_rec,h", [&] { return recurrent_params(); });
                    bias_absorbed += detail::cell_rule(rule, px, xt, rec.xh[k], cache.part("gru x_h"), ra, w.rin);
                    detail::step_view(rx, t, F, S) = w.rin;
                    bias_absorbed += detail::cell_rule(rule, ph, hp, rec.q[k], cache.part("gru q_h"), rq, w.rin2);
                    r_prev += w.rin2;
                } else {
                    const auto& p = cache.get("gru n = [x | r h] [W_h; U_h] + b_h", [&] { return joint_params(); });
                    Batch<T>& xin = w.wide;
                    xin.resize(B, F + U);
                    xin << xt, rg.cwiseProduct(hp);
                    bias_absorbed += detail::cell_rule(rule, p, xin, rec.n[k], cache.part("gru n"), rn, w.rin);
                    detail::step_view(rx, t, F, S) = w.rin.leftCols(F);
                    r_prev += w.rin.rightCols(U);  // r ⊙ h: all to h
                }
                rh.swap(r_prev);
            }
            return bias_absorbed;
        }

    private:
        /// Per processing step k: zr[k] the gates' pre-activations [z | r], a[k] = [z | r | φ(n)],
        /// n[k], xh[k] = x_h, q[k] = q_h (reset_after); h[k] = h_{k} (h[0] = 0).
        struct Record {
            std::vector<Batch<T>> zr, a, n, xh, q, h;
            Batch<T> xw;  // the input's share of every step
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

        LinearParams<T> input_params() const {
            LinearParams<T> p;
            p.kernel = kernel_.rightCols(U);
            p.has_bias = has_bias;
            if (has_bias) p.bias = bias_.row(0).tail(U).transpose();
            return p;
        }
        LinearParams<T> recurrent_params() const {
            LinearParams<T> p;
            p.kernel = recurrent_.rightCols(U);
            p.has_bias = has_bias;
            if (has_bias) p.bias = bias_.row(1).tail(U).transpose();
            return p;
        }
        LinearParams<T> joint_params() const {
            LinearParams<T> p;
            p.kernel.resize(F + U, U);
            p.kernel.topRows(F) = kernel_.rightCols(U);
            p.kernel.bottomRows(U) = recurrent_.rightCols(U);
            p.has_bias = has_bias;
            if (has_bias) p.bias = bias_.row(0).tail(U).transpose();
            return p;
        }

        /// The step state of a forward pass (and the input's share when there is no record).
        struct Steps {
            Batch<T> xw, h, xs, q, zr, gates, n, hh, rh;
        };

        /// What the backward passes keep in the analyzer's cache: the forward pass's record, step
        /// state and output, and their own buffers (sized once per batch size; a buffer serves
        /// the gradient and LRP under different names).
        struct Workspace {
            Record rec;
            Steps steps;
            Batch<T> out;
            Batch<T> all;                              // B × S·3u: the gradient at every x_t·W
            Batch<T> wide, wide2;                      // B × 3u, or B × (F+u) ([x_t | r ⊙ h])
            Batch<T> h, z, r, hh, zz, u1, u2, u3, u4, u5;  // B × u
            Batch<T> xt, rin, rin2;                    // B × F, or B × (F+u); B × u
        };

        /// The forward pass into `out`, in w's buffers; with `rec`, also the record.
        void run(const Batch<T>& x, Record* rec, Steps& w, Batch<T>& out) const {
            check(x, In::size, "input");
            const Eigen::Index B = x.rows();
            Batch<T>& xw = rec ? rec->xw : w.xw;
            xw.resize(B, S * 3 * U);
            Eigen::Map<Matrix<T>> xwm(xw.data(), B * S, 3 * U);
            xwm.noalias() = Eigen::Map<const Matrix<T>>(x.data(), B * S, F) * kernel_;
            if (has_bias) xwm.rowwise() += bias_.row(0);
            Batch<T>& h = w.h;
            Batch<T>& xs = w.xs;
            Batch<T>& q = w.q;
            Batch<T>& zr = w.zr;
            Batch<T>& gates = w.gates;
            Batch<T>& n = w.n;
            Batch<T>& hh = w.hh;
            h.setZero(B, U);
            xs.resize(B, 3 * U);
            q.resize(B, 3 * U);
            zr.resize(B, 2 * U);
            out.resize(B, output_shape::size);
            if (rec) {  // assigned step by step below: a kept record is not allocated again
                for (auto* v : {&rec->zr, &rec->a, &rec->n, &rec->xh}) v->resize(S);
                if constexpr (after) rec->q.resize(S);
                rec->h.resize(S + 1);
                rec->h[0] = h;
            }
            for (int k = 0; k < S; ++k) {
                xs = detail::step_view(xw, input_step(k), 3 * U, S);
                if constexpr (after) {
                    q.noalias() = h * recurrent_;
                    if (has_bias) q.rowwise() += bias_.row(1);
                    zr = xs.leftCols(2 * U) + q.leftCols(2 * U);
                } else {
                    zr = xs.leftCols(2 * U);
                    zr.noalias() += h * recurrent_.leftCols(2 * U);
                }
                RecAct::forward(zr, gates, 2 * U);
                const auto r = gates.rightCols(U);
                if constexpr (after) {
                    n = xs.rightCols(U) + r.cwiseProduct(q.rightCols(U));
                } else {
                    n = xs.rightCols(U);
                    w.rh = r.cwiseProduct(h);  // the product's left side, as a matrix of its own
                    n.noalias() += w.rh * recurrent_.rightCols(U);
                }
                Act::forward(n, hh, U);
                const auto z = gates.leftCols(U);
                h = z.cwiseProduct(h) + (Batch<T>::Ones(B, U) - z).cwiseProduct(hh);
                if constexpr (Opt.return_sequences) detail::step_view(out, k, U, S) = h;
                if (rec) {
                    rec->zr[k] = zr;
                    rec->a[k].resize(B, 3 * U);
                    rec->a[k] << gates, hh;
                    rec->n[k] = n;
                    rec->xh[k] = xs.rightCols(U);
                    if constexpr (after) rec->q[k] = q.rightCols(U);
                    rec->h[k + 1] = h;
                }
            }
            if constexpr (!Opt.return_sequences) out = h;
        }

        Matrix<T> kernel_, recurrent_, bias_;
    };
};

}  // namespace innspect
