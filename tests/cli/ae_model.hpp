#pragma once
/// \file
/// The autoencoder of the Keras 3 fixtures (tests/data/keras3/ae.*, made by
/// tests/reference/make_keras3_fixtures.py), declared for the command-line tests of
/// innspect::cli::main<Net>.

#include <innspect/innspect.hpp>

namespace innspect::test {

template <class T>
using AE = Model<T, Input<8, 8, 1>,                                                           //
                 Conv2D<"enc_conv1", 4, Kernel<3, 3>, Relu, Strides<1, 1>, Padding::same>,        //
                 BatchNormalization<"enc_bn", 1e-3, true, false>,                                 //
                 Conv2D<"enc_conv2", 2, Kernel<3, 3>, Relu, Strides<2, 2>, Padding::same>,        //
                 Flatten<"flat">,                                                                 //
                 Dense<"code", 6>,                                                                //
                 Dense<"dec_dense", 32, Relu, false>,                                             //
                 Reshape<"unflat", Shape<4, 4, 2>>,                                               //
                 Conv2DTranspose<"dec_up", 4, Kernel<3, 3>, Relu, Strides<2, 2>, Padding::same>,  //
                 Conv2D<"dec_out", 1, Kernel<3, 3>, Sigmoid, Strides<1, 1>, Padding::same>>;

}  // namespace innspect::test
