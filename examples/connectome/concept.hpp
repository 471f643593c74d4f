#pragma once
/// \file
/// Concept vectors in a model's latent space (concept saliency maps, arXiv 1910.13140): the mean
/// latent code of inputs that show a concept minus the mean latent code of inputs that do not,
///
///   c = (1/|A|) Σ_{x∈A} latent(x) − (1/|B|) Σ_{x∈B} latent(x),
///
/// where latent(x) is the output of one layer (its post-activation value, as Keras reports it), or
/// on request its pre-activation z. Explaining `select::direction(c)` at the same layer explains
/// the concept score s(x) = c·latent(x):
///   - c from a layer's output pairs with a target on a layer whose explained value is that output:
///     the layer after it when that layer has no computation of its own (seed model: c from
///     `dropout2` — its output is conv2's output — explained with target `dropout2`), or the layer
///     itself with the activation kept (`strip_activation = false`);
///   - c from the pre-activation pairs with the default target (activation stripped) on that layer.
/// Header-only and model-agnostic: it needs only `Model::index_of` and `Model::forward`.

#include <string>
#include <string_view>

#include <innspect/core/errors.hpp>
#include <innspect/core/tensor.hpp>

namespace innspect {

/// The mean latent code of `with` minus that of `without` at the layer called `layer`, as one row
/// (1 × the layer's features, channels-last). `pre_activation` takes the layer's pre-activation z
/// instead of its output. Each batch holds one sample per row (model input features).
/// Throws name_error for an unknown layer, shape_error for an empty batch or the wrong number of
/// features, value_error for a non-finite input.
template <class Model>
Batch<typename Model::scalar> concept_vector(const Model& model, const Batch<typename Model::scalar>& with,
                                             const Batch<typename Model::scalar>& without,
                                             std::string_view layer, bool pre_activation = false) {
    using T = typename Model::scalar;
    const int i = Model::index_of(layer);
    const auto mean_latent = [&](const Batch<T>& x, const char* which) -> Batch<T> {
        if (x.rows() == 0)
            throw shape_error(std::string("concept_vector: the '") + which + "' batch is empty");
        const auto trace = model.forward(x);
        const Batch<T>& z = pre_activation ? trace.pre_activation(i) : trace.output(i);
        return z.colwise().mean();
    };
    return mean_latent(with, "with") - mean_latent(without, "without");
}

}  // namespace innspect
