// Tests of innspect/evaluation/region_perturbation.hpp (MoRF curve and AOPC) on tiny LINEAR
// models, where the explained score is S(x) = Σ_i w_i x_i: perturbing a patch to 0 removes its
// contributions x_i w_i, so every curve and AOPC below is computed by hand,
//   AOPC = 1/(K+1) Σ_{k=0..K} (S(x⁽⁰⁾) − S(x⁽ᵏ⁾)).

#include "innspect/evaluation/region_perturbation.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

#include <innspect/innspect.hpp>

#include "support/test_support.hpp"

using namespace innspect;
using innspect::test::identical;
using innspect::test::rows;

namespace {

// S = 4 x0 − x1 + 2 x2 + 0.5 x3 on a 2 × 2 image (x0 x1 / x2 x3).
template <class Act = Linear>
using Linear22 = Model<double, Input<2, 2, 1>, Flatten<"flat">, Dense<"out", 1, Act, false>>;

template <class M>
M linear22() {
    M m;
    m.template layer<"out">().params().kernel << 4, -1, 2, 0.5;
    return m;
}

// S = Σ w_i x_i with w = 1..9 on a 3 × 3 image.
using Linear33 = Model<double, Input<3, 3, 1>, Flatten<"flat">, Dense<"out", 1, Linear, false>>;

Linear33 linear33() {
    Linear33 m;
    m.layer<"out">().params().kernel << 1, 2, 3, 4, 5, 6, 7, 8, 9;
    return m;
}

PerturbationOptions zero_fill(int patch_h, int patch_w, int steps) {
    PerturbationOptions o;
    o.patch_h = patch_h;
    o.patch_w = patch_w;
    o.steps = steps;
    o.uniform_noise = false;
    o.value = 0;
    return o;
}

const Target<double> unit0 = target<double>("out", select::index<double>(0));

}  // namespace

TEST_CASE("MoRF on a linear model: the curve and AOPC by hand") {
    const auto m = linear22<Linear22<>>();
    // x = [1, 2, 3, 4] → contributions x_i w_i = [4, −2, 6, 2], S(x) = 10
    const Batch<double> x = rows({{1, 2, 3, 4}});
    const Batch<double> contributions = rows({{4, -2, 6, 2}});
    SUBCASE("relevance = the contributions: removed in the order 2, 0, 3, 1") {
        // S: 10, 10 − 6 = 4, 4 − 4 = 0, 0 − 2 = −2, −2 + 2 = 0
        // AOPC = (0 + 6 + 10 + 12 + 10) / 5 = 38 / 5
        const auto c = morf(m, x, contributions, unit0, zero_fill(1, 1, 4));
        CHECK(identical(c.scores, rows({{10, 4, 0, -2, 0}})));
        REQUIRE(c.aopc.size() == 1);
        CHECK(c.aopc(0) == doctest::Approx(7.6).epsilon(1e-15));
        CHECK(c.mean_aopc() == doctest::Approx(7.6).epsilon(1e-15));
    }
    SUBCASE("reversed relevance: removed in the order 1, 3, 0, 2, and a smaller AOPC") {
        // S: 10, 10 + 2 = 12, 12 − 2 = 10, 10 − 4 = 6, 6 − 6 = 0; AOPC = (0 − 2 + 0 + 4 + 10) / 5 = 12 / 5
        const auto good = morf(m, x, contributions, unit0, zero_fill(1, 1, 4));
        const auto bad = morf(m, x, Batch<double>(-contributions), unit0, zero_fill(1, 1, 4));
        CHECK(identical(bad.scores, rows({{10, 12, 10, 6, 0}})));
        CHECK(bad.aopc(0) == doctest::Approx(2.4).epsilon(1e-15));
        CHECK(good.aopc(0) > bad.aopc(0));
    }
    SUBCASE("fewer steps than patches: K + 1 points") {
        // S: 10, 4, 0; AOPC = (0 + 6 + 10) / 3
        const auto c = morf(m, x, contributions, unit0, zero_fill(1, 1, 2));
        CHECK(identical(c.scores, rows({{10, 4, 0}})));
        CHECK(c.aopc(0) == doctest::Approx(16.0 / 3).epsilon(1e-15));
        // steps 0: only S(x), AOPC 0
        const auto c0 = morf(m, x, contributions, unit0, zero_fill(1, 1, 0));
        CHECK(identical(c0.scores, rows({{10}})));
        CHECK(c0.aopc(0) == 0);
    }
    SUBCASE("more steps than patches: stops when everything is perturbed") {
        const auto c = morf(m, x, contributions, unit0, zero_fill(1, 1, 20));
        CHECK(identical(c.scores, rows({{10, 4, 0, -2, 0}})));
    }
    SUBCASE("a constant other than 0") {
        // value 1: after removing x2 (3 → 1): S = 4 − 2 + 2 + 2 = 6; then x0 (1 → 1): still 6;
        // then x3 (4 → 1): 4 − 2 + 2 + 0.5 = 4.5; then x1 (2 → 1): 4 − 1 + 2 + 0.5 = 5.5
        PerturbationOptions o = zero_fill(1, 1, 4);
        o.value = 1;
        const auto c = morf(m, x, contributions, unit0, o);
        CHECK(identical(c.scores, rows({{10, 6, 6, 4.5, 5.5}})));
        // AOPC = (0 + 4 + 4 + 5.5 + 4.5) / 5 = 18 / 5
        CHECK(c.aopc(0) == doctest::Approx(3.6).epsilon(1e-15));
    }
    SUBCASE("patches of 1 × 2 (rows) and 2 × 1 (columns)") {
        // rows: patch {0, 1} has relevance 4 − 2 = 2, patch {2, 3} has 8 → remove {2, 3} first:
        // S: 10, 10 − 8 = 2, 2 − 2 = 0; AOPC = (0 + 8 + 10) / 3 = 6
        const auto r = morf(m, x, contributions, unit0, zero_fill(1, 2, 4));
        CHECK(identical(r.scores, rows({{10, 2, 0}})));
        CHECK(r.aopc(0) == doctest::Approx(6).epsilon(1e-15));
        // columns: {0, 2} has 10, {1, 3} has 0 → S: 10, 0, 0; AOPC = (0 + 10 + 10) / 3
        const auto c = morf(m, x, contributions, unit0, zero_fill(2, 1, 4));
        CHECK(identical(c.scores, rows({{10, 0, 0}})));
        CHECK(c.aopc(0) == doctest::Approx(20.0 / 3).epsilon(1e-15));
    }
}

TEST_CASE("MoRF: the true contributions beat every other order, random relevance included") {
    // With fill 0 on a linear model, removing the largest contributions first maximises every
    // partial sum of removed contributions, hence every S(x⁰) − S(xᵏ), hence the AOPC.
    const auto m = linear22<Linear22<>>();
    const Batch<double> x = rows({{1, 2, 3, 4}});
    const Batch<double> contributions = rows({{4, -2, 6, 2}});
    const double best = morf(m, x, contributions, unit0, zero_fill(1, 1, 4)).aopc(0);
    const double worst = morf(m, x, Batch<double>(-contributions), unit0, zero_fill(1, 1, 4)).aopc(0);
    // the 24 orders have AOPCs between worst and best; random relevance picks one of them
    bool some_differ = false;
    for (std::uint64_t seed = 0; seed < 30; ++seed) {
        const double a = morf(m, x, random_relevance<double>(1, 4, seed), unit0, zero_fill(1, 1, 4)).aopc(0);
        INFO("seed " << seed);
        CHECK(a <= best + 1e-12);
        CHECK(a >= worst - 1e-12);
        some_differ = some_differ || std::abs(a - best) > 1e-9;
    }
    CHECK(some_differ);
}

TEST_CASE("random_relevance: uniform from 0 to below 1, reproducible by seed") {
    const Batch<double> a = random_relevance<double>(3, 5, 42);
    const Batch<double> b = random_relevance<double>(3, 5, 42);
    const Batch<double> c = random_relevance<double>(3, 5, 43);
    REQUIRE(a.rows() == 3);
    REQUIRE(a.cols() == 5);
    CHECK(identical(a, b));
    CHECK(!identical(a, c));
    CHECK(a.minCoeff() >= 0.0);
    CHECK(a.maxCoeff() < 1.0);
    // the entries are distinct draws, not one value repeated
    CHECK(a.maxCoeff() > a.minCoeff());
    const Batch<float> f = random_relevance<float>(2, 2, 7);
    CHECK(f.rows() == 2);
    CHECK(identical(f, random_relevance<float>(2, 2, 7)));
}

TEST_CASE("MoRF with patches that do not divide the image: clipped border patches") {
    const Linear33 m = linear33();
    // x = 1 everywhere: contributions = w = [[1,2,3],[4,5,6],[7,8,9]], S = 45
    // 2 × 2 patches: (0,0) {1,2,4,5} = 12, (0,2) {3,6} = 9, (2,0) {7,8} = 15, (2,2) {9} = 9
    // order: (2,0), (0,0), then the tie (0,2), (2,2) → S: 45, 30, 18, 9, 0
    const Batch<double> x = Batch<double>::Ones(1, 9);
    const Batch<double> relevance = rows({{1, 2, 3, 4, 5, 6, 7, 8, 9}});
    const auto c = morf(m, x, relevance, unit0, zero_fill(2, 2, 20));
    CHECK(identical(c.scores, rows({{45, 30, 18, 9, 0}})));
    // AOPC = (0 + 15 + 27 + 36 + 45) / 5 = 123 / 5
    CHECK(c.aopc(0) == doctest::Approx(24.6).epsilon(1e-15));
    // which pixels a border patch covers: relevance only on (2,2) → that 1 × 1 patch goes first
    Batch<double> corner = Batch<double>::Zero(1, 9);
    corner(0, 8) = 1;
    CHECK(identical(morf(m, x, corner, unit0, zero_fill(2, 2, 1)).scores, rows({{45, 36}})));
    // relevance only on (1,2) → the 2 × 1 patch (0,2) {3, 6}: 45 − 9
    corner.setZero();
    corner(0, 5) = 1;
    CHECK(identical(morf(m, x, corner, unit0, zero_fill(2, 2, 1)).scores, rows({{45, 36}})));
    corner.setZero();
    corner(0, 7) = 1;  // (2,1) → patch (2,0) {7, 8}: 45 − 15
    CHECK(identical(morf(m, x, corner, unit0, zero_fill(2, 2, 1)).scores, rows({{45, 30}})));
    // a patch larger than the image is the whole image: S: 45, 0
    const auto whole = morf(m, x, relevance, unit0, zero_fill(5, 4, 3));
    CHECK(identical(whole.scores, rows({{45, 0}})));
    CHECK(whole.aopc(0) == doctest::Approx(22.5).epsilon(1e-15));
    // 3 × 2 patches: (0,0) {1,2,4,5,7,8} = 27, (0,2) {3,6,9} = 18 → S: 45, 18, 0
    CHECK(identical(morf(m, x, relevance, unit0, zero_fill(3, 2, 9)).scores, rows({{45, 18, 0}})));
}

TEST_CASE("MoRF over a batch: one curve per sample, mean AOPC") {
    const auto m = linear22<Linear22<>>();
    // sample 0 as above; sample 1 = x / 2: contributions halved, the same order, the curve halved
    const Batch<double> x = rows({{1, 2, 3, 4}, {0.5, 1, 1.5, 2}});
    const Batch<double> relevance = rows({{4, -2, 6, 2}, {2, -1, 3, 1}});
    const auto c = morf(m, x, relevance, unit0, zero_fill(1, 1, 4));
    CHECK(identical(c.scores, rows({{10, 4, 0, -2, 0}, {5, 2, 0, -1, 0}})));
    REQUIRE(c.aopc.size() == 2);
    CHECK(c.aopc(0) == doctest::Approx(7.6).epsilon(1e-15));
    CHECK(c.aopc(1) == doctest::Approx(3.8).epsilon(1e-15));
    CHECK(c.mean_aopc() == doctest::Approx(5.7).epsilon(1e-15));
    // each sample is ordered by its own relevance: reversed for sample 1 only
    const Batch<double> mixed = rows({{4, -2, 6, 2}, {-2, 1, -3, -1}});
    CHECK(identical(morf(m, x, mixed, unit0, zero_fill(1, 1, 4)).scores,
                    rows({{10, 4, 0, -2, 0}, {5, 6, 5, 3, 0}})));
}

TEST_CASE("MoRF: the explained unit is fixed at x, the activation stripped as the target says") {
    SUBCASE("select::max picks the class at x, and keeps it when the argmax flips") {
        using M = Model<double, Input<2, 2, 1>, Flatten<"flat">, Dense<"out", 2, Linear, false>>;
        M m;
        // kernel [in 4, units 2]: unit 0 weights 4, −1, 2, 0.5; unit 1 weights 0, 0, 0, 9
        m.layer<"out">().params().kernel << 4, 0, -1, 0, 2, 0, 0.5, 9;
        // x = [1, 2, 3, 4]: z = [10, 36] → unit 1; its contributions [0, 0, 0, 36]
        // S (unit 1): 36, then 0 once x3 is gone (though unit 0 is then the larger: 8 > 0)
        const Batch<double> x = rows({{1, 2, 3, 4}});
        const auto c = morf(m, x, rows({{0, 0, 0, 36}}), target<double>("out"), zero_fill(1, 1, 2));
        CHECK(identical(c.scores, rows({{36, 0, 0}})));
        CHECK(c.aopc(0) == doctest::Approx(24).epsilon(1e-15));
    }
    SUBCASE("strip_activation: the pre-activation (may be negative) or the ReLU output") {
        const auto m = linear22<Linear22<Relu>>();
        const Batch<double> x = rows({{1, 2, 3, 4}});
        const Batch<double> contributions = rows({{4, -2, 6, 2}});
        const auto pre = morf(m, x, contributions, unit0, zero_fill(1, 1, 4));
        CHECK(identical(pre.scores, rows({{10, 4, 0, -2, 0}})));
        Target<double> kept = unit0;
        kept.strip_activation = false;
        const auto post = morf(m, x, contributions, kept, zero_fill(1, 1, 4));
        CHECK(identical(post.scores, rows({{10, 4, 0, 0, 0}})));
        // AOPC = (0 + 6 + 10 + 10 + 10) / 5
        CHECK(post.aopc(0) == doctest::Approx(7.2).epsilon(1e-15));
    }
}

TEST_CASE("MoRF with uniform noise: values between low and high, reproducible by seed") {
    // S = x0 + x1 + x2 + x3 at x = 0: S(x⁰) = 0 and each step adds the one new value drawn
    using M = Model<double, Input<2, 2, 1>, Flatten<"flat">, Dense<"out", 1, Linear, false>>;
    M m;
    m.layer<"out">().params().kernel << 1, 1, 1, 1;
    const Batch<double> x = Batch<double>::Zero(2, 4);
    const Batch<double> relevance = random_relevance<double>(2, 4, 1);
    PerturbationOptions o;
    o.steps = 4;
    o.low = 2;
    o.high = 3;
    o.seed = 11;
    const auto a = morf(m, x, relevance, unit0, o);
    const auto b = morf(m, x, relevance, unit0, o);
    CHECK(identical(a.scores, b.scores));
    CHECK(identical(a.aopc, b.aopc));
    for (Eigen::Index s = 0; s < 2; ++s) {
        CHECK(a.scores(s, 0) == 0);
        for (int k = 1; k <= 4; ++k) {
            const double drawn = a.scores(s, k) - a.scores(s, k - 1);
            INFO("sample " << s << ", step " << k << ": " << drawn);
            CHECK(drawn >= 2 - 1e-12);
            CHECK(drawn <= 3 + 1e-12);
        }
        // AOPC = mean(S0 − Sk) ≤ 0 here: every step adds between 2 and 3
        CHECK(a.aopc(s) ==
              doctest::Approx(-(a.scores(s, 1) + a.scores(s, 2) + a.scores(s, 3) + a.scores(s, 4)) / 5)
                  .epsilon(1e-12));
    }
    // another seed draws other values
    o.seed = 12;
    CHECK(!identical(morf(m, x, relevance, unit0, o).scores, a.scores));
    // the default perturbation is uniform noise in [−1, 1]
    PerturbationOptions d;
    d.steps = 4;
    const auto def = morf(m, x, relevance, unit0, d);
    CHECK(identical(def.scores, morf(m, x, relevance, unit0, d).scores));
    for (Eigen::Index s = 0; s < 2; ++s)
        for (int k = 1; k <= 4; ++k) CHECK(std::abs(def.scores(s, k) - def.scores(s, k - 1)) <= 1 + 1e-12);
    // low == high is a constant
    o.low = o.high = 0.25;
    CHECK(identical(morf(m, x, relevance, unit0, o).scores,
                    rows({{0, 0.25, 0.5, 0.75, 1}, {0, 0.25, 0.5, 0.75, 1}})));
}

TEST_CASE("MoRF in float") {
    using M = Model<float, Input<2, 2, 1>, Flatten<"flat">, Dense<"out", 1, Linear, false>>;
    M m;
    m.layer<"out">().params().kernel << 4, -1, 2, 0.5f;
    Batch<float> x(1, 4), r(1, 4);
    x << 1, 2, 3, 4;
    r << 4, -2, 6, 2;
    PerturbationOptions o;
    o.uniform_noise = false;
    o.steps = 4;
    const auto c = morf(m, x, r, target<float>("out", select::index<float>(0)), o);
    Batch<float> expected(1, 5);
    expected << 10, 4, 0, -2, 0;
    CHECK(identical(c.scores, expected));
    CHECK(c.aopc(0) == doctest::Approx(7.6).epsilon(1e-6));
}

TEST_CASE("MoRF errors") {
    const auto m = linear22<Linear22<>>();
    const Batch<double> x = rows({{1, 2, 3, 4}});
    const Batch<double> r = rows({{4, -2, 6, 2}});
    // relevance not shaped like the input
    CHECK_THROWS_WITH_AS(morf(m, x, rows({{1, 2, 3}}), unit0),
                         doctest::Contains("relevance is 1 x 3, the input 1 x 4"), shape_error);
    CHECK_THROWS_AS(morf(m, x, rows({{1, 2, 3, 4}, {1, 2, 3, 4}}), unit0), shape_error);
    // an input that is not the model's
    CHECK_THROWS_AS(morf(m, rows({{1, 2, 3}}), rows({{1, 2, 3}}), unit0), shape_error);
    // bad patch sizes and steps
    for (auto [ph, pw] : {std::pair{0, 1}, std::pair{1, 0}, std::pair{-1, 2}, std::pair{2, -3}}) {
        INFO("patch " << ph << " x " << pw);
        CHECK_THROWS_WITH_AS(morf(m, x, r, unit0, zero_fill(ph, pw, 4)), doctest::Contains("patch sizes"),
                             value_error);
    }
    CHECK_THROWS_AS(morf(m, x, r, unit0, zero_fill(1, 1, -1)), value_error);
    // non-finite relevance cannot be ordered
    Batch<double> nan = r;
    nan(0, 1) = std::numeric_limits<double>::quiet_NaN();
    CHECK_THROWS_WITH_AS(morf(m, x, nan, unit0, zero_fill(1, 1, 4)), doctest::Contains("column 1"),
                         value_error);
    // a noise range that is empty or not finite, a non-finite constant
    PerturbationOptions o;
    o.low = 1;
    o.high = -1;
    CHECK_THROWS_AS(morf(m, x, r, unit0, o), value_error);
    o.low = -std::numeric_limits<double>::infinity();
    CHECK_THROWS_AS(morf(m, x, r, unit0, o), value_error);
    o = zero_fill(1, 1, 4);
    o.value = std::numeric_limits<double>::quiet_NaN();
    CHECK_THROWS_AS(morf(m, x, r, unit0, o), value_error);
    // an unknown target layer
    CHECK_THROWS_AS(morf(m, x, r, target<double>("nope", select::index<double>(0))), name_error);
    CHECK_THROWS_AS(morf(m, x, r, target<double>("out", select::index<double>(3))), value_error);
}
