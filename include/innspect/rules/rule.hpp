#pragma once
/// \file
/// What every LRP rule is written against, and what it returns.
///
/// A rule redistributes the relevance R at a linear layer's pre-activation to its input x, using
/// only the layer's `apply(x, P)` and `apply_transposed(s, P)` (see core/concepts.hpp), so one
/// rule serves Dense, Conv2D and Conv2DTranspose, and a new linear layer gets every rule. The
/// generic step is
///
///     R_in = x ⊙ apply_transposed( R / stabilize(apply(x, P)), P )
///
/// A rule reports what its denominator's bias absorbed; the analyzer derives from it what the
/// stabiliser lost (Σ R_out − Σ R_in − bias), for the conservation report.

#include <concepts>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <utility>

#include "innspect/core/concepts.hpp"
#include "innspect/core/linear_params.hpp"
#include "innspect/core/rule_context.hpp"
#include "innspect/core/tensor.hpp"

namespace innspect {

/// A rule: a name, and `relevance(ctx, R)` for any linear layer.
template <class R>
concept LrpRule = requires(const R& r) {
    { r.name() } -> std::convertible_to<std::string>;
};

namespace detail {

/// A parameter as rule names print it: "0.1", "1e-06".
inline std::string format_number(double v) {
    std::ostringstream os;
    os << v;
    return os.str();
}

/// sgn₀(z) = +1 for z ≥ 0, −1 otherwise.
template <class T>
Batch<T> sign0(const Batch<T>& z) {
    return (z.array() >= T(0)).select(Batch<T>::Ones(z.rows(), z.cols()), -Batch<T>::Ones(z.rows(), z.cols()));
}

/// z + ε·sgn₀(z): keeps the denominator away from zero with the sign of z.
template <class T>
Batch<T> stabilize(const Batch<T>& z, T eps) {
    return (z.array() >= T(0)).select(z.array() + eps, z.array() - eps).matrix();
}

/// R / z, and 0 where z = 0 (that neuron passes no relevance).
template <class T>
Batch<T> safe_divide(const Batch<T>& r, const Batch<T>& z) {
    return (z.array() != T(0)).select(r.array() / z.array(), T(0)).matrix();
}

/// `layer.apply(x, P)` into `out`: with the layer's `apply_into` when it has one (its buffer
/// reused), else the fresh result moved in (the layer contract asks only for `apply`).
template <class L, class T>
void apply_into(const L& layer, const Batch<T>& x, const LinearParams<T>& p, Batch<T>& out) {
    if constexpr (requires { layer.apply_into(x, p, out); }) layer.apply_into(x, p, out);
    else out = layer.apply(x, p);
}
/// `layer.apply_transposed(s, P)` into `out`, likewise.
template <class L, class T>
void apply_transposed_into(const L& layer, const Batch<T>& s, const LinearParams<T>& p, Batch<T>& out) {
    if constexpr (requires { layer.apply_transposed_into(s, p, out); }) layer.apply_transposed_into(s, p, out);
    else out = layer.apply_transposed(s, p);
}

/// Into `q`: R / (z + ε·sgn₀(z)), and 0 where that is 0 — safe_divide(r, stabilize(z, eps)) in one
/// pass, without the stabilised denominator as a matrix of its own (the same operations on each
/// entry, so the same bits).
template <class T>
void stabilized_quotient(const Batch<T>& r, const Batch<T>& z, T eps, Batch<T>& q) {
    const auto d = (z.array() >= T(0)).select(z.array() + eps, z.array() - eps);
    q = (d != T(0)).select(r.array() / d, T(0)).matrix();
}

/// Σ_j s_j b_{channel(j)} = Σ_c b_c Σ_{j in channel c} s_j: what a bias b took in the
/// denominator, given s = R / denominator. `tmp` holds the per-channel sums of s (kept by the
/// caller: no allocation once it has b's size). Summed per channel first, not as s·b: a
/// matrix-vector product over the (positions × channels) view costs one short dot product per
/// position, and a layer with one channel and 8 100 positions per sample spent more there than in
/// its GEMM.
template <class T>
double bias_share(const Batch<T>& s, const Vector<T>& b, Vector<T>& tmp) {
    if (b.size() == 0) return 0;
    if (b.size() == 1) return static_cast<double>(b(0) * Eigen::Map<const Vector<T>>(s.data(), s.size()).sum());
    Eigen::Map<const Matrix<T>> sm(s.data(), s.size() / b.size(), b.size());
    tmp.setZero(b.size());
    for (Eigen::Index p = 0; p < sm.rows(); ++p) tmp += sm.row(p).transpose();  // contiguous rows: vectorised
    return static_cast<double>(tmp.dot(b));
}
template <class T>
double bias_share(const Batch<T>& s, const Vector<T>& b) {
    Vector<T> tmp;
    return bias_share(s, b, tmp);
}

/// What a rule computes on its way at one layer, kept in the layer's ParamCache (one analyzer per
/// thread) so that a repeated step with the same batch size allocates nothing: products with the
/// parameters, the quotient s = R / z, the input's signed parts. Contents are what the last step
/// left; a rule overwrites a buffer before reading it.
template <class T>
struct RuleBuffers {
    Batch<T> z, z2, s, c, c2, xp, xn;
    Vector<T> bias_sums, bp, bn;
};

template <class L>
RuleBuffers<typename L::scalar>& rule_buffers(const RuleContext<L>& ctx) {
    return ctx.cache.template workspace<RuleBuffers<typename L::scalar>>("rule buffers");
}

/// The generic step's end, with s = R / denominator in `w.s`: R_in = x ⊙ apply_transposed(s, P)
/// into `out`; returns Σ s ⊙ b, what the bias absorbed (0 without a bias).
template <class L>
double distribute(const RuleContext<L>& ctx, const LinearParams<typename L::scalar>& p,
                  RuleBuffers<typename L::scalar>& w, Batch<typename L::scalar>& out) {
    apply_transposed_into(ctx.layer, w.s, p, w.c);
    out = ctx.x.cwiseProduct(w.c);
    return p.has_bias ? bias_share(w.s, p.bias, w.bias_sums) : 0.0;
}

/// `rule`'s step at one linear layer, its relevance at the layer input into `out`; returns what
/// the bias absorbed. A rule with `relevance_into(ctx, r, out)` writes into `out` (no allocation
/// in steady state); any other rule's `relevance(ctx, r)` result is moved in.
template <class Rule, class L>
double rule_relevance(const Rule& rule, const RuleContext<L>& ctx, const Batch<typename L::scalar>& r,
                      Batch<typename L::scalar>& out) {
    if constexpr (requires { rule.relevance_into(ctx, r, out); }) {
        return rule.relevance_into(ctx, r, out);
    } else {
        auto step = rule.relevance(ctx, r);
        out = std::move(step.relevance);
        return step.bias_absorbed;
    }
}

/// `relevance(ctx, r)` for a rule written as `relevance_into`: a new matrix.
template <class Rule, class L>
LrpStep<typename L::scalar> relevance_step(const Rule& rule, const RuleContext<L>& ctx,
                                           const Batch<typename L::scalar>& r) {
    LrpStep<typename L::scalar> out;
    out.bias_absorbed = rule.relevance_into(ctx, r, out.relevance);
    return out;
}

template <class T>
T positive(T v) {
    return v > T(0) ? v : T(0);
}
template <class T>
T negative(T v) {
    return v < T(0) ? v : T(0);
}

/// The layer's parameters, with or without the bias, cached.
template <class L>
const LinearParams<typename L::scalar>& own_params(const RuleContext<L>& ctx, bool bias) {
    if (bias) return ctx.params;
    return ctx.cache.get("nobias", [&] { return ctx.params.without_bias(); });
}

/// z with or without the bias: the stored pre-activation is reused when the bias is kept; else
/// computed into `tmp`.
template <class L>
const Batch<typename L::scalar>& denominator_z(const RuleContext<L>& ctx, bool bias, Batch<typename L::scalar>& tmp) {
    if (bias || !ctx.params.has_bias) return ctx.z;
    apply_into(ctx.layer, ctx.x, own_params(ctx, false), tmp);
    return tmp;
}
template <class L>
Batch<typename L::scalar> denominator_z(const RuleContext<L>& ctx, bool bias) {
    Batch<typename L::scalar> tmp;
    return denominator_z(ctx, bias, tmp);
}

/// W⁺ and W⁻ (with b⁺ / b⁻ when the layer has a bias and `bias` is kept), cached.
template <class L>
const LinearParams<typename L::scalar>& positive_params(const RuleContext<L>& ctx, bool bias) {
    using T = typename L::scalar;
    return ctx.cache.get(bias ? "w+b+" : "w+", [&] {
        auto p = ctx.params.map([](T v) { return positive(v); }, [](T v) { return positive(v); });
        if (!bias) p.has_bias = false;
        return p;
    });
}
template <class L>
const LinearParams<typename L::scalar>& negative_params(const RuleContext<L>& ctx, bool bias) {
    using T = typename L::scalar;
    return ctx.cache.get(bias ? "w-b-" : "w-", [&] {
        auto p = ctx.params.map([](T v) { return negative(v); }, [](T v) { return negative(v); });
        if (!bias) p.has_bias = false;
        return p;
    });
}

}  // namespace detail
}  // namespace innspect
