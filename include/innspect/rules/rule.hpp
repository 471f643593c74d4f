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
#include "innspect/kernels/sign_select.hpp"

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

/// z + ε·sgn₀(z): keeps the denominator away from zero with the sign of z.
template <class T>
Batch<T> stabilize(const Batch<T>& z, T eps) {
    return (z.array() >= T(0)).select(z.array() + eps, z.array() - eps).matrix();
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

/// scale·r / (d + ε·sgn₀(d)) entry by entry, as a functor Eigen vectorises (its `select` is scalar
/// in 3.4): the quotient step of the sign-split rules, fused with the sum that makes d. The packet
/// form does on each entry what the scalar form does, so an entry has the same bits either way.
template <class T>
struct stabilized_quotient_op {
    T scale, eps;
    T operator()(const T& r, const T& d) const { return scale * r / (d < T(0) ? d - eps : d + eps); }
    template <class P>
    P packetOp(const P& r, const P& d) const {
        namespace ei = Eigen::internal;
        const P e = ei::pset1<P>(eps);
        return ei::pdiv(ei::pmul(ei::pset1<P>(scale), r),
                        ei::pselect(ei::pcmp_lt(d, ei::pzero(d)), ei::psub(d, e), ei::padd(d, e)));
    }
};

/// r where z > 0 (`positive`) or z < 0 (not), else 0: which neurons a γ branch serves, vectorised.
template <class T>
struct sign_mask_op {
    bool positive;
    T operator()(const T& r, const T& z) const { return (positive ? z > T(0) : z < T(0)) ? r : T(0); }
    template <class P>
    P packetOp(const P& r, const P& z) const {
        namespace ei = Eigen::internal;
        const P zero = ei::pzero(z);
        return ei::pselect(positive ? ei::pcmp_lt(zero, z) : ei::pcmp_lt(z, zero), r, zero);
    }
};

}  // namespace detail
}  // namespace innspect

namespace Eigen::internal {
template <class T>
struct functor_traits<innspect::detail::stabilized_quotient_op<T>> {
    enum {
        Cost = 2 * NumTraits<T>::AddCost + NumTraits<T>::MulCost + scalar_div_cost<T, true>::value,
        PacketAccess = packet_traits<T>::HasDiv && packet_traits<T>::HasCmp
    };
};
template <class T>
struct functor_traits<innspect::detail::sign_mask_op<T>> {
    enum { Cost = 2 * NumTraits<T>::AddCost, PacketAccess = packet_traits<T>::HasCmp };
};
}  // namespace Eigen::internal

namespace innspect {
namespace detail {

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
double bias_share(const T* s, Eigen::Index size, const Vector<T>& b, Vector<T>& tmp) {
    if (b.size() == 0) return 0;
    if (b.size() == 1) return static_cast<double>(b(0) * Eigen::Map<const Vector<T>>(s, size).sum());
    Eigen::Map<const Matrix<T>> sm(s, size / b.size(), b.size());
    tmp.setZero(b.size());
    for (Eigen::Index p = 0; p < sm.rows(); ++p) tmp += sm.row(p).transpose();  // contiguous rows: vectorised
    return static_cast<double>(tmp.dot(b));
}
template <class T>
double bias_share(const Batch<T>& s, const Vector<T>& b, Vector<T>& tmp) {
    return bias_share(s.data(), s.size(), b, tmp);
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
    Batch<T> z, z2, z3, z4, s, s2, c, c2, c3, c4, xp, xn, z0;
    Matrix<T> pt, nt;  ///< the sign-selected step's kernels transposed (kernels/sign_select.hpp)
    Vector<T> bias_sums, bp, bn;
    /// The stacked sign-split step's (2·B rows), apart from the B-row ones: a recurrent cell runs
    /// its map on inputs with and without negative values within one call (h₀ = 0), and a buffer
    /// shared by both steps would be resized, so allocated, at every switch.
    struct {
        Batch<T> x, z, z2, s, c, c2;
    } stacked;
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

/// R_in = apply_transposed(R / n, P) into `out`, with n one row of per-unit denominators shared by
/// every batch row, and 0 where n is 0: the step of the rules that ignore x (flat, w²).
template <class L>
void spread(const RuleContext<L>& ctx, const Batch<typename L::scalar>& r, const LinearParams<typename L::scalar>& p,
            const Batch<typename L::scalar>& n, Batch<typename L::scalar>& out) {
    using T = typename L::scalar;
    auto& w = rule_buffers(ctx);
    const auto nb = n.replicate(r.rows(), 1);  // an expression: no matrix of its own
    w.s = (nb.array() != T(0)).select(r.array() / nb.array(), T(0)).matrix();
    apply_transposed_into(ctx.layer, w.s, p, out);
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

/// A linear layer's two products, x ↦ apply(x, P) and s ↦ apply_transposed(s, P), behind
/// function pointers: what a rule step that is the same for every layer type calls, so that the
/// step is compiled once per scalar rather than once per layer type. The indirect call costs
/// nothing next to the product it makes.
template <class T>
struct LayerProducts {
    using Product = void (*)(const void* layer, const Batch<T>& in, const LinearParams<T>& p, Batch<T>& out);
    const void* layer;
    Product forward, transposed;
    /// > 0: apply(x, P) is the plain product X·K (+ b), a sample's x read as `plain_rows` rows of
    /// K's height (the layer's `plain_rows`: a Dense layer, a convolution whose im2col is the
    /// identity, a cell's map); 0: any other product.
    Eigen::Index plain_rows = 0;

    void apply(const Batch<T>& x, const LinearParams<T>& p, Batch<T>& out) const { forward(layer, x, p, out); }
    void apply_transposed(const Batch<T>& s, const LinearParams<T>& p, Batch<T>& out) const {
        transposed(layer, s, p, out);
    }
};

/// L::plain_rows when L declares it, else 0 (LayerProducts::plain_rows).
template <class L>
constexpr Eigen::Index plain_rows_of() {
    if constexpr (requires { L::plain_rows; }) return L::plain_rows;
    else return 0;
}

/// `layer`'s products (it must outlive the result).
template <class L>
LayerProducts<typename L::scalar> products_of(const L& layer) {
    using T = typename L::scalar;
    return {&layer,
            [](const void* l, const Batch<T>& x, const LinearParams<T>& p, Batch<T>& out) {
                apply_into(*static_cast<const L*>(l), x, p, out);
            },
            [](const void* l, const Batch<T>& s, const LinearParams<T>& p, Batch<T>& out) {
                apply_transposed_into(*static_cast<const L*>(l), s, p, out);
            },
            plain_rows_of<L>()};
}

/// What a sign-split rule (α-β, z⁺, γ) runs with: two kernels P ("same") and N ("other"), with
///   z_pos = x⁺P + x⁻N (+ b_pos),   s_pos = scale_pos · R / stabilise(z_pos)
///   z_neg = x⁺N + x⁻P (+ b_neg),   s_neg = scale_neg · R / stabilise(z_neg)
///   R_in  = x⁺ ⊙ (s_pos Pᵀ ∓ s_neg Nᵀ) + x⁻ ⊙ (s_pos Nᵀ ∓ s_neg Pᵀ)    (− for α-β, + for γ)
/// α-β: P = W⁺, N = W⁻, b_pos = b⁺, b_neg = b⁻, scales α and β. γ: P = W + γW⁺, N = W + γW⁻,
/// b_pos = b + γb⁺, b_neg = b + γb⁻, scales 1, and s_pos only where z > 0, s_neg only where z < 0.
template <class T>
struct SignSplit {
    const LinearParams<T>& same;   ///< P, its kernel only (the biases below enter the quotient)
    const LinearParams<T>& other;  ///< N, likewise
    const Vector<T>* bias_pos;     ///< nullptr: no bias
    const Vector<T>* bias_neg;
    T scale_pos, scale_neg;
    bool negative_part;            ///< false: R_in has the positive part only (z⁺, β = 0)
    bool subtract;                 ///< R_in = positive part − negative part (else +)
    const Batch<T>* mask_by;       ///< γ: the z whose sign picks the part (nullptr: both parts everywhere)
    T eps;                         ///< the stabiliser
};

/// Whether sign_split_step stacks x⁺ and x⁻ (and s_pos, s_neg) into one batch of 2·B rows (a
/// layer whose product is not plain: see sign_split_step). Not for a single row: a layer with one
/// output position then runs matrix-vector products, which two rows would turn into a GEMM that
/// packs the whole kernel (measured at batch 1 on the seed model's conv2, before it took the plain
/// path: 57 → 104 us). From two rows on, stacking packs each kernel once instead of twice.
inline bool stack_sign_split(Eigen::Index rows) { return rows > 1; }

/// The sign-split step (SignSplit) at one linear layer, R_in into `out`, with the layer's
/// products written into the kept buffers; returns Σ s_pos ⊙ b_pos ∓ Σ s_neg ⊙ b_neg, what the
/// biases absorbed.
///
/// Every product of the formula is computed on its own: x⁺P, x⁻N, x⁺N, x⁻P forward and s_pos Pᵀ,
/// s_pos Nᵀ, s_neg Nᵀ, s_neg Pᵀ backward. Identities that save products — z_neg = z − z_pos from
/// the stored pre-activation, W⁺ = W − W⁻ in the backward (5 GEMMs instead of 8) — subtract large
/// quantities: where a denominator is degenerate (z_pos or z_neg ≈ 0, so s = R / 1e-6 is huge) the
/// difference leaves a rounding error of size eps·|s|·|w| in terms that the separate products give
/// as exact zeros (an input with no negative weight into that neuron), and that error reaches the
/// relevance of unrelated inputs. What is saved instead is passes: on inputs with negative entries
/// x⁺ and x⁻ are stacked into one batch of 2·B rows, so one product with P gives x⁺P and x⁻P and
/// one with N gives x⁺N and x⁻N (likewise [s_pos; s_neg] backward), each sum of two products, its
/// bias and the stabilised quotient are one pass, and the final combination is one pass. On
/// inputs without negative entries (after ReLU, images) x⁺ = x and the x⁻ products are skipped.
/// Where the product is plain, X·K (LayerProducts::plain_rows: a Dense layer, a convolution whose
/// im2col is the identity, a cell's map), on inputs with negative entries, an input is either
/// positive or negative, so each of its kernel rows enters two of the four products, not four
/// (one of x⁺P, x⁻N for z⁺, not two): kernels/sign_select.hpp takes them chosen by the input's
/// sign — half the multiply-adds, each sum still of its own terms only. Its transposed
/// half goes row by row (a pair of dot products per input) for one row per sample, and across
/// inputs (a blend per packet of inputs, four rows sharing each kernel load) for four or more:
/// on the seed model's conv1 (32 outputs) the row-by-row dot products are too short to beat the
/// stacked GEMMs, while across inputs takes half their time (bench/README.md "The goals at
/// 954d0a8").
///
/// The step is written against LayerProducts, not the layer's type: it is compiled once per
/// scalar, not once per layer type (bench/README.md "Compile time").
template <class T>
double sign_split_step(const LayerProducts<T>& l, const Batch<T>& x, const Batch<T>& r, const SignSplit<T>& p,
                       RuleBuffers<T>& w, Batch<T>& out) {
    using ConstMap = Eigen::Map<const Matrix<T>>;
    const Eigen::Index rows = x.rows(), size_out = r.size();
    // Not minCoeff() < 0: with a NaN in x it may return the NaN, and the whole batch would take
    // the step for inputs without negatives.
    const bool has_negative = (x.array() < T(0)).any();

    // s (at `s`) = scale · R / stabilise(d1 + d2 + b), d2 and b optional; in a channels view
    // (positions × channels) so that the per-channel bias broadcasts over rows.
    auto quotient = [&](T* s, const T* d1, const T* d2, const Vector<T>* b, T scale, bool positive) {
        const Eigen::Index ch = b ? b->size() : size_out;
        const Eigen::Index n = ch > 0 ? size_out / ch : 0;
        Eigen::Map<Matrix<T>> sm(s, n, ch);
        const ConstMap rm(r.data(), n, ch), a(d1, n, ch);
        const stabilized_quotient_op<T> q{scale, p.eps};
        auto write = [&](const auto& d) {
            if (p.mask_by) sm = rm.binaryExpr(ConstMap(p.mask_by->data(), n, ch), sign_mask_op<T>{positive}).binaryExpr(d, q);
            else sm = rm.binaryExpr(d, q);
        };
        auto with_bias = [&](const auto& d) {
            if (b) write(d.rowwise() + b->transpose());
            else write(d);
        };
        if (d2) with_bias(a + ConstMap(d2, n, ch));
        else with_bias(a);
    };
    auto share = [&](const T* s, const Vector<T>* b) { return b ? bias_share(s, size_out, *b, w.bias_sums) : 0.0; };
    const double sign = p.subtract ? -1.0 : 1.0;

    if (!has_negative) {
        // x⁺ = x, x⁻ = 0: z_pos = xP, z_neg = xN; R_in = x ⊙ (s_pos Pᵀ ∓ s_neg Nᵀ).
        l.apply(x, p.same, w.z);
        w.s.resize(rows, r.cols());
        quotient(w.s.data(), w.z.data(), nullptr, p.bias_pos, p.scale_pos, true);
        l.apply_transposed(w.s, p.same, w.c);
        double absorbed = share(w.s.data(), p.bias_pos);
        if (!p.negative_part) {
            out = x.cwiseProduct(w.c);
            return absorbed;
        }
        l.apply(x, p.other, w.z2);
        w.s2.resize(rows, r.cols());
        quotient(w.s2.data(), w.z2.data(), nullptr, p.bias_neg, p.scale_neg, false);
        l.apply_transposed(w.s2, p.other, w.c2);
        if (p.subtract) out = x.cwiseProduct(w.c - w.c2);
        else out = x.cwiseProduct(w.c + w.c2);
        return absorbed + sign * share(w.s2.data(), p.bias_neg);
    }

    if (l.plain_rows > 0) {
        // A plain product: each kernel row enters two of the four products (one of the two, for
        // z⁺), chosen by its input's sign (kernels/sign_select.hpp), the batch's rows one after the
        // other. s_neg carries the sign the rule gives it (−β for α-β), so R_in = x ⊙ (row · s_pos
        // + row' · s_neg) and its bias share adds.
        const Eigen::Index m = rows * l.plain_rows, k = p.same.kernel.rows(), n = p.same.kernel.cols();
        eigen_assert(x.cols() == l.plain_rows * k && r.cols() == l.plain_rows * n);  // the walk's shapes
        const bool both = p.negative_part;
        w.z.resize(rows, r.cols());
        w.s.resize(rows, r.cols());
        if (both) {
            w.z2.resize(rows, r.cols());
            w.s2.resize(rows, r.cols());
        }
        sign_selected_forward(x.data(), m, k, p.same.kernel.data(), p.other.kernel.data(), n, w.z.data(),
                              both ? w.z2.data() : nullptr);
        quotient(w.s.data(), w.z.data(), nullptr, p.bias_pos, p.scale_pos, true);
        if (both)
            quotient(w.s2.data(), w.z2.data(), nullptr, p.bias_neg, p.subtract ? -p.scale_neg : p.scale_neg, false);
        const T* s_neg = both ? w.s2.data() : nullptr;
        out.resize(rows, x.cols());
        if (l.plain_rows >= 4) {
            // Several rows per sample (a convolution's positions): vectorised across inputs, each
            // kernel load shared by four rows, with the kernels transposed (a copy of k·n values
            // per call, which a row's products amortise). Chosen by the layer, not by the number
            // of rows in the call.
            w.pt = p.same.kernel.transpose();
            w.nt = p.other.kernel.transpose();
            sign_selected_transposed_across(x.data(), m, k, p.same.kernel.data(), p.other.kernel.data(), w.pt.data(),
                                            w.nt.data(), n, w.s.data(), s_neg, out.data());
        } else {
            sign_selected_transposed(x.data(), m, k, p.same.kernel.data(), p.other.kernel.data(), n, w.s.data(), s_neg,
                                     out.data());
        }
        return share(w.s.data(), p.bias_pos) + (both ? share(w.s2.data(), p.bias_neg) : 0.0);
    }

    if (!p.negative_part) {
        // z_pos = x⁺P + x⁻N; R_in = x⁺ ⊙ s_pos Pᵀ + x⁻ ⊙ s_pos Nᵀ.
        w.xp = x.cwiseMax(T(0));
        w.xn = x.cwiseMin(T(0));
        l.apply(w.xp, p.same, w.z);
        l.apply(w.xn, p.other, w.z2);
        w.s.resize(rows, r.cols());
        quotient(w.s.data(), w.z.data(), w.z2.data(), p.bias_pos, p.scale_pos, true);
        l.apply_transposed(w.s, p.same, w.c);
        l.apply_transposed(w.s, p.other, w.c2);
        out = w.xp.cwiseProduct(w.c) + w.xn.cwiseProduct(w.c2);
        return share(w.s.data(), p.bias_pos);
    }

    const Eigen::Index size_in = x.size();
    if (stack_sign_split(rows)) {
        // X = [x⁺; x⁻]: X·P = [x⁺P; x⁻P], X·N = [x⁺N; x⁻N]; S = [s_pos; s_neg]: S·Pᵀ = [s_pos Pᵀ;
        // s_neg Pᵀ], S·Nᵀ = [s_pos Nᵀ; s_neg Nᵀ]. Top halves are the first B rows (row-major).
        auto& k = w.stacked;
        k.x.resize(2 * rows, x.cols());
        k.x.topRows(rows) = x.cwiseMax(T(0));
        k.x.bottomRows(rows) = x.cwiseMin(T(0));
        l.apply(k.x, p.same, k.z);
        l.apply(k.x, p.other, k.z2);
        k.s.resize(2 * rows, r.cols());
        T* s_neg = k.s.data() + size_out;
        quotient(k.s.data(), k.z.data(), k.z2.data() + size_out, p.bias_pos, p.scale_pos, true);
        quotient(s_neg, k.z2.data(), k.z.data() + size_out, p.bias_neg, p.scale_neg, false);
        l.apply_transposed(k.s, p.same, k.c);
        l.apply_transposed(k.s, p.other, k.c2);
        const ConstMap xp(k.x.data(), rows, x.cols()), xn(k.x.data() + size_in, rows, x.cols());
        const ConstMap sp_p(k.c.data(), rows, x.cols()), sn_p(k.c.data() + size_in, rows, x.cols());
        const ConstMap sp_n(k.c2.data(), rows, x.cols()), sn_n(k.c2.data() + size_in, rows, x.cols());
        if (p.subtract) out = xp.cwiseProduct(sp_p - sn_n) + xn.cwiseProduct(sp_n - sn_p);
        else out = xp.cwiseProduct(sp_p + sn_n) + xn.cwiseProduct(sp_n + sn_p);
        return share(k.s.data(), p.bias_pos) + sign * share(s_neg, p.bias_neg);
    } else {
        w.xp = x.cwiseMax(T(0));
        w.xn = x.cwiseMin(T(0));
        l.apply(w.xp, p.same, w.z);
        l.apply(w.xn, p.other, w.z2);
        l.apply(w.xp, p.other, w.z3);
        l.apply(w.xn, p.same, w.z4);
        w.s.resize(rows, r.cols());
        w.s2.resize(rows, r.cols());
        quotient(w.s.data(), w.z.data(), w.z2.data(), p.bias_pos, p.scale_pos, true);
        quotient(w.s2.data(), w.z3.data(), w.z4.data(), p.bias_neg, p.scale_neg, false);
        l.apply_transposed(w.s, p.same, w.c);
        l.apply_transposed(w.s, p.other, w.c2);
        l.apply_transposed(w.s2, p.other, w.c3);
        l.apply_transposed(w.s2, p.same, w.c4);
        if (p.subtract) out = w.xp.cwiseProduct(w.c - w.c3) + w.xn.cwiseProduct(w.c2 - w.c4);
        else out = w.xp.cwiseProduct(w.c + w.c3) + w.xn.cwiseProduct(w.c2 + w.c4);
        return share(w.s.data(), p.bias_pos) + sign * share(w.s2.data(), p.bias_neg);
    }
}

/// sign_split_step at `ctx`'s layer, with the layer's kept buffers.
template <class L>
double sign_split_step(const RuleContext<L>& ctx, const Batch<typename L::scalar>& r,
                       const SignSplit<typename L::scalar>& p, Batch<typename L::scalar>& out) {
    return sign_split_step(products_of(ctx.layer), ctx.x, r, p, rule_buffers(ctx), out);
}

}  // namespace detail
}  // namespace innspect
