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

namespace detail {

/// An own-rule layer's relevance at its input into `out`: its `lrp_backward_into(x, r, out, eps...)`
/// when it has one (the buffer reused, no allocation), else its `lrp_backward(x, r, eps...)`.
template <class L, class T, class... Eps>
void own_rule_into(const L& layer, const Batch<T>& x, const Batch<T>& r, Batch<T>& out, Eps... eps) {
    if constexpr (requires { layer.lrp_backward_into(x, r, out, eps...); })
        layer.lrp_backward_into(x, r, out, eps...);
    else
        out = layer.lrp_backward(x, r, eps...);
}

}  // namespace detail

template <class Model, class Comp>
class Lrp : public detail::ExplainInto<Lrp<Model, Comp>, Model> {
    static_assert(Comp::names_known(Model::names), "Lrp: a ByName<...> entry of the composite names no layer of the model");

public:
    using T = typename Model::scalar;
    using Base = detail::ExplainInto<Lrp, Model>;
    using Base::explain;
    using Canon = MergeBatchNorm<Model>;

    /// Explains with `composite`'s rules; keeps a reference to `model` (which must outlive this).
    /// Merged batch norms and modified weights (W⁺, W², ...) are computed from the weights as
    /// they are now: make a new analyzer after changing weights. One analyzer serves one thread
    /// at a time (its caches and workspace fill on first use); the model may be shared by many
    /// analyzers.
    Lrp(const Model& model, Comp composite) : Base(model), composite_(std::move(composite)), canon_(model) {}
    Lrp(const Model&&, Comp) = delete;  // it would keep a reference to a temporary

    /// Relevance for `target` from an existing forward pass, into `out` (its buffers reused; see
    /// explain(x, target, out, opt) in analyzers/backward.hpp: no allocation in steady state).
    void explain(const Trace<T>& trace, const Target<T>& target, Explanation<T>& e, ExplainOptions opt = {}) const {
        if (detail::several_tasks(opt, trace.batch(), target)) {
            Base::explain_tasks(trace, target, e, opt);
            return;
        }
        auto& rt = ws_.rt;
        detail::resolve(trace, target, rt);
        rt.score(e.score);
        rt.take_initial_relevance(e.initial);
        ConservationReport& report = e.report;
        report.initial = static_cast<double>(e.initial.sum());
        report.direct = 0;
        report.has_direct = false;
        auto pass = [](auto, const auto&, Batch<T>&) {};
        const std::vector<bool>& path = ws_.walk.path;  // filled by the walk before its first step
        std::size_t steps = 0;
        PreviousStep previous;
        auto core = [&](auto index, const auto& layer, Batch<T>& r, Batch<T>& out) {
            if (steps == report.layers.size()) report.layers.emplace_back();
            step(index, layer, trace, r, path, report.layers[steps++], out, previous);
        };
        detail::WalkExtras extras;
        detail::walk_backward(model_, trace, rt, ws_.walk, e.initial, pass, core, opt.keep_layers ? &e.layers : nullptr,
                              e.relevance, &extras);
        report.layers.resize(steps);
        if (!opt.keep_layers) e.layers.clear();
        if (rt.error) {
            // E = Σ d ⊙ x̂ − Σ d ⊙ x: the second term is the input's own, R_direct = −d ⊙ x.
            ws_.direct = rt.direct_relevance();
            report.direct = static_cast<double>(ws_.direct.sum());
            report.has_direct = true;
            if (rt.stop < 0) e.relevance += ws_.direct;
        }
        report.final = static_cast<double>(e.relevance.sum());
        report.bypassed = extras.bypassed;
        if (rt.stop < 0) e.at = "input";
        else e.at = trace.layers[static_cast<std::size_t>(rt.stop)].name;
        detail::end_shape(trace.layers, rt.stop, e.shape);
    }

    const Comp& composite() const { return composite_; }

private:
    /// The name a layer's step reports, made once per analyzer and kept (`variant`: a layer's
    /// step names its rule one of up to three ways, as the path asks).
    template <class Make>
    const std::string& cached_rule_name(std::size_t i, std::size_t variant, Make&& make) const {
        std::string& n = rule_names_[i][variant];
        if (n.empty()) n = make();
        return n;
    }

    /// The composite's rule at linear layer I, with a merged batch norm when it is on the path;
    /// a batch norm merged into its parent passes relevance through when the parent is on it.
    /// Relevance at the layer input into `out`; returns what the bias absorbed.
    template <std::size_t I, class L>
    double linear_step(const L& layer, const Trace<T>& trace, const Batch<T>& r, const std::vector<bool>& path,
                       std::string& name, Batch<T>& out) const {
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
                name = cached_rule_name(I, 1, [&] { return "merged into " + std::string(infos[static_cast<std::size_t>(merged_into)].name); });
                out = r;
                return 0.0;
            }
        }
        if constexpr (child >= 0) {
            if (path[static_cast<std::size_t>(child)]) {
                name = cached_rule_name(I, 2, [&] { return rule.name() + " (+" + std::string(infos[static_cast<std::size_t>(child)].name) + ")"; });
                const RuleContext<L> ctx{layer, canon_.template merged<I>(), trace.input_of(static_cast<int>(I)),
                                         trace.pre_activation(child), merged_caches_[I], first};
                return detail::rule_relevance(rule, ctx, r, out);
            }
        }
        name = cached_rule_name(I, 0, [&] { return std::string(rule.name()); });
        const RuleContext<L> ctx{layer, canon_.template params<I>(), trace.input_of(static_cast<int>(I)),
                                 trace.pre_activation(static_cast<int>(I)), caches_[I], first};
        return detail::rule_relevance(rule, ctx, r, out);
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
    /// them: the rule of the first matching entry, Epsilon() (ε = 1e-6) when none matches. Its
    /// relevance at the input into `out`; returns what the biases absorbed.
    template <std::size_t I, class L>
    double rule_taking_step(const L& layer, const Batch<T>& x, const Batch<T>& r, std::string& rule_name,
                            Batch<T>& out) const {
        constexpr std::size_t k = Comp::match(Model::layer_infos(), I);
        auto run = [&](const auto& rule) {
            rule_name = cached_rule_name(I, 0, [&] { return std::string(L::lrp_rule_name) + "; " + rule.name() + " on its linear maps"; });
            if constexpr (requires { layer.lrp_backward_into(x, r, rule, caches_[I], out); }) {
                return layer.lrp_backward_into(x, r, rule, caches_[I], out);
            } else {
                LrpStep<T> s = layer.lrp_backward(x, r, rule, caches_[I]);
                out = std::move(s.relevance);
                return s.bias_absorbed;
            }
        };
        if constexpr (k < std::tuple_size_v<decltype(composite_.entries)>)
            return run(std::get<k>(composite_.entries).rule);
        else
            return run(Epsilon());
    }

    /// The previous step's result, by its buffer. On a chain the walk hands that very buffer to
    /// the next layer unchanged (hand_back swaps it in, LRP's activation step is the identity), so
    /// its sum, the previous line's relevance_in, is the next line's relevance_out: one pass over
    /// R per layer saved, the same bits (the same sum of the same buffer). A buffer that was added
    /// to or copied is another buffer, or not the previous step's: its sum is taken.
    struct PreviousStep {
        const T* data = nullptr;
        Eigen::Index rows = 0, cols = 0;
        double sum = 0;
    };

    /// Layer I's step: relevance at its input into `out`, its line of the report into `c`.
    /// `r` is the walk's own buffer, not read after this step: a pass-through step hands it on.
    template <class Index, class L>
    void step(Index, const L& layer, const Trace<T>& trace, Batch<T>& r, const std::vector<bool>& path,
              LayerConservation& c, Batch<T>& out, PreviousStep& previous) const {
        constexpr std::size_t i = Index::value;
        c.layer = layer.name;
        const bool handed_on = r.data() == previous.data && r.rows() == previous.rows && r.cols() == previous.cols;
        c.relevance_out = handed_on ? previous.sum : static_cast<double>(r.sum());
        bool swapped = false;  // a pass-through step's `out` is r's buffer: the same sum
        c.bias_absorbed = 0;
        if constexpr (L::lrp == LrpPolicy::linear) {
            c.bias_absorbed = linear_step<i>(layer, trace, r, path, c.rule, out);
        } else if constexpr (L::lrp == LrpPolicy::own_rule) {
            if constexpr (requires { L::lrp_takes_rule; }) {
                c.bias_absorbed = rule_taking_step<i>(layer, trace.input_of(static_cast<int>(i)), r, c.rule, out);
            } else if constexpr (requires { layer.lrp_backward(trace.input_of(0), r, T(0)); }) {
                // A rule with a stabiliser (a merge's proportional split) takes the epsilon of
                // the composite's rule for this layer, 1e-6 when that rule has none.
                const double eps = own_rule_epsilon<i>();
                own_rule_into(layer, trace.input_of(static_cast<int>(i)), r, out, static_cast<T>(eps));
                c.rule = cached_rule_name(i, 0, [&] { return std::string(layer.lrp_rule_name) + " (eps " + detail::format_number(eps) + ")"; });
            } else {
                own_rule_into(layer, trace.input_of(static_cast<int>(i)), r, out);
                c.rule = layer.lrp_rule_name;
            }
        } else {
            static_assert(L::lrp == LrpPolicy::pass_through);
            // Same values, same flat storage (a reshape back is the identity): the buffer itself
            // is handed on when `out` has its size from the previous walk (no copy, no allocation).
            if (out.rows() == r.rows() && out.cols() == r.cols()) {
                out.swap(r);
                swapped = true;
            } else {
                out = r;
            }
            c.rule = "pass-through";
        }
        c.relevance_in = swapped ? c.relevance_out : static_cast<double>(out.sum());
        // The sum the report needs also detects NaN / Inf (scan only if it is not finite).
        if (!std::isfinite(c.relevance_in) && !out.allFinite())
            throw value_error(c.layer + ": non-finite relevance after rule " + c.rule +
                              " (check the inputs and weights, or use a larger epsilon)");
        c.stabilizer_lost = c.relevance_out - c.relevance_in - c.bias_absorbed;
        previous = {out.data(), out.rows(), out.cols(), c.relevance_in};
    }

    using Base::model_;
    using Base::ws_;
    Comp composite_;
    Canon canon_;
    mutable std::array<ParamCache<T>, Model::size> caches_;         // own parameters' variants
    mutable std::array<ParamCache<T>, Model::size> merged_caches_;  // merged parameters' variants
    mutable std::array<std::array<std::string, 3>, Model::size> rule_names_;  // see cached_rule_name
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
