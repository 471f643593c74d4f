#pragma once
/// \file
/// Keras `RepeatVector(n)`: a vector (F,) repeated n times, giving the sequence (n, F).
///
///   input  row b:  [ x_0 .. x_{F-1} ]
///   output row b:  [ x_0 .. x_{F-1} | x_0 .. x_{F-1} | ... ]      n copies, step-major (Keras (n, F))
///
/// It changes the number of values, so relevance cannot pass through: gradient and relevance are
/// summed over the copies (design.md §5), R_f = Σ_k R_{k,f}, which conserves Σ R exactly.

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
inline constexpr KerasField repeat_vector_fields[] = {{.key = "n"}};
}  // namespace detail
/// Keras's RepeatVector config.
inline constexpr KerasSchema repeat_vector_schema{"RepeatVector", detail::repeat_vector_fields, false, {}};

/// Keras RepeatVector(n): (F,) → (n, F), a `Shape<N, F>` sequence.
template <fixed_string Name, int N>
struct RepeatVector {
    static_assert(N > 0, "RepeatVector: n must be positive");
    static constexpr std::string_view name = Name.view();
    static constexpr const KerasSchema& keras = repeat_vector_schema;
    static constexpr std::string_view keras_class = keras.keras_class;
    static void keras_values(KerasValues& v) { v.numbers("n", {N}); }
    static constexpr int n = N;

    template <ShapeType In>
    static constexpr bool check() {
        static_assert(In::rank == 1, "RepeatVector needs a vector input (features,)");
        return true;
    }
    template <ShapeType In>
        requires(check<In>())
    using output_shape_for = Shape<N, In::size>;

    template <class T, ShapeType In>
    struct layer : detail::IndexMapLayer<T, In, output_shape_for<In>, layer<T, In>> {
        static constexpr std::string_view name = RepeatVector::name;
        static constexpr std::string_view keras_class = RepeatVector::keras_class;
        // Copy k of feature f reads f; moving back sums the n copies (conserves Σ R).
        static constexpr std::string_view lrp_rule_name = "sum over the copies";
        static constexpr int n = N;
        static int source(int k) { return k % In::size; }
    };
};

}  // namespace innspect
