#pragma once
/// \file
/// A model's static description, one entry per layer, readable at run time: what the command
/// line, composites (rule by kind, position or name) and weight loaders look layers up by.

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "innspect/core/errors.hpp"
#include "innspect/core/layer_traits.hpp"
#include "innspect/core/shape.hpp"

namespace innspect {

/// The layers one layer reads, in order: indices into the model's layers, −1 the model input.
struct LayerParents {
    std::array<int, 8> index{};  ///< the first `count` are used (8: max_layer_inputs)
    int count = 0;

    constexpr std::span<const int> list() const { return {index.data(), static_cast<std::size_t>(count)}; }
    constexpr bool contains(int p) const {
        for (int k = 0; k < count; ++k)
            if (index[static_cast<std::size_t>(k)] == p) return true;
        return false;
    }
};

struct LayerInfo {
    std::string_view name;        ///< Keras name
    std::string_view keras_class; ///< Keras class name ("Conv2D", "Flatten", ...)
    LrpPolicy lrp;                ///< how relevance crosses it
    RuleFamily family;            ///< what composites select rules by
    int parent;                   ///< index of the (first) layer it reads, −1 for the model input
    LayerParents parents;         ///< every layer it reads (a merge reads several)
    int in_size, out_size;        ///< features per sample (a merge: of all its inputs together)
    int out_h, out_w, out_c, out_rank;
    int in_h, in_w, in_c, in_rank;  ///< a merge: its first input's

    bool pre_is_input;            ///< the pre-activation is the input (no own core computation)
    std::string_view activation;  ///< Keras name of the fused activation ("linear" if none)

    constexpr bool linear() const { return lrp == LrpPolicy::linear; }
    constexpr bool merges() const { return parents.count > 1; }
    constexpr bool reads_model_input() const { return parents.contains(-1); }

    /// Keras shape of one sample of the output: (h, w, c), (steps, c) or (n,).
    std::vector<std::int64_t> output_keras_shape() const {
        std::vector<std::int64_t> s;
        output_keras_shape(s);
        return s;
    }
    std::vector<std::int64_t> input_keras_shape() const {
        std::vector<std::int64_t> s;
        input_keras_shape(s);
        return s;
    }
    /// The same into `s`, its capacity reused (an analyzer's kept Explanation::shape).
    void output_keras_shape(std::vector<std::int64_t>& s) const { keras_shape(out_rank, out_h, out_w, out_c, s); }
    void input_keras_shape(std::vector<std::int64_t>& s) const { keras_shape(in_rank, in_h, in_w, in_c, s); }

private:
    static void keras_shape(int rank, std::int64_t h, std::int64_t w, std::int64_t c, std::vector<std::int64_t>& s) {
        if (rank == 1) s.assign({c});
        else if (rank == 2) s.assign({w, c});
        else s.assign({h, w, c});
    }
};

/// Index of the layer called `name`, or a name_error listing the names there are.
inline int find_layer(std::span<const LayerInfo> layers, std::string_view name) {
    for (std::size_t i = 0; i < layers.size(); ++i)
        if (layers[i].name == name) return static_cast<int>(i);
    std::string known;
    for (const auto& l : layers) known += (known.empty() ? "" : ", ") + std::string(l.name);
    throw name_error("no layer named '" + std::string(name) + "' (layers: " + known + ")");
}

}  // namespace innspect
