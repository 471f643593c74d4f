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
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

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

/// Whether layer L's core gradient map g ↦ Jᵀg reads nothing of the layer's input (Dense, the
/// convolutions, an inference batch norm, reshapes): one linear map for every row, so its result
/// on the mean of some rows is the mean of its results on them.
template <class L, class T>
inline constexpr bool fixed_core_vjp =
    !requires(const L& l, const Batch<T>& x, const Batch<T>& g, ParamCache<T>& c, Batch<T>& o) { l.backward_into(x, g, c, o); } &&
    !requires(const L& l, const Batch<T>& x, const Batch<T>& g, Batch<T>& o) { l.backward_into(x, g, o); } &&
    !requires(const L& l, const Batch<T>& x, const Batch<T>& g) { l.backward(x, g); };

template <class Model, std::size_t I>
using layer_type_at = std::remove_cvref_t<decltype(std::declval<const Model&>().template layer_at<I>())>;
/// fixed_core_vjp of each layer of Model, in declaration order.
template <class Model, std::size_t... I>
constexpr std::array<bool, Model::size> fixed_core_vjps(std::index_sequence<I...>) {
    return {fixed_core_vjp<layer_type_at<Model, I>, typename Model::scalar>...};
}

/// Where a walk to the model input can average groups of rows and go on with the means: the top
/// of the chain of path layers that starts at the model input, each layer the only one on the
/// path to read the one below it (and reading nothing else), with a fixed core gradient map. The
/// chain goes past a layer only when its activation is the identity (an activation's vjp reads
/// each row's own pre-activation). Below that layer's activation, the gradient of the mean of `per`
/// rows is the mean of their gradients, for one map of each chain layer's core instead of `per`.
/// −1 when the model input's reader is not such a layer (several readers, a merge, a layer whose
/// gradient reads its input: max or average pooling, PReLU, a recurrent cell).
template <class Model>
int averaging_layer(std::span<const LayerInfo> layers, const std::vector<bool>& path) {
    static constexpr std::array<bool, Model::size> fixed = fixed_core_vjps<Model>(std::make_index_sequence<Model::size>{});
    int below = -1, top = -1;
    for (;;) {
        int reader = -1;
        for (std::size_t i = 0; i < layers.size(); ++i) {
            if (!path[i] || !layers[i].parents.contains(below)) continue;
            if (reader >= 0) return top;  // two readers: the rows of `below` go two ways
            reader = static_cast<int>(i);
        }
        const auto r = static_cast<std::size_t>(reader);
        if (reader < 0 || layers[r].parents.count != 1 || !fixed[r]) return top;
        top = reader;
        if (layers[r].activation != Linear::name) return top;  // the identity is the one activation named so
        below = reader;
    }
}

/// Row j of `m`: the mean of rows [j·per, (j + 1)·per) of `v` (m's buffer reused).
template <class T>
void group_means(const Batch<T>& v, Eigen::Index per, Batch<T>& m) {
    m.resize(v.rows() / per, v.cols());
    for (Eigen::Index j = 0; j < m.rows(); ++j) {
        m.row(j) = v.row(j * per);
        for (Eigen::Index k = 1; k < per; ++k) m.row(j) += v.row(j * per + k);
    }
    m /= T(per);
}

/// ∂S/∂v at the end of the path (input or stop layer) for a resolved target, into `g`, with the
/// walk's buffers from `w` (kept by the caller: no allocation in steady state). `caches`: one per
/// layer of the model (the analyzer's, kept across calls), or null.
///
/// `per` > 1 asks for the mean of each group of `per` consecutive rows' gradients at the model
/// input (what integrated gradients and SmoothGrad want, without `keep`): when averaging_layer finds
/// a layer to average at, the walk takes the groups' means there and maps only those through the
/// layers below, and `g` has one row per group (true is returned); else `g` has a row per row
/// (false), for the caller to average.
template <class Model, class T>
bool backpropagate(const Model& model, const Trace<T>& trace, const ResolvedTarget<T>& rt, ReluMode mode,
                   std::type_identity_t<std::vector<LayerRelevance<T>>*> keep, ParamCache<T>* caches,
                   WalkBuffers<T>& w, Batch<T>& g, Eigen::Index per = 1) {
    auto activation = [&](auto index, const auto& layer, Batch<T>& v) {
        using L = std::remove_cvref_t<decltype(layer)>;
        using Act = typename L::activation;
        constexpr int i = static_cast<int>(decltype(index)::value);
        if constexpr (!Act::is_identity) {
            const Batch<T>& z = trace.pre_activation(i);
            if constexpr (std::is_same_v<Act, Relu>) {
                if (mode == ReluMode::guided) {
                    v = (z.array() > T(0) && v.array() > T(0)).select(v, T(0));
                    return;
                }
                if (mode == ReluMode::deconvnet) {
                    v = v.cwiseMax(T(0));
                    return;
                }
            }
            Act::vjp(z, trace.output(i), v, L::output_shape::c);
        }
    };
    // Known at the walk's first core step, once it has marked the path (−2: not yet).
    int average_at = per > 1 && !keep && rt.stop < 0 ? -2 : -1;
    auto core = [&](auto index, const auto& layer, const Batch<T>& v, Batch<T>& out) {
        constexpr int i = static_cast<int>(decltype(index)::value);
        ParamCache<T>* cache = caches ? &caches[i] : nullptr;
        if (average_at == -2) average_at = averaging_layer<Model>(trace.layers, w.path);
        if (i == average_at) {
            group_means(v, per, w.means);
            core_vjp(layer, trace.input_of(i), w.means, cache, out);
        } else {
            core_vjp(layer, trace.input_of(i), v, cache, out);
        }
    };
    if (rt.error) detail::walk_backward(model, trace, rt, w, rt.error_gradient_seed(), activation, core, keep, g);
    else detail::walk_backward(model, trace, rt, w, rt.weights, activation, core, keep, g);
    const bool averaged = average_at >= 0;
    if (rt.error && rt.stop < 0) {  // ∂E/∂x = 2Jᵀd − 2d
        if (!averaged) {
            g += rt.direct_gradient();
        } else {
            const T scale = T(-2) / T(per);
            for (Eigen::Index j = 0; j < g.rows(); ++j)
                for (Eigen::Index k = 0; k < per; ++k) g.row(j) += scale * rt.weights.row(j * per + k);
        }
    }
    if (!all_finite(g)) require_finite(g, "gradient");
    return averaged;
}

/// The same as a new matrix, with buffers of its own.
template <class Model, class T>
Batch<T> backpropagate(const Model& model, const Trace<T>& trace, const ResolvedTarget<T>& rt, ReluMode mode,
                       std::type_identity_t<std::vector<LayerRelevance<T>>*> keep, ParamCache<T>* caches = nullptr) {
    WalkBuffers<T> w;
    Batch<T> g;
    backpropagate(model, trace, rt, mode, keep, caches, w, g);
    return g;
}

/// Value of what the walk ends at: the model input, or the stop layer's output.
template <class T>
const Batch<T>& end_value(const Trace<T>& trace, int stop) {
    return stop < 0 ? trace.input : trace.output(stop);
}

/// What a gradient explanation holds besides the attribution, into `e` (its buffers reused); the
/// report is empty.
template <class T>
void start_explanation(const Trace<T>& trace, const ResolvedTarget<T>& rt, Explanation<T>& e) {
    e.initial = rt.weights;
    rt.score(e.score);
    if (rt.stop < 0) e.at = "input";
    else e.at = trace.layers[static_cast<std::size_t>(rt.stop)].name;
    end_shape(trace.layers, rt.stop, e.shape);
    e.report.initial = e.report.final = e.report.bypassed = e.report.direct = 0;
    e.report.has_direct = false;
    e.report.layers.clear();
}
template <class T>
Explanation<T> start_explanation(const Trace<T>& trace, const ResolvedTarget<T>& rt) {
    Explanation<T> e;
    start_explanation(trace, rt, e);
    return e;
}

}  // namespace detail

/// Plain gradient (mode gradient), guided backprop or deconvnet, optionally times the input.
template <class Model>
class GradientAnalyzer : public detail::ExplainInto<GradientAnalyzer<Model>, Model> {
public:
    using T = typename Model::scalar;
    using Base = detail::ExplainInto<GradientAnalyzer, Model>;
    using Base::explain;

    GradientAnalyzer(const Model& model, ReluMode mode = ReluMode::gradient, bool times_input = false)
        : Base(model), mode_(mode), times_input_(times_input) {}
    GradientAnalyzer(const Model&&, ReluMode = ReluMode::gradient, bool = false) = delete;  // a temporary

    /// The attribution for `target` from an existing forward pass, into `out` (its buffers reused;
    /// see explain(x, target, out, opt) in analyzers/backward.hpp: no allocation in steady state).
    /// The report is left empty.
    void explain(const Trace<T>& trace, const Target<T>& target, Explanation<T>& e, ExplainOptions opt = {}) const {
        if (detail::several_tasks(opt, trace.batch(), target)) {
            Base::explain_tasks(trace, target, e, opt);
            return;
        }
        detail::resolve(trace, target, ws_.rt);
        detail::start_explanation(trace, ws_.rt, e);
        if (!opt.keep_layers) e.layers.clear();
        detail::backpropagate(model_, trace, ws_.rt, mode_, opt.keep_layers ? &e.layers : nullptr, caches_.data(),
                              ws_.walk, e.relevance);
        if (times_input_) e.relevance.array() *= detail::end_value(trace, ws_.rt.stop).array();
    }

private:
    using Base::model_;
    using Base::ws_;
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
