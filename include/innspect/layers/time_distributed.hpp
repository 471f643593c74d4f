#pragma once
/// \file
/// Keras `TimeDistributed(Dense(...))` on a sequence Shape<steps, features>: the wrapped layer
/// applied to every step with the same weights. innspect's Dense already acts on the last axis of
/// a sequence, one GEMM for all steps, so the wrapper is the Dense under the wrapper's name and
/// Keras class (the name weights load by; tf.keras stores them as "time_distributed/kernel:0"):
///
///   TimeDistributed<"time_distributed", Dense<"dense", 8>>
///
/// Everything else — the rule a composite picks (it is a dense layer), apply / apply_transposed,
/// the gradient, batch-norm merging — is the Dense's. Wrapping layers that do not act per step
/// on the last axis (convolutions) is not supported yet: a static_assert says so.

#include <string_view>
#include <vector>

#include "innspect/core/concepts.hpp"
#include "innspect/core/fixed_string.hpp"
#include "innspect/core/shape.hpp"
#include "innspect/layers/keras_schema.hpp"

namespace innspect {

namespace detail {
/// The wrapped layer: its class and its own fields (`layer.units`, `layer.activation`, ...).
inline constexpr KerasField time_distributed_fields[] = {{.key = "layer", .type = FieldType::raw, .wrapped = true}};

}  // namespace detail
/// Keras's TimeDistributed config.
inline constexpr KerasSchema time_distributed_schema{"TimeDistributed", detail::time_distributed_fields, false, {}};

/// Keras TimeDistributed around a layer acting on the last axis (Dense, Activation, Dropout).
template <fixed_string Name, LayerSpec Inner>
struct TimeDistributed {
    static_assert(Inner::keras_class == "Dense" || Inner::keras_class == "Activation" || Inner::keras_class == "Dropout",
                  "TimeDistributed: only Dense, Activation and Dropout can be wrapped so far");
    static constexpr std::string_view name = Name.view();
    static constexpr const KerasSchema& keras = time_distributed_schema;
    static constexpr std::string_view keras_class = keras.keras_class;
    static void keras_values(KerasValues& v) {
        KerasValues inner;
        Inner::keras_values(inner);
        v.wrapped("layer", Inner::keras_class, inner);
    }

    template <ShapeType In>
    static constexpr bool check() {
        static_assert(In::rank == 2, "TimeDistributed: the input must be a sequence Shape<steps, features>");
        return true;
    }
    template <ShapeType In>
        requires(check<In>())
    using output_shape_for = typename Inner::template output_shape_for<In>;

    /// The wrapped layer, under the wrapper's name and class.
    template <class T, ShapeType In>
    struct layer : Inner::template layer<T, In> {
        static constexpr std::string_view name = TimeDistributed::name;
        static constexpr std::string_view keras_class = TimeDistributed::keras_class;
    };
};

}  // namespace innspect
