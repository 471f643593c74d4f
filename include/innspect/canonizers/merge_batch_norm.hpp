#pragma once
/// \file
/// The batch-norm merging canonizer (Zennit's SequentialMergeBatchNorm, design.md §5): a
/// per-channel affine layer z ↦ k ⊙ z + c (BatchNormalization at inference) that reads a linear
/// layer directly, with no activation between them and nothing else reading that layer, is
/// merged into it before analysis:
///
///     W' = W·diag(k),   b' = k ⊙ b + c
///
/// so LRP rules see one linear layer whose output is the batch norm's output, and the batch norm
/// passes relevance through. Without the merge, relevance would be redistributed twice, and the
/// batch norm's large shifts make LRP-ε explode (seen: 10⁸ on a real model).
///
/// The canonizer only reads what layers declare: `channel_affine` with `params()` = (k as a
/// 1 × C kernel, c as the bias) on the affine layer, `scale_output_channels(P, k)` on the linear
/// one. It computes the merged parameters once, when it is made (so after the weights are
/// loaded), and hands every linear layer's parameters to the analyzer by reference.

#include <array>
#include <cstddef>
#include <optional>
#include <type_traits>

#include "innspect/core/concepts.hpp"
#include "innspect/core/layer_info.hpp"
#include "innspect/core/linear_params.hpp"

namespace innspect {

template <class Model>
class MergeBatchNorm {
public:
    using T = typename Model::scalar;

    /// Index of the channel-affine layer merged into linear layer I, or −1.
    template <std::size_t I>
    static constexpr int merged_child() {
        using L = typename Model::template node<I>::layer;
        if constexpr (L::lrp != LrpPolicy::linear || is_affine<L>() || !L::activation::is_identity) {
            return -1;
        } else {
            constexpr auto& infos = Model::layer_infos();
            int child = -1, readers = 0;
            for (std::size_t q = I + 1; q < infos.size(); ++q)
                for (int p : infos[q].parents.list())
                    if (p == static_cast<int>(I)) {
                        ++readers;
                        child = static_cast<int>(q);
                    }
            if (readers != 1) return -1;
            return affine_at(static_cast<std::size_t>(child)) ? child : -1;
        }
    }

    /// Index of the linear layer channel-affine layer J is merged into, or −1.
    template <std::size_t J>
    static constexpr int merged_parent() {
        constexpr int p = Model::layer_infos()[J].parent;
        if constexpr (p < 0) {
            return -1;
        } else {
            return merged_child<static_cast<std::size_t>(p)>() == static_cast<int>(J) ? p : -1;
        }
    }

    /// Computes the merged parameters of `model` as it is now; keeps a reference to it.
    explicit MergeBatchNorm(const Model& model) : model_(model) {
        model.for_each_indexed([&](auto index, const auto& layer) {
            constexpr std::size_t i = decltype(index)::value;
            using L = std::remove_cvref_t<decltype(layer)>;
            if constexpr (L::lrp == LrpPolicy::linear) {
                // Layers that compute their parameters when asked (a batch norm) are kept here.
                if constexpr (!std::is_reference_v<decltype(layer.params())>) own_[i] = layer.params();
                constexpr int child = merged_child<i>();
                if constexpr (child >= 0) {
                    const auto affine = model.template layer_at<static_cast<std::size_t>(child)>().params();
                    const Vector<T> k = affine.kernel.row(0).transpose();
                    LinearParams<T> scaled = L::scale_output_channels(layer.params(), k);
                    Vector<T> bias = scaled.has_bias ? Vector<T>(scaled.bias + affine.bias) : Vector<T>(affine.bias);
                    merged_[i] = LinearParams<T>{std::move(scaled.kernel), std::move(bias), true};
                }
            }
        });
    }

    /// Linear layer I's own parameters.
    template <std::size_t I>
    const LinearParams<T>& params() const {
        if constexpr (std::is_reference_v<decltype(model_.template layer_at<I>().params())>)
            return model_.template layer_at<I>().params();
        else
            return *own_[I];
    }
    /// Linear layer I's parameters with merged_child<I>() merged in.
    template <std::size_t I>
    const LinearParams<T>& merged() const {
        static_assert(merged_child<I>() >= 0, "MergeBatchNorm::merged<I>: nothing is merged into layer I");
        return *merged_[I];
    }

private:
    template <class L>
    static constexpr bool is_affine() {
        if constexpr (requires { L::channel_affine; })
            return L::channel_affine;
        else
            return false;
    }
    static constexpr bool affine_at(std::size_t j) {
        bool out = false;
        [&]<std::size_t... K>(std::index_sequence<K...>) {
            ((K == j ? (out = is_affine<typename Model::template node<K>::layer>()) : false), ...);
        }(std::make_index_sequence<Model::size>{});
        return out;
    }

    const Model& model_;
    std::array<std::optional<LinearParams<T>>, Model::size> own_;
    std::array<std::optional<LinearParams<T>>, Model::size> merged_;
};

}  // namespace innspect
