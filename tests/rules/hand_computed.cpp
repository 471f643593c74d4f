// Every LRP rule on cases small enough to work out by hand (design.md §4). The arithmetic is in
// the comments, step by step; the expected numbers are exact fractions written as literals.
//
// Most cases use the network N below (non-zero biases, mixed-sign weights), with the initial
// relevance given explicitly at the output layer "b". ReLU passes relevance unchanged.
//
//   N:  Input<3> → Dense<"a", 2, Relu> → Dense<"b", 2>
//
//   x   = (1, 2, 3)
//   W_a = [[ 1, -1],      (rows i = inputs, columns j = units: Keras's kernel layout)
//          [ 2,  1],
//          [-1,  2]]      b_a = (0.5, -1)
//   z_a = (1·1 + 2·2 + 3·(−1) + 0.5,  1·(−1) + 2·1 + 3·2 − 1) = (2.5, 6)   → a = ReLU(z_a) = (2.5, 6)
//   W_b = [[ 4, -2],
//          [-1,  1]]      b_b = (-1, 1)
//   z_b = (2.5·4 + 6·(−1) − 1,  2.5·(−2) + 6·1 + 1) = (3, 2)
//   R⁰  = (3, 1)  (select::relevance at "b")
//
// Rules whose denominators carry the fixed stabiliser 1e-6 (alpha-beta, gamma, z-box) are checked
// twice: with the stabiliser set to 0 (exact, 1e-12) and with the default (the stabiliser moves
// each quotient R_j / z_j by at most 1e-6 / 0.5 = 2e-6 of itself here — every denominator is ≥ 0.5
// in magnitude — and no intermediate sum exceeds 20 in magnitude, so 1e-4 absolute is a bound
// with margin; 1e-5 relative to max(1, |R|) is what we ask).

#include <doctest/doctest.h>

#include <cmath>
#include <initializer_list>
#include <string>

#include <innspect/innspect.hpp>

using namespace innspect;

namespace {

Batch<double> row(std::initializer_list<double> v) {
    Batch<double> b(1, static_cast<Eigen::Index>(v.size()));
    Eigen::Index k = 0;
    for (double e : v) b(0, k++) = e;
    return b;
}

template <class T>
Matrix<T> matrix(Eigen::Index r, Eigen::Index c, std::initializer_list<double> v) {
    REQUIRE(static_cast<Eigen::Index>(v.size()) == r * c);
    Matrix<T> m(r, c);
    Eigen::Index k = 0;
    for (double e : v) m.data()[k++] = static_cast<T>(e);
    return m;
}

template <class T>
Vector<T> vec(std::initializer_list<double> v) {
    Vector<T> b(static_cast<Eigen::Index>(v.size()));
    Eigen::Index k = 0;
    for (double e : v) b(k++) = static_cast<T>(e);
    return b;
}

/// |actual_k − expected_k| ≤ tol·max(1, |expected_k|) for every entry of a one-row batch.
template <class T>
void check_row(const Batch<T>& actual, std::initializer_list<double> expected, double tol) {
    REQUIRE(actual.rows() == 1);
    REQUIRE(actual.cols() == static_cast<Eigen::Index>(expected.size()));
    Eigen::Index k = 0;
    for (double e : expected) {
        const double a = static_cast<double>(actual(0, k));
        INFO("entry " << k << ": actual " << a << ", expected " << e);
        CHECK(std::abs(a - e) <= tol * std::max(1.0, std::abs(e)));
        ++k;
    }
}

constexpr double exact = 1e-12;
constexpr double stabilised = 1e-5;

template <class T>
using NetN = Model<T, Input<3>, Dense<"a", 2, Relu>, Dense<"b", 2>>;

template <class T = double>
NetN<T> make_n() {
    NetN<T> m;
    m.template layer<"a">().params().kernel = matrix<T>(3, 2, {1, -1, 2, 1, -1, 2});
    m.template layer<"a">().params().bias = vec<T>({0.5, -1});
    m.template layer<"b">().params().kernel = matrix<T>(2, 2, {4, -2, -1, 1});
    m.template layer<"b">().params().bias = vec<T>({-1, 1});
    return m;
}

const Batch<double> x_n = row({1, 2, 3});

Target<double> target_n() { return target<double>("b", select::relevance<double>(row({3, 1}))); }

template <class Rule>
Explanation<double> explain_n(Rule rule) {
    const auto m = make_n();
    return lrp(m, std::move(rule)).explain(x_n, target_n());
}

}  // namespace

TEST_SUITE("rules: hand-computed") {

TEST_CASE("network N: the forward pass the derivations start from") {
    const auto m = make_n();
    const auto t = m.forward(x_n);
    check_row(t.output("a"), {2.5, 6}, exact);
    check_row(t.output("b"), {3, 2}, exact);
}

TEST_CASE("z rule (LRP-0) with bias") {
    // layer b: s = R / z_b = (3/3, 1/2) = (1, 0.5)
    //   R_a0 = a_0 Σ_j w_0j s_j = 2.5·(4·1 + (−2)·0.5) = 2.5·3  = 7.5
    //   R_a1 = a_1 Σ_j w_1j s_j = 6·((−1)·1 + 1·0.5)   = 6·(−0.5) = −3
    // layer a: s = R_a / z_a = (7.5/2.5, −3/6) = (3, −0.5)
    //   R_x0 = 1·(1·3 + (−1)·(−0.5)) = 3.5
    //   R_x1 = 2·(2·3 + 1·(−0.5))    = 2·5.5 = 11
    //   R_x2 = 3·((−1)·3 + 2·(−0.5)) = 3·(−4) = −12
    const auto e = explain_n(ZRule{});
    check_row(e.relevance, {3.5, 11, -12}, exact);
    CHECK(e.report.layers.at(0).rule == ZRule{}.name());
}

TEST_CASE("z rule without bias") {
    // The bias leaves the denominators; the ReLU still gates with the forward pass's z (both on).
    // layer b: z' = a·W_b = (10 − 6, −5 + 6) = (4, 1); s = (3/4, 1/1) = (0.75, 1)
    //   R_a0 = 2.5·(4·0.75 + (−2)·1) = 2.5·1 = 2.5
    //   R_a1 = 6·((−1)·0.75 + 1·1)   = 6·0.25 = 1.5
    // layer a: z' = x·W_a = (1 + 4 − 3, −1 + 2 + 6) = (2, 7); s = (2.5/2, 1.5/7) = (5/4, 3/14)
    //   R_x0 = 1·(5/4 − 3/14)            = (35 − 6)/28  = 29/28
    //   R_x1 = 2·(2·5/4 + 3/14)          = 2·(35 + 3)/14 = 38/7
    //   R_x2 = 3·(−5/4 + 2·3/14)         = 3·(−35 + 12)/28 = −69/28
    // Σ = (29 + 152 − 69)/28 = 4 = Σ R⁰: without bias LRP-0 conserves.
    const auto e = explain_n(ZRule{false});
    check_row(e.relevance, {29.0 / 28, 38.0 / 7, -69.0 / 28}, exact);
    CHECK(e.relevance.sum() == doctest::Approx(4.0).epsilon(1e-14));
}

TEST_CASE("z rule in float") {
    // Same derivation as "z rule (LRP-0) with bias"; float has 24 bits, and the values pass
    // through two divisions and a handful of products: 1e-5 relative is ~100 ulp of margin.
    const auto m = make_n<float>();
    Batch<float> x = x_n.cast<float>();
    Batch<float> r0 = row({3, 1}).cast<float>();
    const auto e = lrp(m, ZRule{}).explain(x, target<float>("b", select::relevance<float>(r0)));
    check_row(e.relevance, {3.5, 11, -12}, 1e-5);
}

TEST_CASE("epsilon rule (ε = 1) with bias") {
    // layer b: z_b + ε·sgn₀ = (3 + 1, 2 + 1) = (4, 3); s = (3/4, 1/3)
    //   R_a0 = 2.5·(4·3/4 + (−2)·1/3) = 2.5·(3 − 2/3) = 2.5·7/3 = 35/6
    //   R_a1 = 6·((−1)·3/4 + 1·1/3)   = 6·(−9 + 4)/12  = −5/2
    // layer a: z_a + ε = (3.5, 7); s = ((35/6)/3.5, (−5/2)/7) = (5/3, −5/14)
    //   R_x0 = 1·(1·5/3 + (−1)(−5/14))  = (70 + 15)/42 = 85/42
    //   R_x1 = 2·(2·5/3 + 1·(−5/14))    = 2·(140 − 15)/42 = 125/21
    //   R_x2 = 3·((−1)·5/3 + 2·(−5/14)) = 3·(−35 − 15)/21 = −50/7
    const auto e = explain_n(Epsilon(1.0));
    check_row(e.relevance, {85.0 / 42, 125.0 / 21, -50.0 / 7}, exact);
}

TEST_CASE("epsilon rule (ε = 1) without bias") {
    // layer b: z' = (4, 1) → + ε = (5, 2); s = (3/5, 1/2)
    //   R_a0 = 2.5·(4·3/5 − 2·1/2)  = 2.5·7/5 = 3.5
    //   R_a1 = 6·(−3/5 + 1/2)       = 6·(−1/10) = −0.6
    // layer a: z' = (2, 7) → + ε = (3, 8); s = (3.5/3, −0.6/8) = (7/6, −3/40)
    //   R_x0 = 1·(7/6 + 3/40)       = (140 + 9)/120 = 149/120
    //   R_x1 = 2·(2·7/6 − 3/40)     = 2·(280 − 9)/120 = 271/60
    //   R_x2 = 3·(−7/6 + 2·(−3/40)) = 3·(−70 − 9)/60 = −79/20
    const auto e = explain_n(Epsilon(1.0, false));
    check_row(e.relevance, {149.0 / 120, 271.0 / 60, -79.0 / 20}, exact);
}

TEST_CASE("epsilon rule: sgn₀(0) = +1") {
    // Input<2> → Dense<"d", 1, linear, no bias>, w = (1, −1), x = (1, 1): z = 0.
    // ε = 0.5, R = 1: denominator 0 + 0.5·(+1) = 0.5, s = 2
    //   R_x = (1·1·2, 1·(−1)·2) = (2, −2)      (with sgn(0) = −1 it would be (−2, 2))
    Model<double, Input<2>, Dense<"d", 1, Linear, false>> m;
    m.layer<"d">().params().kernel = matrix<double>(2, 1, {1, -1});
    const auto e = lrp(m, Epsilon(0.5)).explain(row({1, 1}), target<double>("d", select::relevance<double>(row({1}))));
    check_row(e.relevance, {2, -2}, exact);
}

TEST_CASE("z rule: a neuron with z = 0 passes no relevance") {
    // Same layer as above: z = 0, R = 1 given. LRP-0 passes nothing (no NaN, no error).
    Model<double, Input<2>, Dense<"d", 1, Linear, false>> m;
    m.layer<"d">().params().kernel = matrix<double>(2, 1, {1, -1});
    const auto e = lrp(m, ZRule{}).explain(row({1, 1}), target<double>("d", select::relevance<double>(row({1}))));
    check_row(e.relevance, {0, 0}, exact);
    REQUIRE(e.report.layers.size() == 1);
    CHECK(e.report.layers[0].relevance_in == 0.0);
    CHECK(e.report.layers[0].bias_absorbed == 0.0);
    CHECK(e.report.layers[0].stabilizer_lost == doctest::Approx(1.0));
}

// ---- alpha-beta -------------------------------------------------------------------------------
//
// Network N, x ≥ 0 and a = ReLU(·) ≥ 0, so every x⁻ term vanishes here (see the negative-input
// case below for those).
//
// layer b: W_b⁺ = [[4, 0], [0, 1]], W_b⁻ = [[0, −2], [−1, 0]], b⁺ = (0, 1), b⁻ = (−1, 0)
//   z⁺ = a·W⁺ + b⁺ = (2.5·4 + 0, 6·1 + 1)    = (10, 7)
//   z⁻ = a·W⁻ + b⁻ = (6·(−1) − 1, 2.5·(−2)) = (−7, −5)
//   s⁺ = R / z⁺ = (3/10, 1/7);  s⁻ = R / z⁻ = (−3/7, −1/5)
//   A_i = a_i Σ_j W⁺_ij s⁺_j:  A_0 = 2.5·4·3/10 = 3,        A_1 = 6·1·1/7 = 6/7
//   B_i = a_i Σ_j W⁻_ij s⁻_j:  B_0 = 2.5·(−2)·(−1/5) = 1,  B_1 = 6·(−1)·(−3/7) = 18/7
// layer a: W_a⁺ = [[1, 0], [2, 1], [0, 2]], W_a⁻ = [[0, −1], [0, 0], [−1, 0]], b⁺ = (0.5, 0), b⁻ = (0, −1)
//   z⁺ = x·W⁺ + b⁺ = (1 + 4 + 0.5, 2 + 6)  = (5.5, 8)
//   z⁻ = x·W⁻ + b⁻ = (3·(−1), 1·(−1) − 1) = (−3, −2)

TEST_CASE("alpha-beta (2, 1) with bias") {
    // layer b: R_a = 2A − B = (2·3 − 1, 2·6/7 − 18/7) = (5, −6/7)
    // layer a: s⁺ = R_a / z⁺ = (5/5.5, (−6/7)/8) = (10/11, −3/28)
    //          s⁻ = R_a / z⁻ = (5/(−3), (−6/7)/(−2)) = (−5/3, 3/7)
    //   A_0 = 1·(1·10/11)                 = 10/11
    //   A_1 = 2·(2·10/11 + 1·(−3/28))     = 2·(560 − 33)/308 = 527/154
    //   A_2 = 3·(2·(−3/28))               = −9/14
    //   B_0 = 1·((−1)·3/7)                = −3/7
    //   B_1 = 2·0                         = 0
    //   B_2 = 3·((−1)·(−5/3))             = 5
    //   R_x = 2A − B = (20/11 + 3/7, 527/77, −9/7 − 5) = (173/77, 527/77, −44/7)
    AlphaBeta rule(2, 1);
    rule.stabilizer = 0;
    const auto e = explain_n(rule);
    check_row(e.relevance, {173.0 / 77, 527.0 / 77, -44.0 / 7}, exact);
    check_row(explain_n(AlphaBeta(2, 1)).relevance, {173.0 / 77, 527.0 / 77, -44.0 / 7}, stabilised);
}

TEST_CASE("alpha-beta (1, 0) with bias, and z-plus") {
    // layer b: R_a = A = (3, 6/7)
    // layer a: s⁺ = (3/5.5, (6/7)/8) = (6/11, 3/28)
    //   R_x0 = 1·(1·6/11)            = 6/11
    //   R_x1 = 2·(2·6/11 + 1·3/28)   = 2·(336 + 33)/308 = 369/154
    //   R_x2 = 3·(2·3/28)            = 9/14
    AlphaBeta rule(1, 0);
    rule.stabilizer = 0;
    check_row(explain_n(rule).relevance, {6.0 / 11, 369.0 / 154, 9.0 / 14}, exact);
    check_row(explain_n(AlphaBeta(1, 0)).relevance, {6.0 / 11, 369.0 / 154, 9.0 / 14}, stabilised);
    ZPlus zplus;
    zplus.stabilizer = 0;
    check_row(explain_n(zplus).relevance, {6.0 / 11, 369.0 / 154, 9.0 / 14}, exact);
    check_row(explain_n(ZPlus()).relevance, {6.0 / 11, 369.0 / 154, 9.0 / 14}, stabilised);
}

TEST_CASE("alpha-beta (2, 1) without bias") {
    // layer b: z⁺ = a·W⁺ = (10, 6), z⁻ = a·W⁻ = (−6, −5); s⁺ = (3/10, 1/6), s⁻ = (−1/2, −1/5)
    //   A = (2.5·4·3/10, 6·1/6) = (3, 1);  B = (2.5·(−2)(−1/5), 6·(−1)(−1/2)) = (1, 3)
    //   R_a = 2A − B = (5, −1)
    // layer a: z⁺ = x·W⁺ = (5, 8), z⁻ = x·W⁻ = (−3, −1); s⁺ = (1, −1/8), s⁻ = (−5/3, 1)
    //   A = (1·1, 2·(2·1 + 1·(−1/8)), 3·2·(−1/8)) = (1, 15/4, −3/4)
    //   B = (1·(−1)·1, 0, 3·(−1)·(−5/3))          = (−1, 0, 5)
    //   R_x = 2A − B = (3, 15/2, −13/2)      Σ = 4 = Σ R⁰ (α − β = 1, nothing absorbed)
    AlphaBeta rule(2, 1, false);
    rule.stabilizer = 0;
    check_row(explain_n(rule).relevance, {3, 7.5, -6.5}, exact);
    check_row(explain_n(AlphaBeta(2, 1, false)).relevance, {3, 7.5, -6.5}, stabilised);
}

TEST_CASE("alpha-beta: a neuron without positive contributions passes nothing through its α part") {
    // Input<2> → Dense<"d", 1, linear, no bias>, w = (−1, −1), x = (1, 1), R = 1.
    //   z⁺ = 0 (stabilised to 1e-6; every contribution x⁺w⁺ is 0, so the α part gives 0, no NaN)
    //   z⁻ = −2; s⁻ = 1/(−2); B = (1·(−1)·(−1/2), same) = (1/2, 1/2)
    //   αβ(2, 1): R_x = 2·0 − B = (−1/2, −1/2)
    Model<double, Input<2>, Dense<"d", 1, Linear, false>> m;
    m.layer<"d">().params().kernel = matrix<double>(2, 1, {-1, -1});
    const auto e = lrp(m, AlphaBeta(2, 1)).explain(row({1, 1}), target<double>("d", select::relevance<double>(row({1}))));
    check_row(e.relevance, {-0.5, -0.5}, stabilised);
}

// ---- gamma --------------------------------------------------------------------------------------

TEST_CASE("gamma (γ = 0.5) with bias") {
    // z_b = (3, 2) and z_a = (2.5, 6) are positive, and x, a ≥ 0: every neuron distributes over
    // x⁺(w + γw⁺) with bias b + γb⁺.
    // layer b: W_b + 0.5·W_b⁺ = [[6, −2], [−1, 1.5]], b + 0.5·b⁺ = (−1, 1.5)
    //   z' = (2.5·6 + 6·(−1) − 1, 2.5·(−2) + 6·1.5 + 1.5) = (8, 5.5); s = (3/8, 1/5.5) = (3/8, 2/11)
    //   R_a0 = 2.5·(6·3/8 + (−2)·2/11)   = 2.5·(9/4 − 4/11) = 2.5·83/44 = 415/88
    //   R_a1 = 6·((−1)·3/8 + 1.5·2/11)   = 6·(−3/8 + 3/11) = 6·(−9/88) = −27/44
    // layer a: W_a + 0.5·W_a⁺ = [[1.5, −1], [3, 1.5], [−1, 3]], b + 0.5·b⁺ = (0.75, −1)
    //   z' = (1.5 + 6 − 3 + 0.75, −1 + 3 + 9 − 1) = (5.25, 10)
    //   s  = ((415/88)/(21/4), (−27/44)/10) = (415/462, −27/440)
    //   R_x0 = 1·(1.5·415/462 + (−1)(−27/440)) = 415/308 + 27/440 = (4150 + 189)/3080  = 4339/3080
    //   R_x1 = 2·(3·415/462 + 1.5·(−27/440))   = 2·(415/154 − 81/880) = 2·(16600 − 567)/6160 = 16033/3080
    //   R_x2 = 3·((−1)·415/462 + 3·(−27/440))  = 3·(−8300 − 1701)/9240 = −10001/3080
    Gamma rule(0.5);
    rule.stabilizer = 0;
    check_row(explain_n(rule).relevance, {4339.0 / 3080, 16033.0 / 3080, -10001.0 / 3080}, exact);
    check_row(explain_n(Gamma(0.5)).relevance, {4339.0 / 3080, 16033.0 / 3080, -10001.0 / 3080}, stabilised);
}

TEST_CASE("gamma = 0 is the z rule") {
    // w + 0·w⁺ = w and b + 0·b⁺ = b: the same arithmetic as "z rule (LRP-0) with bias".
    Gamma rule(0.0);
    rule.stabilizer = 0;
    check_row(explain_n(rule).relevance, {3.5, 11, -12}, exact);
}

// ---- flat and w² ------------------------------------------------------------------------------

TEST_CASE("flat") {
    // layer b: n_j = 2 inputs;  R_a_i = Σ_j R_j / 2 = (3 + 1)/2 = 2 for both i
    // layer a: n_j = 3 inputs;  R_x_i = Σ_j R_a_j / 3 = (2 + 2)/3 = 4/3 for every i
    const auto e = explain_n(Flat{});
    check_row(e.relevance, {4.0 / 3, 4.0 / 3, 4.0 / 3}, exact);
}

TEST_CASE("w-square") {
    // layer b: W² = [[16, 4], [1, 1]], column sums (17, 5)
    //   R_a0 = 16·3/17 + 4·1/5 = (240 + 68)/85 = 308/85
    //   R_a1 =  1·3/17 + 1·1/5 = (15 + 17)/85  = 32/85
    // layer a: W² = [[1, 1], [4, 1], [1, 4]], column sums (6, 6)
    //   R_x0 = (1·308 + 1·32)/(85·6) = 340/510 = 2/3
    //   R_x1 = (4·308 + 1·32)/(85·6) = 1264/510 = 632/255
    //   R_x2 = (1·308 + 4·32)/(85·6) = 436/510  = 218/255
    const auto e = explain_n(WSquare{});
    check_row(e.relevance, {2.0 / 3, 632.0 / 255, 218.0 / 255}, exact);
}

// ---- z-box --------------------------------------------------------------------------------------

TEST_CASE("z-box (l = −1, h = 4) on the first layer, z rule above") {
    // layer b (z rule, see above): R_a = (7.5, −3)
    // layer a: W⁺ = [[1, 0], [2, 1], [0, 2]], W⁻ = [[0, −1], [0, 0], [−1, 0]]; the bias is not used.
    //   per input i and unit j the term is x_i w_ij − l w⁺_ij − h w⁻_ij:
    //     j = 0: i0: 1·1 + 1·1 − 0 = 2;  i1: 2·2 + 1·2 − 0 = 6;  i2: 3·(−1) + 0 − 4·(−1) = 1   → z_0 = 9
    //     j = 1: i0: 1·(−1) + 0 − 4·(−1) = 3;  i1: 2·1 + 1·1 = 3;  i2: 3·2 + 1·2 = 8          → z_1 = 14
    //   s = (7.5/9, −3/14) = (5/6, −3/14)
    //   R_x0 = 2·5/6 + 3·(−3/14) = 5/3 − 9/14 = (70 − 27)/42 = 43/42
    //   R_x1 = 6·5/6 + 3·(−3/14) = 5 − 9/14             = 61/14
    //   R_x2 = 1·5/6 + 8·(−3/14) = 5/6 − 12/7 = (35 − 72)/42 = −37/42
    //   Σ = (43 + 183 − 37)/42 = 4.5 = Σ R_a: z-box conserves (the bias cancels out).
    ZBox box(-1, 4);
    box.stabilizer = 0;
    const auto m = make_n();
    const auto e = lrp(m, composite(entry<FirstLinear>(box), entry<AnyLayer>(ZRule{}))).explain(x_n, target_n());
    check_row(e.relevance, {43.0 / 42, 61.0 / 14, -37.0 / 42}, exact);
    const auto d = lrp(m, composite(entry<FirstLinear>(ZBox(-1, 4)), entry<AnyLayer>(ZRule{}))).explain(x_n, target_n());
    check_row(d.relevance, {43.0 / 42, 61.0 / 14, -37.0 / 42}, stabilised);
    REQUIRE(d.report.layers.size() == 2);
    CHECK(d.report.layers[0].rule == ZRule{}.name());
    CHECK(d.report.layers[1].rule == ZBox(-1, 4).name());
}

TEST_CASE("z-box with per-feature bounds") {
    // Bounds l = (−1, −1, −1), h = (4, 4, 4) per feature: the same numbers as above.
    // Then l = (0, −1, −1): only input 0's low bound changes (w⁺_00 = 1, w⁺_01 = 0):
    //   j = 0 terms: i0: 1·1 − 0 − 0 = 1 (was 2), i1: 6, i2: 1 → z_0 = 8;  j = 1 unchanged: z_1 = 14
    //   s = (7.5/8, −3/14) = (15/16, −3/14)
    //   R_x0 = 1·15/16 + 3·(−3/14) = 15/16 − 9/14 = (105 − 72)/112 = 33/112
    //   R_x1 = 6·15/16 + 3·(−3/14) = 45/8 − 9/14  = (315 − 36)/56  = 279/56
    //   R_x2 = 1·15/16 + 8·(−3/14) = 15/16 − 12/7 = (105 − 192)/112 = −87/112
    const auto m = make_n();
    ZBox same({-1, -1, -1}, {4, 4, 4});
    same.stabilizer = 0;
    check_row(lrp(m, composite(entry<FirstLinear>(same), entry<AnyLayer>(ZRule{}))).explain(x_n, target_n()).relevance,
              {43.0 / 42, 61.0 / 14, -37.0 / 42}, exact);
    ZBox per({0, -1, -1}, {4, 4, 4});
    per.stabilizer = 0;
    check_row(lrp(m, composite(entry<FirstLinear>(per), entry<AnyLayer>(ZRule{}))).explain(x_n, target_n()).relevance,
              {33.0 / 112, 279.0 / 56, -87.0 / 112}, exact);
}

// ---- a negative input: the sign-aware terms ------------------------------------------------------
//
// One layer: Input<3> → Dense<"a", 2> (linear), W = W_a as above, b = (−0.5, 1),
//   x = (2, 1, −1): x⁺ = (2, 1, 0), x⁻ = (0, 0, −1)
//   z = (2 + 2 + 1 − 0.5, −2 + 1 − 2 + 1) = (4.5, −2);   R = (2, −1) given.

namespace {
Model<double, Input<3>, Dense<"a", 2>> make_negative() {
    Model<double, Input<3>, Dense<"a", 2>> m;
    m.layer<"a">().params().kernel = matrix<double>(3, 2, {1, -1, 2, 1, -1, 2});
    m.layer<"a">().params().bias = vec<double>({-0.5, 1});
    return m;
}
const Batch<double> x_neg = row({2, 1, -1});
Target<double> target_neg() { return target<double>("a", select::relevance<double>(row({2, -1}))); }
}  // namespace

TEST_CASE("negative input: z rule") {
    // s = (2/4.5, (−1)/(−2)) = (4/9, 1/2)
    //   R_x0 = 2·(1·4/9 + (−1)·1/2)  = 2·(−1/18) = −1/9
    //   R_x1 = 1·(2·4/9 + 1·1/2)     = 25/18
    //   R_x2 = −1·((−1)·4/9 + 2·1/2) = −5/9
    const auto m = make_negative();
    check_row(lrp(m, ZRule{}).explain(x_neg, target_neg()).relevance, {-1.0 / 9, 25.0 / 18, -5.0 / 9}, exact);
}

TEST_CASE("negative input: alpha-beta (2, 1), (1, 0) and z-plus use the x⁻ terms") {
    // W⁺ = [[1, 0], [2, 1], [0, 2]], W⁻ = [[0, −1], [0, 0], [−1, 0]], b⁺ = (0, 1), b⁻ = (−0.5, 0)
    //   z⁺ = x⁺W⁺ + x⁻W⁻ + b⁺ = (2·1 + 1·2 + (−1)(−1) + 0, 1·1 + 0 + 1) = (5, 2)
    //   z⁻ = x⁺W⁻ + x⁻W⁺ + b⁻ = (0 + 0 − 0.5, 2·(−1) + (−1)·2 + 0) = (−0.5, −4)
    //   s⁺ = (2/5, −1/2);  s⁻ = (2/(−0.5), (−1)/(−4)) = (−4, 1/4)
    //   A_i = x⁺_i Σ_j W⁺_ij s⁺_j + x⁻_i Σ_j W⁻_ij s⁺_j
    //     A_0 = 2·(1·2/5)                     = 4/5
    //     A_1 = 1·(2·2/5 + 1·(−1/2))          = 3/10
    //     A_2 = (−1)·((−1)·2/5)               = 2/5        (the x⁻w⁻ term)
    //   B_i = x⁺_i Σ_j W⁻_ij s⁻_j + x⁻_i Σ_j W⁺_ij s⁻_j
    //     B_0 = 2·((−1)·1/4)                  = −1/2
    //     B_1 = 1·0                           = 0
    //     B_2 = (−1)·(0·(−4) + 2·1/4)         = −1/2       (the x⁻w⁺ term)
    //   αβ(2, 1): 2A − B = (8/5 + 1/2, 3/5, 4/5 + 1/2) = (21/10, 3/5, 13/10)
    //   αβ(1, 0) = z⁺: A = (4/5, 3/10, 2/5)
    const auto m = make_negative();
    AlphaBeta ab21(2, 1), ab10(1, 0);
    ZPlus zp;
    ab21.stabilizer = ab10.stabilizer = zp.stabilizer = 0;
    check_row(lrp(m, ab21).explain(x_neg, target_neg()).relevance, {2.1, 0.6, 1.3}, exact);
    check_row(lrp(m, ab10).explain(x_neg, target_neg()).relevance, {0.8, 0.3, 0.4}, exact);
    check_row(lrp(m, zp).explain(x_neg, target_neg()).relevance, {0.8, 0.3, 0.4}, exact);
    check_row(lrp(m, AlphaBeta(2, 1)).explain(x_neg, target_neg()).relevance, {2.1, 0.6, 1.3}, stabilised);
    check_row(lrp(m, ZPlus()).explain(x_neg, target_neg()).relevance, {0.8, 0.3, 0.4}, stabilised);
}

TEST_CASE("negative input: gamma (γ = 0.5) uses both sign branches") {
    // up = W + γW⁺ = [[1.5, −1], [3, 1.5], [−1, 3]],  dn = W + γW⁻ = [[1, −1.5], [2, 1], [−1.5, 2]]
    // unit 0 (z = 4.5 > 0): x⁺ with up, x⁻ with dn, bias b + γb⁺ = −0.5
    //   z'_0 = 2·1.5 + 1·3 + (−1)·(−1.5) − 0.5 = 7;  s_0 = 2/7
    // unit 1 (z = −2 < 0): x⁺ with dn, x⁻ with up, bias b + γb⁻ = 1
    //   z'_1 = 2·(−1.5) + 1·1 + (−1)·3 + 1 = −4;      s_1 = (−1)/(−4) = 1/4
    //   R_x0 = x⁺_0 (up_00 s_0 + dn_01 s_1) = 2·(1.5·2/7 − 1.5/4) = 2·(3/7 − 3/8) = 3/28
    //   R_x1 = x⁺_1 (up_10 s_0 + dn_11 s_1) = 1·(3·2/7 + 1·1/4) = 31/28
    //   R_x2 = x⁻_2 (dn_20 s_0 + up_21 s_1) = −1·(−1.5·2/7 + 3/4) = −(−12 + 21)/28 = −9/28
    const auto m = make_negative();
    Gamma rule(0.5);
    rule.stabilizer = 0;
    check_row(lrp(m, rule).explain(x_neg, target_neg()).relevance, {3.0 / 28, 31.0 / 28, -9.0 / 28}, exact);
    check_row(lrp(m, Gamma(0.5)).explain(x_neg, target_neg()).relevance, {3.0 / 28, 31.0 / 28, -9.0 / 28}, stabilised);
}

// ---- convolutions with 'same' padding: in-bounds counts ------------------------------------------

TEST_CASE("Conv2D 1×3 'same': z, epsilon, flat and w² with padding") {
    // Input<1, 3, 1> → Conv2D<"c", 1, Kernel<1, 3>, same>, k = (1, 2, 3), b = 0.5, x = (1, 2, 3),
    // R = (1, 2, 3) given at "c". 'same' pads one zero on each side: output j sees
    // (x_{j−1}, x_j, x_{j+1}) with weights (k0, k1, k2).
    //   z_0 = k1·x0 + k2·x1 + b = 2 + 6 + 0.5 = 8.5     (k0 meets the padding)
    //   z_1 = 1 + 4 + 9 + 0.5 = 14.5
    //   z_2 = k0·x1 + k1·x2 + b = 2 + 6 + 0.5 = 8.5     (k2 meets the padding)
    using M = Model<double, Input<1, 3, 1>, Conv2D<"c", 1, Kernel<1, 3>, Linear, Strides<1, 1>, Padding::same>>;
    M m;
    m.layer<"c">().params().kernel = matrix<double>(3, 1, {1, 2, 3});
    m.layer<"c">().params().bias = vec<double>({0.5});
    const Batch<double> x = row({1, 2, 3});
    const auto t = target<double>("c", select::relevance<double>(row({1, 2, 3})));

    SUBCASE("z") {
        // s = (1/8.5, 2/14.5, 3/8.5) = (2/17, 4/29, 6/17)
        //   R_x0 = x0 (k1 s0 + k0 s1)         = 4/17 + 4/29           = (116 + 68)/493  = 184/493
        //   R_x1 = x1 (k2 s0 + k1 s1 + k0 s2) = 2·(6/17 + 8/29 + 6/17) = 2·(348 + 136)/493 = 968/493
        //   R_x2 = x2 (k2 s1 + k1 s2)         = 3·(12/29 + 12/17)     = 3·12·46/493     = 1656/493
        check_row(lrp(m, ZRule{}).explain(x, t).relevance, {184.0 / 493, 968.0 / 493, 1656.0 / 493}, exact);
    }
    SUBCASE("epsilon (ε = 1)") {
        // s = (1/9.5, 2/15.5, 3/9.5) = (2/19, 4/31, 6/19)
        //   R_x0 = 4/19 + 4/31                  = (124 + 76)/589       = 200/589
        //   R_x1 = 2·(6/19 + 8/31 + 6/19)       = 2·(372 + 152)/589    = 1048/589
        //   R_x2 = 3·(12/31 + 12/19)            = 3·12·50/589          = 1800/589
        check_row(lrp(m, Epsilon(1.0)).explain(x, t).relevance, {200.0 / 589, 1048.0 / 589, 1800.0 / 589}, exact);
    }
    SUBCASE("flat: n_j counts in-bounds inputs only") {
        // n = (2, 3, 2)   (3 everywhere if the padding were counted)
        //   R_x0 = R0/2 + R1/3        = 1/2 + 2/3       = 7/6
        //   R_x1 = R0/2 + R1/3 + R2/2 = 1/2 + 2/3 + 3/2 = 8/3
        //   R_x2 = R1/3 + R2/2        = 2/3 + 3/2       = 13/6      Σ = 6 = Σ R
        const auto e = lrp(m, Flat{}).explain(x, t);
        check_row(e.relevance, {7.0 / 6, 8.0 / 3, 13.0 / 6}, exact);
    }
    SUBCASE("w-square: the denominator sums in-bounds weights only") {
        // d = (k1² + k2², k0² + k1² + k2², k0² + k1²) = (13, 14, 5)
        //   R_x0 = k1²·R0/13 + k0²·R1/14             = 4/13 + 2/14       = (28 + 13)/91        = 41/91
        //   R_x1 = k2²·R0/13 + k1²·R1/14 + k0²·R2/5  = 9/13 + 8/14 + 3/5 = (315 + 260 + 273)/455 = 848/455
        //   R_x2 = k2²·R1/14 + k1²·R2/5              = 18/14 + 12/5      = (45 + 84)/35        = 129/35
        const auto e = lrp(m, WSquare{}).explain(x, t);
        check_row(e.relevance, {41.0 / 91, 848.0 / 455, 129.0 / 35}, exact);
        CHECK(e.relevance.sum() == doctest::Approx(6.0).epsilon(1e-14));
    }
}

TEST_CASE("Conv2D 2×2 'same' on 3×3 (TensorFlow pads after): flat and w²") {
    // Input<3, 3, 1> → Conv2D<"c", 1, Kernel<2, 2>, same, no bias>, K = [[1, −2], [3, 1]], R = 1 at
    // every output. 'same' with an even kernel pads one zero after (bottom, right), none before:
    // output (r, c) sees input rows r, r+1 and columns c, c+1 (when < 3), with K[a][b] at (r+a, c+b).
    //   n_(r,c) = 4 for r, c ≤ 1;  2 for r = 2 or c = 2 (not both);  1 at (2, 2).
    // flat: R_x(p, q) = Σ over the outputs covering (p, q) of 1/n:
    //   (0,0): (0,0)                       1/4
    //   (0,1): (0,0) (0,1)                 1/4 + 1/4         = 1/2
    //   (0,2): (0,1) (0,2)                 1/4 + 1/2         = 3/4
    //   (1,0): (0,0) (1,0)                 1/2
    //   (1,1): (0,0) (0,1) (1,0) (1,1)     4·1/4             = 1
    //   (1,2): (0,1) (0,2) (1,1) (1,2)     1/4 + 1/2 + 1/4 + 1/2 = 3/2
    //   (2,0): (1,0) (2,0)                 1/4 + 1/2         = 3/4
    //   (2,1): (1,0) (1,1) (2,0) (2,1)     3/2
    //   (2,2): (1,1) (1,2) (2,1) (2,2)     1/4 + 1/2 + 1/2 + 1 = 9/4          Σ = 9
    // w²: K² = [[1, 4], [9, 1]]; in-bounds sums d = 15 (full), 5 (r = 2: row a = 0 only),
    //     10 (c = 2: column b = 0 only), 1 at (2, 2). R_x(p, q) = Σ K²[p−r][q−c] / d_(r,c):
    //   (0,0): 1/15                                  = 1/15
    //   (0,1): 4/15 + 1/15                           = 1/3
    //   (0,2): 4/15 + 1/10                           = 11/30
    //   (1,0): 9/15 + 1/15                           = 2/3
    //   (1,1): 1/15 + 9/15 + 4/15 + 1/15             = 1
    //   (1,2): 1/15 + 9/10 + 4/15 + 1/10             = 4/3
    //   (2,0): 9/15 + 1/5                            = 4/5
    //   (2,1): 1/15 + 9/15 + 4/5 + 1/5               = 5/3
    //   (2,2): 1/15 + 9/10 + 4/5 + 1                 = 83/30             Σ = 9
    using M = Model<double, Input<3, 3, 1>,
                    Conv2D<"c", 1, Kernel<2, 2>, Linear, Strides<1, 1>, Padding::same, false>>;
    M m;
    // Keras kernel [kh, kw, in, filters] in C order: (a, b) = (0,0), (0,1), (1,0), (1,1).
    m.layer<"c">().params().kernel = matrix<double>(4, 1, {1, -2, 3, 1});
    const Batch<double> x = row({0.3, -1, 2, 5, 0, -0.5, 1, 1, 7});  // ignored by both rules
    const auto t = target<double>("c", select::relevance<double>(Batch<double>::Ones(1, 9)));
    check_row(lrp(m, Flat{}).explain(x, t).relevance,
              {1.0 / 4, 1.0 / 2, 3.0 / 4, 1.0 / 2, 1, 3.0 / 2, 3.0 / 4, 3.0 / 2, 9.0 / 4}, exact);
    check_row(lrp(m, WSquare{}).explain(x, t).relevance,
              {1.0 / 15, 1.0 / 3, 11.0 / 30, 2.0 / 3, 1, 4.0 / 3, 4.0 / 5, 5.0 / 3, 83.0 / 30}, exact);
}

TEST_CASE("rules act per batch row") {
    // A two-row batch (the second row has a negative input and a ReLU-off unit) gives, row by
    // row, exactly what each row gives alone: no statistic leaks across the batch.
    const auto m = make_n();
    Batch<double> x(2, 3);
    x.row(0) = x_n;
    x.row(1) << -1, 0.5, 2;
    const auto t = target<double>("b", select::relevance<double>(row({3, 1})));
    const auto both = lrp(m, AlphaBeta(2, 1)).explain(x, t);
    for (Eigen::Index r = 0; r < 2; ++r) {
        const auto one = lrp(m, AlphaBeta(2, 1)).explain(Batch<double>(x.row(r)), t);
        CHECK((both.relevance.row(r) - one.relevance).cwiseAbs().maxCoeff() <= 1e-15);
    }
}

}  // TEST_SUITE
