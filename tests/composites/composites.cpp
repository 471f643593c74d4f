// Composites choose a rule per linear layer — by kind, by position (the first linear layer) or by
// Keras name — and the first matching entry wins (design.md §4). Checked through the rule each
// layer reports in the conservation report, through the relevance itself on a hand-derived case,
// and for every preset on the seed model.

#include <doctest/doctest.h>

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <type_traits>

#include <innspect/innspect.hpp>

#include "connectome/seed_model.hpp"

using namespace innspect;

namespace {

Batch<double> random_batch(Eigen::Index rows, Eigen::Index cols, std::uint64_t seed) {
    std::mt19937_64 gen(seed);
    std::normal_distribution<double> n(0.0, 1.0);
    Batch<double> b(rows, cols);
    for (Eigen::Index i = 0; i < b.size(); ++i) b.data()[i] = n(gen);
    return b;
}

template <class M>
void randomize(M& m, std::uint64_t seed) {
    std::mt19937_64 gen(seed);
    std::normal_distribution<double> normal(0.0, 1.0);
    m.for_each_layer([&](auto& l) {
        using L = std::remove_cvref_t<decltype(l)>;
        if constexpr (LinearLayer<L>) {
            auto& p = l.params();
            const double fan = L::keras_class == "Conv2DTranspose" ? double(p.kernel.cols()) : double(p.kernel.rows());
            for (Eigen::Index i = 0; i < p.kernel.size(); ++i) p.kernel.data()[i] = normal(gen) / std::sqrt(fan);
            if (p.has_bias)
                for (Eigen::Index i = 0; i < p.bias.size(); ++i) p.bias(i) = 0.1 * normal(gen);
        }
    });
}

/// layer name → rule name, from an explanation's conservation report.
std::map<std::string, std::string> rules_of(const Explanation<double>& e) {
    std::map<std::string, std::string> r;
    for (const auto& l : e.report.layers) r[l.layer] = l.rule;
    return r;
}

using CNet = Model<double, Input<6, 6, 1>,
                   Conv2D<"conv_a", 2, Kernel<3, 3>, Relu>,        // 4×4×2
                   Conv2DTranspose<"deconv", 2, Kernel<2, 2>, Relu>,  // 5×5×2
                   Flatten<"flat">,
                   Dense<"dense_a", 4, Relu>,
                   Dense<"dense_b", 3>>;

CNet make_cnet() {
    CNet m;
    randomize(m, 401);
    return m;
}

const std::string pass = "pass-through";

template <int W>
using Seed = seed::SeedModel<double, W>;

}  // namespace

TEST_SUITE("composites") {

TEST_CASE("by kind: Dense vs convolutions (Conv2DTranspose counts as a convolution)") {
    const auto m = make_cnet();
    const auto e = lrp(m, composite(entry<DenseLayers>(Epsilon(0.1)), entry<Convolutions>(AlphaBeta(2, 1))))
                       .explain(random_batch(1, 36, 402), target<double>("dense_b", select::max<double>()));
    const std::map<std::string, std::string> expected{{"dense_b", Epsilon(0.1).name()},
                                                      {"dense_a", Epsilon(0.1).name()},
                                                      {"flat", pass},
                                                      {"deconv", AlphaBeta(2, 1).name()},
                                                      {"conv_a", AlphaBeta(2, 1).name()}};
    CHECK(rules_of(e) == expected);
    // The choice is made at compile time.
    using Comp = decltype(composite(entry<DenseLayers>(Epsilon(0.1)), entry<Convolutions>(AlphaBeta(2, 1))));
    static_assert(Comp::match(CNet::layer_infos(), 0) == 1);  // conv_a → entry 1
    static_assert(Comp::match(CNet::layer_infos(), 1) == 1);  // deconv → entry 1
    static_assert(Comp::match(CNet::layer_infos(), 3) == 0);  // dense_a → entry 0
}

TEST_CASE("by position: the first linear layer") {
    const auto m = make_cnet();
    const auto e = lrp(m, composite(entry<FirstLinear>(Flat{}), entry<AnyLayer>(ZRule{})))
                       .explain(random_batch(1, 36, 403), target<double>("dense_b", select::max<double>()));
    const std::map<std::string, std::string> expected{
        {"dense_b", "z"}, {"dense_a", "z"}, {"flat", pass}, {"deconv", "z"}, {"conv_a", Flat{}.name()}};
    CHECK(rules_of(e) == expected);

    // Pass-through layers before it do not count; a second branch reading the input directly is
    // also a first linear layer.
    using M = Model<double, Input<4>, Dropout<"drop">, Dense<"first", 3>, Dense<"second", 2>,
                    From<"input", Dense<"side", 2>>, From<"drop", Dense<"side2", 2>>>;
    using Comp = decltype(composite(entry<FirstLinear>(Flat{}), entry<AnyLayer>(ZRule{})));
    static_assert(Comp::match(M::layer_infos(), 1) == 0);  // first
    static_assert(Comp::match(M::layer_infos(), 2) == 1);  // second
    static_assert(Comp::match(M::layer_infos(), 3) == 0);  // side
    static_assert(Comp::match(M::layer_infos(), 4) == 0);  // side2
    M mm;
    randomize(mm, 404);
    const auto f = lrp(mm, composite(entry<FirstLinear>(Flat{}), entry<AnyLayer>(ZRule{})))
                       .explain(random_batch(1, 4, 405), target<double>("second", select::max<double>()));
    CHECK(rules_of(f) == std::map<std::string, std::string>{{"second", "z"}, {"first", "flat"}, {"drop", pass}});
}

TEST_CASE("by name, first match wins") {
    const auto m = make_cnet();
    const Batch<double> x = random_batch(1, 36, 406);
    const auto t = target<double>("dense_b", select::max<double>());
    {
        const auto e = lrp(m, composite(entry<ByName<"dense_a">>(Flat{}), entry<DenseLayers>(Epsilon(0.1)),
                                        entry<AnyLayer>(ZRule{})))
                           .explain(x, t);
        const std::map<std::string, std::string> expected{
            {"dense_b", Epsilon(0.1).name()}, {"dense_a", "flat"}, {"flat", pass}, {"deconv", "z"}, {"conv_a", "z"}};
        CHECK(rules_of(e) == expected);
    }
    {
        // The same entries, the by-name one after the by-kind one: it is shadowed.
        const auto e = lrp(m, composite(entry<DenseLayers>(Epsilon(0.1)), entry<ByName<"dense_a">>(Flat{}),
                                        entry<AnyLayer>(ZRule{})))
                           .explain(x, t);
        CHECK(rules_of(e).at("dense_a") == Epsilon(0.1).name());
    }
    {
        // A catch-all first shadows everything.
        const auto e = lrp(m, composite(entry<AnyLayer>(ZRule{}), entry<ByName<"dense_a">>(Flat{}))).explain(x, t);
        for (const auto& [layer, rule] : rules_of(e)) CHECK(rule == (layer == "flat" ? pass : std::string("z")));
    }
}

TEST_CASE("the chosen rules are the ones applied (network N of tests/rules/hand_computed.cpp)") {
    // N: x = (1, 2, 3), W_a = [[1, −1], [2, 1], [−1, 2]], b_a = (0.5, −1), ReLU; W_b = [[4, −2], [−1, 1]],
    // b_b = (−1, 1); R⁰ = (3, 1) at b. ε (1) on "b", z elsewhere:
    //   layer b (ε = 1): R_a = (35/6, −5/2)   (as in the epsilon case there)
    //   layer a (z):     s = ((35/6)/2.5, (−5/2)/6) = (7/3, −5/12)
    //     R_x0 = 1·(7/3 + 5/12)        = 33/12 = 11/4
    //     R_x1 = 2·(2·7/3 − 5/12)      = 2·51/12 = 17/2
    //     R_x2 = 3·(−7/3 + 2·(−5/12))  = 3·(−19/6) = −19/2
    Model<double, Input<3>, Dense<"a", 2, Relu>, Dense<"b", 2>> m;
    m.layer<"a">().params().kernel.resize(3, 2);
    m.layer<"a">().params().kernel << 1, -1, 2, 1, -1, 2;
    m.layer<"a">().params().bias.resize(2);
    m.layer<"a">().params().bias << 0.5, -1;
    m.layer<"b">().params().kernel.resize(2, 2);
    m.layer<"b">().params().kernel << 4, -2, -1, 1;
    m.layer<"b">().params().bias.resize(2);
    m.layer<"b">().params().bias << -1, 1;
    Batch<double> x(1, 3), r0(1, 2);
    x << 1, 2, 3;
    r0 << 3, 1;
    const auto t = target<double>("b", select::relevance<double>(r0));
    const auto e = lrp(m, composite(entry<ByName<"b">>(Epsilon(1.0)), entry<AnyLayer>(ZRule{}))).explain(x, t);
    CHECK(e.relevance(0, 0) == doctest::Approx(11.0 / 4).epsilon(1e-14));
    CHECK(e.relevance(0, 1) == doctest::Approx(17.0 / 2).epsilon(1e-14));
    CHECK(e.relevance(0, 2) == doctest::Approx(-19.0 / 2).epsilon(1e-14));
    // With the catch-all first, z everywhere: (3.5, 11, −12) as in the z-rule case.
    const auto z = lrp(m, composite(entry<AnyLayer>(ZRule{}), entry<ByName<"b">>(Epsilon(1.0)))).explain(x, t);
    CHECK(z.relevance(0, 0) == doctest::Approx(3.5).epsilon(1e-14));
    CHECK(z.relevance(0, 1) == doctest::Approx(11.0).epsilon(1e-14));
    CHECK(z.relevance(0, 2) == doctest::Approx(-12.0).epsilon(1e-14));
}

TEST_CASE("every preset's rule assignment on the seed model (W = 16)") {
    Seed<16> m;
    randomize(m, 407);
    const Batch<double> x = random_batch(1, 256, 408);
    const auto t = target<double>("autoencoder", select::all<double>());
    const char* const convs[] = {"autoencoder", "conv4", "conv3", "conv2"};  // conv1 below
    const char* const denses[] = {"dense2", "output", "dense1"};
    const char* const others[] = {"reshape2", "reshape1", "dropout2", "dropout1"};

    auto check = [&](const auto& preset, const std::string& preset_name, const std::string& conv1,
                     const std::string& conv, const std::string& dense) {
        CAPTURE(preset_name);
        CHECK(preset.name == preset_name);
        const auto rules = rules_of(lrp(m, preset).explain(x, t));
        REQUIRE(rules.size() == 12);
        CHECK(rules.at("conv1") == conv1);
        for (const char* c : convs) CHECK(rules.at(c) == conv);
        for (const char* d : denses) CHECK(rules.at(d) == dense);
        for (const char* o : others) CHECK(rules.at(o) == pass);
    };
    const auto eps01 = Epsilon(0.1).name(), eps6 = Epsilon(1e-6).name();
    const auto ab10 = AlphaBeta(1, 0).name(), ab21 = AlphaBeta(2, 1).name();
    check(presets::sequential_preset_a(), "sequential_preset_a", ab10, ab10, eps01);
    check(presets::sequential_preset_b(), "sequential_preset_b", ab21, ab21, eps01);
    check(presets::sequential_preset_a_flat(), "sequential_preset_a_flat", Flat{}.name(), ab10, eps01);
    check(presets::sequential_preset_b_flat(), "sequential_preset_b_flat", Flat{}.name(), ab21, eps01);
    check(presets::epsilon_plus(), "epsilon_plus", ZPlus().name(), ZPlus().name(), eps6);
    check(presets::epsilon_alpha2_beta1(), "epsilon_alpha2_beta1", ab21, ab21, eps6);
    check(presets::epsilon_plus_flat(), "epsilon_plus_flat", Flat{}.name(), ZPlus().name(), eps6);
    check(presets::epsilon_gamma_box(-1, 1), "epsilon_gamma_box", ZBox(-1, 1).name(), Gamma(0.25).name(), eps6);
    // parameters reach the rules
    check(presets::sequential_preset_a(0.25), "sequential_preset_a", ab10, ab10, Epsilon(0.25).name());
    check(presets::epsilon_gamma_box(-2, 3, 0.5, 0.01), "epsilon_gamma_box", ZBox(-2, 3).name(), Gamma(0.5).name(),
          Epsilon(0.01).name());
    // and the rule names say what they are
    CHECK(eps01 == "epsilon(0.1)");
    CHECK(ab21 == "alpha_beta(2, 1)");
    CHECK(ZPlus().name() == "zplus");
    CHECK(Gamma(0.25).name() == "gamma(0.25)");
    CHECK(ZBox(-1, 1).name() == "zbox(-1, 1)");
}

TEST_CASE("a uniform rule is named after the rule") {
    const auto m = make_cnet();
    const auto a = lrp(m, Gamma(0.5));
    CHECK(a.composite().name == Gamma(0.5).name());
}

}  // TEST_SUITE
