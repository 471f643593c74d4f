#pragma once
/// \file
/// The backward walk every analyzer shares: resolve the target at the tap, then visit the layers
/// on the path from the tap to the input (or the stop layer) in reverse, each in two steps:
/// activation (output → pre-activation), then core (pre-activation → input).

#include <string>
#include <type_traits>
#include <utility>

#include "innspect/analyzers/explanation.hpp"
#include "innspect/core/trace.hpp"
#include "innspect/targets/target.hpp"

namespace innspect::detail {

/// Gradient through a layer's core (pre-activation → input). Layers whose Jacobian depends on
/// their input (max pooling) provide `backward(x, g)`; the others `backward_linear(g)`.
template <class L, class T>
Batch<T> core_vjp(const L& layer, const Batch<T>& x, const Batch<T>& g) {
    if constexpr (requires { layer.backward(x, g); })
        return layer.backward(x, g);
    else
        return layer.backward_linear(g);
}

/// A target bound to a trace.
template <class T>
struct ResolvedTarget {
    int tap = -1;
    int stop = -1;
    Batch<T> weights;    ///< m, batch × tap size
    Batch<T> explained;  ///< z (activation stripped) or a
    bool seed_at_pre = true;
    bool given_relevance = false;

    /// Σ_j m_j z_j per row.
    Vector<T> score() const { return weights.cwiseProduct(explained).rowwise().sum(); }
    /// R⁰ = m ⊙ z, or R as given.
    Batch<T> initial_relevance() const { return given_relevance ? weights : Batch<T>(weights.cwiseProduct(explained)); }
};

template <class T>
ResolvedTarget<T> resolve(const Trace<T>& trace, const Target<T>& t) {
    ResolvedTarget<T> r;
    r.tap = trace.index_of(t.layer);
    r.stop = t.stop_at.empty() ? -1 : trace.index_of(t.stop_at);
    r.seed_at_pre = t.strip_activation;
    r.explained = t.strip_activation ? trace.pre_activation(r.tap) : trace.output(r.tap);
    r.weights = selection_weights(t.selection, r.explained, trace.layers[static_cast<std::size_t>(r.tap)]);
    r.given_relevance = t.selection.kind == Selection<T>::Kind::relevance;
    return r;
}

/// Visits the path from `rt.tap` to `rt.stop` backwards. `activation(I, layer, v)` maps v at a
/// layer's output to its pre-activation (skipped at the tap when the seed is the pre-activation);
/// `core(I, layer, v)` maps v at the pre-activation to the layer input. Returns v at the end.
template <class Model, class T, class ActivationStep, class CoreStep>
Batch<T> walk_backward(const Model& model, const Trace<T>& trace, const ResolvedTarget<T>& rt, Batch<T> v,
                       ActivationStep&& activation, CoreStep&& core,
                       std::type_identity_t<std::vector<LayerRelevance<T>>*> keep) {
    const auto path = backward_path(trace.layers, rt.tap, rt.stop);
    model.for_each_backward([&](auto index, const auto& layer) {
        constexpr std::size_t i = decltype(index)::value;
        if (!path[i]) return;
        // The record is taken at the layer's output (for the tap with its activation stripped:
        // the seed at the pre-activation), where stop_at would return it.
        if (keep) keep->push_back({std::string(layer.name), v});
        if (!(static_cast<int>(i) == rt.tap && rt.seed_at_pre)) activation(index, layer, v);
        v = core(index, layer, v);
    });
    return v;
}

/// Keras shape of what the walk ends at: the model input or the stop layer's output.
inline std::vector<std::int64_t> end_shape(std::span<const LayerInfo> layers, int stop) {
    if (stop >= 0) return layers[static_cast<std::size_t>(stop)].output_keras_shape();
    for (const auto& l : layers)
        if (l.parent < 0) return l.input_keras_shape();
    return {};
}

}  // namespace innspect::detail
