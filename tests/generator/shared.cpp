// The generator on the real Keras 2.2.4 files of ../shared/keras/ (mayank31313/CNN-Autoencoder,
// model 12): built and run by generator.shared only when that folder exists (run_shared.cmake).
// The generated encoder and encoder + decoder are the types tests/hdf5/real_keras_models.cpp
// writes by hand from the files' configs, and load both files with their architecture checked.

#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <type_traits>

#include <innspect/innspect.hpp>
#include <innspect/io/keras_model.hpp>

#include <gen_shared12.hpp>
#include <gen_shared12_encoder.hpp>

using namespace innspect;
namespace fs = std::filesystem;

namespace {

constexpr Padding same = Padding::same;

template <class T>
using Encoder = Model<T, Input<360, 640, 3>,                                                      //
                      Conv2D<"conv2d_1", 8, Kernel<3, 3>, Linear, Strides<1, 1>, same>,          //
                      Activation<"activation_1", Relu>,                                          //
                      AveragePooling2D<"average_pooling2d_1", PoolSize<2, 2>, void, same>,       //
                      Conv2D<"conv2d_2", 16, Kernel<3, 3>, Linear, Strides<1, 1>, same>,         //
                      Activation<"activation_2", Relu>,                                          //
                      AveragePooling2D<"average_pooling2d_2", PoolSize<2, 2>, void, same>,       //
                      Flatten<"flatten_1">>;

template <class T>
using Autoencoder = Model<T, Input<360, 640, 3>,                                                      //
                          Conv2D<"conv2d_1", 8, Kernel<3, 3>, Linear, Strides<1, 1>, same>,          //
                          Activation<"activation_1", Relu>,                                          //
                          AveragePooling2D<"average_pooling2d_1", PoolSize<2, 2>, void, same>,       //
                          Conv2D<"conv2d_2", 16, Kernel<3, 3>, Linear, Strides<1, 1>, same>,         //
                          Activation<"activation_2", Relu>,                                          //
                          AveragePooling2D<"average_pooling2d_2", PoolSize<2, 2>, void, same>,       //
                          Flatten<"flatten_1">,                                                      //
                          Reshape<"reshape_1", Shape<90, 160, 16>>,                                  //
                          Conv2DTranspose<"conv2d_transpose_1", 16, Kernel<3, 3>, Linear, Strides<2, 2>, same>,  //
                          Activation<"activation_3", Relu>,                                          //
                          Conv2DTranspose<"conv2d_transpose_2", 3, Kernel<3, 3>, Linear, Strides<2, 2>, same>,   //
                          ReLU<"re_lu_1", 255.0>>;

}  // namespace

TEST_CASE("12-encoder.h5 + 12-decoder.h5: generated = hand-written, loads with the architecture checked") {
    static_assert(std::is_same_v<gen::Real12Encoder<float>, Encoder<float>>);
    static_assert(std::is_same_v<gen::Real12<float>, Autoencoder<float>>);
    const fs::path dir = INNSPECT_SHARED_KERAS_DIR;
    gen::Real12<float> m;
    const auto rep = io::load_keras_model(m, {dir / "12-encoder.h5", dir / "12-decoder.h5"});
    bool encoder_checked = false, decoder_checked = false;
    for (const auto& n : rep.notes) {
        encoder_checked |= n.find("12-encoder.h5': architecture: 7 layers match") != std::string::npos;
        decoder_checked |= n.find("12-decoder.h5': architecture: 5 layers match") != std::string::npos;
    }
    CHECK(encoder_checked);
    CHECK(decoder_checked);
    Batch<float> x = Batch<float>::Random(1, 360 * 640 * 3);
    const auto y = m.forward(x).out.back();
    CHECK(y.allFinite());
    CHECK(y.minCoeff() >= 0.0f);  // the decoder ends in ReLU(max_value=255)
    CHECK(y.maxCoeff() <= 255.0f);
}
