#pragma once
/// \file
/// Layer-wise relevance propagation: R⁰ at the tap (see targets/target.hpp) flows back to the
/// input, or to the stop layer. Linear layers apply the rule their composite chooses;
/// elementwise activations (also a softmax in the middle of the graph), Reshape, Flatten and
/// Dropout pass relevance through unchanged. Each step is checked: non-finite relevance is an
/// error naming the layer and rule, never a silently returned heatmap.

#include <array>
#include <cmath>
#include <vector>
#include <string>
#include <tuple>
#include <utility>

#include "innspect/analyzers/backward.hpp"
#include "innspect/analyzers/explanation.hpp"
#include "innspect/composites/composite.hpp"
#include "innspect/core/concepts.hpp"
#include "innspect/core/errors.hpp"
#include "innspect/rules/rule.hpp"
#include "innspect/targets/target.hpp"

namespace innspect {

namespace detail {

/// A linear layer seen with substitute parameters (its fusion with a following batch norm):
/// the same apply / apply_transposed, other params().
template <class L>
struct FoldedLayer {
    using scalar = typename L::scalar;
    static constexpr std::string_view name = L::name;
    static constexpr LayerKind kind = L::kind;
    const L& inner;
    const LinearParams<scalar>& fused;

    const LinearParams<scalar>& params() const { return fused; }
    Batch<scalar> apply(const Batch<scalar>& x, const LinearParams<scalar>& p) const { return inner.apply(x, p); }
    Batch<scalar> apply_transposed(const Batch<scalar>& s, const LinearParams<scalar>& p) const {
        return inner.apply_transposed(s, p);
    }
};

/// W' = W·diag(k), b' = k·b + c: a linear layer followed by z ↦ k·z + c per output channel.
/// Output channels are the kernel matrix's columns, except for Conv2DTranspose, whose rows run
/// over (kh, kw, filters) with the filter fastest.
template <class L>
LinearParams<typename L::scalar> fold(const L& layer, const LinearParams<typename L::scalar>& bn) {
    using T = typename L::scalar;
    const auto& p = layer.params();
    const Vector<T> k = bn.kernel.row(0).transpose();
    LinearParams<T> f;
    f.kernel = p.kernel;
    if constexpr (L::kind == LayerKind::conv2d_transpose) {
        for (Eigen::Index r = 0; r < f.kernel.rows(); ++r) f.kernel.row(r) *= k(r % k.size());
    } else {
        f.kernel = f.kernel * k.asDiagonal();
    }
    f.bias = bn.bias;
    if (p.has_bias) f.bias += k.cwiseProduct(p.bias);
    f.has_bias = true;
    return f;
}

}  // namespace detail

template <class Model, class Comp>
class Lrp {
public:
    using T = typename Model::scalar;

    /// Explains with `composite`'s rules; keeps a reference to `model` (which must outlive this).
    /// Modified weights (W⁺, W², ...) are cached here: make a new analyzer after changing weights.
    Lrp(const Model& model, Comp composite) : model_(model), composite_(std::move(composite)) {}

    /// Forward pass on x, then relevance for `target`.
    Explanation<T> explain(const Batch<T>& x, const Target<T>& target, ExplainOptions opt = {}) const {
        return explain(model_.forward(x), target, opt);
    }

    /// Relevance for `target` from an existing forward pass.
    Explanation<T> explain(const Trace<T>& trace, const Target<T>& target, ExplainOptions opt = {}) const {
        const auto rt = detail::resolve(trace, target);
        Explanation<T> e;
        e.initial = rt.initial_relevance();
        e.score = rt.score();
        e.report.initial = static_cast<double>(e.initial.sum());
        auto pass = [](auto, const auto&, Batch<T>&) {};
        const auto path = detail::backward_path(trace.layers, rt.tap, rt.stop);
        auto core = [&](auto index, const auto& layer, const Batch<T>& r) {
            return step(index, layer, trace, r, path, e.report);
        };
        e.relevance = detail::walk_backward(model_, trace, rt, e.initial, pass, core, opt.keep_layers ? &e.layers : nullptr);
        e.report.final = static_cast<double>(e.relevance.sum());
        e.at = rt.stop < 0 ? "input" : std::string(trace.layers[static_cast<std::size_t>(rt.stop)].name);
        e.shape = detail::end_shape(trace.layers, rt.stop);
        return e;
    }

    const Comp& composite() const { return composite_; }

private:
    /// Index of a BatchNormalization that reads linear layer I directly, with no activation
    /// between them (design.md §5: folded into I before analysis), or −1.
    template <std::size_t I>
    static constexpr int folded_child() {
        constexpr auto& infos = Model::layer_infos();
        if (infos[I].kind == LayerKind::batch_norm || !is_linear(infos[I].kind) || infos[I].activation != "linear")
            return -1;
        for (std::size_t q = I + 1; q < infos.size(); ++q)
            if (infos[q].kind == LayerKind::batch_norm && infos[q].parent == static_cast<int>(I)) return static_cast<int>(q);
        return -1;
    }

    struct LinearStep {
        Batch<T> relevance;
        std::string rule;
        double bias_absorbed = 0;
    };

    /// The composite's rule at linear layer I, with a following batch norm folded in when it is
    /// on the path; a batch norm folded into its parent passes relevance through.
    template <std::size_t I, class L>
    LinearStep linear_step(const L& layer, const Trace<T>& trace, const Batch<T>& r,
                           const std::vector<bool>& path) const {
        constexpr auto& infos = Model::layer_infos();
        constexpr std::size_t k = Comp::match(infos, I);
        static_assert(k < std::tuple_size_v<decltype(composite_.entries)>,
                      "Lrp: a linear layer matches no entry of the composite; add a catch-all entry<AnyLayer>");
        const auto& rule = std::get<k>(composite_.entries).rule;
        constexpr int parent = infos[I].parent;
        constexpr int child = folded_child<I>();
        const auto x_index = static_cast<int>(I);
        if constexpr (L::kind == LayerKind::batch_norm && parent >= 0) {
            if constexpr (folded_child<static_cast<std::size_t>(parent)>() == static_cast<int>(I)) {
                if (path[static_cast<std::size_t>(parent)])
                    return {r, "folded into " + std::string(infos[static_cast<std::size_t>(parent)].name), 0.0};
            }
        }
        if constexpr (child >= 0) {
            if (path[static_cast<std::size_t>(child)]) {
                const auto& bn = model_.template layer_at<static_cast<std::size_t>(child)>();
                auto& cache = caches_[static_cast<std::size_t>(child)];
                const auto& fused = cache.get("folded", [&] { return detail::fold(layer, bn.params()); });
                const detail::FoldedLayer<L> folded{layer, fused};
                const RuleContext<detail::FoldedLayer<L>> ctx{folded, trace.input_of(x_index),
                                                              trace.pre_activation(child), cache, parent < 0};
                auto s = rule.relevance(ctx, r);
                return {std::move(s.relevance),
                        rule.name() + " (+" + std::string(infos[static_cast<std::size_t>(child)].name) + ")",
                        s.bias_absorbed};
            }
        }
        const RuleContext<L> ctx{layer, trace.input_of(x_index), trace.pre_activation(x_index), caches_[I],
                                 parent < 0};
        auto s = rule.relevance(ctx, r);
        return {std::move(s.relevance), rule.name(), s.bias_absorbed};
    }

    template <class Index, class L>
    Batch<T> step(Index, const L& layer, const Trace<T>& trace, const Batch<T>& r, const std::vector<bool>& path,
                  ConservationReport& report) const {
        constexpr std::size_t i = Index::value;
        LayerConservation c;
        c.layer = std::string(layer.name);
        c.relevance_out = static_cast<double>(r.sum());
        Batch<T> out;
        if constexpr (LinearLayer<L>) {
            auto s = linear_step<i>(layer, trace, r, path);
            out = std::move(s.relevance);
            c.rule = std::move(s.rule);
            c.bias_absorbed = s.bias_absorbed;
        } else if constexpr (requires { layer.lrp_backward(trace.input_of(0), r); }) {
            // Layers with their own LRP rule (pooling, resampling): design.md §5.
            out = layer.lrp_backward(trace.input_of(static_cast<int>(i)), r);
            c.rule = std::string(layer.lrp_rule_name);
        } else {
            out = layer.backward_linear(r);
            c.rule = "pass-through";
        }
        c.relevance_in = static_cast<double>(out.sum());
        // The sum the report needs also detects NaN / Inf (scan only if it is not finite).
        if (!std::isfinite(c.relevance_in) && !out.allFinite())
            throw value_error(c.layer + ": non-finite relevance after rule " + c.rule +
                              " (check the inputs and weights, or use a larger epsilon)");
        c.stabilizer_lost = c.relevance_out - c.relevance_in - c.bias_absorbed;
        report.layers.push_back(std::move(c));
        return out;
    }

    const Model& model_;
    Comp composite_;
    mutable std::array<ParamCache<T>, Model::size> caches_;
};

/// `lrp(model, rule)` applies one rule everywhere; `lrp(model, composite)` uses a composite.
template <class Model, class Rule>
auto lrp(const Model& model, Rule rule) {
    if constexpr (requires { rule.entries; })
        return Lrp<Model, Rule>(model, std::move(rule));
    else
        return Lrp<Model, decltype(uniform(std::move(rule)))>(model, uniform(std::move(rule)));
}

}  // namespace innspect
