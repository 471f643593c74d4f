#pragma once
/// \file
/// The seed model of design.md §7: a Keras autoencoder with a classifier head for connectome
/// matrices of W regions (input W×W×1), declared once for any scalar T and width W. The command
/// line program, the benchmarks and the tests all use this declaration; the layer names are the
/// Keras names, so weight files and targets refer to them.
///
///   input_1     (W, W, 1)
///   conv1       Conv2D(32, (1, W), valid, selu)            → (W, 1, 32)
///   dropout1    SpatialDropout2D                           → (W, 1, 32)
///   conv2       Conv2D(64, (W, 1), valid, selu)            → (1, 1, 64)
///   dropout2    Dropout                                    → (1, 1, 64)  the latent code ("encoded")
///   reshape1    Reshape((64,))                             → (64,)
///   dense1      Dense(64, selu)                            → (64,)
///   output      Dense(2, softmax)                          → (2,)        the classifier output
///   dense2      Dense(64, selu), reads `output`            → (64,)
///   reshape2    Reshape((1, 1, 64))                        → (1, 1, 64)
///   conv3       Conv2DTranspose(64, (1, 1), valid, selu)   → (1, 1, 64)
///   conv4       Conv2DTranspose(32, (W, 1), valid, selu)   → (W, 1, 32)
///   autoencoder Conv2DTranspose(1, (1, W), valid, tanh)    → (W, W, 1)   the reconstruction
///
/// The dropout rates (0.2) only document the Keras model: dropout is the identity at inference.

#include <innspect/innspect.hpp>

namespace innspect::seed {

/// The seed model with its decoder (`dense2`) reading the layer `DecoderInput`.
template <class T, int W, fixed_string DecoderInput>
using SeedModelReading = Model<T, Input<W, W, 1>,                                   //
                               Conv2D<"conv1", 32, Kernel<1, W>, Selu>,              //
                               SpatialDropout2D<"dropout1", 0.2>,                    //
                               Conv2D<"conv2", 64, Kernel<W, 1>, Selu>,              //
                               Dropout<"dropout2", 0.2>,                             //
                               Reshape<"reshape1", Shape<64>>,                       //
                               Dense<"dense1", 64, Selu>,                            //
                               Dense<"output", 2, Softmax>,                          //
                               From<DecoderInput, Dense<"dense2", 64, Selu>>,        //
                               Reshape<"reshape2", Shape<1, 1, 64>>,                 //
                               Conv2DTranspose<"conv3", 64, Kernel<1, 1>, Selu>,     //
                               Conv2DTranspose<"conv4", 32, Kernel<W, 1>, Selu>,     //
                               Conv2DTranspose<"autoencoder", 1, Kernel<1, W>, Tanh>>;

/// The decoder reads the classifier output (`dense2` reads `output`): a chain with three read-out
/// points (latent code, logits, reconstruction).
template <class T, int W>
using SeedModel = SeedModelReading<T, W, "output">;

/// The variant with two heads on one trunk: the decoder reads the latent code (`dense2` reads
/// `reshape1`), the classifier is a separate head (tests/data/forward/seed16_latent).
template <class T, int W>
using SeedModelTwoHeads = SeedModelReading<T, W, "reshape1">;

}  // namespace innspect::seed
