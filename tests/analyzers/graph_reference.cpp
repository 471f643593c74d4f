// Graphs (a U-Net, a residual autoencoder with every merge, a Conv1D autoencoder) explained by
// LRP and the gradient family, compared with the independent numpy reference in
// tests/reference/graph_reference.py (each linear layer an explicit matrix, merges written from
// their definitions, relevance summed over readers; cross-checked there against torch autograd,
// finite differences and, with zero biases, LRP-0 = input × gradient).
//
// Fixtures: tests/data/graph/<model>/ (index.txt lists `name method target`; parameters in
// index.json; regenerate with tests/reference/make_graph_fixtures.py): weights
// `<layer>.<role>.npy`, `input.npy`, every layer's output `<layer>.out.npy`, explanations
// `<method>__<target>.npy` with `.conservation.json` for LRP. Targets: the whole reconstruction,
// a region of it, one bottleneck unit, and the region explained at the bottleneck (stop_at: the
// skip connections around it are reported as bypassed). Methods: LRP-ε (0.05, merges too), α2β1,
// z⁺, epsilon_plus_flat, a composite naming the merges' ε (0.01), gradient, input × gradient,
// and ε = 1e-13 on the model with zero biases (conservation through every merge).
//
// Tolerances as tests/analyzers/seed_reference.cpp: double, max |actual − expected| ≤ 1e-9 ·
// max |expected| per fixture (forward: 1e-12); the conservation report's sums to 1e-9 of that
// layer's Σ|R_out| + Σ|R_in|; float: 2e-5. Conservation with zero biases (ε = 1e-13): Σ R at the
// input = Σ R⁰, and Σ R_in = Σ R_out at every layer, to 1e-10 of Σ|R⁰|.

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <innspect/innspect.hpp>
#include <innspect/io/npy.hpp>

#include "support/reference_checks.hpp"

namespace {

using namespace innspect;
namespace fs = std::filesystem;
using innspect::test::check_close;
using innspect::test::check_report;
using innspect::test::read_report;
using innspect::test::RefReport;

const fs::path graph_dir = fs::path(INNSPECT_TEST_DATA_DIR) / "graph";

// ---- the models (tests/reference/make_graph_fixtures.py, MODELS) -------------------------------

template <class T>
using UNet = Model<T, Input<8, 8, 1>,
                   Conv2D<"enc1", 4, Kernel<3, 3>, Relu, Strides<1, 1>, Padding::same>,
                   Conv2D<"enc2", 4, Kernel<3, 3>, Relu, Strides<1, 1>, Padding::same>,
                   MaxPooling2D<"pool1", PoolSize<2, 2>>,
                   Conv2D<"bottleneck", 6, Kernel<3, 3>, Relu, Strides<1, 1>, Padding::same>,
                   UpSampling2D<"up1", UpSize<2, 2>>,
                   Concatenate<"skip", Inputs<"up1", "enc2">>,
                   Conv2D<"dec1", 4, Kernel<3, 3>, Relu, Strides<1, 1>, Padding::same>,
                   Add<"residual", Inputs<"dec1", "enc1">>,
                   Conv2D<"reconstruction", 1, Kernel<1, 1>, Tanh>>;

template <class T>
using Residual = Model<T, Input<6, 6, 2>,
                       Conv2D<"c1", 3, Kernel<3, 3>, Relu, Strides<1, 1>, Padding::same>,
                       Conv2D<"c2", 3, Kernel<3, 3>, Linear, Strides<1, 1>, Padding::same>,
                       Add<"res1", Inputs<"c1", "c2">>,
                       Conv2D<"down", 4, Kernel<2, 2>, Relu, Strides<2, 2>>,
                       Flatten<"flat">,
                       Dense<"code", 5, Tanh>,
                       Dense<"d1", 36, Relu>,
                       Subtract<"sub", Inputs<"d1", "flat">>,
                       Dense<"d2", 36>,
                       Add<"res2", Inputs<"d2", "sub">>,
                       Reshape<"r", Shape<3, 3, 4>>,
                       Conv2DTranspose<"up", 3, Kernel<2, 2>, Relu, Strides<2, 2>>,
                       Average<"avg", Inputs<"up", "res1", "c1">>,
                       Maximum<"max", Inputs<"avg", "c2">>,
                       Concatenate<"wide", Inputs<"max", "res1">, Axis<2>>,  // along the width
                       Conv2D<"reconstruction", 2, Kernel<1, 1>>>;

template <class T>
using Seq = Model<T, Input<16, 2>,
                  Conv1D<"e1", 4, Kernel<3>, Linear, Strides<1>, Padding::same>,
                  BatchNormalization<"bn1">,
                  Activation<"a1", Relu>,
                  MaxPooling1D<"p1", PoolSize<2>>,
                  Conv1D<"e2", 6, Kernel<3>, Relu>,
                  BatchNormalization<"bn2">,
                  Conv1D<"bottleneck", 3, Kernel<3>, Relu, Strides<1>, Padding::same>,
                  UpSampling1D<"u1", UpSize<2>>,
                  Conv1DTranspose<"t1", 4, Kernel<5>, Relu>,
                  Add<"skip", Inputs<"t1", "a1">>,
                  Conv1DTranspose<"out", 2, Kernel<3>, Linear, Strides<1>, Padding::same>>;

/// The model's folder, its reconstruction layer and its bottleneck unit (Keras index).
template <class M>
struct Info;
template <class T>
struct Info<UNet<T>> {
    static constexpr const char* dir = "unet";
    static constexpr const char* recon = "reconstruction";
    static constexpr const char* bottleneck = "bottleneck";
    static Selection<T> unit() { return select::index<T>(1, 2, 3); }
};
template <class T>
struct Info<Residual<T>> {
    static constexpr const char* dir = "residual";
    static constexpr const char* recon = "reconstruction";
    static constexpr const char* bottleneck = "code";
    static Selection<T> unit() { return select::index<T>(2); }
};
template <class T>
struct Info<Seq<T>> {
    static constexpr const char* dir = "conv1d";
    static constexpr const char* recon = "out";
    static constexpr const char* bottleneck = "bottleneck";
    static Selection<T> unit() { return select::index<T>(2 * 3 + 1); }  // step 2, channel 1 of (6, 3)
};

// ---- loading ------------------------------------------------------------------------------------

template <class T>
io::NpyArray<T> load(const fs::path& p) {
    INFO("reading " << p.string());
    REQUIRE(fs::exists(p));
    return io::read_npy<T>(p);
}

template <class T>
Batch<T> load_batch(const fs::path& p) {
    return io::to_batch(load<T>(p));
}

/// Every weight of every layer from `<layer>.<role>.npy` (Keras shapes, C order: a plain copy).
/// `zero_biases`: bias, beta and moving_mean set to 0 (so a batch norm's shift c = β − kμ is 0).
template <class M>
M load_model(bool zero_biases = false) {
    using T = typename M::scalar;
    const fs::path dir = graph_dir / Info<M>::dir;
    M m;
    int n = 0;
    m.for_each_layer([&](auto& layer) {
        for (auto& w : layer.weights()) {
            const std::string file = std::string(layer.name) + "." + std::string(w.role) + ".npy";
            const auto a = load<T>(dir / file);
            INFO(file);
            REQUIRE(a.shape == w.shape);
            const bool shift = w.role == "bias" || w.role == "beta" || w.role == "moving_mean";
            if (zero_biases && shift) std::fill(w.data, w.data + a.data.size(), T(0));
            else std::copy(a.data.begin(), a.data.end(), w.data);
            ++n;
        }
    });
    REQUIRE(n > 0);
    return m;
}

// ---- methods and targets -------------------------------------------------------------------------

struct Fixture {
    std::string name, method, target;
};

std::vector<Fixture> read_index(const fs::path& dir) {
    std::ifstream in(dir / "index.txt");
    REQUIRE_MESSAGE(in.good(), "cannot read " << (dir / "index.txt").string());
    std::vector<Fixture> out;
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream ls(line);
        Fixture f;
        ls >> f.name >> f.method >> f.target;
        REQUIRE(!f.target.empty());
        out.push_back(f);
    }
    return out;
}

template <class M>
Target<typename M::scalar> make_target(const std::string& name) {
    using T = typename M::scalar;
    if (name == "recon_all") return target(Info<M>::recon, select::all<T>());
    if (name == "recon_region")
        return target(Info<M>::recon, select::mask<T>(load_batch<T>(graph_dir / Info<M>::dir / "recon_region.mask.npy")));
    if (name == "bottleneck_unit") return target(Info<M>::bottleneck, Info<M>::unit());
    if (name == "region_to_bottleneck") {  // relevance / gradient at the bottleneck's output
        auto t = make_target<M>("recon_region");
        t.stop_at = Info<M>::bottleneck;
        return t;
    }
    FAIL("unknown target " << name);
    return {};
}

/// The LRP analyzer for `method` handed to f.
template <class M, class F>
bool with_lrp(const M& m, const std::string& method, F&& f) {
    if (method == "lrp.epsilon") return f(lrp(m, Epsilon(0.05))), true;
    if (method == "lrp.alpha_beta") return f(lrp(m, AlphaBeta(2, 1))), true;
    if (method == "lrp.zplus") return f(lrp(m, ZPlus())), true;
    if (method == "lrp.epsilon_plus_flat") return f(lrp(m, presets::epsilon_plus_flat())), true;
    if (method == "lrp.composite")  // the merges' epsilon named by class
        return f(lrp(m, composite(entry<FirstLinear>(Flat{}), entry<ByClass<"Add", "Subtract", "Average">>(Epsilon(0.01)),
                                  entry<DenseLayers>(Epsilon(1e-6)), entry<Convolutions>(ZPlus())))),
               true;
    if (method == "conserve.epsilon_tiny") return f(lrp(m, Epsilon(1e-13))), true;
    return false;
}

template <class M>
Explanation<typename M::scalar> run(const M& m, const std::string& method, const Batch<typename M::scalar>& x,
                                    const Target<typename M::scalar>& t) {
    if (method == "gradient") return gradient(m).explain(x, t);
    if (method == "input_x_gradient") return input_x_gradient(m).explain(x, t);
    Explanation<typename M::scalar> e;
    const bool known = with_lrp(m, method, [&](const auto& a) { e = a.explain(x, t); });
    REQUIRE_MESSAGE(known, "unknown method " << method);
    return e;
}

const std::set<std::string> known_methods = {"lrp.epsilon",        "lrp.alpha_beta", "lrp.zplus",
                                             "lrp.epsilon_plus_flat", "lrp.composite",  "conserve.epsilon_tiny",
                                             "gradient",           "input_x_gradient"};

/// Every layer's output against `<layer>.out.npy`.
template <class M>
void check_forward() {
    const fs::path dir = graph_dir / Info<M>::dir;
    const auto m = load_model<M>();
    const auto tr = m.forward(load_batch<double>(dir / "input.npy"));
    int n = 0;
    for (const auto& name : M::names) {
        CAPTURE(std::string(name));
        check_close(tr.output(std::string(name)), load_batch<double>(dir / (std::string(name) + ".out.npy")), 1e-12);
        ++n;
    }
    CHECK(n == static_cast<int>(M::size));
}

/// Every fixture of the index in double at 1e-9, LRP's conservation report too; returns the worst ratio.
template <class M>
double check_all() {
    const fs::path dir = graph_dir / Info<M>::dir;
    const auto model = load_model<M>();
    const auto zero = load_model<M>(true);
    const auto x = load_batch<double>(dir / "input.npy");
    double worst = 0;
    int n = 0;
    for (const auto& f : read_index(dir)) {
        CAPTURE(f.name);
        REQUIRE(known_methods.count(f.method) == 1);
        ++n;
        const bool conserve = f.method == "conserve.epsilon_tiny";
        const auto expected = load<double>(dir / (f.name + ".npy"));
        const auto e = run(conserve ? zero : model, f.method, x, make_target<M>(f.target));
        CHECK(e.shape == std::vector<std::int64_t>(expected.shape.begin() + 1, expected.shape.end()));
        worst = std::max(worst, check_close(e.relevance, io::to_batch(expected), 1e-9));
        if (f.method.rfind("gradient", 0) == 0 || f.method == "input_x_gradient") continue;
        const auto ref = read_report(dir / (f.name + ".conservation.json"));
        check_report(e.report, ref, 1e-9);
        REQUIRE(ref.initial_per_sample.size() == static_cast<std::size_t>(x.rows()));
        for (Eigen::Index b = 0; b < x.rows(); ++b)
            CHECK(std::abs(e.initial.row(b).sum() - ref.initial_per_sample[static_cast<std::size_t>(b)]) <=
                  1e-9 * ref.layers.front().abs_out);
        if (conserve) {
            // Zero biases, ε → 0: nothing is absorbed, at any layer or merge, nor on the way to the input.
            // With stop_at, what goes around the stop layer is reported as bypassed.
            const double s0 = e.initial.cwiseAbs().sum();
            CHECK(std::abs(e.relevance.sum() + e.report.bypassed - e.initial.sum()) <= 1e-10 * s0);
            if (f.target == "region_to_bottleneck") CHECK(std::abs(e.report.bypassed) > 1e-3 * s0);
            else
                for (Eigen::Index b = 0; b < x.rows(); ++b)
                    CHECK(std::abs(e.relevance.row(b).sum() - e.initial.row(b).sum()) <= 1e-10 * s0);
            for (const auto& l : e.report.layers) {
                CAPTURE(l.layer);
                CHECK(std::abs(l.relevance_out - l.relevance_in) <= 1e-10 * s0);
            }
        }
    }
    CHECK(n == 30);
    return worst;
}

/// A few fixtures in float at 2e-5 (weights and input lie on the float grid).
template <class M>
void check_float(std::initializer_list<const char*> names) {
    const fs::path dir = graph_dir / Info<M>::dir;
    const auto model = load_model<M>();
    const auto x = load_batch<float>(dir / "input.npy");
    double worst = 0;
    for (const char* name : names) {
        const std::string s(name);
        CAPTURE(s);
        const auto sep = s.find("__");
        const auto e = run(model, s.substr(0, sep), x, make_target<M>(s.substr(sep + 2)));
        worst = std::max(worst, check_close(e.relevance, load_batch<double>(dir / (s + ".npy")), 2e-5));
    }
    MESSAGE(std::string(Info<M>::dir) << " in float: worst max|diff| / max|expected| = " << worst);
}

}  // namespace

TEST_SUITE("graph reference") {

TEST_CASE("graph reference: U-Net forward") { check_forward<UNet<double>>(); }
TEST_CASE("graph reference: U-Net, every method and target") {
    const double w = check_all<UNet<double>>();
    MESSAGE("unet: worst max|diff| / max|expected| = " << w);
}
TEST_CASE("graph reference: U-Net in float") {
    check_float<UNet<float>>({"lrp.epsilon__recon_all", "lrp.alpha_beta__recon_region", "lrp.composite__bottleneck_unit",
                              "gradient__recon_region", "input_x_gradient__recon_all",
                              "lrp.epsilon__region_to_bottleneck", "gradient__region_to_bottleneck"});
}

TEST_CASE("graph reference: residual autoencoder forward") { check_forward<Residual<double>>(); }
TEST_CASE("graph reference: residual autoencoder, every method and target") {
    const double w = check_all<Residual<double>>();
    MESSAGE("residual: worst max|diff| / max|expected| = " << w);
}
TEST_CASE("graph reference: residual autoencoder in float") {
    check_float<Residual<float>>({"lrp.epsilon__recon_all", "lrp.zplus__recon_region", "lrp.epsilon_plus_flat__bottleneck_unit",
                                  "gradient__recon_all", "input_x_gradient__bottleneck_unit",
                                  "lrp.composite__region_to_bottleneck", "gradient__region_to_bottleneck"});
}

TEST_CASE("graph reference: Conv1D autoencoder forward") { check_forward<Seq<double>>(); }
TEST_CASE("graph reference: Conv1D autoencoder, every method and target") {
    const double w = check_all<Seq<double>>();
    MESSAGE("conv1d: worst max|diff| / max|expected| = " << w);
}
TEST_CASE("graph reference: Conv1D autoencoder in float") {
    check_float<Seq<float>>({"lrp.epsilon__recon_all", "lrp.alpha_beta__recon_region", "lrp.composite__recon_all",
                             "gradient__bottleneck_unit", "input_x_gradient__recon_region",
                             "lrp.alpha_beta__region_to_bottleneck", "input_x_gradient__region_to_bottleneck"});
}

}  // TEST_SUITE
