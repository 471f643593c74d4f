#pragma once
/// \file
/// Layer-wise relevance propagation: R⁰ at the tap (see targets/target.hpp) flows back to the
/// input, or to the stop layer. Each layer crosses by the LRP policy it declares
/// (core/layer_traits.hpp): linear layers apply the rule their composite chooses, layers with an
/// own rule (pooling, resampling) apply it, pass-through layers (activations — also a softmax in
/// the middle of the graph —, Reshape, Flatten, Dropout) hand relevance on unchanged. Batch
/// norms are merged into the linear layer before them first (canonizers/merge_batch_norm.hpp).
/// Each step is checked: non-finite relevance is an error naming the layer and rule, never a
/// silently returned heatmap.

#include <array>
#include <cmath>
#include <vector>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "innspect/analyzers/backward.hpp"
#include "innspect/analyzers/explanation.hpp"
#include "innspect/analyzers/tasks.hpp"
#include "innspect/canonizers/merge_batch_norm.hpp"
#include "innspect/composites/composite.hpp"
#include "innspect/core/concepts.hpp"
#include "innspect/core/errors.hpp"
#include "innspect/rules/epsilon.hpp"
#include "innspect/rules/rule.hpp"
#include "innspect/targets/target.hpp"

namespace innspect {

template <class Model, class Comp>
class Lrp : public detail::ExplainByName<Lrp<Model, Comp>, Model> {
    static_assert(Comp::names_known(Model::names), "Lrp: a ByName<...> entry of the composite names no layer of the model");

public:
    using T = typename Model::scalar;
    using detail::ExplainByName<Lrp, Model>::explain;
    using Canon = MergeBatchNorm<Model>;

    /// Explains with `composite`'s rules; keeps a reference to `model` (which must outlive this).
    /// Merged batch norms and modified weights (W⁺, W², ...) are computed from the weights as
    /// they are now: make a new analyzer after changing weights. One analyzer serves one thread
    /// at a time (its caches fill on first use); the model may be shared by many analyzers.
    Lrp(const Model& model, Comp composite) : model_(model), composite_(std::move(composite)), canon_(model) {}
    Lrp(const Model&&, Comp) = delete;  // it would keep a reference to a temporary

    /// Forward pass on x, then relevance for `target` (in tasks of rows, on threads, as `opt` asks).
    Explanation<T> explain(const Batch<T>& x, const Target<T>& target, ExplainOptions opt = {}) const {
        if (detail::several_tasks(opt, x.rows(), target)) return detail::explain_in_tasks(*this, x, target, opt);
        return explain(model_.forward(x, target.layer), target, opt);
    }

    /// Relevance for `target` from an existing forward pass.
    Explanation<T> explain(const Trace<T>& trace, const Target<T>& target, ExplainOptions opt = {}) const {
        if (detail::several_tasks(opt, trace.batch(), target))
            return detail::explain_in_tasks(*this, trace, target, opt);
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
        detail::WalkExtras extras;
        e.relevance = detail::walk_backward(model_, trace, rt, e.initial, pass, core, opt.keep_layers ? &e.layers : nullptr,
                                            &extras);
        if (rt.error) {
            // E = Σ d ⊙ x̂ − Σ d ⊙ x: the second term is the input's own, R_direct = −d ⊙ x.
            const Batch<T> direct = rt.direct_relevance();
            e.report.direct = static_cast<double>(direct.sum());
            e.report.has_direct = true;
            if (rt.stop < 0) e.relevance += direct;
        }
        e.report.final = static_cast<double>(e.relevance.sum());
        e.report.bypassed = extras.bypassed;
        e.at = rt.stop < 0 ? "input" : std::string(trace.layers[static_cast<std::size_t>(rt.stop)].name);
        e.shape = detail::end_shape(trace.layers, rt.stop);
        return e;
    }

    const Comp& composite() const { return composite_; }

private:
    /// The composite's rule at linear layer I, with a merged batch norm when it is on the path;
    /// a batch norm merged into its parent passes relevance through when the parent is on it.
    template <std::size_t I, class L>
    LrpStep<T> linear_step(const L& layer, const Trace<T>& trace, const Batch<T>& r, const std::vector<bool>& path,
                           std::string& rule_name) const {
        constexpr auto& infos = Model::layer_infos();
        constexpr std::size_t k = Comp::match(infos, I);
        static_assert(k < std::tuple_size_v<decltype(composite_.entries)>,
                      "Lrp: a linear layer matches no entry of the composite; add a catch-all entry<AnyLayer>");
        const auto& rule = std::get<k>(composite_.entries).rule;
        constexpr bool first = infos[I].reads_model_input();
        constexpr int merged_into = Canon::template merged_parent<I>();
        constexpr int child = Canon::template merged_child<I>();
        if constexpr (merged_into >= 0) {
            if (path[static_cast<std::size_t>(merged_into)]) {
                rule_name = "merged into " + std::string(infos[static_cast<std::size_t>(merged_into)].name);
                return {r, 0.0};
            }
        }
        if constexpr (child >= 0) {
            if (path[static_cast<std::size_t>(child)]) {
                rule_name = rule.name() + " (+" + std::string(infos[static_cast<std::size_t>(child)].name) + ")";
                const RuleContext<L> ctx{layer, canon_.template merged<I>(), trace.input_of(static_cast<int>(I)),
                                         trace.pre_activation(child), merged_caches_[I], first};
                return rule.relevance(ctx, r);
            }
        }
        rule_name = rule.name();
        const RuleContext<L> ctx{layer, canon_.template params<I>(), trace.input_of(static_cast<int>(I)),
                                 trace.pre_activation(static_cast<int>(I)), caches_[I], first};
        return rule.relevance(ctx, r);
    }

    /// The epsilon of the composite's rule for layer I (a ByClass<"Add"> entry, or a catch-all),
    /// or 1e-6 when no entry matches or its rule has no epsilon.
    template <std::size_t I>
    double own_rule_epsilon() const {
        constexpr std::size_t k = Comp::match(Model::layer_infos(), I);
        if constexpr (k < std::tuple_size_v<decltype(composite_.entries)>) {
            const auto& rule = std::get<k>(composite_.entries).rule;
            if constexpr (requires { rule.epsilon; }) return static_cast<double>(rule.epsilon);
        }
        return 1e-6;
    }

    /// A layer with linear maps inside (a recurrent cell) runs the composite's rule for it on
    /// them: the rule of the first matching entry, Epsilon() (ε = 1e-6) when none matches.
    template <std::size_t I, class L>
    LrpStep<T> rule_taking_step(const L& layer, const Batch<T>& x, const Batch<T>& r, std::string& rule_name) const {
        constexpr std::size_t k = Comp::match(Model::layer_infos(), I);
        auto run = [&](const auto& rule) {
            rule_name = std::string(L::lrp_rule_name) + "; " + rule.name() + " on its linear maps";
            return layer.lrp_backward(x, r, rule, caches_[I]);
        };
        if constexpr (k < std::tuple_size_v<decltype(composite_.entries)>)
            return run(std::get<k>(composite_.entries).rule);
        else
            return run(Epsilon());
    }

    template <class Index, class L>
    Batch<T> step(Index, const L& layer, const Trace<T>& trace, const Batch<T>& r, const std::vector<bool>& path,
                  ConservationReport& report) const {
        constexpr std::size_t i = Index::value;
        LayerConservation c;
        c.layer = std::string(layer.name);
        c.relevance_out = static_cast<double>(r.sum());
        Batch<T> out;
        if constexpr (L::lrp == LrpPolicy::linear) {
            auto s = linear_step<i>(layer, trace, r, path, c.rule);
            out = std::move(s.relevance);
            c.bias_absorbed = s.bias_absorbed;
        } else if constexpr (L::lrp == LrpPolicy::own_rule) {
            if constexpr (requires { L::lrp_takes_rule; }) {
                auto s = rule_taking_step<i>(layer, trace.input_of(static_cast<int>(i)), r, c.rule);
                out = std::move(s.relevance);
                c.bias_absorbed = s.bias_absorbed;
            } else if constexpr (requires { layer.lrp_backward(trace.input_of(0), r, T(0)); }) {
                // A rule with a stabiliser (a merge's proportional split) takes the epsilon of
                // the composite's rule for this layer, 1e-6 when that rule has none.
                const double eps = own_rule_epsilon<i>();
                out = layer.lrp_backward(trace.input_of(static_cast<int>(i)), r, static_cast<T>(eps));
                c.rule = std::string(layer.lrp_rule_name) + " (eps " + detail::format_number(eps) + ")";
            } else {
                out = layer.lrp_backward(trace.input_of(static_cast<int>(i)), r);
                c.rule = std::string(layer.lrp_rule_name);
            }
        } else {
            static_assert(L::lrp == LrpPolicy::pass_through);
            out = r;  // same values, same flat storage: a reshape back is the identity
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
    Canon canon_;
    mutable std::array<ParamCache<T>, Model::size> caches_;         // own parameters' variants
    mutable std::array<ParamCache<T>, Model::size> merged_caches_;  // merged parameters' variants
};

/// `lrp(model, rule)` applies one rule everywhere; `lrp(model, composite)` uses a composite.
/// The analyzer keeps a reference to `model`, which must outlive it (a temporary does not compile).
template <class Model, class Rule>
auto lrp(const Model& model, Rule rule) {
    if constexpr (requires { rule.entries; })
        return Lrp<Model, Rule>(model, std::move(rule));
    else
        return Lrp<Model, decltype(uniform(std::move(rule)))>(model, uniform(std::move(rule)));
}

template <class Model, class Rule>
    requires(!std::is_lvalue_reference_v<Model>)
int lrp(Model&&, Rule) {  // int: one error, not a second one at the call site
    static_assert(detail::always_false<Model>, "lrp(model, rule): the analyzer keeps a reference to the model, so it cannot take a temporary; pass a model that outlives the analyzer");
    return 0;
}

}  // namespace innspect
