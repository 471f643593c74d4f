#pragma once
/// \file
/// Layer-wise relevance propagation: R⁰ at the tap (see targets/target.hpp) flows back to the
/// input, or to the stop layer. Linear layers apply the rule their composite chooses;
/// elementwise activations (also a softmax in the middle of the graph), Reshape, Flatten and
/// Dropout pass relevance through unchanged. Each step is checked: non-finite relevance is an
/// error naming the layer and rule, never a silently returned heatmap.

#include <array>
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
        auto core = [&](auto index, const auto& layer, const Batch<T>& r) {
            return step(index, layer, trace, r, e.report);
        };
        e.relevance = detail::walk_backward(model_, trace, rt, e.initial, pass, core, opt.keep_layers ? &e.layers : nullptr);
        e.report.final = static_cast<double>(e.relevance.sum());
        e.at = rt.stop < 0 ? "input" : std::string(trace.layers[static_cast<std::size_t>(rt.stop)].name);
        e.shape = detail::end_shape(trace.layers, rt.stop);
        return e;
    }

    const Comp& composite() const { return composite_; }

private:
    template <class Index, class L>
    Batch<T> step(Index, const L& layer, const Trace<T>& trace, const Batch<T>& r, ConservationReport& report) const {
        constexpr std::size_t i = Index::value;
        LayerConservation c;
        c.layer = std::string(layer.name);
        c.relevance_out = static_cast<double>(r.sum());
        Batch<T> out;
        if constexpr (LinearLayer<L>) {
            constexpr std::size_t k = Comp::match(Model::layer_infos(), i);
            static_assert(k < std::tuple_size_v<decltype(composite_.entries)>,
                          "Lrp: a linear layer matches no entry of the composite; add a catch-all entry<AnyLayer>");
            const auto& rule = std::get<k>(composite_.entries).rule;
            const RuleContext<L> ctx{layer, trace.input_of(static_cast<int>(i)),
                                     trace.pre_activation(static_cast<int>(i)), caches_[i],
                                     Model::layer_infos()[i].parent < 0};
            auto s = rule.relevance(ctx, r);
            out = std::move(s.relevance);
            c.rule = rule.name();
            c.bias_absorbed = s.bias_absorbed;
        } else if constexpr (requires { layer.lrp_backward(trace.input_of(0), r); }) {
            // Layers with their own LRP rule (pooling): design.md §5.
            out = layer.lrp_backward(trace.input_of(static_cast<int>(i)), r);
            c.rule = std::string(layer.lrp_rule_name);
        } else {
            out = layer.backward_linear(r);
            c.rule = "pass-through";
        }
        if (!out.allFinite())
            throw value_error(c.layer + ": non-finite relevance after rule " + c.rule +
                              " (check the inputs and weights, or use a larger epsilon)");
        c.relevance_in = static_cast<double>(out.sum());
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
