// GRU (both reset_after variants) and SimpleRNN (layers/gru.hpp, layers/simple_rnn.hpp): cases
// by hand (the arithmetic is in the comments), the gradient against central differences, and
// the conservation of LRP through time.

#include <doctest/doctest.h>

#include <cmath>

#include <innspect/innspect.hpp>

#include "support/test_support.hpp"

using namespace innspect;
using innspect::test::rows;

namespace {

template <class L>
Batch<double> run(const L& l, const Batch<double>& x) {
    Batch<double> pre, out;
    l.forward(x, pre, out);
    return out;
}

template <class L>
void random_weights(L& l, std::uint64_t seed, bool zero_bias = false) {
    test::Rng rng(seed);
    rng.fill(l.kernel());
    rng.fill(l.recurrent_kernel());
    l.kernel() *= 0.6;
    l.recurrent_kernel() *= 0.4;
    if (l.bias().size() != 0) {
        rng.fill(l.bias());
        if (zero_bias) l.bias().setZero();
    }
}

template <class L>
void check_gradient(const L& l, std::uint64_t seed) {
    test::Rng rng(seed);
    const Batch<double> x = rng.batch<double>(2, L::input_shape::size);
    const Batch<double> g = rng.batch<double>(2, L::output_shape::size);
    const Batch<double> analytic = l.backward(x, g);
    Batch<double> numeric(x.rows(), x.cols());
    const double h = 1e-5;
    for (Eigen::Index b = 0; b < x.rows(); ++b)
        for (Eigen::Index i = 0; i < x.cols(); ++i) {
            Batch<double> xp = x, xm = x;
            xp(b, i) += h;
            xm(b, i) -= h;
            numeric(b, i) = (run(l, xp) - run(l, xm)).row(b).dot(g.row(b)) / (2 * h);
        }
    INNSPECT_CHECK_CLOSE(analytic, numeric, 1e-7);
}

/// Zero biases, ε = 0: Σ R_in = Σ R_out per sample; with biases, Σ R_in + bias share = Σ R_out.
template <class L>
void check_conservation(std::uint64_t seed) {
    test::Rng rng(seed);
    const Batch<double> x = rng.batch<double>(3, L::input_shape::size);
    const Batch<double> r = rng.batch<double>(3, L::output_shape::size);
    L l;
    random_weights(l, seed + 1, true);
    ParamCache<double> c1;
    const auto s = l.lrp_backward(x, r, Epsilon(0), c1);
    CHECK(s.bias_absorbed == 0);
    for (Eigen::Index b = 0; b < x.rows(); ++b) CHECK(s.relevance.row(b).sum() == doctest::Approx(r.row(b).sum()).epsilon(1e-12));
    L lb;
    random_weights(lb, seed + 2);
    ParamCache<double> c2;
    const auto sb = lb.lrp_backward(x, r, Epsilon(0), c2);
    CHECK(std::abs(sb.bias_absorbed) > 1e-3);
    CHECK(sb.relevance.sum() + sb.bias_absorbed == doctest::Approx(r.sum()).epsilon(1e-12));
}

}  // namespace

TEST_CASE("GRU: a 2-unit case by hand, both reset_after variants") {
    // 1 feature, 2 units, linear activation, hard-sigmoid gates; kernel columns [z0 z1 | r0 r1 | h0 h1].
    // z = hs(0) = 0.5 and r = hs(2.5) = 1 (biases only); W_h = [1, 2], U_h = [[1, 0], [0.5, 1]].
    // t=1: x_h = [1, 2], q_h = 0, n = [1, 2], h1 = 0.5·0 + 0.5·[1, 2] = [0.5, 1]
    // t=2: x_h = [2, 4], q_h = h1·U_h = [0.5 + 0.5, 1] = [1, 1], n = [3, 5], h2 = 0.5·[0.5, 1] + 0.5·[3, 5] = [1.75, 3]
    // LRP (ε = 0, R = the output [0.5, 1, 1.75, 3]):
    // t=2: R/h2 = [1, 1]: to h1 z·h1 = [0.25, 0.5], to n (1−z)·φ(n) = [1.5, 2.5];
    //      reset_after: R/n = [0.5, 0.5]: x_h takes [1, 2] → R_x2 = 2·(1·0.5 + 2·0.5) = 3;
    //      r⊙q_h takes [0.5, 0.5] → h1: [0.5·(1·0.5), 1·(0.5·0.5 + 1·0.5)] = [0.25, 0.75]
    //      (reset_after = false: the rule on [x2 | r⊙h1] = [2, 0.5, 1] → n = [3, 5], R/n = [0.5, 0.5]:
    //       the same numbers, 3 and [0.25, 0.75])
    // t=1: R_h1 = [0.5, 1] + [0.25, 0.5] + [0.25, 0.75] = [1, 2.25]; R/h1 = [2, 2.25];
    //      to n: 0.5·[1, 2]·[2, 2.25] = [1, 2.25] = x_h's (q_h = 0): R_x1 = 1·(1·1 + 2·1.125) = 3.25
    // Σ: 3.25 + 3 = 6.25 = 0.5 + 1 + 1.75 + 3.
    auto weights = [](auto& l) {
        l.kernel().setZero();
        l.recurrent_kernel().setZero();
        l.bias().setZero();
        l.kernel()(0, 4) = 1;
        l.kernel()(0, 5) = 2;
        l.recurrent_kernel()(0, 4) = 1;
        l.recurrent_kernel()(1, 4) = 0.5;
        l.recurrent_kernel()(1, 5) = 1;
        l.bias().row(0).segment(2, 2).setConstant(2.5);
    };
    const Batch<double> x = rows({{1, 2}});
    SUBCASE("reset_after (bias [2, 3u])") {
        GRU<"g", 2, Recurrent{.return_sequences = true}, Linear, HardSigmoid>::layer<double, Shape<2, 1>> l;
        weights(l);
        CHECK(l.weights().back().shape == std::vector<std::int64_t>{2, 6});
        CHECK(test::identical(run(l, x), rows({{0.5, 1, 1.75, 3}})));
        ParamCache<double> cache;
        const auto s = l.lrp_backward(x, rows({{0.5, 1, 1.75, 3}}), Epsilon(0), cache);
        CHECK(test::identical(s.relevance, rows({{3.25, 3}})));
    }
    SUBCASE("reset_after = false (bias [3u])") {
        GRU<"g", 2, Recurrent{.return_sequences = true, .reset_after = false}, Linear, HardSigmoid>::layer<double, Shape<2, 1>> l;
        weights(l);
        CHECK(l.weights().back().shape == std::vector<std::int64_t>{6});
        CHECK(test::identical(run(l, x), rows({{0.5, 1, 1.75, 3}})));
        ParamCache<double> cache;
        const auto s = l.lrp_backward(x, rows({{0.5, 1, 1.75, 3}}), Epsilon(0), cache);
        CHECK(test::identical(s.relevance, rows({{3.25, 3}})));
    }
}

TEST_CASE("SimpleRNN: a 2-unit case by hand") {
    // h_t = x_t·[1, 2] + h_{t−1}·[[1, 0], [0.5, 1]] (linear): h1 = [1, 2], h2 = [2, 4] + [2, 2] = [4, 6].
    // LRP (ε = 0, R = [1, 2, 4, 6]): t=2: R/z = [1, 1]: R_x2 = 2·3 = 6, R_h1 = [1, 2·1.5] = [1, 3];
    // t=1: R_h1 = [2, 5], R/z = [2, 2.5]: R_x1 = 1·(2 + 2·2.5) = 7. Σ 13 = 1 + 2 + 4 + 6.
    SimpleRNN<"s", 2, Recurrent{.return_sequences = true}, Linear>::layer<double, Shape<2, 1>> l;
    l.kernel() << 1, 2;
    l.recurrent_kernel() << 1, 0, 0.5, 1;
    const Batch<double> x = rows({{1, 2}});
    CHECK(test::identical(run(l, x), rows({{1, 2, 4, 6}})));
    ParamCache<double> cache;
    CHECK(test::identical(l.lrp_backward(x, rows({{1, 2, 4, 6}}), Epsilon(0), cache).relevance, rows({{7, 6}})));
    // go_backwards: h1 = 2·[1, 2] = [2, 4], h2 = [1, 2] + [2 + 2, 4] = [5, 6]
    SimpleRNN<"s", 2, Recurrent{.return_sequences = true, .go_backwards = true}, Linear>::layer<double, Shape<2, 1>> b;
    b.kernel() = l.kernel();
    b.recurrent_kernel() = l.recurrent_kernel();
    CHECK(test::identical(run(b, x), rows({{2, 4, 5, 6}})));
}

TEST_CASE("GRU and SimpleRNN: gradients against central differences") {
    SUBCASE("GRU reset_after, last step") {
        GRU<"g", 4>::layer<double, Shape<5, 3>> l;
        random_weights(l, 31);
        check_gradient(l, 41);
    }
    SUBCASE("GRU reset_after = false, every step, go_backwards") {
        GRU<"g", 4, Recurrent{.return_sequences = true, .go_backwards = true, .reset_after = false}>::layer<double, Shape<5, 3>> l;
        random_weights(l, 32);
        check_gradient(l, 42);
    }
    SUBCASE("GRU without bias") {
        GRU<"g", 3, Recurrent{.return_sequences = true, .use_bias = false}>::layer<double, Shape<4, 2>> l;
        random_weights(l, 33);
        check_gradient(l, 43);
    }
    SUBCASE("SimpleRNN") {
        SimpleRNN<"s", 4, Recurrent{.return_sequences = true}>::layer<double, Shape<5, 3>> l;
        random_weights(l, 34);
        check_gradient(l, 44);
        SimpleRNN<"s", 4, Recurrent{.go_backwards = true}>::layer<double, Shape<5, 3>> b;
        random_weights(b, 35);
        check_gradient(b, 45);
    }
}

TEST_CASE("GRU and SimpleRNN: conservation of LRP through time") {
    check_conservation<GRU<"g", 4, Recurrent{.return_sequences = true}>::layer<double, Shape<6, 3>>>(51);
    check_conservation<GRU<"g", 4, Recurrent{.reset_after = false}>::layer<double, Shape<6, 3>>>(52);
    check_conservation<SimpleRNN<"s", 4, Recurrent{.return_sequences = true}>::layer<double, Shape<6, 3>>>(53);
}
