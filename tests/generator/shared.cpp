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

#include "support/model12.hpp"

#include <gen_shared12.hpp>
#include <gen_shared12_encoder.hpp>

using namespace innspect;
namespace fs = std::filesystem;

// The hand-written declarations the generated ones must equal: tests/support/model12.hpp.
using test::model12::Autoencoder;
using test::model12::Encoder;

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
