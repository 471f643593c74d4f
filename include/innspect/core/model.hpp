#pragma once
/// \file
/// The static model: a flat list of layer declarations with a compile-time input shape. Each
/// layer reads the previous one, or any earlier layer named with `From<"name", Layer>`, so an
/// autoencoder with a classifier head (a chain with several read-out points) and a model with
/// two heads on one trunk are both one flat list. Shapes propagate at compile time; misuse is a
/// static_assert with a one-line reason.
///
///   using Net = Model<float, Input<16, 16, 1>,
///                     Conv2D<"conv1", 8, Kernel<1, 16>, Selu>,
///                     Reshape<"flat", Shape<128>>,
///                     Dense<"logits", 2>,
///                     From<"flat", Dense<"decoder", 256, Tanh>>>;

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include "innspect/core/concepts.hpp"
#include "innspect/core/errors.hpp"
#include "innspect/core/fixed_string.hpp"
#include "innspect/core/layer_info.hpp"
#include "innspect/core/shape.hpp"
#include "innspect/core/tensor.hpp"
#include "innspect/core/trace.hpp"

namespace innspect {

/// The model input: `Input<H, W, C>` for images, `Input<N>` for vectors.
template <int... Dims>
struct Input {
    using shape = Shape<Dims...>;
};

/// Makes `Spec` read the output of the earlier layer `Parent` (or "input", the model input)
/// instead of the layer declared just before it.
template <fixed_string Parent, LayerSpec Spec>
struct From : Spec {
    static constexpr std::string_view parent = Parent.view();
};

namespace detail {
template <class Spec>
concept has_parent = requires { Spec::parent; };

template <class T, class M>
struct layer_of_spec;

/// Parent index of a declaration at position i: −1 input, −2 not found (among earlier layers).
template <class Spec, std::size_t N>
constexpr int parent_index(std::size_t i, const std::array<std::string_view, N>& names) {
    if constexpr (has_parent<Spec>) {
        if (Spec::parent == "input") return -1;
        for (std::size_t j = 0; j < i; ++j)
            if (names[j] == Spec::parent) return static_cast<int>(j);
        return -2;
    } else {
        return static_cast<int>(i) - 1;
    }
}
}  // namespace detail

template <class T, class InputSpec, LayerSpec... Specs>
class Model {
    static_assert(std::is_floating_point_v<T>, "Model: the scalar type must be float or double");
    static_assert(sizeof...(Specs) > 0, "Model: a model needs at least one layer");

public:
    using scalar = T;
    using input_shape = typename InputSpec::shape;
    static constexpr std::size_t size = sizeof...(Specs);
    static constexpr std::array<std::string_view, size> names{Specs::name...};

private:
    static constexpr bool names_unique() {
        for (std::size_t i = 0; i < size; ++i)
            for (std::size_t j = i + 1; j < size; ++j)
                if (names[i] == names[j]) return false;
        return true;
    }
    static_assert(names_unique(), "Model: two layers have the same name");

    static constexpr std::array<int, size> parents = [] {
        std::array<int, size> p{};
        std::size_t i = 0;
        ((p[i] = detail::parent_index<Specs>(i, names), ++i), ...);
        return p;
    }();
    static constexpr bool parents_known() {
        for (int p : parents)
            if (p < -1) return false;
        return true;
    }
    static_assert(parents_known(), "Model: a From<...> names no layer declared before it");

    template <std::size_t I>
    using spec_at = std::tuple_element_t<I, std::tuple<Specs...>>;

    template <int P>
    struct out_shape_lazy;
    template <int P>
    using shape_at = typename std::conditional_t<(P < 0), std::type_identity<input_shape>, out_shape_lazy<P>>::type;

public:
    /// Input shape, output shape and layer type of the I-th declaration.
    template <std::size_t I>
    struct node {
        using spec = spec_at<I>;
        using in = shape_at<(parents[I] < -1 ? -1 : parents[I])>;
        using out = typename spec::template output_shape_for<in>;
        using layer = typename spec::template layer<T, in>;
    };

private:
    template <int P>
    struct out_shape_lazy {
        using type = typename node<static_cast<std::size_t>(P)>::out;
    };

    template <class Seq>
    struct tuple_of;
    template <std::size_t... I>
    struct tuple_of<std::index_sequence<I...>> {
        // Every bound layer against the written contract (core/concepts.hpp), member by member.
        static_assert((detail::layer_contract<typename node<I>::layer>() && ...));
        using type = std::tuple<typename node<I>::layer...>;
        static constexpr std::array<LayerInfo, size> infos{LayerInfo{
            node<I>::layer::name, node<I>::layer::keras_class, node<I>::layer::lrp, node<I>::layer::family, parents[I], node<I>::in::size, node<I>::out::size,
            node<I>::out::h, node<I>::out::w, node<I>::out::c, node<I>::out::rank, node<I>::in::h,
            node<I>::in::w, node<I>::in::c, node<I>::in::rank, node<I>::layer::pre_is_input,
            node<I>::layer::activation::name}...};
    };
    using indices = std::make_index_sequence<size>;
    using layers_tuple = typename tuple_of<indices>::type;

    static constexpr int find(std::string_view n) {
        for (std::size_t i = 0; i < size; ++i)
            if (names[i] == n) return static_cast<int>(i);
        return -1;
    }

    // After a failed static_assert, index 0 keeps the compiler from adding errors of its own.
    static constexpr std::size_t checked_index(std::string_view n) {
        return find(n) < 0 ? 0 : static_cast<std::size_t>(find(n));
    }

public:
    /// True when the model has a layer called `name` (usable in static_asserts).
    static constexpr bool has_layer(std::string_view name) { return find(name) >= 0; }

    /// Every layer's static description, in declaration order.
    static constexpr const std::array<LayerInfo, size>& layer_infos() { return tuple_of<indices>::infos; }

    /// Index of the layer called `name`; throws name_error (listing the names) if there is none.
    static int index_of(std::string_view name) { return find_layer(layer_infos(), name); }

    /// The layer called `Name`, checked at compile time.
    template <fixed_string Name>
    auto& layer() {
        static_assert(find(Name.view()) >= 0, "Model::layer<Name>: the model has no layer of this name");
        return std::get<checked_index(Name.view())>(layers_);
    }
    template <fixed_string Name>
    const auto& layer() const {
        static_assert(find(Name.view()) >= 0, "Model::layer<Name>: the model has no layer of this name");
        return std::get<checked_index(Name.view())>(layers_);
    }
    template <std::size_t I>
    auto& layer_at() { return std::get<I>(layers_); }
    template <std::size_t I>
    const auto& layer_at() const { return std::get<I>(layers_); }

private:
    template <fixed_string Name>
    struct output_shape_lookup {
        static_assert(find(Name.view()) >= 0, "Model::output_shape_of<Name>: the model has no layer of this name");
        using type = typename node<checked_index(Name.view())>::out;
    };

public:
    /// The output shape of the layer called `Name`.
    template <fixed_string Name>
    using output_shape_of = typename output_shape_lookup<Name>::type;

    /// Calls f(layer) for every layer in declaration order.
    template <class F>
    void for_each_layer(F&& f) {
        std::apply([&](auto&... l) { (f(l), ...); }, layers_);
    }
    template <class F>
    void for_each_layer(F&& f) const {
        std::apply([&](const auto&... l) { (f(l), ...); }, layers_);
    }
    /// Calls f(std::integral_constant<std::size_t, I>{}, layer) for every layer.
    template <class F>
    void for_each_indexed(F&& f) const {
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (f(std::integral_constant<std::size_t, I>{}, std::get<I>(layers_)), ...);
        }(indices{});
    }
    /// Calls f(std::integral_constant<std::size_t, I>{}, layer) from the last layer to the first:
    /// the order every backward pass visits layers in.
    template <class F>
    void for_each_backward(F&& f) const {
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (f(std::integral_constant<std::size_t, size - 1 - I>{}, std::get<size - 1 - I>(layers_)), ...);
        }(indices{});
    }

    /// Throws value_error naming the layer and array if any weight is NaN or infinite.
    void check_finite() const {
        for_each_layer([](const auto& l) { l.check_finite(); });
    }

    /// Runs every layer on a batch (one sample per row, input features channels-last) and keeps
    /// every output. Throws shape_error for the wrong number of features and value_error for a
    /// non-finite input.
    Trace<T> forward(const Batch<T>& x) const {
        if (x.cols() != input_shape::size)
            throw shape_error("model input: expected " + std::to_string(input_shape::size) + " features per sample " +
                              shape_string(input_shape::keras()) + ", got " + std::to_string(x.cols()));
        if (x.rows() == 0) throw shape_error("model input: the batch is empty");
        if (!all_finite(x)) require_finite(x, "model input");
        Trace<T> t;
        t.input = x;
        t.layers = layer_infos();
        t.out.resize(size);
        t.pre.resize(size);
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (std::get<I>(layers_).forward(t.input_of(I), t.pre[I], t.out[I]), ...);
        }(indices{});
        return t;
    }

    /// The output of the layer called `name` for a batch.
    Batch<T> predict(const Batch<T>& x, std::string_view name) const {
        const int i = index_of(name);
        return forward(x).out[static_cast<std::size_t>(i)];
    }

private:
    layers_tuple layers_;
};

}  // namespace innspect
