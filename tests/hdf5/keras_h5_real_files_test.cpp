// The HDF5 loader against files written by Keras 2.2.4 itself (INNSPECT_SHARED_DIR/keras/, see its
// README.md). That folder is not part of the repository: without it these tests pass with a
// MESSAGE saying they were skipped.
//
// Expected values were read off the files with h5py 3.7, e.g.
//   /usr/bin/python3 -c "import h5py; f = h5py.File('12-encoder.h5');
//       d = f['model_weights/conv2d_1/conv2d_1/kernel:0']; print(d.shape, d.dtype, repr(float(d[2,1,0,7])))"
// (float(...) prints the float32 value widened to double, so the comparisons below are exact),
// and sums as repr(float(d[()].astype('float64').sum())) (numpy sums pairwise: compared with Approx).

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <numeric>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "innspect/io/keras_h5.hpp"

namespace {

namespace fs = std::filesystem;
using innspect::WeightRef;
using innspect::io::KerasH5File;
using innspect::io::KerasLayout;
using innspect::io::load_keras_weights;
using shape_t = std::vector<std::int64_t>;

// Returns the folder, or an empty path after a MESSAGE if this machine does not have it.
fs::path keras_dir() {
    const fs::path dir = fs::path(INNSPECT_SHARED_DIR) / "keras";
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
        MESSAGE("skipped: no real Keras files at ", dir.string());
        return {};
    }
    return dir;
}

// A layer described at run time: its name and (role, Keras shape) list.
struct SpecLayer {
    std::string name_;
    std::vector<std::pair<std::string, shape_t>> specs;
    std::vector<std::vector<float>> values;

    SpecLayer(std::string name, std::vector<std::pair<std::string, shape_t>> s)
        : name_(std::move(name)), specs(std::move(s)) {
        for (const auto& [role, shape] : specs)
            values.emplace_back(static_cast<std::size_t>(std::accumulate(
                                    shape.begin(), shape.end(), std::int64_t{1}, std::multiplies<>())),
                                -777.0f);
    }
    std::string_view name() const { return name_; }
    std::vector<WeightRef<float>> weights() {
        std::vector<WeightRef<float>> w;
        for (std::size_t i = 0; i < specs.size(); ++i)
            w.push_back({specs[i].first, specs[i].second, values[i].data()});
        return w;
    }
    const std::vector<float>& operator[](std::string_view role) const {
        for (std::size_t i = 0; i < specs.size(); ++i)
            if (specs[i].first == role) return values[i];
        throw innspect::name_error(name_ + ": no role " + std::string(role));
    }
};

struct SpecModel {
    std::vector<SpecLayer> layers;
    template <class F>
    void for_each_layer(F&& f) {
        for (auto& l : layers) f(l);
    }
    const SpecLayer& at(std::string_view name) const {
        for (const auto& l : layers)
            if (l.name() == name) return l;
        throw innspect::name_error(std::string(name));
    }
};

// The bias has `out` entries: Conv2D kernels are [kh, kw, in, out], Conv2DTranspose [kh, kw, out, in].
SpecLayer conv2d(std::string name, shape_t kernel) {
    return SpecLayer(std::move(name), {{"kernel", kernel}, {"bias", {kernel[3]}}});
}
SpecLayer conv2d_transpose(std::string name, shape_t kernel) {
    return SpecLayer(std::move(name), {{"kernel", kernel}, {"bias", {kernel[2]}}});
}
SpecLayer none(std::string name) { return SpecLayer(std::move(name), {}); }

// Index (i, j, k, l) of a C-order array of shape s.
std::size_t at4(const shape_t& s, std::int64_t i, std::int64_t j, std::int64_t k, std::int64_t l) {
    return static_cast<std::size_t>(((i * s[1] + j) * s[2] + k) * s[3] + l);
}

double sum(const std::vector<float>& v) {
    double s = 0;
    for (float x : v) s += x;
    return s;
}

std::vector<std::string> names_of(const KerasH5File& file) {
    std::vector<std::string> n;
    for (const auto& l : file.layers()) n.push_back(l.name);
    return n;
}

const shape_t enc1{3, 3, 3, 8}, enc2{3, 3, 8, 16}, dec1{3, 3, 16, 16}, dec2{3, 3, 3, 16};

// Values shared by the decoder file and the autoencoder's nested model_2 (h5py shows they are equal).
void check_decoder_values(const SpecModel& m) {
    const auto& k1 = m.at("conv2d_transpose_1")["kernel"];
    CHECK(k1[at4(dec1, 0, 0, 0, 0)] == -0.11416551470756531);
    CHECK(k1[at4(dec1, 2, 2, 15, 15)] == -0.20716065168380737);
    CHECK(k1[at4(dec1, 1, 0, 3, 9)] == -0.13683481514453888);
    CHECK(sum(k1) == doctest::Approx(-30.290328512547603).epsilon(1e-9));
    const auto& b1 = m.at("conv2d_transpose_1")["bias"];
    CHECK(b1[0] == -1.0047308206558228);
    CHECK(b1[15] == -0.9859143495559692);
    CHECK(sum(b1) == doctest::Approx(-13.535912090912461).epsilon(1e-9));
    const auto& k2 = m.at("conv2d_transpose_2")["kernel"];
    CHECK(k2[at4(dec2, 0, 0, 0, 0)] == -0.1530786007642746);
    CHECK(k2[at4(dec2, 2, 2, 2, 15)] == -0.1839418113231659);
    CHECK(sum(k2) == doctest::Approx(17.791858764132485).epsilon(1e-9));
    const auto& b2 = m.at("conv2d_transpose_2")["bias"];
    REQUIRE(b2.size() == 3);
    CHECK(b2[0] == -0.9602720737457275);
    CHECK(b2[2] == -1.0254417657852173);
    CHECK(sum(b2) == doctest::Approx(-2.552026867866516).epsilon(1e-9));
}

void check_encoder_values(const SpecModel& m) {
    const auto& k1 = m.at("conv2d_1")["kernel"];
    CHECK(k1[at4(enc1, 0, 0, 0, 0)] == 0.21368741989135742);
    CHECK(k1[at4(enc1, 2, 1, 0, 7)] == 0.006005838513374329);
    CHECK(k1[at4(enc1, 1, 2, 2, 3)] == 0.18476438522338867);
    CHECK(sum(k1) == doctest::Approx(13.47793145396281).epsilon(1e-9));
    const auto& b1 = m.at("conv2d_1")["bias"];
    CHECK(b1[0] == 0.8644165992736816);
    CHECK(b1[7] == 0.969758152961731);
    CHECK(sum(b1) == doctest::Approx(13.050525426864624).epsilon(1e-9));
    const auto& k2 = m.at("conv2d_2")["kernel"];
    CHECK(k2[at4(enc2, 0, 0, 0, 0)] == -0.1537286937236786);
    CHECK(k2[at4(enc2, 2, 2, 7, 15)] == 0.023663340136408806);
    CHECK(sum(k2) == doctest::Approx(22.43403170464444).epsilon(1e-9));
    const auto& b2 = m.at("conv2d_2")["bias"];
    CHECK(b2[0] == 0.6347322463989258);
    CHECK(b2[15] == 0.7583716511726379);
    CHECK(sum(b2) == doctest::Approx(7.605239875614643).epsilon(1e-9));
}

SpecModel encoder_model() {
    SpecModel m;
    m.layers.push_back(none("input_1"));
    m.layers.push_back(conv2d("conv2d_1", enc1));
    m.layers.push_back(none("activation_1"));
    m.layers.push_back(none("average_pooling2d_1"));
    m.layers.push_back(conv2d("conv2d_2", enc2));
    m.layers.push_back(none("activation_2"));
    m.layers.push_back(none("average_pooling2d_2"));
    m.layers.push_back(none("flatten_1"));
    return m;
}

SpecModel decoder_model() {
    SpecModel m;
    m.layers.push_back(none("reshape_1"));
    m.layers.push_back(conv2d_transpose("conv2d_transpose_1", dec1));
    m.layers.push_back(none("activation_3"));
    m.layers.push_back(conv2d_transpose("conv2d_transpose_2", dec2));
    m.layers.push_back(none("re_lu_1"));
    return m;
}

// innspect's own layers carry their name as a static member, not name(): both spellings work.
struct StaticNameLayer {
    static constexpr std::string_view name = "conv2d_transpose_2";
    std::vector<float> kernel = std::vector<float>(3 * 3 * 3 * 16);
    std::vector<float> bias = std::vector<float>(3);
    std::vector<WeightRef<float>> weights() {
        return {{"kernel", {3, 3, 3, 16}, kernel.data()}, {"bias", {3}, bias.data()}};
    }
};

struct StaticNameModel {
    StaticNameLayer layer;
    template <class F>
    void for_each_layer(F&& f) {
        f(layer);
    }
};

}  // namespace

TEST_SUITE("keras_h5_real_files") {
    TEST_CASE("12-encoder.h5 (model.save())") {
        const auto dir = keras_dir();
        if (dir.empty()) return;
        const KerasH5File file(dir / "12-encoder.h5");
        CHECK(file.layout() == KerasLayout::model_save);
        CHECK(file.keras_version() == "2.2.4");
        CHECK(file.backend() == "tensorflow");
        REQUIRE(file.has_model_config());
        CHECK(file.model_config().rfind(
                  R"({"class_name": "Model", "config": {"name": "model_1", "layers": [)", 0) == 0);
        CHECK(file.model_config().size() == 2720);
        CHECK(names_of(file) == std::vector<std::string>{"input_1", "conv2d_1", "activation_1",
                                                         "average_pooling2d_1", "conv2d_2", "activation_2",
                                                         "average_pooling2d_2", "flatten_1"});
        const auto* c1 = file.find_layer("conv2d_1");
        REQUIRE(c1 != nullptr);
        REQUIRE(c1->weights.size() == 2);
        CHECK(c1->weights[0].name == "conv2d_1/kernel:0");
        CHECK(c1->weights[0].shape == enc1);
        CHECK(c1->weights[0].dtype == "float32");
        CHECK(c1->weights[1].name == "conv2d_1/bias:0");
        CHECK(c1->weights[1].shape == shape_t{8});
        CHECK(file.find_layer("conv2d_2")->weights[0].shape == enc2);
        CHECK(file.find_layer("activation_1")->weights.empty());

        auto model = encoder_model();
        const auto report = load_keras_weights(model, file);
        CHECK(report.loaded == std::vector<std::string>{"conv2d_1", "conv2d_2"});
        CHECK(report.extra.empty());
        CHECK(report.values == 3 * 3 * 3 * 8 + 8 + 3 * 3 * 8 * 16 + 16);
        check_encoder_values(model);
    }

    TEST_CASE("12-decoder.h5 (model.save(), Conv2DTranspose kernels [kh, kw, out, in])") {
        const auto dir = keras_dir();
        if (dir.empty()) return;
        const KerasH5File file(dir / "12-decoder.h5");
        CHECK(file.layout() == KerasLayout::model_save);
        REQUIRE(file.has_model_config());
        CHECK(file.model_config().rfind(
                  R"({"class_name": "Model", "config": {"name": "model_2", "layers": [)", 0) == 0);
        CHECK(file.model_config().size() == 2306);
        CHECK(names_of(file) == std::vector<std::string>{"input_2", "reshape_1", "conv2d_transpose_1",
                                                         "activation_3", "conv2d_transpose_2", "re_lu_1"});
        CHECK(file.find_layer("conv2d_transpose_2")->weights[0].shape == dec2);

        auto model = decoder_model();
        const auto report = load_keras_weights(model, file);
        CHECK(report.loaded == std::vector<std::string>{"conv2d_transpose_1", "conv2d_transpose_2"});
        check_decoder_values(model);
    }

    TEST_CASE("12-autoencoder-weights.h5 (model.save_weights(), decoder nested as model_2)") {
        const auto dir = keras_dir();
        if (dir.empty()) return;
        const KerasH5File file(dir / "12-autoencoder-weights.h5");
        CHECK(file.layout() == KerasLayout::save_weights);
        CHECK_FALSE(file.has_model_config());
        CHECK_THROWS_AS(file.model_config(), innspect::io_error);
        CHECK(file.keras_version() == "2.2.4");
        CHECK(names_of(file) == std::vector<std::string>{"input_1", "conv2d_1", "activation_1",
                                                         "average_pooling2d_1", "conv2d_2", "activation_2",
                                                         "average_pooling2d_2", "flatten_1", "model_2"});
        const auto* nested = file.find_layer("model_2");
        REQUIRE(nested != nullptr);
        REQUIRE(nested->weights.size() == 4);
        CHECK(nested->weights[0].name == "conv2d_transpose_1/kernel:0");
        CHECK(nested->weights[0].prefix == "conv2d_transpose_1");
        CHECK(nested->weights[0].role == "kernel");
        CHECK(nested->weights[0].shape == dec1);
        CHECK(nested->weights[3].name == "conv2d_transpose_2/bias:0");
        CHECK(nested->weights[3].shape == shape_t{3});

        SUBCASE("the whole autoencoder") {
            auto model = encoder_model();
            for (auto& l : decoder_model().layers) model.layers.push_back(std::move(l));
            const auto report = load_keras_weights(model, file);
            CHECK(report.loaded == std::vector<std::string>{"conv2d_1", "conv2d_2", "conv2d_transpose_1",
                                                            "conv2d_transpose_2"});
            CHECK(report.extra.empty());
            CHECK(
                std::find(report.notes.begin(), report.notes.end(),
                          "model_2: nested model, arrays split to conv2d_transpose_1, conv2d_transpose_2") !=
                report.notes.end());
            check_encoder_values(model);
            check_decoder_values(model);
        }
        SUBCASE("the decoder alone: the encoder's layers are extra") {
            auto model = decoder_model();
            const auto report = load_keras_weights(model, file);
            CHECK(report.extra == std::vector<std::string>{"conv2d_1", "conv2d_2"});
            check_decoder_values(model);
        }
        SUBCASE("a layer with a static name member") {
            StaticNameModel model;
            load_keras_weights(model, file);
            CHECK(model.layer.kernel[at4(dec2, 2, 2, 2, 15)] == -0.1839418113231659);
            CHECK(model.layer.bias[2] == -1.0254417657852173);
        }
        SUBCASE("a wrong shape inside the nested model") {
            auto model = decoder_model();
            model.layers[1] = conv2d_transpose("conv2d_transpose_1", {3, 3, 16, 8});
            try {
                load_keras_weights(model, file);
                FAIL("no shape_error");
            } catch (const innspect::shape_error& e) {
                CHECK(std::string(e.what()).find("conv2d_transpose_1 (in nested model model_2): kernel shape "
                                                 "(3,3,16,8) in C++, (3,3,16,16) in the file") !=
                      std::string::npos);
            }
        }
    }

}  // TEST_SUITE
