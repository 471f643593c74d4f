#pragma once
/// \file
/// The gradient family on the same targets as LRP. The explained scalar per sample is
/// S = Σ_j m_j z_j at the tap (m from the selection, z the pre-activation unless the activation is
/// kept) — or, for the reconstruction-error target, E = Σ_j m_j (x_j − x̂_j)² — and attributions
/// are taken w.r.t. the input, or the stop layer's output.
///
///   Gradient          ∂S/∂x
///   InputXGradient    x ⊙ ∂S/∂x
///   GuidedBackprop    ∂S/∂x with every ReLU passing only positive gradients where z > 0
///   Deconvnet         ∂S/∂x with every ReLU passing only positive gradients (z ignored)
/// Only ReLU activations change under guided backprop and deconvnet; others keep their derivative.

#include <array>
#include <string>
#include <type_traits>

#include "innspect/analyzers/backward.hpp"
#include "innspect/analyzers/explanation.hpp"
#include "innspect/analyzers/tasks.hpp"
#include "innspect/core/concepts.hpp"
#include "innspect/layers/activation_functions.hpp"
#include "innspect/targets/target.hpp"

namespace innspect {

/// How ReLU activations pass gradients back.
enum class ReluMode { gradient, guided, deconvnet };

namespace detail {

/// ∂S/∂v at the end of the path (input or stop layer) for a resolved target. `caches`: one per
/// layer of the model (the analyzer's, kept across calls), or null.
template <class Model, class T>
Batch<T> backpropagate(const Model& model, const Trace<T>& trace, const ResolvedTarget<T>& rt, ReluMode mode,
                       std::type_identity_t<std::vector<LayerRelevance<T>>*> keep, ParamCache<T>* caches = nullptr) {
    auto activation = [&](auto index, const auto& layer, Batch<T>& g) {
        using L = std::remove_cvref_t<decltype(layer)>;
        using Act = typename L::activation;
        constexpr int i = static_cast<int>(decltype(index)::value);
        if constexpr (!Act::is_identity) {
            const Batch<T>& z = trace.pre_activation(i);
            if constexpr (std::is_same_v<Act, Relu>) {
                if (mode == ReluMode::guided) {
                    g = (z.array() > T(0) && g.array() > T(0)).select(g, T(0));
                    return;
                }
                if (mode == ReluMode::deconvnet) {
                    g = g.cwiseMax(T(0));
                    return;
                }
            }
            Act::vjp(z, trace.output(i), g, L::output_shape::c);
        }
    };
    auto core = [&](auto index, const auto& layer, const Batch<T>& g) {
        constexpr int i = static_cast<int>(decltype(index)::value);
        return core_vjp(layer, trace.input_of(i), g, caches ? &caches[i] : nullptr);
    };
    Batch<T> g = detail::walk_backward(model, trace, rt, rt.gradient_seed(), activation, core, keep);
    if (rt.error && rt.stop < 0) g += rt.direct_gradient();  // ∂E/∂x = 2Jᵀd − 2d
    if (!all_finite(g)) require_finite(g, "gradient");
    return g;
}

/// Value of what the walk ends at: the model input, or the stop layer's output.
template <class T>
const Batch<T>& end_value(const Trace<T>& trace, int stop) {
    return stop < 0 ? trace.input : trace.output(stop);
}

template <class T>
Explanation<T> start_explanation(const Trace<T>& trace, const ResolvedTarget<T>& rt) {
    Explanation<T> e;
    e.initial = rt.weights;
    e.score = rt.score();
    e.at = rt.stop < 0 ? "input" : std::string(trace.layers[static_cast<std::size_t>(rt.stop)].name);
    e.shape = end_shape(trace.layers, rt.stop);
    return e;
}

}  // namespace detail

/// Plain gradient (mode gradient), guided backprop or deconvnet, optionally times the input.
template <class Model>
class GradientAnalyzer : public detail::ExplainByName<GradientAnalyzer<Model>, Model> {
public:
    using T = typename Model::scalar;
    using detail::ExplainByName<GradientAnalyzer, Model>::explain;

    GradientAnalyzer(const Model& model, ReluMode mode = ReluMode::gradient, bool times_input = false)
        : model_(model), mode_(mode), times_input_(times_input) {}
    GradientAnalyzer(const Model&&, ReluMode = ReluMode::gradient, bool = false) = delete;  // a temporary

    Explanation<T> explain(const Batch<T>& x, const Target<T>& target, ExplainOptions opt = {}) const {
        if (detail::several_tasks(opt, x.rows(), target)) return detail::explain_in_tasks(*this, x, target, opt);
        return explain(model_.forward(x, target.layer), target, opt);
    }
    Explanation<T> explain(const Trace<T>& trace, const Target<T>& target, ExplainOptions opt = {}) const {
        if (detail::several_tasks(opt, trace.batch(), target))
            return detail::explain_in_tasks(*this, trace, target, opt);
        const auto rt = detail::resolve(trace, target);
        auto e = detail::start_explanation(trace, rt);
        e.relevance = detail::backpropagate(model_, trace, rt, mode_, opt.keep_layers ? &e.layers : nullptr, caches_.data());
        if (times_input_) e.relevance = e.relevance.cwiseProduct(detail::end_value(trace, rt.stop));
        return e;
    }

private:
    const Model& model_;
    ReluMode mode_;
    bool times_input_;
    // Buffers a layer keeps across calls (a recurrent cell's record of its re-run forward pass):
    // like Lrp, one analyzer serves one thread at a time.
    mutable std::array<ParamCache<T>, Model::size> caches_;
};

/// ∂S/∂x.
template <class Model>
GradientAnalyzer<Model> gradient(const Model& m) {
    return {m, ReluMode::gradient, false};
}
/// x ⊙ ∂S/∂x.
template <class Model>
GradientAnalyzer<Model> input_x_gradient(const Model& m) {
    return {m, ReluMode::gradient, true};
}
/// Guided backprop (Springenberg et al. 2015).
template <class Model>
GradientAnalyzer<Model> guided_backprop(const Model& m) {
    return {m, ReluMode::guided, false};
}
/// Deconvnet (Zeiler & Fergus 2014).
template <class Model>
GradientAnalyzer<Model> deconvnet(const Model& m) {
    return {m, ReluMode::deconvnet, false};
}

template <class Model>
    requires(!std::is_lvalue_reference_v<Model>)
int gradient(Model&&) {  // int: one error, not a second one at the call site
    static_assert(detail::always_false<Model>, "gradient(model): the analyzer keeps a reference to the model, so it cannot take a temporary; pass a model that outlives the analyzer");
    return 0;
}
template <class Model>
    requires(!std::is_lvalue_reference_v<Model>)
int input_x_gradient(Model&&) {  // int: one error, not a second one at the call site
    static_assert(detail::always_false<Model>, "input_x_gradient(model): the analyzer keeps a reference to the model, so it cannot take a temporary; pass a model that outlives the analyzer");
    return 0;
}
template <class Model>
    requires(!std::is_lvalue_reference_v<Model>)
int guided_backprop(Model&&) {  // int: one error, not a second one at the call site
    static_assert(detail::always_false<Model>, "guided_backprop(model): the analyzer keeps a reference to the model, so it cannot take a temporary; pass a model that outlives the analyzer");
    return 0;
}
template <class Model>
    requires(!std::is_lvalue_reference_v<Model>)
int deconvnet(Model&&) {  // int: one error, not a second one at the call site
    static_assert(detail::always_false<Model>, "deconvnet(model): the analyzer keeps a reference to the model, so it cannot take a temporary; pass a model that outlives the analyzer");
    return 0;
}

}  // namespace innspect
