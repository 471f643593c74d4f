// The real Keras 2.2.4 files of INNSPECT_SHARED_DIR/keras/ (mayank31313/CNN-Autoencoder, model 12;
// see its README.md) declared in C++, loaded through the architecture check, run, compared with an
// independent numpy forward of the same weights, and explained with LRP-epsilon.
//
// The numpy side is tests/reference/make_layer4_fixtures.py (make_real): it reads the files with
// h5py, runs tests/reference/keras_numpy.py in float64 on fixed random inputs, and stores in
// tests/data/forward4/real12/ the inputs (raw bytes), per-layer output statistics
// [sum, sum |y|, max, min] and a strided subsample of each model's output.
//
// Without the shared folder these tests pass with a MESSAGE saying they were skipped.

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <unistd.h>

#include <innspect/innspect.hpp>
#include <innspect/io/keras_config.hpp>
#include <innspect/io/keras_h5.hpp>
#include <innspect/io/npy.hpp>

#include "support/model12.hpp"

using namespace innspect;
using namespace innspect::test::model12;
namespace fs = std::filesystem;

namespace {

fs::path keras_dir() {
    const fs::path dir = fs::path(INNSPECT_SHARED_DIR) / "keras";
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
        MESSAGE("skipped: no real Keras files at ", dir.string());
        return {};
    }
    return dir;
}

fs::path fixtures() { return fs::path(INNSPECT_TEST_DATA_DIR) / "forward4" / "real12"; }

// ---- fixtures -----------------------------------------------------------------------------------

/// A raw byte file as one batch row, value = scale · byte.
template <class T>
Batch<T> read_u8(const fs::path& p, Eigen::Index n, double scale) {
    std::ifstream in(p, std::ios::binary);
    REQUIRE_MESSAGE(in.good(), "cannot open " << p.string());
    const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    REQUIRE(static_cast<Eigen::Index>(bytes.size()) == n);
    Batch<T> b(1, n);
    for (Eigen::Index i = 0; i < n; ++i) b(0, i) = static_cast<T>(scale * static_cast<unsigned char>(bytes[static_cast<std::size_t>(i)]));
    return b;
}

/// Every layer's output statistics and the sampled final output against the numpy forward.
/// |a − e| ≤ rtol · max(1, |e|) (sums: relative to Σ|y|, which a sum can cancel down from).
template <class T>
void compare_with_numpy(const Trace<T>& tr, const std::string& model, double rtol) {
    const auto stats = io::read_npy<double>(fixtures() / (model + ".stats.npy"));
    REQUIRE(stats.shape == std::vector<std::int64_t>{static_cast<std::int64_t>(tr.out.size()), 4});
    for (std::size_t l = 0; l < tr.out.size(); ++l) {
        const Batch<double> y = tr.out[l].template cast<double>();
        const double* e = &stats.data[4 * l];
        INFO(model << " layer " << tr.layers[l].name << ": numpy [sum, sum|y|, max, min] = [" << e[0] << ", " << e[1]
                   << ", " << e[2] << ", " << e[3] << "], C++ [" << y.sum() << ", " << y.cwiseAbs().sum() << ", "
                   << y.maxCoeff() << ", " << y.minCoeff() << "]");
        CHECK(std::abs(y.sum() - e[0]) <= rtol * std::max(1.0, e[1]));
        CHECK(std::abs(y.cwiseAbs().sum() - e[1]) <= rtol * std::max(1.0, e[1]));
        CHECK(std::abs(y.maxCoeff() - e[2]) <= rtol * std::max(1.0, std::abs(e[2])));
        CHECK(std::abs(y.minCoeff() - e[3]) <= rtol * std::max(1.0, std::abs(e[3])));
    }
    const auto idx = io::read_npy<double>(fixtures() / (model + ".index.npy"));
    const auto val = io::read_npy<double>(fixtures() / (model + ".values.npy"));
    REQUIRE(idx.data.size() == val.data.size());
    REQUIRE(idx.data.size() > 1000);
    const Batch<T>& out = tr.out.back();
    double worst = 0;
    std::size_t worst_k = 0;
    for (std::size_t k = 0; k < idx.data.size(); ++k) {
        const auto i = static_cast<Eigen::Index>(idx.data[k]);
        REQUIRE(i < out.cols());
        const double r = std::abs(static_cast<double>(out(0, i)) - val.data[k]) / std::max(1.0, std::abs(val.data[k]));
        if (r > worst) {
            worst = r;
            worst_k = k;
        }
    }
    INFO(model << ": worst sampled output " << idx.data[worst_k] << ": C++ "
               << static_cast<double>(out(0, static_cast<Eigen::Index>(idx.data[worst_k]))) << ", numpy "
               << val.data[worst_k]);
    CHECK(worst <= rtol);
}

/// What a conservation report must satisfy whatever the model: finite everywhere, consecutive
/// rows chained, the budget adding up, value-moving layers conserving.
void check_report(const ConservationReport& rep) {
    REQUIRE_FALSE(rep.layers.empty());
    CHECK(std::isfinite(rep.initial));
    CHECK(std::isfinite(rep.final));
    double taken = 0;
    for (std::size_t i = 0; i < rep.layers.size(); ++i) {
        const auto& r = rep.layers[i];
        INFO("row " << r.layer << " (" << r.rule << ")");
        CHECK(std::isfinite(r.relevance_out));
        CHECK(std::isfinite(r.relevance_in));
        CHECK(std::isfinite(r.bias_absorbed));
        CHECK(std::isfinite(r.stabilizer_lost));
        CHECK(r.relevance_out != 0.0);
        if (i + 1 < rep.layers.size()) CHECK(r.relevance_in == doctest::Approx(rep.layers[i + 1].relevance_out).epsilon(1e-12));
        if (r.rule == "pass-through") CHECK(r.relevance_in == r.relevance_out);
        if (r.rule == "proportional") CHECK(r.relevance_in == doctest::Approx(r.relevance_out).epsilon(1e-6));
        taken += r.bias_absorbed + r.stabilizer_lost;
    }
    CHECK(rep.initial == doctest::Approx(rep.layers.front().relevance_out).epsilon(1e-12));
    CHECK(rep.final == doctest::Approx(rep.layers.back().relevance_in).epsilon(1e-12));
    CHECK(rep.initial - rep.final == doctest::Approx(taken).epsilon(1e-9).scale(std::abs(rep.initial)));
}

bool has_note(const std::vector<std::string>& notes, const std::string& part) {
    for (const auto& n : notes)
        if (n.find(part) != std::string::npos) return true;
    return false;
}

std::string lines(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& l : v) s += l + "\n";
    return s;
}

}  // namespace

TEST_CASE("12-encoder.h5: architecture check, load, forward vs numpy, LRP-epsilon") {
    const fs::path dir = keras_dir();
    if (dir.empty()) return;
    Encoder<double> m;
    const auto load = io::load_keras_model(m, dir / "12-encoder.h5");
    CHECK(has_note(load.notes, "architecture: 7 layers match the model_config (Keras Model 'model_1')"));
    CHECK(load.loaded == std::vector<std::string>{"conv2d_1", "conv2d_2"});

    const Batch<double> x = read_u8<double>(fixtures() / "encoder_input.u8", 360 * 640 * 3, 1.0);
    const auto tr = m.forward(x);
    compare_with_numpy(tr, "encoder", 1e-9);

    // LRP-epsilon of the whole code (flatten_1, all units): R⁰ = the code itself.
    const auto e = lrp(m, Epsilon(0.1)).explain(tr, target<double>("flatten_1", select::all<double>()));
    CHECK(e.relevance.allFinite());
    CHECK(e.shape == std::vector<std::int64_t>{360, 640, 3});
    check_report(e.report);
    const auto stats = io::read_npy<double>(fixtures() / "encoder.stats.npy");
    CHECK(e.report.initial == doctest::Approx(stats.data[4 * 6]).epsilon(1e-9));  // Σ of the code, numpy's
    REQUIRE(e.report.layers.size() == 7);
    const std::vector<std::string> rules = {"pass-through", "proportional", "pass-through", "epsilon(0.1)",
                                            "proportional", "pass-through", "epsilon(0.1)"};
    for (std::size_t i = 0; i < rules.size(); ++i) CHECK(e.report.layers[i].rule == rules[i]);
    // Inputs are pixel values >= 0 and the code is a sum of ReLU outputs: what the biases and
    // epsilon take stays a moderate part of each convolution's relevance.
    for (const auto* name : {"conv2d_1", "conv2d_2"})
        for (const auto& r : e.report.layers)
            if (r.layer == name) {
                INFO(name << ": bias " << 100 * r.bias_absorbed / r.relevance_out << " %, eps "
                          << 100 * r.stabilizer_lost / r.relevance_out << " %");
                CHECK(std::abs(r.bias_absorbed / r.relevance_out) < 1.0);
                CHECK(std::abs(r.stabilizer_lost / r.relevance_out) < 0.01);
            }
    CHECK(e.report.final / e.report.initial > 0.1);
    CHECK(e.report.final / e.report.initial < 2.0);
    MESSAGE("12-encoder.h5, LRP-epsilon(0.1) of flatten_1 (all):\n" << e.report.table());
}

TEST_CASE("12-decoder.h5: architecture check, load, forward vs numpy, LRP-epsilon of a region") {
    const fs::path dir = keras_dir();
    if (dir.empty()) return;
    Decoder<double> m;
    const auto load = io::load_keras_model(m, dir / "12-decoder.h5");
    CHECK(has_note(load.notes, "architecture: 5 layers match the model_config (Keras Model 'model_2')"));
    CHECK(load.loaded == std::vector<std::string>{"conv2d_transpose_1", "conv2d_transpose_2"});

    const Batch<double> x = read_u8<double>(fixtures() / "decoder_input.u8", 230400, 2.0);
    const auto tr = m.forward(x);
    compare_with_numpy(tr, "decoder", 1e-9);
    const Batch<double>& y = tr.output("re_lu_1");
    CHECK((y.array() == 255.0).any());  // ReLU(max_value=255) clips
    CHECK((y.array() == 0.0).any());

    // Explain the top-left 90 × 160 pixels of the reconstruction (all three channels).
    Batch<double> mask = Batch<double>::Zero(1, 360 * 640 * 3);
    for (int h = 0; h < 90; ++h)
        for (int w = 0; w < 160; ++w)
            for (int c = 0; c < 3; ++c) mask(0, (h * 640 + w) * 3 + c) = 1.0;
    const auto e = lrp(m, Epsilon(0.1)).explain(tr, target<double>("re_lu_1", select::mask<double>(mask)));
    CHECK(e.relevance.allFinite());
    CHECK(e.shape == std::vector<std::int64_t>{230400});
    check_report(e.report);
    // R⁰ = the region of re_lu_1's pre-activation (conv2d_transpose_2's output)
    CHECK(e.report.initial == doctest::Approx(mask.cwiseProduct(tr.output("conv2d_transpose_2")).sum()).epsilon(1e-12));
    const std::vector<std::string> rules = {"pass-through", "epsilon(0.1)", "pass-through", "epsilon(0.1)", "pass-through"};
    REQUIRE(e.report.layers.size() == rules.size());
    for (std::size_t i = 0; i < rules.size(); ++i) CHECK(e.report.layers[i].rule == rules[i]);
    // A region's relevance lands on the latent units whose receptive field covers it: rows 0..~23
    // of the 90 × 160 × 16 code (strided transposed convolutions of 3 × 3 reach one code pixel
    // further), nothing from the far corner.
    double far = 0;
    for (int h = 30; h < 90; ++h)
        for (int w = 50; w < 160; ++w)
            for (int c = 0; c < 16; ++c) far += std::abs(e.relevance(0, (h * 160 + w) * 16 + c));
    CHECK(far == 0.0);
    MESSAGE("12-decoder.h5, LRP-epsilon(0.1) of re_lu_1 (top-left region):\n" << e.report.table());
}

TEST_CASE("12-autoencoder-weights.h5: weights only (nested decoder), into the encoder + decoder layers") {
    const fs::path dir = keras_dir();
    if (dir.empty()) return;
    Autoencoder<float> m;
    const auto load = io::load_keras_model(m, dir / "12-autoencoder-weights.h5");
    CHECK(has_note(load.notes, "architecture: not checked, the file has no model_config (written by model.save_weights())"));
    CHECK(has_note(load.notes, "model_2: nested model, arrays split to conv2d_transpose_1, conv2d_transpose_2"));
    CHECK(load.loaded ==
          std::vector<std::string>{"conv2d_1", "conv2d_2", "conv2d_transpose_1", "conv2d_transpose_2"});
    CHECK(load.extra.empty());
    CHECK_THROWS_AS(io::check_architecture(m, dir / "12-autoencoder-weights.h5"), io_error);

    const Batch<float> x = read_u8<float>(fixtures() / "encoder_input.u8", 360 * 640 * 3, 1.0);
    const auto tr = m.forward(x);
    compare_with_numpy(tr, "autoencoder", 1e-4);
}

TEST_CASE("real Keras files: architecture differences are listed before anything loads") {
    const fs::path dir = keras_dir();
    if (dir.empty()) return;
    SUBCASE("conv2d_1 declared 3 x 5") {
        EncoderOf<float, 640, same, 5> m;
        try {
            io::check_architecture(m, dir / "12-encoder.h5");
            FAIL("no architecture_error");
        } catch (const architecture_error& e) {
            CHECK(lines(e.differences) == lines({"conv2d_1: kernel (3,5) in C++, (3,3) in the file"}));
            CHECK(std::string(e.what()).find("12-encoder.h5") != std::string::npos);
        }
        CHECK_THROWS_WITH_AS(io::load_keras_model(m, dir / "12-encoder.h5"),
                             doctest::Contains("conv2d_1: kernel (3,5) in C++, (3,3) in the file"), architecture_error);
        CHECK(m.layer<"conv2d_1">().params().kernel.isZero());  // nothing loaded
    }
    SUBCASE("conv2d_1 declared valid: the weights fit and the code has the same size, only the check notices") {
        EncoderOf<float, 640, valid> m;  // 358 × 638 → pools → 90 × 160 × 16 = 230400, like the file's
        CHECK(decltype(m)::output_shape_of<"flatten_1">::size == 230400);
        CHECK_NOTHROW(io::load_keras_weights(m, dir / "12-encoder.h5"));
        CHECK_THROWS_WITH_AS(io::check_architecture(m, dir / "12-encoder.h5"),
                             doctest::Contains("conv2d_1: padding valid in C++, same in the file"), architecture_error);
    }
    SUBCASE("an image size the model does not take") {
        Encoder<float> m;
        CHECK_THROWS_WITH_AS(m.forward(Batch<float>::Zero(1, 360 * 641 * 3)), doctest::Contains("(360, 640, 3)"),
                             shape_error);
        // declared for 360 × 641 images: the Input shape differs from the file's InputLayer
        EncoderOf<float, 641> wide;
        CHECK(lines(io::compare_architecture<EncoderOf<float, 641>>(
                        io::parse_keras_model_config(io::KerasH5File(dir / "12-encoder.h5").model_config()))
                        .differences) == lines({"input_1: input shape (360,641,3) in C++, (360,640,3) in the file"}));
        CHECK_THROWS_AS(io::load_keras_model(wide, dir / "12-encoder.h5"), architecture_error);
    }
}

TEST_CASE("real Keras files: a truncated copy is an io_error naming the file") {
    const fs::path dir = keras_dir();
    if (dir.empty()) return;
    const fs::path tmp = fs::temp_directory_path() / ("innspect_truncated_" + std::to_string(::getpid()) + ".h5");
    {
        std::ifstream in(dir / "12-encoder.h5", std::ios::binary);
        const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        REQUIRE(bytes.size() > 4096);
        std::ofstream out(tmp, std::ios::binary);
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size() / 2));
    }
    Encoder<float> m;
    try {
        const io::KerasH5File f(tmp);
        FAIL("a truncated file opened");
    } catch (const io_error& e) {
        CHECK(std::string(e.what()).find(tmp.string()) != std::string::npos);
    }
    CHECK_THROWS_AS(io::check_architecture(m, tmp), io_error);
    CHECK_THROWS_AS(io::load_keras_model(m, tmp), io_error);
    CHECK(m.layer<"conv2d_1">().params().kernel.isZero());
    fs::remove(tmp);
}
