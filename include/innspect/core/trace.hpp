#pragma once
/// \file
/// What one forward pass produced for one batch: every layer's output and, where it differs from
/// both the layer's input and its output, its pre-activation. Every backward method reads it.

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "innspect/core/errors.hpp"
#include "innspect/core/layer_info.hpp"
#include "innspect/core/tensor.hpp"

namespace innspect {

template <class T>
struct Trace {
    Batch<T> input;               ///< the model input, batch × input features
    std::vector<Batch<T>> out;    ///< out[i]: layer i's output (post-activation)
    std::vector<Batch<T>> pre;    ///< pre[i]: layer i's pre-activation, empty when it is its input or output
    std::vector<Batch<T>> joined; ///< joined[i]: a merge's inputs side by side (core/inputs.hpp), else empty
    std::vector<char> ran;        ///< ran[i]: layer i was run (a forward pass for one layer runs only what it needs)
    std::span<const LayerInfo> layers;  ///< the model's static description (names, parents, shapes)

    Eigen::Index batch() const { return input.rows(); }

    /// Index of the layer called `name`; throws name_error listing the layer names otherwise.
    int index_of(std::string_view name) const { return find_layer(layers, name); }

    /// Output of layer `i` / of the layer called `name`. Throws error when the forward pass did not
    /// run that layer (Model::forward(x, trace, layer) runs only what `layer` needs).
    const Batch<T>& output(int i) const {
        const auto k = static_cast<std::size_t>(i);
        if (k < ran.size() && ran[k] == 0)
            throw error("layer '" + std::string(layers[k].name) +
                        "' was not run by this forward pass: it ran only the layers one layer needs "
                        "(Model::forward(x, trace, layer)); run Model::forward(x) for every output");
        return out.at(k);
    }
    const Batch<T>& output(std::string_view name) const { return output(index_of(name)); }

    /// The output of layer i's k-th input (the model input for −1).
    const Batch<T>& parent_output(int i, int k = 0) const {
        const int p = layers[static_cast<std::size_t>(i)].parents.index[static_cast<std::size_t>(k)];
        return p < 0 ? input : out[static_cast<std::size_t>(p)];
    }

    /// What layer i read: its parent's output, the model input, or a merge's joined inputs.
    const Batch<T>& input_of(int i) const {
        if (layers[static_cast<std::size_t>(i)].merges()) return joined[static_cast<std::size_t>(i)];
        return parent_output(i);
    }

    /// Layer i's pre-activation z (what "explain the logit" explains).
    const Batch<T>& pre_activation(int i) const {
        const auto k = static_cast<std::size_t>(i);
        if (pre[k].size() != 0) return pre[k];
        return layers[k].pre_is_input ? input_of(i) : out[k];
    }
};

}  // namespace innspect
