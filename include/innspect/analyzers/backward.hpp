#pragma once
/// \file
/// The backward walk every analyzer shares: resolve the target at the tap, then visit the layers
/// the tap depends on (down to the input, or to the stop layer) in reverse declaration order, each
/// in two steps: activation (output → pre-activation), then core (pre-activation → input). On a
/// graph that branches, what a layer hands back is split among the layers it read (a merge's
/// joined input by the inputs' sizes) and added to what they already hold; since every reader
/// comes after what it reads, a layer is visited only when all its readers have given their part,
/// and the sums are taken in one fixed order (readers in reverse declaration order).

#include <string>
#include <type_traits>
#include <utility>

#include "innspect/analyzers/explanation.hpp"
#include "innspect/core/rule_context.hpp"
#include "innspect/core/trace.hpp"
#include "innspect/targets/target.hpp"

namespace innspect::detail {

/// Gradient through a layer's core (pre-activation → input). Layers whose Jacobian depends on
/// their input (max pooling) provide `backward(x, g)`; the others `backward_linear(g)`. A layer
/// that re-runs its forward pass (a recurrent cell) also takes the analyzer's `cache` for it,
/// when there is one, to keep its buffers across calls.
template <class L, class T>
Batch<T> core_vjp(const L& layer, const Batch<T>& x, const Batch<T>& g, ParamCache<T>* cache = nullptr) {
    if constexpr (requires { layer.backward(x, g, *cache); }) {
        if (cache) return layer.backward(x, g, *cache);
    }
    if constexpr (requires { layer.backward(x, g); })
        return layer.backward(x, g);
    else
        return layer.backward_linear(g);
}

/// Keras shape of what the walk ends at: the model input or the stop layer's output.
inline std::vector<std::int64_t> end_shape(std::span<const LayerInfo> layers, int stop) {
    if (stop >= 0) return layers[static_cast<std::size_t>(stop)].output_keras_shape();
    for (const auto& l : layers)
        if (l.parent < 0) return l.input_keras_shape();  // a merge's first shape is its first input's
    return {};
}

/// A target bound to a trace.
template <class T>
struct ResolvedTarget {
    int tap = -1;
    int stop = -1;
    Batch<T> weights;    ///< m, batch × tap size (the error target: d = m ⊙ (x̂ − x))
    Batch<T> explained;  ///< z (activation stripped) or a
    bool seed_at_pre = true;
    bool given_relevance = false;
    bool error = false;  ///< the reconstruction error E (targets/target.hpp)
    Batch<T> input;      ///< the error target: x, the model input

    /// Σ_j m_j z_j per row; the error target: E = Σ d ⊙ x̂ − Σ d ⊙ x.
    Vector<T> score() const {
        Vector<T> s = weights.cwiseProduct(explained).rowwise().sum();
        if (error) s -= weights.cwiseProduct(input).rowwise().sum();
        return s;
    }
    /// R⁰ = m ⊙ z, or R as given.
    Batch<T> initial_relevance() const { return given_relevance ? weights : Batch<T>(weights.cwiseProduct(explained)); }
    /// The error target's input term of LRP, R_direct = −d ⊙ x.
    Batch<T> direct_relevance() const { return -weights.cwiseProduct(input); }
    /// Where a gradient starts: m, or ∂E/∂x̂ = 2d for the error target.
    Batch<T> gradient_seed() const { return error ? Batch<T>(T(2) * weights) : weights; }
    /// The error target's input term of the gradient, ∂E/∂x with x̂ held fixed: −2d.
    Batch<T> direct_gradient() const { return T(-2) * weights; }
};

template <class T>
ResolvedTarget<T> resolve(const Trace<T>& trace, const Target<T>& t) {
    ResolvedTarget<T> r;
    r.tap = trace.index_of(t.layer);
    r.stop = t.stop_at.empty() ? -1 : trace.index_of(t.stop_at);
    const LayerInfo& tap = trace.layers[static_cast<std::size_t>(r.tap)];
    r.error = t.selection.kind == Selection<T>::Kind::error;
    if (r.error) {
        // E compares the reconstruction with the input: the tap must have the input's shape.
        const auto in = end_shape(trace.layers, -1), out = tap.output_keras_shape();
        if (in != out)
            throw shape_error("reconstruction error at " + describe(tap) + ": the reconstruction must have the input's shape " +
                              shape_string(in) + ", it has " + shape_string(out));
        r.seed_at_pre = false;  // E is of the output x̂, activation kept
        r.explained = trace.output(r.tap);
        r.input = trace.input;
        r.weights = selection_weights(t.selection, r.explained, tap).cwiseProduct(r.explained - trace.input);
        return r;
    }
    r.seed_at_pre = t.strip_activation;
    r.explained = t.strip_activation ? trace.pre_activation(r.tap) : trace.output(r.tap);
    r.weights = selection_weights(t.selection, r.explained, tap);
    r.given_relevance = t.selection.kind == Selection<T>::Kind::relevance;
    return r;
}

/// The target of sample b with its units fixed as they were at x (for methods that run the model
/// on other inputs: integrated gradients, SmoothGrad, occlusion). The reconstruction error stays
/// a function of the input it is evaluated at (its mask row kept).
template <class T>
Target<T> fixed_at(const Target<T>& t, const ResolvedTarget<T>& rt, Eigen::Index b) {
    Target<T> f = t;
    if (rt.error) {
        if (t.selection.values.rows() > 1) f.selection.values = t.selection.values.row(b);
    } else {
        f.selection = select::relevance<T>(rt.weights.row(b));
    }
    return f;
}

/// What a walk left out: with a stop layer, the sum of what reached the input through branches
/// that do not pass the stop layer (a skip connection around it).
struct WalkExtras {
    double bypassed = 0;
};

/// The walk's bookkeeping, apart from the layers (one instantiation per scalar type, not per
/// layer): what has reached each layer's output so far, and where what a layer hands back goes.
template <class T>
struct BackwardState {
    const Trace<T>& trace;
    const ResolvedTarget<T>& rt;
    std::vector<bool> path;
    std::vector<Batch<T>> at;  ///< at[i]: the sum of what layer i's readers handed back so far
    Batch<T> end;              ///< what reached the input or the stop layer
    WalkExtras* extras;

    /// Splits `u` (at layer i's input; a merge's joined inputs) among the layers i read and adds
    /// each part to what that layer holds. Not inlined into every layer's step: compile time.
    [[gnu::noinline]] void hand_back(std::size_t i, const Batch<T>& u) {
        Eigen::Index offset = 0;
        for (int p : trace.layers[i].parents.list()) {
            const Eigen::Index cols = p < 0 ? trace.input.cols() : trace.out[static_cast<std::size_t>(p)].cols();
            const auto part = u.middleCols(offset, cols);
            offset += cols;
            if (p == rt.stop) add(end, part);
            else if (p >= 0 && path[static_cast<std::size_t>(p)]) add(at[static_cast<std::size_t>(p)], part);
            else if (extras) extras->bypassed += static_cast<double>(part.sum());  // around the stop layer
        }
    }
    Batch<T> result() {
        if (end.size() == 0)
            end = Batch<T>::Zero(trace.batch(), rt.stop < 0 ? trace.input.cols() : trace.out[static_cast<std::size_t>(rt.stop)].cols());
        return std::move(end);
    }

private:
    template <class Part>
    static void add(Batch<T>& dst, const Part& part) {
        if (dst.size() == 0) dst = part;
        else dst += part;
    }
};

/// Walks from `rt.tap` back to the input or `rt.stop` (see backward_path). `activation(I, layer, v)`
/// maps v at a layer's output to its pre-activation (skipped at the tap when the seed is the
/// pre-activation); `core(I, layer, v)` maps v at the pre-activation to the layer's input (for a
/// merge: its joined inputs). Returns the sum of what reached the end.
template <class Model, class T, class ActivationStep, class CoreStep>
Batch<T> walk_backward(const Model& model, const Trace<T>& trace, const ResolvedTarget<T>& rt, Batch<T> v,
                       ActivationStep&& activation, CoreStep&& core,
                       std::type_identity_t<std::vector<LayerRelevance<T>>*> keep, WalkExtras* extras = nullptr) {
    if (rt.tap == rt.stop) {
        if (keep) keep->push_back({std::string(trace.layers[static_cast<std::size_t>(rt.tap)].name), v});
        return v;
    }
    BackwardState<T> st{trace, rt, backward_path(trace.layers, rt.tap, rt.stop), std::vector<Batch<T>>(Model::size), {}, extras};
    st.at[static_cast<std::size_t>(rt.tap)] = std::move(v);
    model.for_each_backward([&](auto index, const auto& layer) {
        constexpr std::size_t i = decltype(index)::value;
        if (!st.path[i]) return;
        Batch<T> u = std::move(st.at[i]);
        // The record is taken at the layer's output (for the tap with its activation stripped:
        // the seed at the pre-activation), where stop_at would return it.
        if (keep) keep->push_back({std::string(layer.name), u});
        if (!(static_cast<int>(i) == rt.tap && rt.seed_at_pre)) activation(index, layer, u);
        st.hand_back(i, core(index, layer, u));
    });
    return st.result();
}

}  // namespace innspect::detail
