#pragma once
/// \file
/// Reading the numpy reference fixtures of tests/data/forward/<case>/ (layout in
/// tests/reference/README.md): inputs as batches, weights into a model's layers by Keras name,
/// and reference outputs compared with their Keras shape.

#include <doctest/doctest.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <innspect/innspect.hpp>
#include <innspect/io/npy.hpp>

#include "support/test_support.hpp"

#ifndef INNSPECT_TEST_DATA_DIR
#error "INNSPECT_TEST_DATA_DIR must name the tests/data directory"
#endif

namespace innspect::test {

namespace fs = std::filesystem;

inline fs::path forward_dir() { return fs::path(INNSPECT_TEST_DATA_DIR) / "forward"; }
inline fs::path forward_case(const std::string& name) { return forward_dir() / name; }

/// An .npy array (batch first) as a batch: rows = shape[0], columns = the rest, C order, which is
/// innspect's channels-last feature order.
template <class T>
Batch<T> load_batch(const fs::path& path) {
    INFO("fixture " << path.string());
    const io::NpyArray<T> a = io::read_npy<T>(path);
    REQUIRE(a.shape.size() >= 2);
    Eigen::Index cols = 1;
    for (std::size_t i = 1; i < a.shape.size(); ++i) cols *= a.shape[i];
    Batch<T> b(a.shape[0], cols);
    std::copy(a.data.begin(), a.data.end(), b.data());
    return b;
}

/// The shape of one sample of an .npy batch (its shape without the batch axis).
inline std::vector<std::int64_t> sample_shape(const fs::path& path) {
    const io::NpyArray<double> a = io::read_npy<double>(path);
    return {a.shape.begin() + 1, a.shape.end()};
}

/// Loads `<name>.<role>.npy` from `dir` (or from `fallback` when `dir` lacks it) into every weight
/// array of `layer`, checking Keras's shape. Also fails if `dir` holds a bias for a layer without one.
template <class L>
void load_layer_weights(L& layer, const fs::path& dir, const fs::path& fallback = {}) {
    const std::string name(L::name);
    bool has_bias = false;
    for (auto& w : layer.weights()) {
        has_bias = has_bias || w.role == "bias";
        fs::path p = dir / (name + "." + std::string(w.role) + ".npy");
        if (!fs::exists(p) && !fallback.empty()) p = fallback / p.filename();
        INFO("weights of " << name << " from " << p.string());
        REQUIRE(fs::exists(p));
        using T = typename L::scalar;
        const io::NpyArray<T> a = io::read_npy<T>(p);
        REQUIRE(a.shape == w.shape);
        std::copy(a.data.begin(), a.data.end(), w.data);
    }
    if (!has_bias) {
        INFO("layer " << name << " has no bias, the fixture has one");
        CHECK_FALSE(fs::exists(dir / (name + ".bias.npy")));
    }
}

/// Loads every layer's weights of a model by Keras name.
template <class M>
void load_model_weights(M& m, const fs::path& dir, const fs::path& fallback = {}) {
    m.for_each_layer([&](auto& l) { load_layer_weights(l, dir, fallback); });
}

/// Compares a batch with a reference .npy (Keras shape `keras_shape` per sample) at `rtol`
/// (|a − e| ≤ rtol · max(1, |e|)).
template <class T>
void check_against_npy(const Batch<T>& actual, const fs::path& path, const std::vector<std::int64_t>& keras_shape,
                       double rtol) {
    INFO("reference " << path.string());
    REQUIRE(fs::exists(path));
    CHECK(sample_shape(path) == keras_shape);
    const Batch<double> expected = load_batch<double>(path);
    INNSPECT_CHECK_CLOSE(actual, expected, rtol);
}

/// Tolerance for comparing with the float64 reference: 1e-10 in double, 1e-5 in float.
template <class T>
constexpr double fixture_rtol() {
    return std::is_same_v<T, float> ? 1e-5 : 1e-10;
}

/// Runs a model on a fixture case's input.npy and compares every layer's output with
/// `<layer>.out.npy` and its pre-activation with `<layer>.preact.npy` where the case has one.
/// Returns the trace.
template <class M>
Trace<typename M::scalar> check_model_against_case(const M& m, const fs::path& dir) {
    using T = typename M::scalar;
    const std::string scalar_name = std::is_same_v<T, float> ? "float" : "double";
    INFO("case " << dir.filename().string() << " in " << scalar_name);
    const Batch<T> x = load_batch<T>(dir / "input.npy");
    CHECK(sample_shape(dir / "input.npy") == M::input_shape::keras());
    Trace<T> t = m.forward(x);
    const auto& infos = M::layer_infos();
    for (std::size_t i = 0; i < infos.size(); ++i) {
        const std::string name(infos[i].name);
        INFO("layer " << name);
        check_against_npy(t.out[i], dir / (name + ".out.npy"), infos[i].output_keras_shape(), fixture_rtol<T>());
        const fs::path pre = dir / (name + ".preact.npy");
        if (fs::exists(pre))
            check_against_npy(t.pre_activation(static_cast<int>(i)), pre, infos[i].output_keras_shape(),
                              fixture_rtol<T>());
        else if (infos[i].pre_is_input)  // its pre-activation is its input (Activation, Reshape, Dropout)
            CHECK(identical(t.pre_activation(static_cast<int>(i)), t.input_of(static_cast<int>(i))));
        else  // every computing layer with an activation has a preact fixture
            CHECK(infos[i].activation == "linear");
    }
    return t;
}

/// A one-layer case directory (the layer is called as in `Spec`, usually "l"): the model
/// `InputSpec → Spec` in double and in float, weights loaded by name, every output and
/// pre-activation compared with the reference.
template <class InputSpec, class Spec>
void check_single_layer_case(const fs::path& dir) {
    {
        Model<double, InputSpec, Spec> m;
        load_model_weights(m, dir);
        check_model_against_case(m, dir);
    }
    {
        Model<float, InputSpec, Spec> m;
        load_model_weights(m, dir);
        check_model_against_case(m, dir);
    }
}

}  // namespace innspect::test
