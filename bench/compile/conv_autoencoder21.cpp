// Compile-time benchmark program 2 (bench/compile_time.sh): a 21-layer convolutional autoencoder
// (21 layers after the input) declared with the library's layer types, loaded from a Keras HDF5
// file with io::load_keras_model (architecture check + weights), explained with one LRP rule
// (ε = 0.1) on one input. It only has to compile: no weight file ships with it. Run with a file
// (`conv_autoencoder21 weights.h5`) it loads and explains; without one it explains the
// zero-initialised model.
//
// It includes the umbrella header and io/keras_model.hpp (load_keras_model), so it depends on the
// library's include/ only. bench/compile_time.sh compiles it twice: header-only, and as
// `conv_autoencoder21_compiled` with -DINNSPECT_KERAS_COMPILED, as a program linking
// innspect::keras_compiled is (the loading code then comes from that library).

#include <cstdio>
#include <exception>

#include <innspect/innspect.hpp>
#include <innspect/io/keras_model.hpp>

namespace ins = innspect;

namespace {

using T = float;
constexpr ins::Padding same = ins::Padding::same;

using ConvAutoencoder21 =
    ins::Model<T, ins::Input<64, 64, 1>,
               // encoder: 64×64×1 → 8×8×32 → 64
               ins::Conv2D<"enc_conv1", 16, ins::Kernel<3, 3>, ins::Relu, ins::Strides<1, 1>, same>,        //  1 64×64×16
               ins::BatchNormalization<"enc_bn1">,                                                          //  2
               ins::MaxPooling2D<"enc_pool1", ins::PoolSize<2, 2>>,                                         //  3 32×32×16
               ins::Conv2D<"enc_conv2", 32, ins::Kernel<3, 3>, ins::Linear, ins::Strides<2, 2>, same>,      //  4 16×16×32
               ins::BatchNormalization<"enc_bn2">,                                                          //  5
               ins::Activation<"enc_act2", ins::Relu>,                                                      //  6
               ins::MaxPooling2D<"enc_pool2", ins::PoolSize<2, 2>>,                                         //  7 8×8×32
               ins::Dropout<"enc_dropout", 0.25>,                                                           //  8
               ins::Flatten<"enc_flatten">,                                                                 //  9 2048
               ins::Dense<"latent", 64, ins::Relu>,                                                         // 10 64
               // decoder: 64 → 8×8×32 → 64×64×1
               ins::Dense<"dec_dense", 2048, ins::Relu>,                                                    // 11 2048
               ins::Reshape<"dec_reshape", ins::Shape<8, 8, 32>>,                                           // 12 8×8×32
               ins::UpSampling2D<"dec_up1", ins::UpSize<2, 2>>,                                             // 13 16×16×32
               ins::Conv2DTranspose<"dec_deconv1", 32, ins::Kernel<3, 3>, ins::Relu, ins::Strides<1, 1>, same>,  // 14 16×16×32
               ins::BatchNormalization<"dec_bn1">,                                                          // 15
               ins::Conv2DTranspose<"dec_deconv2", 16, ins::Kernel<3, 3>, ins::Relu, ins::Strides<2, 2>, same>,  // 16 32×32×16
               ins::UpSampling2D<"dec_up2", ins::UpSize<2, 2>>,                                             // 17 64×64×16
               ins::Conv2D<"dec_conv3", 16, ins::Kernel<3, 3>, ins::Relu, ins::Strides<1, 1>, same>,        // 18 64×64×16
               ins::BatchNormalization<"dec_bn2">,                                                          // 19
               ins::SpatialDropout2D<"dec_dropout", 0.1>,                                                   // 20
               ins::Conv2D<"reconstruction", 1, ins::Kernel<3, 3>, ins::Sigmoid, ins::Strides<1, 1>, same>>;  // 21 64×64×1

}  // namespace

int main(int argc, char** argv) {
    try {
        ConvAutoencoder21 model;
        if (argc > 1) {
            const ins::io::LoadReport rep = ins::io::load_keras_model(model, argv[1]);
            for (const auto& note : rep.notes) std::printf("%s\n", note.c_str());
        }
        const ins::Batch<T> x = ins::Batch<T>::Random(1, 64 * 64).cwiseAbs();
        const auto e = ins::lrp(model, ins::Epsilon(0.1))
                           .explain(x, ins::target<T>("latent", ins::select::max<T>()));
        std::printf("LRP-epsilon(0.1) of the largest latent unit: sum of relevance %g\n",
                    static_cast<double>(e.relevance.sum()));
    } catch (const std::exception& ex) {
        std::fprintf(stderr, "conv_autoencoder21: %s\n", ex.what());
        return 1;
    }
    return 0;
}
