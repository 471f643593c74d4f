#pragma once
/// \file
/// The residual map, the usual answer to "which inputs make this sample anomalous?" and the
/// baseline the error explanations are compared with: A = m ⊙ (x − x̂)², per input value, for
/// the reconstruction-error target (targets/target.hpp). Σ A = E exactly, but it only says where
/// the reconstruction is off, not what in the input the network based its reconstruction on.

#include <string>

#include "innspect/analyzers/backward.hpp"
#include "innspect/analyzers/explanation.hpp"
#include "innspect/analyzers/tasks.hpp"
#include "innspect/core/concepts.hpp"
#include "innspect/targets/target.hpp"

namespace innspect {

template <class Model>
class ResidualMap : public detail::ExplainByName<ResidualMap<Model>, Model> {
public:
    using T = typename Model::scalar;
    using detail::ExplainByName<ResidualMap, Model>::explain;

    explicit ResidualMap(const Model& model) : model_(model) {}
    ResidualMap(const Model&&) = delete;  // it would keep a reference to a temporary

    /// m ⊙ (x − x̂)²; `target` must select the reconstruction error.
    Explanation<T> explain(const Batch<T>& x, const Target<T>& target, ExplainOptions opt = {}) const {
        if (target.selection.kind != Selection<T>::Kind::error)
            throw value_error("ResidualMap: explains the reconstruction error only; target '" + target.layer +
                              "' with select::reconstruction_error()");
        if (!target.stop_at.empty())
            throw value_error("ResidualMap: attributes to the model input; stop_at ('" + target.stop_at + "') is not supported");
        if (detail::several_tasks(opt, x.rows(), target)) return detail::explain_in_tasks(*this, x, target, opt);
        const auto trace = model_.forward(x, target.layer);
        const auto rt = detail::resolve(trace, target);
        Explanation<T> e;
        e.initial = rt.weights;
        e.score = rt.score();
        e.shape = detail::end_shape(trace.layers, -1);
        // d = m ⊙ (x̂ − x), so m ⊙ (x − x̂)² = d ⊙ (x̂ − x).
        e.relevance = rt.weights.cwiseProduct(rt.explained - rt.input);
        return e;
    }

private:
    const Model& model_;
};

/// `residual_map(model)`: m ⊙ (x − x̂)² for the reconstruction-error target.
template <class Model>
ResidualMap<Model> residual_map(const Model& m) {
    return ResidualMap<Model>(m);
}
template <class Model>
    requires(!std::is_lvalue_reference_v<Model>)
int residual_map(Model&&) {  // int: one error, not a second one at the call site
    static_assert(detail::always_false<Model>, "residual_map(model): the analyzer keeps a reference to the model, so it cannot take a temporary; pass a model that outlives the analyzer");
    return 0;
}

}  // namespace innspect
