#pragma once
/// \file
/// The seed model of design.md §7 at W = 16, layer names exactly as Keras names them, and its
/// variant whose decoder reads the latent code (two heads on one trunk).

#include <innspect/innspect.hpp>

namespace innspect::test {

/// seed16: the decoder's dense2 reads `output` (the declaration before it).
template <class T>
using Seed16 = Model<T, Input<16, 16, 1>,                            //
                     Conv2D<"conv1", 32, Kernel<1, 16>, Selu>,        //
                     SpatialDropout2D<"dropout1", 0.2>,               //
                     Conv2D<"conv2", 64, Kernel<16, 1>, Selu>,        //
                     Dropout<"dropout2", 0.2>,                        //
                     Reshape<"reshape1", Shape<64>>,                  //
                     Dense<"dense1", 64, Selu>,                       //
                     Dense<"output", 2, Softmax>,                     //
                     Dense<"dense2", 64, Selu>,                       //
                     Reshape<"reshape2", Shape<1, 1, 64>>,            //
                     Conv2DTranspose<"conv3", 64, Kernel<1, 1>, Selu>,  //
                     Conv2DTranspose<"conv4", 32, Kernel<16, 1>, Selu>,  //
                     Conv2DTranspose<"autoencoder", 1, Kernel<1, 16>, Tanh>>;

/// seed16_latent: dense2 reads the latent code `reshape1`.
template <class T>
using Seed16Latent = Model<T, Input<16, 16, 1>,                            //
                           Conv2D<"conv1", 32, Kernel<1, 16>, Selu>,        //
                           SpatialDropout2D<"dropout1", 0.2>,               //
                           Conv2D<"conv2", 64, Kernel<16, 1>, Selu>,        //
                           Dropout<"dropout2", 0.2>,                        //
                           Reshape<"reshape1", Shape<64>>,                  //
                           Dense<"dense1", 64, Selu>,                       //
                           Dense<"output", 2, Softmax>,                     //
                           From<"reshape1", Dense<"dense2", 64, Selu>>,     //
                           Reshape<"reshape2", Shape<1, 1, 64>>,            //
                           Conv2DTranspose<"conv3", 64, Kernel<1, 1>, Selu>,  //
                           Conv2DTranspose<"conv4", 32, Kernel<16, 1>, Selu>,  //
                           Conv2DTranspose<"autoencoder", 1, Kernel<1, 16>, Tanh>>;

}  // namespace innspect::test
