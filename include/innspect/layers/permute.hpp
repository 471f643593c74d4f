#pragma once
/// \file
/// Keras `Permute(dims)`: the non-batch axes reordered. `dims` are Keras's 1-based axes, a
/// permutation of 1..rank; output axis i is input axis dims[i]:
///
///   out_shape[i] = in_shape[dims[i] − 1],   out[o_0, .., o_{r−1}] = in[i] with i[dims[k] − 1] = o_k
///
/// On innspect's shapes (flat, channels-last, C order): a sequence (S, C) with dims (2, 1) becomes
/// `Shape<C, S>` (C steps of S channels); an image (H, W, C) with dims (3, 1, 2) becomes
/// `Shape<C, H, W>` (an image of height C, width H, W channels). The rank never changes.
///
/// Values only move, so gradient and relevance move back: each input value receives exactly what
/// its one output position received (the inverse permutation), which conserves Σ R exactly.

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "innspect/core/errors.hpp"
#include "innspect/core/fixed_string.hpp"
#include "innspect/core/layer_traits.hpp"
#include "innspect/core/shape.hpp"
#include "innspect/core/tensor.hpp"
#include "innspect/core/weights.hpp"
#include "innspect/layers/activation_functions.hpp"
#include "innspect/layers/keras_schema.hpp"
#include "innspect/layers/resampling.hpp"  // detail::IndexMapLayer

namespace innspect {

namespace detail {
inline constexpr KerasField permute_fields[] = {{.key = "dims", .type = FieldType::shape}};

/// True when `dims` holds each of 1..size exactly once.
template <std::size_t R>
constexpr bool is_permutation_of_axes(const std::array<int, R>& dims) {
    for (std::size_t a = 1; a <= R; ++a) {
        int seen = 0;
        for (int d : dims) seen += d == static_cast<int>(a) ? 1 : 0;
        if (seen != 1) return false;
    }
    return true;
}

/// Keras's shape of a sample as a fixed array: (w, c) for a sequence, (h, w, c) for an image.
template <ShapeType S, std::size_t R>
constexpr std::array<int, R> keras_dims() {
    if constexpr (R == 2)
        return {S::w, S::c};
    else
        return {S::h, S::w, S::c};
}

template <std::size_t R, std::array<int, R> D>
struct shape_from_dims;
template <std::array<int, 2> D>
struct shape_from_dims<2, D> {
    using type = Shape<D[0], D[1]>;
};
template <std::array<int, 3> D>
struct shape_from_dims<3, D> {
    using type = Shape<D[0], D[1], D[2]>;
};

}  // namespace detail
/// Keras's Permute config.
inline constexpr KerasSchema permute_schema{"Permute", detail::permute_fields, false, {}};

/// Keras Permute(dims) on a sequence (2 axes) or an image (3 axes); `Permute<"p", 2, 1>` swaps
/// a sequence's steps and channels.
template <fixed_string Name, int... Dims>
struct Permute {
    static constexpr std::size_t rank = sizeof...(Dims);
    static constexpr std::array<int, rank> dims{Dims...};
    static_assert(rank == 2 || rank == 3, "Permute: dims lists 2 axes (a sequence) or 3 axes (an image)");
    static_assert(detail::is_permutation_of_axes(dims),
                  "Permute: dims must be a permutation of 1..rank (Keras's 1-based axes, each once)");

    static constexpr std::string_view name = Name.view();
    static constexpr const KerasSchema& keras = permute_schema;
    static constexpr std::string_view keras_class = keras.keras_class;
    static void keras_values(KerasValues& v) { v.numbers("dims", {Dims...}); }

    template <ShapeType In>
    static constexpr bool check() {
        static_assert(In::rank == static_cast<int>(rank),
                      "Permute: dims must list as many axes as the input has (2 for a sequence, 3 for an image)");
        return true;
    }
    template <ShapeType In>
    static constexpr std::array<int, rank> out_dims() {
        constexpr auto in = detail::keras_dims<In, rank>();
        std::array<int, rank> out{};
        for (std::size_t i = 0; i < rank; ++i) out[i] = in[static_cast<std::size_t>(dims[i] - 1)];
        return out;
    }
    template <ShapeType In>
        requires(check<In>())
    using output_shape_for = typename detail::shape_from_dims<rank, out_dims<In>()>::type;

    template <class T, ShapeType In>
    struct layer : detail::IndexMapLayer<T, In, output_shape_for<In>, layer<T, In>> {
        static constexpr std::string_view name = Permute::name;
        static constexpr std::string_view keras_class = Permute::keras_class;
        // A permutation moves every value once: relevance and gradient are permuted back.
        static constexpr std::string_view lrp_rule_name = "permuted back";

        /// The input feature (flat, C order) that output feature k copies.
        static int source(int k) {
            constexpr auto in = detail::keras_dims<In, rank>();
            constexpr auto out = out_dims<In>();
            std::array<int, rank> o{}, i{};
            for (std::size_t a = rank; a-- > 0;) {
                o[a] = k % out[a];
                k /= out[a];
            }
            for (std::size_t a = 0; a < rank; ++a) i[static_cast<std::size_t>(dims[a] - 1)] = o[a];
            int flat = 0;
            for (std::size_t a = 0; a < rank; ++a) flat = flat * in[a] + i[a];
            return flat;
        }

    };
};

}  // namespace innspect
