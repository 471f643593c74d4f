#pragma once
/// \file
/// How a 1D layer reuses its 2D counterpart. A sequence `Shape<S, C>` is stored as the image
/// `Shape<1, S, C>` (height 1), so a 1D pooling, upsampling, padding or cropping layer is the 2D
/// layer with sizes (1, n) bound to that image: the same forward, gradient and LRP rule (design.md
/// §5: "as their 2D counterparts"), with the 1D layer's own Keras class and shapes. The linear 1D
/// layers share the 2D bound layers the same way (detail::ConvLayer, detail::ConvTransposeLayer).

#include <string_view>

#include "innspect/core/shape.hpp"

namespace innspect::detail {

/// The image a shape is stored as: (h, w, c); a sequence (S, C) is (1, S, C).
template <ShapeType In>
using image_of = Shape<In::h, In::w, In::c>;

/// The layer `Spec1D` declares: `Spec2D`'s layer on the image of the sequence `In`, with Spec1D's
/// Keras class and output shape (`Spec1D::output_shape_for<In>`, as many values as Spec2D's).
template <class Spec1D, class Spec2D, class T, ShapeType In>
struct SequenceLayer : Spec2D::template layer<T, image_of<In>> {
    // (The rank is checked by Spec1D::output_shape_for, with the layer's name in the message.)
    static constexpr std::string_view keras_class = Spec1D::keras_class;
    using input_shape = In;
    using output_shape = typename Spec1D::template output_shape_for<In>;
    static_assert(In::rank != 2 ||
                      output_shape::size == Spec2D::template layer<T, image_of<In>>::output_shape::size,
                  "SequenceLayer: the 1D and 2D output shapes hold different numbers of values");
};

}  // namespace innspect::detail
