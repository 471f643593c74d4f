// LSTM (layers/lstm.hpp): cases computed by hand (the arithmetic is in the comments), the
// gradient against central differences, and LRP through time: by hand, its conservation, and
// the analyzer's hook that hands the layer the composite's rule.

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include <innspect/innspect.hpp>

#include "support/model_checks.hpp"
#include "support/test_support.hpp"

using namespace innspect;
using innspect::test::rows;

namespace {

/// Keras's hard sigmoid (Keras 2): clip(0.2 z + 0.5, 0, 1).
double hard_sigmoid(double z) { return std::clamp(0.2 * z + 0.5, 0.0, 1.0); }

/// The hand case: 1 feature, 2 units, linear activation, hard-sigmoid gates. Kernel columns are
/// [i0 i1 | f0 f1 | c0 c1 | o0 o1]; only the candidate reads x and h, the gates are constants:
/// i = hs(2.5) = 1, f = hs(0) = 0.5, o = hs(2.5) = 1.
///   W_c = [1, 2], U_c = [[1, 0], [0.5, 1]] (rows h0, h1), b = 0 except b_i = b_o = 2.5.
template <class L>
void hand_weights(L& l) {
    l.kernel().setZero();
    l.recurrent_kernel().setZero();
    l.bias().setZero();
    l.kernel()(0, 4) = 1;
    l.kernel()(0, 5) = 2;
    l.recurrent_kernel()(0, 4) = 1;
    l.recurrent_kernel()(1, 4) = 0.5;
    l.recurrent_kernel()(1, 5) = 1;
    l.bias().segment(0, 2).setConstant(2.5);
    l.bias().segment(6, 2).setConstant(2.5);
}

template <class L>
Batch<double> run(const L& l, const Batch<double>& x) {
    Batch<double> pre, out;
    l.forward(x, pre, out);
    return out;
}

}  // namespace

TEST_CASE("LSTM: a 2-unit case by hand (forward, go_backwards, LRP through time)") {
    CHECK(hard_sigmoid(2.5) == 1.0);
    CHECK(hard_sigmoid(0.0) == 0.5);
    using Seq = LSTM<"l", 2, Recurrent{.return_sequences = true}, Linear, HardSigmoid>;
    Seq::layer<double, Shape<2, 1>> l;
    hand_weights(l);
    const Batch<double> x = rows({{1, 2}});
    // t=1: z_c = 1·[1, 2] = [1, 2], c1 = 0.5·0 + 1·[1, 2] = [1, 2], h1 = 1·c1 = [1, 2]
    // t=2: z_c = 2·[1, 2] + h1·U_c = [2, 4] + [1·1 + 2·0.5, 2·1] = [4, 6]
    //      c2 = 0.5·[1, 2] + [4, 6] = [4.5, 7], h2 = [4.5, 7]
    CHECK(test::identical(run(l, x), rows({{1, 2, 4.5, 7}})));

    // The last step only: h2.
    LSTM<"l", 2, Recurrent{}, Linear, HardSigmoid>::layer<double, Shape<2, 1>> last;
    hand_weights(last);
    CHECK(test::identical(run(last, x), rows({{4.5, 7}})));

    // go_backwards reads x2 first: z_c = 2·[1, 2] = [2, 4] = c1 = h1;
    // then z_c = 1·[1, 2] + [2·1 + 4·0.5, 4·1] = [5, 6], c2 = 0.5·[2, 4] + [5, 6] = [6, 8].
    LSTM<"l", 2, Recurrent{.return_sequences = true, .go_backwards = true}, Linear, HardSigmoid>::layer<double, Shape<2, 1>> back;
    hand_weights(back);
    CHECK(test::identical(run(back, x), rows({{2, 4, 6, 8}})));

    // LRP, ε = 0, R at the output = the output [1, 2, 4.5, 7]:
    // t=2: R_c2 = R_h2 = [4.5, 7]; R/c2 = [1, 1]; R_g = i·g·1 = [4, 6]; R_c1 = f·c1·1 = [0.5, 1]
    //      z_c = [4, 6] from [x2 = 2, h1 = (1, 2)], K = [[1, 2], [1, 0], [0.5, 1]], R/z = [1, 1]:
    //      R_x2 = 2·(1 + 2) = 6, R_h1 = [1·(1 + 0), 2·(0.5 + 1)] = [1, 3]
    // t=1: R_h1 = [1, 2] (output) + [1, 3] = [2, 5]; R_c1 = [0.5, 1] + [2, 5] = [2.5, 6]
    //      R/c1 = [2.5, 3]; R_g = [2.5, 6]; R_c0 = f·0 = 0
    //      z_c = [1, 2] from [x1 = 1, h0 = 0]: R_x1 = 1·(1·2.5/1 + 2·6/2) = 8.5
    // Σ: 8.5 + 6 = 14.5 = 1 + 2 + 4.5 + 7.
    ParamCache<double> cache;
    const auto s = l.lrp_backward(x, rows({{1, 2, 4.5, 7}}), Epsilon(0), cache);
    CHECK(test::identical(s.relevance, rows({{8.5, 6}})));
    CHECK(s.bias_absorbed == 0);
}

namespace {

/// An LSTM with seeded normal weights (scaled to keep the gates away from saturation).
template <class L>
void random_weights(L& l, std::uint64_t seed, bool zero_bias = false) {
    test::Rng rng(seed);
    rng.fill(l.kernel());
    rng.fill(l.recurrent_kernel());
    l.kernel() *= 0.6;
    l.recurrent_kernel() *= 0.4;
    if constexpr (requires { l.bias(); }) {
        if (l.bias().size() != 0) {
            rng.fill(l.bias());
            if (zero_bias) l.bias().setZero();
        }
    }
}

/// Checks backward(x, g) against central differences of ⟨g, forward(x)⟩.
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

}  // namespace

TEST_CASE("LSTM: the gradient (backpropagation through time) against central differences") {
    SUBCASE("last step, tanh / sigmoid") {
        LSTM<"l", 5>::layer<double, Shape<4, 3>> l;
        random_weights(l, 1);
        check_gradient(l, 11);
    }
    SUBCASE("every step") {
        LSTM<"l", 5, Recurrent{.return_sequences = true}>::layer<double, Shape<4, 3>> l;
        random_weights(l, 2);
        check_gradient(l, 12);
    }
    SUBCASE("go_backwards, no bias, softsign / tanh") {
        LSTM<"l", 3, Recurrent{.return_sequences = true, .go_backwards = true, .use_bias = false}, Softsign, Tanh>::layer<double, Shape<5, 2>> l;
        random_weights(l, 3);
        check_gradient(l, 13);
    }
}

TEST_CASE("LSTM: conservation of LRP through time") {
    test::Rng rng(7);
    const Batch<double> x = rng.batch<double>(3, 6 * 3);
    SUBCASE("zero biases, epsilon 0: sum R_in = sum R_out to rounding") {
        LSTM<"l", 4, Recurrent{.return_sequences = true}>::layer<double, Shape<6, 3>> l;
        random_weights(l, 5, true);
        const Batch<double> r = rng.batch<double>(3, 6 * 4);
        ParamCache<double> cache;
        const auto s = l.lrp_backward(x, r, Epsilon(0), cache);
        CHECK(s.bias_absorbed == 0);
        for (Eigen::Index b = 0; b < x.rows(); ++b) CHECK(s.relevance.row(b).sum() == doctest::Approx(r.row(b).sum()).epsilon(1e-12));
    }
    SUBCASE("biases, epsilon 0: what is missing is exactly the candidate bias's share") {
        LSTM<"l", 4>::layer<double, Shape<6, 3>> l;
        random_weights(l, 6);
        const Batch<double> r = rng.batch<double>(3, 4);
        ParamCache<double> cache;
        const auto s = l.lrp_backward(x, r, Epsilon(0), cache);
        CHECK(std::abs(s.bias_absorbed) > 1e-3);
        CHECK(s.relevance.sum() + s.bias_absorbed == doctest::Approx(r.sum()).epsilon(1e-12));
    }
    SUBCASE("the gates take nothing: scaling every gate's bias leaves sum R_in unchanged when b_c = 0") {
        LSTM<"l", 4>::layer<double, Shape<6, 3>> l;
        random_weights(l, 8);
        l.bias().segment(8, 4).setZero();  // b_c
        const Batch<double> r = rng.batch<double>(3, 4);
        ParamCache<double> cache;
        const auto s = l.lrp_backward(x, r, Epsilon(0), cache);
        CHECK(s.bias_absorbed == 0);
        CHECK(s.relevance.sum() == doctest::Approx(r.sum()).epsilon(1e-12));
    }
}

TEST_CASE("LSTM in a model: the composite's rule reaches the cell, the report has its line") {
    using Net = Model<double, Input<5, 3>, LSTM<"enc", 4>, Dense<"out", 2>>;
    Net m;
    random_weights(m.layer<"enc">(), 21);
    test::Rng rng(22);
    rng.fill(m.layer<"out">().params().kernel);
    rng.fill(m.layer<"out">().params().bias);
    const Batch<double> x = rng.batch<double>(2, 15);
    const auto trace = m.forward(x);

    SUBCASE("by name: z+ on the LSTM's linear maps, ε on the Dense") {
        const auto c = composite(entry<ByName<"enc">>(ZPlus()), entry<AnyLayer>(Epsilon(0.1)));
        const auto e = lrp(m, c).explain(trace, target<double>("out", select::all<double>()), ExplainOptions{.keep_layers = true});
        // The relevance at the LSTM's output, run through the layer with z+ directly.
        const Batch<double>& at_enc = e.layers.at(1).relevance;
        ParamCache<double> cache;
        const auto direct = m.layer<"enc">().lrp_backward(x, at_enc, ZPlus(), cache);
        CHECK(test::identical(e.relevance, direct.relevance));
        const auto& line = e.report.layers.at(1);
        CHECK(line.layer == "enc");
        CHECK(line.rule.find("zplus") != std::string::npos);
        CHECK(line.rule.find("signal-take-all") != std::string::npos);
        CHECK(line.bias_absorbed == doctest::Approx(direct.bias_absorbed));
    }
    SUBCASE("no entry for the LSTM: epsilon 1e-6") {
        const auto c = composite(entry<ByClass<"Dense">>(Epsilon(0.1)));
        const auto e = lrp(m, c).explain(trace, target<double>("out", select::all<double>()), ExplainOptions{.keep_layers = true});
        ParamCache<double> cache;
        const auto direct = m.layer<"enc">().lrp_backward(x, e.layers.at(1).relevance, Epsilon(1e-6), cache);
        CHECK(test::identical(e.relevance, direct.relevance));
        CHECK(e.report.layers.at(1).rule.find("epsilon(1e-06)") != std::string::npos);
    }
    SUBCASE("the gradient analyzer runs BPTT") {
        const auto e = gradient(m).explain(trace, target<double>("out", select::index<double>(1)));
        Batch<double> g = Batch<double>::Zero(2, 2);
        g.col(1).setOnes();
        const Batch<double> g_enc = m.layer<"out">().backward_linear(g);
        CHECK(test::identical(e.relevance, m.layer<"enc">().backward(x, g_enc)));
    }
}

namespace readme {
// The README's LSTM autoencoder, as written there.
template <class T>
using LstmAE = innspect::Model<T, innspect::Input<100, 8>,                        // (steps, channels)
    innspect::LSTM<"encoder", 64>,                                               // (64,): the code
    innspect::RepeatVector<"repeat", 100>,                                       // (100, 64)
    innspect::LSTM<"decoder", 64, innspect::Recurrent{.return_sequences = true}>,  // (100, 64)
    innspect::TimeDistributed<"output", innspect::Dense<"dense", 8>>>;            // (100, 8)
}  // namespace readme

TEST_CASE("the README's LSTM autoencoder: Keras's shapes; explaining the code does not run the decoder") {
    using M = readme::LstmAE<float>;
    const auto& info = M::layer_infos();
    CHECK(info[0].output_keras_shape() == std::vector<std::int64_t>{64});
    CHECK(info[2].output_keras_shape() == std::vector<std::int64_t>{100, 64});
    CHECK(info[3].output_keras_shape() == std::vector<std::int64_t>{100, 8});
    M m;
    innspect::test::Rng rng(4);
    innspect::test::randomize(m, rng);
    const Batch<float> x = rng.batch<float>(2, 800);
    const Trace<float> code = m.forward(x, "encoder");
    CHECK(code.ran == std::vector<char>{1, 0, 0, 0});
    CHECK(code.output("encoder") == m.forward(x).output("encoder"));
}
