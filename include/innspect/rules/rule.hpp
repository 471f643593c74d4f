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

/// Σ_j s_j b_{channel(j)}: what a bias b took in the denominator, given s = R / denominator.
template <class T>
double bias_share(const Batch<T>& s, const Vector<T>& b) {
    if (b.size() == 0) return 0;
    Eigen::Map<const Matrix<T>> sm(s.data(), s.size() / b.size(), b.size());
    return static_cast<double>((sm * b).sum());
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

/// z with or without the bias: the stored pre-activation is reused when the bias is kept.
template <class L>
Batch<typename L::scalar> denominator_z(const RuleContext<L>& ctx, bool bias) {
    if (bias || !ctx.params.has_bias) return ctx.z;
    return ctx.layer.apply(ctx.x, own_params(ctx, false));
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
