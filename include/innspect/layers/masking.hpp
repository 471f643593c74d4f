#pragma once
/// \file
/// Keras `Masking(mask_value)`: marks a step of a sequence as padding when every feature of it
/// equals mask_value, mask_b,t = ∀f: x_{b,t,f} = mask_value (Keras compares over the last axis, so
/// an image's "step" is a pixel, a vector's the whole sample). Keras then zeroes those steps and
/// the recurrent layers after it skip them, carrying their state over.
///
/// innspect runs no masks: on an input with no masked step Masking is the identity, which is all
/// Keras computes then too; on an input with a masked step the model Keras runs is a different
/// one, so the forward pass refuses it (value_error naming the layer, the sample and the step)
/// instead of explaining a computation Keras does not do. Relevance and gradient pass through.

#include <cstddef>
#include <sstream>
#include <string>
#include <string_view>

#include "innspect/core/errors.hpp"
#include "innspect/core/fixed_string.hpp"
#include "innspect/core/shape.hpp"
#include "innspect/core/tensor.hpp"
#include "innspect/layers/activation_functions.hpp"
#include "innspect/layers/keras_schema.hpp"
#include "innspect/layers/pass_through_base.hpp"

namespace innspect {

namespace detail {
inline constexpr KerasField masking_fields[] = {{.key = "mask_value", .has_fallback = true, .fallback = {0.0}}};
}  // namespace detail
/// Keras's Masking config.
inline constexpr KerasSchema masking_schema{"Masking", detail::masking_fields, false, {}};

/// Keras Masking(mask_value): the identity on inputs with no masked step; an input with one is a
/// value_error (innspect runs no masks).
template <fixed_string Name, double MaskValue = 0.0>
struct Masking {
    static constexpr std::string_view name = Name.view();
    static constexpr const KerasSchema& keras = masking_schema;
    static constexpr std::string_view keras_class = keras.keras_class;
    static void keras_values(KerasValues& v) { v.numbers("mask_value", {MaskValue}); }
    static constexpr double mask_value = MaskValue;

    template <ShapeType In>
    using output_shape_for = In;

    template <class T, ShapeType In>
    struct layer : detail::PassThroughBase<layer<T, In>, T, Linear, In> {
        static constexpr std::string_view name = Masking::name;
        static constexpr std::string_view keras_class = Masking::keras_class;
        using input_shape = In;
        using output_shape = In;

        /// Keras compares in the input's type (a float32 model masks x == float(mask_value)).
        void forward(const Batch<T>& x, Batch<T>& pre, Batch<T>& out) const {
            if (x.cols() == In::size) refuse_masked_steps(x);
            detail::PassThroughBase<layer<T, In>, T, Linear, In>::forward(x, pre, out);
        }

    private:
        static void refuse_masked_steps(const Batch<T>& x) {
            const T m = static_cast<T>(MaskValue);
            constexpr int steps = In::size / In::c;
            for (Eigen::Index b = 0; b < x.rows(); ++b)
                for (int t = 0; t < steps; ++t)
                    if ((x.row(b).segment(Eigen::Index{t} * In::c, In::c).array() == m).all()) throw masked(b, t);
        }
        static value_error masked(Eigen::Index b, int t) {
            std::ostringstream os;
            os << name << " (Masking): sample " << b << ", " << position(t) << ": every feature equals mask_value "
               << MaskValue << ", so Keras would mask it (zero it, and the recurrent layers after it would skip it); "
               << "innspect runs no masks and refuses the input rather than explain another computation "
               << "(samples and steps count from 0; see README, Padded sequences)";
            return value_error(os.str());
        }
        static std::string position(int t) {
            if constexpr (In::rank == 1) return "all features";
            else if constexpr (In::rank == 2) return "step " + std::to_string(t);
            else return "pixel (" + std::to_string(t / In::w) + ", " + std::to_string(t % In::w) + ")";
        }
    };
};

}  // namespace innspect
