// The seed model (design.md §7, W = 16) explained by every analyzer, compared with the independent
// numpy reference in tests/reference/explain_reference.py (dense-matrix formulas written from
// design.md §4/§6, cross-checked there against torch autograd and finite differences).
//
// Fixtures: tests/data/explain/seed16/ (index.txt lists `name method target`; parameters in
// index.json; regenerate with tests/reference/make_explain_fixtures.py). Weights and input:
// tests/data/forward/seed16/*.npy.
//
// Tolerances. double: max |actual − expected| ≤ 1e-9 · max |expected| over each fixture (the
// arrays mix values of very different size, some near 0 by cancellation, so the error is measured
// against the array's scale). The conservation report's sums: |actual − expected| ≤ 1e-9 ·
// (Σ|R_out| + Σ|R_in|) of that layer. float: the same measure at 2e-5 (see the float test case).

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <innspect/innspect.hpp>

#include "connectome/seed_model.hpp"
#include <innspect/io/npy.hpp>

#include "support/reference_checks.hpp"

namespace {

using namespace innspect;
namespace fs = std::filesystem;
using innspect::test::check_close;
using innspect::test::check_report;
using innspect::test::read_report;
using innspect::test::RefReport;

const fs::path forward_dir = fs::path(INNSPECT_TEST_DATA_DIR) / "forward" / "seed16";
const fs::path explain_dir = fs::path(INNSPECT_TEST_DATA_DIR) / "explain" / "seed16";

template <class T>
using SeedModel = seed::SeedModel<T, 16>;

// ---- loading ------------------------------------------------------------------------------------

template <class T>
io::NpyArray<T> load(const fs::path& p) {
    INFO("reading " << p.string());
    REQUIRE(fs::exists(p));
    return io::read_npy<T>(p);
}

/// Copies `<name>.kernel.npy` / `<name>.bias.npy` (Keras shapes, C order) into the layer; the
/// kernel matrix is the Keras array in C order, so this is a plain copy after a shape check.
template <class T, class L>
void load_layer(L& layer) {
    const std::string name(layer.name);
    const auto kernel = load<T>(forward_dir / (name + ".kernel.npy"));
    const auto bias = load<T>(forward_dir / (name + ".bias.npy"));
    for (const auto& w : layer.weights()) {
        const auto& src = w.role == "kernel" ? kernel : bias;
        INFO(name << "." << w.role);
        REQUIRE(src.shape == w.shape);
        std::copy(src.data.begin(), src.data.end(), w.data);
    }
    auto& p = layer.params();
    REQUIRE(p.kernel.size() == static_cast<Eigen::Index>(kernel.data.size()));
    REQUIRE(p.has_bias);
    REQUIRE(p.bias.size() == static_cast<Eigen::Index>(bias.data.size()));
}

template <class T>
SeedModel<T> load_seed_model() {
    SeedModel<T> m;
    load_layer<T>(m.template layer<"conv1">());
    load_layer<T>(m.template layer<"conv2">());
    load_layer<T>(m.template layer<"dense1">());
    load_layer<T>(m.template layer<"output">());
    load_layer<T>(m.template layer<"dense2">());
    load_layer<T>(m.template layer<"conv3">());
    load_layer<T>(m.template layer<"conv4">());
    load_layer<T>(m.template layer<"autoencoder">());
    return m;
}

template <class T>
Batch<T> load_batch(const fs::path& p) {
    return io::to_batch(load<T>(p));
}

// ---- fixtures: methods and targets -----------------------------------------------------------------

struct Fixture {
    std::string name, method, target;
};

std::vector<Fixture> read_index() {
    std::ifstream in(explain_dir / "index.txt");
    REQUIRE_MESSAGE(in.good(), "cannot read " << (explain_dir / "index.txt").string());
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

template <class T>
Target<T> make_target(const std::string& name) {
    if (name == "logit_max") return target("output", select::max<T>());
    if (name == "logit_1") return target("output", select::index<T>(1));
    if (name == "prob_1_keep") {
        auto t = target("output", select::index<T>(1));
        t.strip_activation = false;
        return t;
    }
    if (name == "latent_5") return target("conv2", select::index<T>(5));
    if (name == "latent_dir")
        return target("conv2", select::direction<T>(load_batch<T>(explain_dir / "latent_dir.direction.npy")));
    if (name == "recon_all") return target("autoencoder", select::all<T>());
    if (name == "recon_region")
        return target("autoencoder", select::mask<T>(load_batch<T>(explain_dir / "recon_region.mask.npy")));
    if (name == "region_to_latent") {
        auto t = target("autoencoder", select::mask<T>(load_batch<T>(explain_dir / "recon_region.mask.npy")));
        t.stop_at = "conv2";
        return t;
    }
    FAIL("unknown target " << name);
    return {};
}

/// The LRP analyzer / composite for `method` applied to f(analyzer).
template <class M, class F>
bool with_lrp(const M& m, const std::string& method, F&& f) {
    if (method == "lrp.z") return f(lrp(m, ZRule{})), true;
    if (method == "lrp.epsilon") return f(lrp(m, Epsilon(0.1))), true;
    if (method == "lrp.epsilon_nobias") return f(lrp(m, Epsilon(0.1, false))), true;
    if (method == "lrp.alpha_beta") return f(lrp(m, AlphaBeta(2, 1))), true;
    if (method == "lrp.zplus") return f(lrp(m, ZPlus())), true;
    if (method == "lrp.gamma") return f(lrp(m, Gamma(0.25))), true;
    if (method == "lrp.flat") return f(lrp(m, Flat{})), true;
    if (method == "lrp.wsquare") return f(lrp(m, WSquare{})), true;
    if (method == "lrp.zbox") return f(lrp(m, ZBox(-1, 1))), true;
    if (method == "lrp.epsilon_plus_flat") return f(lrp(m, presets::epsilon_plus_flat())), true;
    if (method == "lrp.epsilon_gamma_box") return f(lrp(m, presets::epsilon_gamma_box(-1, 1))), true;
    if (method == "lrp.sequential_preset_a") return f(lrp(m, presets::sequential_preset_a())), true;
    if (method == "lrp.sequential_preset_b") return f(lrp(m, presets::sequential_preset_b())), true;
    return false;
}

template <class T>
Explanation<T> run(const SeedModel<T>& m, const std::string& method, const Batch<T>& x, const Target<T>& t) {
    if (method == "gradient") return gradient(m).explain(x, t);
    if (method == "input_x_gradient") return input_x_gradient(m).explain(x, t);
    if (method == "integrated_gradients") return IntegratedGradients<SeedModel<T>>(m, 16).explain(x, t);
    if (method == "occlusion") return Occlusion<SeedModel<T>>(m, 4, 4, 4, 4, 0.0).explain(x, t);
    Explanation<T> e;
    const bool known = with_lrp(m, method, [&](const auto& a) { e = a.explain(x, t); });
    REQUIRE_MESSAGE(known, "unknown method " << method);
    return e;
}

/// Runs every fixture of `method` (in double, 1e-9) and, for LRP, checks the conservation report.
void check_method(const std::string& method) {
    static const auto model = load_seed_model<double>();
    static const auto x = load_batch<double>(forward_dir / "input.npy");
    int n = 0;
    for (const auto& f : read_index()) {
        if (f.method != method) continue;
        ++n;
        CAPTURE(f.name);
        const auto expected = load<double>(explain_dir / (f.name + ".npy"));
        const auto e = run(model, method, x, make_target<double>(f.target));
        CHECK(e.shape == std::vector<std::int64_t>(expected.shape.begin() + 1, expected.shape.end()));
        check_close(e.relevance, io::to_batch(expected), 1e-9);
        if (method.rfind("lrp.", 0) == 0) {
            const auto ref = read_report(explain_dir / (f.name + ".conservation.json"));
            check_report(e.report, ref, 1e-9);
            // Σ R⁰ per sample
            REQUIRE(ref.initial_per_sample.size() == static_cast<std::size_t>(x.rows()));
            for (Eigen::Index b = 0; b < x.rows(); ++b)
                CHECK(std::abs(e.initial.row(b).sum() - ref.initial_per_sample[static_cast<std::size_t>(b)]) <=
                      1e-9 * ref.layers.front().abs_out);
        }
    }
    CHECK_MESSAGE(n > 0, "no fixture for " << method);
}

const std::vector<std::string> all_methods = {
    "gradient", "input_x_gradient", "integrated_gradients", "occlusion", "lrp.z", "lrp.epsilon",
    "lrp.epsilon_nobias", "lrp.alpha_beta", "lrp.zplus", "lrp.gamma", "lrp.flat", "lrp.wsquare", "lrp.zbox",
    "lrp.epsilon_plus_flat", "lrp.epsilon_gamma_box", "lrp.sequential_preset_a", "lrp.sequential_preset_b"};

}  // namespace

TEST_SUITE("seed16 reference") {

TEST_CASE("seed16 reference: the loaded model reproduces the forward fixtures") {
    const auto model = load_seed_model<double>();
    const auto x = load_batch<double>(forward_dir / "input.npy");
    const auto trace = model.forward(x);
    for (const char* name : {"conv1", "conv2", "dense1", "output", "dense2", "conv3", "conv4", "autoencoder"}) {
        CAPTURE(std::string(name));
        check_close(trace.output(name), load_batch<double>(forward_dir / (std::string(name) + ".out.npy")), 1e-12);
        check_close(trace.pre_activation(trace.index_of(name)),
                    load_batch<double>(forward_dir / (std::string(name) + ".preact.npy")), 1e-12);
    }
}

TEST_CASE("seed16 reference: every fixture of the index has a method this test knows") {
    const std::set<std::string> known(all_methods.begin(), all_methods.end());
    const auto index = read_index();
    CHECK(index.size() == 70);
    for (const auto& f : index) {
        CAPTURE(f.name);
        CHECK(known.count(f.method) == 1);
    }
}

TEST_CASE("seed16 reference: gradient") { check_method("gradient"); }
TEST_CASE("seed16 reference: input_x_gradient") { check_method("input_x_gradient"); }
TEST_CASE("seed16 reference: integrated_gradients") { check_method("integrated_gradients"); }
TEST_CASE("seed16 reference: occlusion") { check_method("occlusion"); }
TEST_CASE("seed16 reference: lrp.z") { check_method("lrp.z"); }
TEST_CASE("seed16 reference: lrp.epsilon") { check_method("lrp.epsilon"); }
TEST_CASE("seed16 reference: lrp.epsilon_nobias") { check_method("lrp.epsilon_nobias"); }
TEST_CASE("seed16 reference: lrp.alpha_beta") { check_method("lrp.alpha_beta"); }
TEST_CASE("seed16 reference: lrp.zplus") { check_method("lrp.zplus"); }
TEST_CASE("seed16 reference: lrp.gamma") { check_method("lrp.gamma"); }
TEST_CASE("seed16 reference: lrp.flat") { check_method("lrp.flat"); }
TEST_CASE("seed16 reference: lrp.wsquare") { check_method("lrp.wsquare"); }
TEST_CASE("seed16 reference: lrp.zbox") { check_method("lrp.zbox"); }
TEST_CASE("seed16 reference: lrp.epsilon_plus_flat") { check_method("lrp.epsilon_plus_flat"); }
TEST_CASE("seed16 reference: lrp.epsilon_gamma_box") { check_method("lrp.epsilon_gamma_box"); }
TEST_CASE("seed16 reference: lrp.sequential_preset_a") { check_method("lrp.sequential_preset_a"); }
TEST_CASE("seed16 reference: lrp.sequential_preset_b") { check_method("lrp.sequential_preset_b"); }

TEST_CASE("seed16 reference: a few fixtures in float") {
    // Weights and input lie on the float grid, so the float model reads exactly the reference's
    // numbers; only the arithmetic differs. Seen (GCC 12, x86-64, -O2): at most 2.7e-6 of the
    // array's scale (occlusion: S(x) − S(x_occluded) cancels, S ≈ 9 for the region), 1e-6 for
    // the rest; the tolerance leaves a factor ~7 for other compilers and instruction sets.
    const auto model = load_seed_model<float>();
    const auto x = load_batch<float>(forward_dir / "input.npy");
    for (const char* name : {"gradient__logit_1", "input_x_gradient__recon_region", "integrated_gradients__latent_dir",
                             "occlusion__recon_region", "lrp.epsilon__logit_max", "lrp.epsilon__region_to_latent",
                             "lrp.alpha_beta__recon_region", "lrp.epsilon_gamma_box__latent_5",
                             "lrp.sequential_preset_b__recon_all", "lrp.flat__latent_5"}) {
        const std::string s(name);
        CAPTURE(s);
        const auto sep = s.find("__");
        const auto e = run(model, s.substr(0, sep), x, make_target<float>(s.substr(sep + 2)));
        check_close(e.relevance, load_batch<double>(explain_dir / (s + ".npy")), 2e-5);
    }
}

TEST_CASE("seed16 reference: the reconstruction error (tests/reference/make_error_fixtures.py)") {
    // E = Σ m (x − x̂)², whole and over the region; the reference assembles every method from its
    // direction-target explanations (R = R_net − d ⊙ x, ∂E/∂x = 2Jᵀd − 2d, IG with d at each point).
    const fs::path dir = fs::path(INNSPECT_TEST_DATA_DIR) / "explain" / "seed16_error";
    const auto model = load_seed_model<double>();
    const auto x = load_batch<double>(forward_dir / "input.npy");
    const Batch<double> region = io::to_batch(load<double>(explain_dir / "recon_region.mask.npy"));
    std::ifstream index(dir / "index.txt");
    std::string name, method, tname;
    int n = 0;
    while (index >> name >> method >> tname) {
        CAPTURE(name);
        ++n;
        const auto t = target("autoencoder", tname == "error_region" ? select::reconstruction_error<double>(region)
                                                                      : select::reconstruction_error<double>());
        Explanation<double> e;
        if (method == "residual")
            e = residual_map(model).explain(x, t);
        else
            e = run(model, method, x, t);
        check_close(e.relevance, load_batch<double>(dir / (name + ".npy")), 1e-9);
        const auto score = load<double>(dir / ("score__" + tname + ".npy"));
        check_close(e.score.transpose(), Batch<double>(Eigen::Map<const Batch<double>>(score.data.data(), 1, x.rows())),
                    1e-12);
    }
    CHECK(n == 16);
}

}  // TEST_SUITE
