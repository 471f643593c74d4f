#pragma once
/// \file
/// What the recurrent layers (LSTM, GRU, SimpleRNN) share: their options, the view of one time
/// step of a sequence batch, and how their LRP runs the composite's rule on the linear maps
/// inside the cell (design.md §5, Arras et al. 2017).
///
/// A sequence batch holds, per sample, `steps` rows of `width` values one after the other
/// (channels-last, Keras's (steps, features)):
///
///   row b:  [ x(b,0,0) .. x(b,0,F-1) | x(b,1,0) .. x(b,1,F-1) | ... | x(b,S-1,0) .. x(b,S-1,F-1) ]
///
/// so step t of every sample is a B × width matrix with outer stride steps·width (`step_view`).

#include <Eigen/Core>

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include "innspect/core/linear_params.hpp"
#include "innspect/core/rule_context.hpp"
#include "innspect/core/scratch.hpp"
#include "innspect/core/tensor.hpp"
#include "innspect/layers/activation_functions.hpp"
#include "innspect/layers/keras_schema.hpp"

namespace innspect {

/// Keras's options of a recurrent layer, as a structural value:
/// `LSTM<"decoder", 16, Recurrent{.return_sequences = true}>`.
struct Recurrent {
    bool return_sequences = false;  ///< output every step (steps, units), else the last (units,)
    bool go_backwards = false;      ///< read the input from the last step to the first; the output
                                    ///< sequence is in processing order (reversed), as Keras's
    bool use_bias = true;
    bool reset_after = true;        ///< GRU only: Keras 2.3+/3's default (bias [2, 3u]); false: bias [3u]
};

namespace detail {

/// Step t of a sequence batch: a B × width matrix (outer stride steps·width), no copy.
template <class T>
Eigen::Map<const Matrix<T>, 0, Eigen::OuterStride<>> step_view(const Batch<T>& x, int t, int width, int steps) {
    return {x.data() + static_cast<Eigen::Index>(t) * width, x.rows(), width, Eigen::OuterStride<>(steps * width)};
}
template <class T>
Eigen::Map<Matrix<T>, 0, Eigen::OuterStride<>> step_view(Batch<T>& x, int t, int width, int steps) {
    return {x.data() + static_cast<Eigen::Index>(t) * width, x.rows(), width, Eigen::OuterStride<>(steps * width)};
}

/// A linear map inside a cell, as LRP rules see it (RuleContext): z = x·K (+ b), its
/// transposed s·Kᵀ. K is one gate's block of the kernel and / or of the recurrent kernel.
template <class T>
struct CellLinear {
    using scalar = T;
    static constexpr std::string_view name = "cell";
    static constexpr Eigen::Index plain_rows = 1;  // apply(x, P) = x·K (+ b): rules/rule.hpp
    Batch<T> apply(const Batch<T>& x, const LinearParams<T>& p) const {
        Batch<T> z;
        apply_into(x, p, z);
        return z;
    }
    Batch<T> apply_transposed(const Batch<T>& s, const LinearParams<T>& p) const {
        Batch<T> out;
        apply_transposed_into(s, p, out);
        return out;
    }
    /// The same into `z` / `out` (kept by the rule's buffers: no allocation in steady state).
    void apply_into(const Batch<T>& x, const LinearParams<T>& p, Batch<T>& z) const {
        z.resize(x.rows(), p.kernel.cols());
        z.noalias() = x * p.kernel;
        if (p.has_bias) z.rowwise() += p.bias.transpose();
    }
    void apply_transposed_into(const Batch<T>& s, const LinearParams<T>& p, Batch<T>& out) const {
        out.resize(s.rows(), p.kernel.rows());
        out.noalias() = s * p.kernel.transpose();
    }
};

/// Runs `rule` on the cell's linear map z = x·K + b (P) for relevance r at z: the relevance at x
/// into `out`; returns what the bias absorbed.
template <class T, class Rule>
double cell_rule(const Rule& rule, const LinearParams<T>& p, const Batch<T>& x, const Batch<T>& z,
                 ParamCache<T>& cache, const Batch<T>& r, Batch<T>& out) {
    static constexpr CellLinear<T> map{};
    const RuleContext<CellLinear<T>> ctx{map, p, x, z, cache, false};
    return rule_relevance(rule, ctx, r, out);
}

/// The returning forms of a recurrent layer's explanation steps, made from its `_into` forms
/// (`backward_into(x, g, cache, out)`, `lrp_backward_into(x, R, rule, cache, out)`): a base of
/// the bound layer `Layer` (CRTP). `backward(x, g)` runs with a cache of its own.
template <class Layer, class T>
struct ReturningSteps {
    Batch<T> backward(const Batch<T>& x, const Batch<T>& g) const {
        ParamCache<T> cache;
        Batch<T> gx;
        static_cast<const Layer&>(*this).backward_into(x, g, cache, gx);
        return gx;
    }
    template <class Rule>
    LrpStep<T> lrp_backward(const Batch<T>& x, const Batch<T>& r, const Rule& rule, ParamCache<T>& cache) const {
        LrpStep<T> out;
        out.bias_absorbed = static_cast<const Layer&>(*this).lrp_backward_into(x, r, rule, cache, out.relevance);
        return out;
    }
};

/// The stabiliser of the cell's sums (c = f⊙c' + i⊙g, GRU's h = z⊙h' + (1−z)⊙n): the rule's
/// epsilon, 1e-6 when it has none (as the merges').
template <class Rule>
double split_epsilon(const Rule& rule) {
    if constexpr (requires { rule.epsilon; }) return static_cast<double>(rule.epsilon);
    else return 1e-6;
}

/// R / (y + ε·sgn₀(y)), 0 where the denominator is 0 (ε = 0 and y = 0): the factor that splits
/// R_j among the terms of y_j = Σ_k a_{k,j} in proportion, R_{k,j} = a_{k,j}·factor_j.
/// Written into `out` (sized once by the caller's workspace); y may be a step view.
template <class T, class Y>
void split_factor(const Batch<T>& r, const Y& y, T eps, Batch<T>& out) {
    const auto d = (y.array() >= T(0)).select(y.array() + eps, y.array() - eps);
    out = (d != T(0)).select(r.array() / d, T(0)).matrix();
}
template <class T>
Batch<T> split_factor(const Batch<T>& r, const Batch<T>& y, T eps) {
    Batch<T> s;
    split_factor(r, y, eps, s);
    return s;
}

/// a = Act(z) on a batch (an activation type's forward with `channels` per group).
template <class Act, class T>
Batch<T> activate(const Batch<T>& z, int channels) {
    Batch<T> a;
    Act::forward(z, a, channels);
    return a;
}

/// Opt with go_backwards flipped.
constexpr Recurrent flip_go_backwards(Recurrent o) {
    o.go_backwards = !o.go_backwards;
    return o;
}

/// The config fields Keras's recurrent layers share: the values innspect runs, and the settings it
/// runs only as Keras's defaults. (dropout, recurrent_dropout, unit_forget_bias, unroll and
/// implementation change nothing at inference.)
inline constexpr KerasField rnn_fields[] = {
    {.key = "units"},
    {.key = "activation", .type = FieldType::activation, .has_fallback = true, .text_fallback = "tanh"},
    {.key = "use_bias", .type = FieldType::boolean, .has_fallback = true, .fallback = {1}},
    {.key = "return_sequences", .type = FieldType::boolean, .has_fallback = true, .fallback = {0}},
    {.key = "go_backwards", .type = FieldType::boolean, .has_fallback = true, .fallback = {0}},
    {.key = "return_state", .type = FieldType::raw, .requirement = "returns the output only (return_state false)",
     .accepted = "false"},
    {.key = "stateful", .type = FieldType::raw, .requirement = "keeps no state between batches (stateful false)",
     .accepted = "false"},
    {.key = "time_major", .type = FieldType::raw, .requirement = "reads (batch, steps, features) only (time_major false)",
     .accepted = "false"},
};

/// rnn_fields followed by a layer's own.
template <std::size_t N>
constexpr auto rnn_fields_with(const KerasField (&extra)[N]) {
    std::array<KerasField, std::size(rnn_fields) + N> f{};
    std::size_t i = 0;
    for (const auto& e : rnn_fields) f[i++] = e;
    for (const auto& e : extra) f[i++] = e;
    return f;
}

/// The values of rnn_fields, in their order (the activation's name: Keras's `activation`).
template <int Units, class Act, Recurrent Opt>
void rnn_keras_values(KerasValues& v) {
    v.numbers("units", {Units});
    v.activation<Act>();
    v.boolean("use_bias", Opt.use_bias);
    v.boolean("return_sequences", Opt.return_sequences);
    v.boolean("go_backwards", Opt.go_backwards);
}

}  // namespace detail
}  // namespace innspect
