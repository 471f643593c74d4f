#pragma once
/// \file
/// What a layer that reads several earlier layers (a merge: Add, Concatenate, ...) is declared
/// with: the names of its inputs, `Inputs<"conv3", "conv5">` ("input" is the model input), and
/// the shape list the model binds it to. Such a layer sees its inputs side by side, one flat row
/// per sample [x₁ | x₂ | …] (each input channels-last as always), so its forward pass, its
/// gradient and its LRP rule have the signature of any other layer; the model joins the inputs
/// and splits what flows back by the inputs' sizes.

#include <array>
#include <cstddef>
#include <string_view>
#include <tuple>
#include <type_traits>

#include "innspect/core/fixed_string.hpp"
#include "innspect/core/shape.hpp"

namespace innspect {

/// How many inputs one layer may read.
inline constexpr std::size_t max_layer_inputs = 8;

/// The names of the layers a merge reads, in Keras's order.
template <fixed_string... Names>
struct Inputs {
    static_assert(sizeof...(Names) >= 2, "Inputs<...>: a merge reads at least two layers");
    static_assert(sizeof...(Names) <= max_layer_inputs, "Inputs<...>: a layer reads at most 8 inputs");
    static constexpr std::array<std::string_view, sizeof...(Names)> names{Names.view()...};
};

/// The shapes of a merge's inputs. As a ShapeType it describes the joined row: `size` is the
/// sum of the sizes; h, w, c and rank are the first input's.
template <ShapeType... S>
struct ShapeList {
    static constexpr std::size_t count = sizeof...(S);
    using first = std::tuple_element_t<0, std::tuple<S...>>;
    static constexpr int h = first::h, w = first::w, c = first::c, rank = first::rank;
    static constexpr int size = (S::size + ...);
    static constexpr std::array<int, count> sizes{S::size...};
    /// Where input k starts in the joined row.
    static constexpr std::array<int, count> offsets = [] {
        std::array<int, count> o{};
        int at = 0;
        for (std::size_t k = 0; k < count; ++k) {
            o[k] = at;
            at += sizes[k];
        }
        return o;
    }();
    template <std::size_t K>
    using at = std::tuple_element_t<K, std::tuple<S...>>;
    /// True when every input has the first one's shape.
    static constexpr bool same_shapes = ((S::rank == rank && S::h == h && S::w == w && S::c == c) && ...);
};

namespace detail {
template <class S>
struct is_shape_list : std::false_type {};
template <class... S>
struct is_shape_list<ShapeList<S...>> : std::true_type {};
}  // namespace detail

/// A spec that reads several layers declares `input_names`.
template <class Spec>
concept MergeSpec = requires { Spec::input_names; };

}  // namespace innspect
