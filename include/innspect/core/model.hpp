#pragma once
/// \file
/// The static model: a flat list of layer declarations with a compile-time input shape, in an
/// order where every layer comes after what it reads (as Keras lists them). Each layer reads the
/// previous one, or any earlier layer named with `From<"name", Layer>`, and a merge reads several
/// (`Add<"sum", Inputs<"a", "b">>`), so chains with several read-out points, two heads on one
/// trunk, U-Nets and residual blocks are all one flat list: a directed acyclic graph. Shapes
/// propagate at compile time; misuse is a static_assert with a one-line reason.
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
#include "innspect/core/inputs.hpp"
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

/// Index of the layer called `name` among the first i declarations: −1 the model input ("input"),
/// −2 none.
template <std::size_t N>
constexpr int earlier_layer(std::string_view name, std::size_t i, const std::array<std::string_view, N>& names) {
    if (name == "input") return -1;
    for (std::size_t j = 0; j < i; ++j)
        if (names[j] == name) return static_cast<int>(j);
    return -2;
}

/// What the declaration at position i reads: the previous layer, the layer named by From<>, or
/// the layers named by Inputs<> (−1: the model input, −2: a name no earlier layer has).
template <class Spec, std::size_t N>
constexpr LayerParents parents_of(std::size_t i, const std::array<std::string_view, N>& names) {
    LayerParents p;
    if constexpr (MergeSpec<Spec>) {
        for (std::string_view n : Spec::input_names) p.index[p.count++] = earlier_layer(n, i, names);
    } else if constexpr (has_parent<Spec>) {
        p.index[p.count++] = earlier_layer(Spec::parent, i, names);
    } else {
        p.index[p.count++] = static_cast<int>(i) - 1;
    }
    return p;
}
}  // namespace detail

template <class T, class InputSpec, LayerSpec... Specs>
class Model {
    static_assert(std::is_floating_point_v<T>, "Model: the scalar type must be float or double");
    static_assert(sizeof...(Specs) > 0, "Model: a model needs at least one layer");
    static_assert(std::tuple_size_v<decltype(LayerParents::index)> == max_layer_inputs);

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

    static constexpr std::array<LayerParents, size> parents = [] {
        std::array<LayerParents, size> p{};
        std::size_t i = 0;
        ((p[i] = detail::parents_of<Specs>(i, names), ++i), ...);
        return p;
    }();
    static constexpr bool parents_known() {
        for (const auto& ps : parents)
            for (int k = 0; k < ps.count; ++k)
                if (ps.index[static_cast<std::size_t>(k)] < -1) return false;
        return true;
    }
    static_assert(parents_known(),
                  "Model: a From<...> or Inputs<...> names no layer declared before it (\"input\" is the model input)");

    template <std::size_t I>
    using spec_at = std::tuple_element_t<I, std::tuple<Specs...>>;

    template <int P>
    struct out_shape_lazy;
    template <int P>
    using shape_at = typename std::conditional_t<(P < 0), std::type_identity<input_shape>, out_shape_lazy<P>>::type;
    // After a failed static_assert, an unknown parent reads as the first input (or the model
    // input) so that no second error follows.
    static constexpr int known_parent(std::size_t i, std::size_t k) {
        const int p = parents[i].index[k];
        if (p >= -1) return p;
        return parents[i].index[0] >= -1 ? parents[i].index[0] : -1;
    }
    template <std::size_t I, std::size_t K>
    using parent_shape = shape_at<known_parent(I, K)>;

    template <std::size_t I, class Seq = std::make_index_sequence<static_cast<std::size_t>(parents[I].count)>>
    struct input_shape_of;
    template <std::size_t I, std::size_t... K>
    struct input_shape_of<I, std::index_sequence<K...>> {
        // A merge is bound to the list of its inputs' shapes, any other layer to its input's.
        using type = std::conditional_t<MergeSpec<spec_at<I>>, ShapeList<parent_shape<I, K>...>, parent_shape<I, 0>>;
    };

public:
    /// Input shape (a ShapeList for a merge), output shape and layer type of the I-th declaration.
    template <std::size_t I>
    struct node {
        using spec = spec_at<I>;
        using in = typename input_shape_of<I>::type;
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
            .name = node<I>::layer::name,
            .keras_class = node<I>::layer::keras_class,
            .lrp = node<I>::layer::lrp,
            .family = node<I>::layer::family,
            .parent = parents[I].index[0],
            .parents = parents[I],
            .in_size = node<I>::in::size,
            .out_size = node<I>::out::size,
            .out_h = node<I>::out::h,
            .out_w = node<I>::out::w,
            .out_c = node<I>::out::c,
            .out_rank = node<I>::out::rank,
            .in_h = node<I>::in::h,
            .in_w = node<I>::in::w,
            .in_c = node<I>::in::c,
            .in_rank = node<I>::in::rank,
            .pre_is_input = node<I>::layer::pre_is_input,
            .activation = node<I>::layer::activation::name}...};
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

    /// needs[i][j]: computing layer i's output needs layer j's (j is i, or i reads j directly or
    /// through other layers).
    static constexpr std::array<std::array<bool, size>, size> needs = [] {
        std::array<std::array<bool, size>, size> n{};
        for (std::size_t i = 0; i < size; ++i) {
            n[i][i] = true;
            for (int k = 0; k < parents[i].count; ++k) {
                const int p = parents[i].index[static_cast<std::size_t>(k)];
                if (p >= 0)
                    for (std::size_t j = 0; j < size; ++j) n[i][j] = n[i][j] || n[static_cast<std::size_t>(p)][j];
            }
        }
        return n;
    }();

    /// Runs every layer on a batch (one sample per row, input features channels-last) and keeps
    /// every output. Throws shape_error for the wrong number of features and value_error for a
    /// non-finite input.
    Trace<T> forward(const Batch<T>& x) const {
        Trace<T> t;
        run(x, t, -1);
        return t;
    }
    /// Runs only the layers the layer called `needed_by` needs (explaining a latent code does not
    /// run the decoder); the other layers' outputs are marked as not run (Trace::output throws).
    Trace<T> forward(const Batch<T>& x, std::string_view needed_by) const {
        Trace<T> t;
        run(x, t, index_of(needed_by));
        return t;
    }
    /// The same into an existing trace, whose buffers are reused when the batch size is the same.
    void forward(const Batch<T>& x, Trace<T>& t) const { run(x, t, -1); }
    void forward(const Batch<T>& x, Trace<T>& t, std::string_view needed_by) const { run(x, t, index_of(needed_by)); }

    /// The output of the layer called `name` for a batch.
    Batch<T> predict(const Batch<T>& x, std::string_view name) const {
        const int i = index_of(name);
        return std::move(forward(x, name).out[static_cast<std::size_t>(i)]);
    }

private:
    /// Runs the layers `last` needs (every layer when last < 0).
    void run(const Batch<T>& x, Trace<T>& t, int last) const {
        if (x.cols() != input_shape::size)
            throw shape_error("model input: expected " + std::to_string(input_shape::size) + " features per sample " +
                              shape_string(input_shape::keras()) + ", got " + std::to_string(x.cols()));
        if (x.rows() == 0) throw shape_error("model input: the batch is empty");
        if (!all_finite(x)) require_finite(x, "model input");
        t.input = x;
        t.layers = layer_infos();
        t.out.resize(size);
        t.pre.resize(size);
        t.joined.resize(size);
        t.ran.assign(size, 0);
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            ((last < 0 || needs[static_cast<std::size_t>(last)][I] ? run_layer<I>(t) : void()), ...);
        }(indices{});
    }

    template <std::size_t I>
    void run_layer(Trace<T>& t) const {
        if constexpr (parents[I].count > 1) join_inputs(t, I);
        std::get<I>(layers_).forward(t.input_of(I), t.pre[I], t.out[I]);
        t.ran[I] = 1;
    }

    /// A merge's inputs side by side, [x₁ | x₂ | …] per sample (core/inputs.hpp).
    static void join_inputs(Trace<T>& t, std::size_t i) {
        const LayerInfo& l = layer_infos()[i];
        Batch<T>& j = t.joined[i];
        j.resize(t.input.rows(), l.in_size);
        Eigen::Index at = 0;
        for (int k = 0; k < l.parents.count; ++k) {
            const Batch<T>& p = t.parent_output(static_cast<int>(i), k);
            j.middleCols(at, p.cols()) = p;
            at += p.cols();
        }
    }

    layers_tuple layers_;
};

}  // namespace innspect
