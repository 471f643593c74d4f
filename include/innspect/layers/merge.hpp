#pragma once
/// \file
/// Keras's merge layers, which read several earlier layers (core/inputs.hpp):
///
///   Add<"sum", Inputs<"conv3", "conv5">>          y = Σ_k x_k
///   Subtract<"diff", Inputs<"a", "b">>            y = a − b
///   Average<"mean", Inputs<"a", "b", "c">>        y = (1/n) Σ_k x_k
///   Maximum<"max", Inputs<"a", "b">>              y = max_k x_k
///   Concatenate<"cat", Inputs<"up1", "conv2">>    along the last axis; Axis<a> for another
///
/// Every input of Add, Subtract, Average and Maximum has the output's shape; Concatenate's
/// inputs agree on every axis but the concatenated one. Both are checked at compile time.
///
/// Backward (design.md §5), per output value j:
///   Add, Subtract, Average  each input's contribution c_{k,j} = s_k x_{k,j} (s_k = 1, −1 for
///                           Subtract's second input, 1/n for Average) takes relevance
///                           R_{k,j} = c_{k,j} R_j / (z_j + ε·sgn₀(z_j)), z_j = Σ_k c_{k,j} = y_j,
///                           ε the epsilon of the composite's rule for this layer (1e-6 when it
///                           has none); gradient: s_k g_j
///   Maximum                 relevance and gradient go to the largest input (the first on ties)
///   Concatenate             each input gets its slice, of relevance and of the gradient

#include <algorithm>
#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "innspect/core/fixed_string.hpp"
#include "innspect/core/inputs.hpp"
#include "innspect/core/layer_traits.hpp"
#include "innspect/core/scratch.hpp"
#include "innspect/core/shape.hpp"
#include "innspect/core/tensor.hpp"
#include "innspect/core/weights.hpp"
#include "innspect/layers/activation_functions.hpp"
#include "innspect/layers/axis.hpp"
#include "innspect/layers/keras_schema.hpp"

namespace innspect {

namespace detail {
inline constexpr KerasField concatenate_fields[] = {{.key = "axis", .has_fallback = true, .fallback = {-1}}};
}  // namespace detail
/// Keras's Add, Subtract, Average, Maximum and Concatenate configs.
inline constexpr KerasSchema add_schema{"Add", {}, false, {}};
inline constexpr KerasSchema subtract_schema{"Subtract", {}, false, {}};
inline constexpr KerasSchema average_schema{"Average", {}, false, {}};
inline constexpr KerasSchema maximum_schema{"Maximum", {}, false, {}};
inline constexpr KerasSchema concatenate_schema{"Concatenate", detail::concatenate_fields, false, {}};

namespace detail {

/// What every merge shares: no weights, no activation, its own LRP rule.
template <class Derived, class T, class In, class Out>
struct MergeBase {
    using scalar = T;
    using activation = Linear;
    using input_shape = In;  // a ShapeList: the joined row [x₁ | x₂ | …]
    using output_shape = Out;
    static constexpr bool pre_is_input = false;
    static constexpr LrpPolicy lrp = LrpPolicy::own_rule;
    static constexpr RuleFamily family = RuleFamily::none;
    std::vector<WeightRef<T>> weights() { return {}; }
    void check_finite() const {}

protected:
    static void check(const Batch<T>& x, int expected, const char* what) {
        if (x.cols() != expected)
            throw shape_error(std::string(Derived::name) + ": " + what + " has " + std::to_string(x.cols()) +
                              " features per sample, expected " + std::to_string(expected));
    }
};

/// Add, Subtract, Average and Maximum: inputs of one shape combined value by value by `Op`
/// (WeightedSumOp, MaxOp below), which gives the bound layer its computation.
template <fixed_string Name, class InputNames, const KerasSchema& Schema, class Op>
struct ElementwiseMerge {
    static constexpr std::string_view name = Name.view();
    static constexpr const KerasSchema& keras = Schema;
    static constexpr std::string_view keras_class = keras.keras_class;
    static constexpr auto input_names = InputNames::names;
    static void keras_values(KerasValues&) {}

    template <class In>
    static constexpr bool check() {
        static_assert(is_shape_list<In>::value, "a merge layer is declared with Inputs<\"a\", \"b\", ...>");
        static_assert(In::same_shapes, "Add / Subtract / Average / Maximum: every input must have the same shape");
        return true;
    }
    template <class In>
        requires(check<In>())
    using output_shape_for = typename In::first;

    template <class T, class In>
    struct layer : Op::template bound<layer<T, In>, T, In> {
        static constexpr std::string_view name = ElementwiseMerge::name;
        static constexpr std::string_view keras_class = ElementwiseMerge::keras_class;
    };
};

/// y = Σ_k s_k x_k with fixed weights s_k: Add, Subtract, Average.
enum class SumKind { add, subtract, average };

template <SumKind Kind>
struct WeightedSumOp {
    template <class Derived, class T, class In>
    struct bound : MergeBase<Derived, T, In, typename In::first> {
        static_assert(Kind != SumKind::subtract || In::count == 2, "Subtract: reads exactly two inputs");
        using base = MergeBase<Derived, T, In, typename In::first>;
        static constexpr std::string_view lrp_rule_name = "proportional to the inputs' contributions";

        /// s_k: the weight of input k.
        static constexpr T weight(std::size_t k) {
            if constexpr (Kind == SumKind::subtract) return k == 0 ? T(1) : T(-1);
            else if constexpr (Kind == SumKind::average) return T(1) / T(In::count);
            else return T(1);
        }

        void forward(const Batch<T>& x, Batch<T>& pre, Batch<T>& out) const {
            base::check(x, In::size, "joined input");
            pre.resize(0, 0);
            sum(x, out);
        }

        /// [s₁ g | s₂ g | …] into `out` (its buffer reused).
        void backward_linear_into(const Batch<T>& g, Batch<T>& out) const {
            base::check(g, In::first::size, "gradient");
            out.resize(g.rows(), In::size);
            for (std::size_t k = 0; k < In::count; ++k) out.middleCols(In::offsets[k], In::sizes[k]) = weight(k) * g;
        }
        Batch<T> backward_linear(const Batch<T>& g) const {
            Batch<T> out;
            backward_linear_into(g, out);
            return out;
        }

        /// R_{k,j} = s_k x_{k,j} R_j / (y_j + ε·sgn₀(y_j)), into `out` (its buffer reused; y and the
        /// quotient in the thread's scratch).
        void lrp_backward_into(const Batch<T>& x, const Batch<T>& r, Batch<T>& out, T eps = T(1e-6)) const {
            base::check(x, In::size, "joined input");
            base::check(r, In::first::size, "relevance");
            auto s = detail::scratch_matrix<T>(x.rows(), In::first::size);
            sum(x, s);
            s = (r.array() / (s.array() >= T(0)).select(s.array() + eps, s.array() - eps)).matrix();
            out.resize(x.rows(), In::size);
            for (std::size_t k = 0; k < In::count; ++k)
                out.middleCols(In::offsets[k], In::sizes[k]) =
                    weight(k) * x.middleCols(In::offsets[k], In::sizes[k]).cwiseProduct(s);
        }
        Batch<T> lrp_backward(const Batch<T>& x, const Batch<T>& r, T eps = T(1e-6)) const {
            Batch<T> out;
            lrp_backward_into(x, r, out, eps);
            return out;
        }

    private:
        /// y = Σ_k s_k x_k, into a matrix or a map of the right size.
        template <class Y>
        static void sum(const Batch<T>& x, Y&& y) {
            y = weight(0) * x.middleCols(0, In::sizes[0]);
            for (std::size_t k = 1; k < In::count; ++k) y += weight(k) * x.middleCols(In::offsets[k], In::sizes[k]);
        }
    };
};

/// y = max_k x_k; relevance and gradient to the first largest input.
struct MaxOp {
    template <class Derived, class T, class In>
    struct bound : MergeBase<Derived, T, In, typename In::first> {
        using base = MergeBase<Derived, T, In, typename In::first>;
        static constexpr std::string_view lrp_rule_name = "winner takes all";

        void forward(const Batch<T>& x, Batch<T>& pre, Batch<T>& out) const {
            base::check(x, In::size, "joined input");
            pre.resize(0, 0);
            out = x.middleCols(0, In::sizes[0]);
            for (std::size_t k = 1; k < In::count; ++k) out = out.cwiseMax(x.middleCols(In::offsets[k], In::sizes[k]));
        }
        /// v_j goes to the first input holding the maximum at j, into `out` (its buffer reused).
        void backward_into(const Batch<T>& x, const Batch<T>& v, Batch<T>& out) const {
            base::check(x, In::size, "joined input");
            base::check(v, In::first::size, "gradient");
            out.setZero(x.rows(), In::size);
            for (Eigen::Index b = 0; b < x.rows(); ++b)
                for (int j = 0; j < In::first::size; ++j) {
                    std::size_t best = 0;
                    for (std::size_t k = 1; k < In::count; ++k)
                        if (x(b, In::offsets[k] + j) > x(b, In::offsets[best] + j)) best = k;
                    out(b, In::offsets[best] + j) = v(b, j);
                }
        }
        Batch<T> backward(const Batch<T>& x, const Batch<T>& v) const {
            Batch<T> out;
            backward_into(x, v, out);
            return out;
        }
        void lrp_backward_into(const Batch<T>& x, const Batch<T>& r, Batch<T>& out) const { backward_into(x, r, out); }
        Batch<T> lrp_backward(const Batch<T>& x, const Batch<T>& r) const { return backward(x, r); }
    };
};

}  // namespace detail

/// Keras Add: y = Σ_k x_k.
template <fixed_string Name, class InputNames>
using Add = detail::ElementwiseMerge<Name, InputNames, add_schema, detail::WeightedSumOp<detail::SumKind::add>>;
/// Keras Subtract: y = a − b.
template <fixed_string Name, class InputNames>
using Subtract =
    detail::ElementwiseMerge<Name, InputNames, subtract_schema, detail::WeightedSumOp<detail::SumKind::subtract>>;
/// Keras Average: y = (1/n) Σ_k x_k.
template <fixed_string Name, class InputNames>
using Average = detail::ElementwiseMerge<Name, InputNames, average_schema, detail::WeightedSumOp<detail::SumKind::average>>;
/// Keras Maximum: y = max_k x_k elementwise.
template <fixed_string Name, class InputNames>
using Maximum = detail::ElementwiseMerge<Name, InputNames, maximum_schema, detail::MaxOp>;

namespace detail {
template <class In, int A>
struct concat_geometry {
    static constexpr int rank = In::rank;
    static constexpr int axis = sample_axis(A, rank);
    static constexpr bool axis_ok = axis >= 0 && axis < rank;
    template <ShapeType S>
    static constexpr bool agrees() {
        if (S::rank != rank) return false;
        constexpr auto d = dims_of<S>(), d0 = dims_of<typename In::first>();
        for (int i = 0; i < rank; ++i)
            if (i != axis && d[static_cast<std::size_t>(i)] != d0[static_cast<std::size_t>(i)]) return false;
        return true;
    }
    /// Values before / after the axis in C order: outer blocks of [len_k × inner] per input.
    static constexpr int outer() {
        int o = 1;
        for (int i = 0; i < axis; ++i) o *= dims_of<typename In::first>()[static_cast<std::size_t>(i)];
        return o;
    }
    static constexpr int inner() {
        int o = 1;
        for (int i = axis + 1; i < rank; ++i) o *= dims_of<typename In::first>()[static_cast<std::size_t>(i)];
        return o;
    }
};

template <class In, int A, class Seq = std::make_index_sequence<In::count>>
struct concat_shape;
template <class In, int A, std::size_t... K>
struct concat_shape<In, A, std::index_sequence<K...>> {
    using G = concat_geometry<In, A>;
    static constexpr bool ok = (G::template agrees<typename In::template at<K>>() && ...);
    static constexpr int total = (dims_of<typename In::template at<K>>()[static_cast<std::size_t>(G::axis_ok ? G::axis : 0)] + ...);
    static constexpr std::array<int, 3> d = [] {
        auto r = dims_of<typename In::first>();
        r[static_cast<std::size_t>(G::axis_ok ? G::axis : 0)] = total;
        return r;
    }();
    using type = std::conditional_t<In::rank == 1, Shape<d[0]>,
                                    std::conditional_t<In::rank == 2, Shape<d[0], d[1]>, Shape<d[0], d[1], d[2]>>>;
};
}  // namespace detail

/// Keras Concatenate along `Ax` (Keras's axis: −1, the default, is the channel axis).
template <fixed_string Name, class InputNames, class Ax = Axis<-1>>
struct Concatenate {
    static constexpr std::string_view name = Name.view();
    static constexpr const KerasSchema& keras = concatenate_schema;
    static constexpr std::string_view keras_class = keras.keras_class;
    static constexpr auto input_names = InputNames::names;
    static void keras_values(KerasValues& v) { v.numbers("axis", {Ax::value}); }
    /// The axis counted both ways (3 and −1 are the same axis of an image): a file may write either.
    template <class In>
    static void keras_values_for(KerasValues& v) {
        const int a = detail::sample_axis(Ax::value, In::rank);
        v.numbers_any_of("axis", {double(a + 1), double(a - In::rank)});
    }

    template <class In>
    static constexpr bool check() {
        static_assert(detail::is_shape_list<In>::value, "a merge layer is declared with Inputs<\"a\", \"b\", ...>");
        static_assert(detail::concat_geometry<In, Ax::value>::axis_ok, "Concatenate: the axis is not an axis of the inputs");
        static_assert(detail::concat_shape<In, Ax::value>::ok,
                      "Concatenate: the inputs must have the same rank and agree on every axis but the concatenation axis");
        return true;
    }
    template <class In>
        requires(check<In>())
    using output_shape_for = typename detail::concat_shape<In, Ax::value>::type;

    template <class T, class In>
    struct layer : detail::MergeBase<layer<T, In>, T, In, output_shape_for<In>> {
        using base = detail::MergeBase<layer<T, In>, T, In, output_shape_for<In>>;
        using G = detail::concat_geometry<In, Ax::value>;
        static constexpr std::string_view name = Concatenate::name;
        static constexpr std::string_view keras_class = Concatenate::keras_class;
        static constexpr std::string_view lrp_rule_name = "slice per input";

        void forward(const Batch<T>& x, Batch<T>& pre, Batch<T>& out) const {
            base::check(x, In::size, "joined input");
            pre.resize(0, 0);
            out.resize(x.rows(), In::size);
            for_each_block([&](int from, int to, int len) { out.middleCols(to, len) = x.middleCols(from, len); });
        }
        /// Each input's slice of the gradient, into `out` (its buffer reused).
        void backward_linear_into(const Batch<T>& g, Batch<T>& out) const {
            base::check(g, In::size, "gradient");
            out.resize(g.rows(), In::size);
            for_each_block([&](int from, int to, int len) { out.middleCols(from, len) = g.middleCols(to, len); });
        }
        Batch<T> backward_linear(const Batch<T>& g) const {
            Batch<T> out;
            backward_linear_into(g, out);
            return out;
        }
        void lrp_backward_into(const Batch<T>& /*x*/, const Batch<T>& r, Batch<T>& out) const {
            backward_linear_into(r, out);
        }
        Batch<T> lrp_backward(const Batch<T>& /*x*/, const Batch<T>& r) const { return backward_linear(r); }

    private:
        /// f(from, to, len): `len` values of the joined row at `from` are the output's at `to`. In
        /// C order a sample is `outer` blocks, each holding every input's run along the axis.
        template <class F>
        static void for_each_block(F&& f) {
            constexpr int outer = G::outer();
            int to = 0;
            for (int o = 0; o < outer; ++o)
                for (std::size_t k = 0; k < In::count; ++k) {
                    const int len = In::sizes[k] / outer;
                    f(In::offsets[k] + o * len, to, len);
                    to += len;
                }
        }
    };
};

}  // namespace innspect
