// A user's program: the public header and the innspect::innspect target are all it needs.
#include <innspect/innspect.hpp>

#include <cstdio>

#ifdef CONSUMER_WITH_HDF5
#include <hdf5.h>
#include <innspect/io/keras_h5.hpp>
#endif
#ifdef CONSUMER_KERAS_FILE
#include <innspect/io/keras_config.hpp>
#endif

int main() {
    innspect::Batch<float> batch = innspect::Batch<float>::Zero(2, 3);
    innspect::require_finite(batch, "consumer");
    if (batch.size() != 6) {
        std::puts("unexpected batch size");
        return 1;
    }
#ifdef CONSUMER_WITH_HDF5
    unsigned major = 0, minor = 0, release = 0;
    if (H5get_libversion(&major, &minor, &release) < 0) return 1;
    std::printf("linked HDF5 %u.%u.%u\n", major, minor, release);
#endif
#ifdef CONSUMER_KERAS_FILE
    // tests/data/keras3/ae.keras (tests/reference/make_keras3_fixtures.py)
    using namespace innspect;
    using AE = Model<float, Input<8, 8, 1>, Conv2D<"enc_conv1", 4, Kernel<3, 3>, Relu, Strides<1, 1>, Padding::same>,
                     BatchNormalization<"enc_bn", 1e-3, true, false>,
                     Conv2D<"enc_conv2", 2, Kernel<3, 3>, Relu, Strides<2, 2>, Padding::same>, Flatten<"flat">,
                     Dense<"code", 6>, Dense<"dec_dense", 32, Relu, false>, Reshape<"unflat", Shape<4, 4, 2>>,
                     Conv2DTranspose<"dec_up", 4, Kernel<3, 3>, Relu, Strides<2, 2>, Padding::same>,
                     Conv2D<"dec_out", 1, Kernel<3, 3>, Sigmoid, Strides<1, 1>, Padding::same>>;
    AE ae;
    const auto report = io::load_keras_model(ae, CONSUMER_KERAS_FILE);
    std::printf("loaded %zu layers from %s\n", report.loaded.size(), CONSUMER_KERAS_FILE);
    if (report.loaded.size() != 7) return 1;
#endif
    std::puts("ok");
    return 0;
}
