#pragma once
// The real Keras 2.2.4 autoencoder of ../shared/keras/ (mayank31313/CNN-Autoencoder, model 12), as
// its model_config describes it: the encoder (and variants of it that differ from the file), the
// decoder, and both as one model. Shared by the tests that load those files.

#include <innspect/innspect.hpp>

namespace innspect::test::model12 {

inline constexpr Padding same = Padding::same, valid = Padding::valid;

template <class T, int W = 640, Padding P1 = same, int KW1 = 3>
using EncoderOf = Model<T, Input<360, W, 3>,                                                        //
                        Conv2D<"conv2d_1", 8, Kernel<3, KW1>, Linear, Strides<1, 1>, P1>,          //
                        Activation<"activation_1", Relu>,                                          //
                        AveragePooling2D<"average_pooling2d_1", PoolSize<2, 2>, void, same>,       //
                        Conv2D<"conv2d_2", 16, Kernel<3, 3>, Linear, Strides<1, 1>, same>,         //
                        Activation<"activation_2", Relu>,                                          //
                        AveragePooling2D<"average_pooling2d_2", PoolSize<2, 2>, void, same>,       //
                        Flatten<"flatten_1">>;
template <class T>
using Encoder = EncoderOf<T>;

template <class T>
using Decoder = Model<T, Input<230400>,                                                               //
                      Reshape<"reshape_1", Shape<90, 160, 16>>,                                     //
                      Conv2DTranspose<"conv2d_transpose_1", 16, Kernel<3, 3>, Linear, Strides<2, 2>, same>,  //
                      Activation<"activation_3", Relu>,                                             //
                      Conv2DTranspose<"conv2d_transpose_2", 3, Kernel<3, 3>, Linear, Strides<2, 2>, same>,   //
                      ReLU<"re_lu_1", 255.0>>;

/// The whole autoencoder of 12-autoencoder-weights.h5: the encoder's layers, then the decoder's
/// (in the file the decoder is the nested model model_2).
template <class T>
using Autoencoder = Model<T, Input<360, 640, 3>,                                                      //
                          Conv2D<"conv2d_1", 8, Kernel<3, 3>, Linear, Strides<1, 1>, same>,         //
                          Activation<"activation_1", Relu>,                                         //
                          AveragePooling2D<"average_pooling2d_1", PoolSize<2, 2>, void, same>,      //
                          Conv2D<"conv2d_2", 16, Kernel<3, 3>, Linear, Strides<1, 1>, same>,        //
                          Activation<"activation_2", Relu>,                                         //
                          AveragePooling2D<"average_pooling2d_2", PoolSize<2, 2>, void, same>,      //
                          Flatten<"flatten_1">,                                                     //
                          Reshape<"reshape_1", Shape<90, 160, 16>>,                                 //
                          Conv2DTranspose<"conv2d_transpose_1", 16, Kernel<3, 3>, Linear, Strides<2, 2>, same>,  //
                          Activation<"activation_3", Relu>,                                         //
                          Conv2DTranspose<"conv2d_transpose_2", 3, Kernel<3, 3>, Linear, Strides<2, 2>, same>,   //
                          ReLU<"re_lu_1", 255.0>>;

}  // namespace innspect::test::model12
