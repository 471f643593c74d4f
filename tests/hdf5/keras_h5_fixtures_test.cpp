// Keras HDF5 loading against small files written by tests/reference/make_h5_fixtures.py (its
// docstring lists the arrays and the formulas used here to know their values).

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "innspect/core/tensor.hpp"
#include "innspect/io/keras_h5.hpp"

namespace {

namespace fs = std::filesystem;
using innspect::WeightRef;
using innspect::io::KerasH5File;
using innspect::io::KerasLayout;
using innspect::io::load_keras_weights;

fs::path fixture(std::string_view name) { return fs::path(INNSPECT_TEST_DATA_DIR) / "h5" / name; }

// A value no fixture holds, so "not overwritten" is visible.
constexpr double sentinel = -777.0;

// Dense-like: kernel [in, out] in an Eigen row-major matrix, i.e. Keras's C order.
template <class T>
struct DenseLike {
    std::string name_;
    bool use_bias = true;
    innspect::Matrix<T> kernel = innspect::Matrix<T>::Constant(4, 3, static_cast<T>(sentinel));
    innspect::Vector<T> bias = innspect::Vector<T>::Constant(3, static_cast<T>(sentinel));

    std::string_view name() const { return name_; }
    std::vector<WeightRef<T>> weights() {
        std::vector<WeightRef<T>> w{{"kernel", {kernel.rows(), kernel.cols()}, kernel.data()}};
        if (use_bias) w.push_back({"bias", {bias.size()}, bias.data()});
        return w;
    }
};

// Conv2DTranspose-like: kernel [kh, kw, out, in] = [2, 2, 2, 3] in a flat vector.
template <class T>
struct DeconvLike {
    std::string name_;
    std::vector<T> kernel = std::vector<T>(24, static_cast<T>(sentinel));
    std::vector<T> bias = std::vector<T>(2, static_cast<T>(sentinel));

    std::string_view name() const { return name_; }
    std::vector<WeightRef<T>> weights() {
        return {{"kernel", {2, 2, 2, 3}, kernel.data()}, {"bias", {2}, bias.data()}};
    }
};

template <class T>
struct ActLike {
    std::string name_;
    std::string_view name() const { return name_; }
    std::vector<WeightRef<T>> weights() { return {}; }
};

// Layers of different types visited by a generic lambda, as a flat variadic model would.
template <class... Layers>
struct MockModel {
    std::tuple<Layers...> layers;
    template <class F>
    void for_each_layer(F&& f) {
        std::apply([&](auto&... layer) { (f(layer), ...); }, layers);
    }
};

template <class T>
using StandardModel = MockModel<DenseLike<T>, ActLike<T>, DeconvLike<T>>;

template <class T>
StandardModel<T> standard_model() {
    return {{DenseLike<T>{"dense_1"}, ActLike<T>{"act"}, DeconvLike<T>{"deconv"}}};
}

// The formulas of make_h5_fixtures.py.
double dense_kernel(int i) { return 0.5 * i - 2; }
double dense_bias(int i) { return i + 0.25; }
double deconv_kernel(int i) { return 0.25 * i - 3; }
double deconv_bias(int i) { return 2.0 * i - 1; }

template <class T>
void check_standard_values(StandardModel<T>& m) {
    auto& dense = std::get<0>(m.layers);
    auto& deconv = std::get<2>(m.layers);
    for (int i = 0; i < 12; ++i) CHECK(dense.kernel.data()[i] == static_cast<T>(dense_kernel(i)));
    for (int i = 0; i < 3; ++i) CHECK(dense.bias[i] == static_cast<T>(dense_bias(i)));
    for (int i = 0; i < 24; ++i)
        CHECK(deconv.kernel[static_cast<std::size_t>(i)] == static_cast<T>(deconv_kernel(i)));
    for (int i = 0; i < 2; ++i)
        CHECK(deconv.bias[static_cast<std::size_t>(i)] == static_cast<T>(deconv_bias(i)));
    // Row-major kernel: element (row 2, column 1) is flat index 7.
    CHECK(dense.kernel(2, 1) == static_cast<T>(dense_kernel(7)));
}

template <class T>
bool untouched(StandardModel<T>& m) {
    auto& dense = std::get<0>(m.layers);
    auto& deconv = std::get<2>(m.layers);
    const auto s = static_cast<T>(sentinel);
    return (dense.kernel.array() == s).all() && (dense.bias.array() == s).all() &&
           std::all_of(deconv.kernel.begin(), deconv.kernel.end(), [&](T v) { return v == s; }) &&
           std::all_of(deconv.bias.begin(), deconv.bias.end(), [&](T v) { return v == s; });
}

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

template <class Exception, class Model>
std::string load_error(Model& model, const fs::path& path) {
    try {
        load_keras_weights(model, path);
    } catch (const Exception& e) {
        return e.what();
    }
    FAIL("no exception for ", path.string());
    return {};
}

// A temporary file removed at scope exit.
struct temp_file {
    fs::path path;
    explicit temp_file(std::string_view name)
        // A random part: test processes may run in parallel (ctest -j, several build trees).
        : path(fs::temp_directory_path() /
               ("innspect_h5_" + std::to_string(std::random_device{}()) + "_" + std::string(name))) {}
    ~temp_file() {
        std::error_code ec;
        fs::remove(path, ec);
    }
};

}  // namespace

TEST_SUITE("keras_h5") {
    TEST_CASE_TEMPLATE("model.save_weights() layout loads into float and double models", T, float, double) {
        auto model = standard_model<T>();
        const auto report = load_keras_weights(model, fixture("save_weights.h5"));
        check_standard_values(model);
        CHECK(report.layout == KerasLayout::save_weights);
        REQUIRE_FALSE(report.notes.empty());
        CHECK(contains(report.notes.front(), "model.save_weights()"));
        CHECK(report.loaded == std::vector<std::string>{"dense_1", "deconv"});
        CHECK(report.extra.empty());
        CHECK(report.arrays == 4);
        CHECK(report.values == 12 + 3 + 24 + 2);
    }

    TEST_CASE_TEMPLATE("model.save() layout loads the same weights", T, float, double) {
        auto model = standard_model<T>();
        const auto report = load_keras_weights(model, fixture("model_save.h5"));
        check_standard_values(model);
        CHECK(report.layout == KerasLayout::model_save);
        CHECK(contains(report.notes.front(), "model.save()"));
        CHECK(contains(report.notes.front(), "model_config present"));
    }

    TEST_CASE("KerasH5File reads metadata and values") {
        SUBCASE("model.save_weights()") {
            const KerasH5File file(fixture("save_weights.h5"));
            CHECK(file.layout() == KerasLayout::save_weights);
            CHECK(file.weights_root() == "/");
            CHECK_FALSE(file.has_model_config());
            CHECK_THROWS_AS(file.model_config(), innspect::io_error);
            CHECK(file.keras_version() == "2.2.4");
            CHECK(file.backend() == "tensorflow");
            REQUIRE(file.layers().size() == 4);
            CHECK(file.layers()[0].name == "input_1");
            CHECK(file.layers()[0].weights.empty());
            CHECK(file.layers()[2].name == "act");
            const auto* dense = file.find_layer("dense_1");
            REQUIRE(dense != nullptr);
            REQUIRE(dense->weights.size() == 2);
            const auto& kernel = dense->weights[0];
            CHECK(kernel.name == "dense_1/kernel:0");
            CHECK(kernel.role == "kernel");
            CHECK(kernel.prefix == "dense_1");
            CHECK(kernel.shape == std::vector<std::int64_t>{4, 3});
            CHECK(kernel.dtype == "float32");
            CHECK(dense->weights[1].role == "bias");
            const auto values = file.read<double>(*dense, kernel);
            REQUIRE(values.size() == 12);
            for (int i = 0; i < 12; ++i) CHECK(values[static_cast<std::size_t>(i)] == dense_kernel(i));
            CHECK(file.find_layer("nope") == nullptr);
        }
        SUBCASE("model.save()") {
            const KerasH5File file(fixture("model_save.h5"));
            CHECK(file.layout() == KerasLayout::model_save);
            CHECK(file.weights_root() == "/model_weights/");
            REQUIRE(file.has_model_config());
            CHECK(file.model_config().rfind(R"({"class_name": "Model", "config": {"name": "mock")", 0) == 0);
            CHECK(file.keras_version() == "2.2.4");
            REQUIRE(file.layers().size() == 4);
            CHECK(file.layers()[3].name == "deconv");
            CHECK(file.layers()[3].weights[0].shape == std::vector<std::int64_t>{2, 2, 2, 3});
        }
        SUBCASE("names split into layer_names0, layer_names1, ... as Keras does for huge models") {
            const KerasH5File file(fixture("split_names.h5"));
            REQUIRE(file.layers().size() == 4);
            CHECK(file.layers()[1].name == "dense_1");
            CHECK(file.layers()[1].weights.size() == 2);
            auto model = standard_model<float>();
            load_keras_weights(model, file);
            check_standard_values(model);
        }
    }

    TEST_CASE(
        "an inner group name different from the layer name (output/dense_3/kernel:0 in group dense_1)") {
        const KerasH5File file(fixture("inner_name.h5"));
        CHECK(file.find_layer("dense_1")->weights[0].prefix == "output/dense_3");
        auto model = standard_model<double>();
        const auto report = load_keras_weights(model, file);
        check_standard_values(model);
        CHECK(report.loaded == std::vector<std::string>{"dense_1", "deconv"});
    }

    TEST_CASE("a nested model's arrays are split to the C++ layers named by their first component") {
        auto model = standard_model<float>();
        const auto report = load_keras_weights(model, fixture("nested.h5"));
        check_standard_values(model);
        CHECK(report.loaded == std::vector<std::string>{"dense_1", "deconv"});
        // Not fatal: arrays no C++ layer takes.
        CHECK(report.extra == std::vector<std::string>{"model_2/dense_9", "dense_extra"});
        CHECK(std::any_of(report.notes.begin(), report.notes.end(), [](const std::string& n) {
            return contains(n, "model_2: nested model, arrays split to deconv");
        }));
    }

    TEST_CASE("a layer found both as a group and inside a nested model is ambiguous") {
        auto model = standard_model<float>();
        const auto msg = load_error<innspect::name_error>(model, fixture("duplicate.h5"));
        CHECK(contains(msg, "deconv: found twice"));
        CHECK(contains(msg, "model_2"));
    }

    TEST_CASE("float64 files: exact in a double model, rounded in a float model") {
        auto d = standard_model<double>();
        load_keras_weights(d, fixture("float64.h5"));
        auto f = standard_model<float>();
        load_keras_weights(f, fixture("float64.h5"));
        for (int i = 0; i < 12; ++i) {
            CHECK(std::get<0>(d.layers).kernel.data()[i] == i / 3.0);
            CHECK(std::get<0>(f.layers).kernel.data()[i] == static_cast<float>(i / 3.0));
        }
        for (int i = 0; i < 3; ++i) CHECK(std::get<0>(d.layers).bias[i] == i / 7.0);
        CHECK(std::get<2>(d.layers).kernel[23] == deconv_kernel(23));
    }

    TEST_CASE("a float64 value too large for float") {
        auto d = standard_model<double>();
        load_keras_weights(d, fixture("float64_overflow.h5"));
        CHECK(std::get<0>(d.layers).kernel(1, 2) == 1e300);

        auto f = standard_model<float>();
        const auto msg = load_error<innspect::value_error>(f, fixture("float64_overflow.h5"));
        CHECK(contains(msg, "dense_1: kernel"));
        CHECK(contains(msg, "too large for float"));
        CHECK(contains(msg, "index 5 (1,2)"));
        CHECK(untouched(f));
    }

    TEST_CASE("dtypes other than float32/float64 are refused, naming layer and dtype") {
        auto model = standard_model<float>();
        SUBCASE("int32") {
            const auto msg = load_error<innspect::io_error>(model, fixture("int32.h5"));
            CHECK(contains(msg, "dense_1: kernel"));
            CHECK(contains(msg, "int32"));
        }
        SUBCASE("float16") {
            const auto msg = load_error<innspect::io_error>(model, fixture("float16.h5"));
            CHECK(contains(msg, "dense_1: bias"));
            CHECK(contains(msg, "float16"));
        }
        CHECK(untouched(model));
    }

    TEST_CASE("a NaN weight: value_error with layer, role and index; the model is left unchanged") {
        auto model = standard_model<double>();
        const auto msg = load_error<innspect::value_error>(model, fixture("nan.h5"));
        CHECK(contains(msg,
                       "deconv: kernel has non-finite value nan at index 11 (0,1,1,2) of shape (2,2,2,3)"));
        CHECK(contains(msg, "nan.h5"));
        // dense_1 comes first and is valid, but nothing is written unless everything is valid.
        CHECK(untouched(model));
    }

    TEST_CASE("a wrong shape names the layer, the role and both shapes") {
        auto model = standard_model<float>();
        const auto msg = load_error<innspect::shape_error>(model, fixture("wrong_shape.h5"));
        CHECK(contains(msg, "dense_1: kernel shape (4,3) in C++, (5,3) in the file '"));
        CHECK(contains(msg, "wrong_shape.h5"));
        CHECK(untouched(model));
    }

    TEST_CASE("roles must match both ways") {
        SUBCASE("the file lacks the bias") {
            auto model = standard_model<float>();
            const auto msg = load_error<innspect::name_error>(model, fixture("missing_bias.h5"));
            CHECK(contains(msg, "dense_1: bias not in file '"));
            CHECK(contains(msg, "missing_bias.h5' (C++: kernel, bias; file: kernel)"));
        }
        SUBCASE("the C++ layer has no bias, the file has one") {
            auto model = standard_model<float>();
            std::get<0>(model.layers).use_bias = false;
            const auto msg = load_error<innspect::name_error>(model, fixture("save_weights.h5"));
            CHECK(contains(msg, "dense_1: the file holds bias, the C++ layer takes no such weight"));
        }
        SUBCASE("a weightless C++ layer named like a file layer with weights") {
            MockModel<ActLike<float>, DeconvLike<float>> model{
                {ActLike<float>{"dense_1"}, DeconvLike<float>{"deconv"}}};
            const auto msg = load_error<innspect::name_error>(model, fixture("save_weights.h5"));
            CHECK(contains(msg,
                           "dense_1: the C++ layer takes no weights, the file's layer holds kernel, bias"));
        }
    }

    TEST_CASE("a C++ layer with weights that the file lacks") {
        MockModel<DenseLike<float>, DeconvLike<float>> model{
            {DenseLike<float>{"conv1"}, DeconvLike<float>{"deconv"}}};
        const auto msg = load_error<innspect::name_error>(model, fixture("save_weights.h5"));
        CHECK(contains(msg, "conv1: not in file"));
        CHECK(contains(msg, "layers with weights in file: dense_1, deconv"));

        MockModel<DenseLike<float>, DenseLike<float>> twice{
            {DenseLike<float>{"dense_1"}, DenseLike<float>{"dense_1"}}};
        CHECK(
            contains(load_error<innspect::name_error>(twice, fixture("save_weights.h5")), "two C++ layers"));
    }

    TEST_CASE("layers in the file that the C++ model lacks are reported, not fatal") {
        MockModel<DeconvLike<float>> model{{DeconvLike<float>{"deconv"}}};
        const auto report = load_keras_weights(model, fixture("save_weights.h5"));
        CHECK(report.loaded == std::vector<std::string>{"deconv"});
        CHECK(report.extra == std::vector<std::string>{"dense_1"});
    }

    TEST_CASE("unreadable files: io_error naming the path") {
        auto model = standard_model<float>();
        SUBCASE("missing") {
            const auto msg = load_error<innspect::io_error>(model, fixture("does_not_exist.h5"));
            CHECK(contains(msg, "does_not_exist.h5"));
            CHECK(contains(msg, "no such file"));
        }
        SUBCASE("a directory") {
            CHECK(contains(load_error<innspect::io_error>(model, fs::path(INNSPECT_TEST_DATA_DIR) / "h5"),
                           "directory"));
        }
        SUBCASE("not HDF5") {
            const temp_file tmp("not_hdf5.h5");
            std::ofstream(tmp.path) << "this is not an HDF5 file\n";
            const auto msg = load_error<innspect::io_error>(model, tmp.path);
            CHECK(contains(msg, tmp.path.string()));
            CHECK(contains(msg, "cannot open as HDF5"));
        }
        SUBCASE("HDF5 but not a Keras weight file") {
            const auto msg = load_error<innspect::io_error>(model, fixture("not_keras.h5"));
            CHECK(contains(msg, "not_keras.h5"));
            CHECK(contains(msg, "not a Keras 2.x weight file"));
        }
        SUBCASE("truncated") {
            std::ifstream in(fixture("save_weights.h5"), std::ios::binary);
            const std::vector<char> bytes{std::istreambuf_iterator<char>(in),
                                          std::istreambuf_iterator<char>()};
            REQUIRE(bytes.size() > 4096);
            for (const std::size_t n : {std::size_t{0}, std::size_t{8}, std::size_t{100}, std::size_t{2048},
                                        bytes.size() / 2, bytes.size() - 1}) {
                CAPTURE(n);
                const temp_file tmp("truncated.h5");
                std::ofstream(tmp.path, std::ios::binary)
                    .write(bytes.data(), static_cast<std::streamsize>(n));
                const auto msg = load_error<innspect::io_error>(model, tmp.path);
                CHECK(contains(msg, tmp.path.string()));
            }
        }
        CHECK(untouched(model));
    }

}  // TEST_SUITE
