// Bidirectional (concat, sum, ave) and TimeDistributed(Dense): the forward pass against the
// wrapped layers run by hand, gradients against central differences, LRP conservation and the
// relevance each direction receives.

#include <doctest/doctest.h>

#include <innspect/innspect.hpp>

#include "support/test_support.hpp"

using namespace innspect;

namespace {

template <class L>
Batch<double> run(const L& l, const Batch<double>& x) {
    Batch<double> pre, out;
    l.forward(x, pre, out);
    return out;
}

template <class L>
void random_rnn(L& l, std::uint64_t seed, bool zero_bias = false) {
    test::Rng rng(seed);
    rng.fill(l.kernel());
    rng.fill(l.recurrent_kernel());
    l.kernel() *= 0.6;
    l.recurrent_kernel() *= 0.4;
    rng.fill(l.bias());
    if (zero_bias) l.bias().setZero();
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

using Seq = LSTM<"lstm", 3, Recurrent{.return_sequences = true}>;
using In = Shape<4, 2>;

}  // namespace

TEST_CASE("Bidirectional: forward = the two directions, the backward one put back into input order") {
    test::Rng rng(61);
    const Batch<double> x = rng.batch<double>(2, In::size);
    Seq::layer<double, In> f;
    Seq::reversed::layer<double, In> b;  // go_backwards
    random_rnn(f, 62);
    random_rnn(b, 63);
    const Batch<double> yf = run(f, x), yb = run(b, x);
    SUBCASE("concat, every step: step t = [h→_t | h←_t], h←_t = the backward layer's output S−1−t") {
        Bidirectional<"bi", Seq>::layer<double, In> bi;
        bi.forward_layer() = f;
        bi.backward_layer() = b;
        const Batch<double> y = run(bi, x);
        REQUIRE(y.cols() == 4 * 6);
        for (int t = 0; t < 4; ++t)
            for (int u = 0; u < 3; ++u) {
                CHECK(y(1, t * 6 + u) == yf(1, t * 3 + u));
                CHECK(y(1, t * 6 + 3 + u) == yb(1, (3 - t) * 3 + u));
            }
        CHECK(bi.weights().size() == 6);
        CHECK(bi.weights()[3].role == "backward/kernel");
    }
    SUBCASE("sum and ave, last step") {
        using Last = LSTM<"lstm", 3>;
        Bidirectional<"bi", Last, BidirectionalMerge::sum>::layer<double, In> s;
        Bidirectional<"bi", Last, BidirectionalMerge::ave>::layer<double, In> a;
        random_rnn(s.forward_layer(), 62);
        random_rnn(s.backward_layer(), 63);
        a.forward_layer() = s.forward_layer();
        a.backward_layer() = s.backward_layer();
        const Batch<double> last = yf.rightCols(3) + yb.rightCols(3);  // the last processing step of each
        INNSPECT_CHECK_CLOSE(run(s, x), last, 1e-15);
        INNSPECT_CHECK_CLOSE(run(a, x), Batch<double>(0.5 * last), 1e-15);
    }
}

TEST_CASE("Bidirectional: gradients against central differences") {
    Bidirectional<"bi", Seq>::layer<double, In> c;
    random_rnn(c.forward_layer(), 71);
    random_rnn(c.backward_layer(), 72);
    check_gradient(c, 73);
    Bidirectional<"bi", GRU<"gru", 3>, BidirectionalMerge::ave>::layer<double, In> a;
    random_rnn(a.forward_layer(), 74);
    random_rnn(a.backward_layer(), 75);
    check_gradient(a, 76);
}

TEST_CASE("Bidirectional: LRP conserves with zero biases and epsilon 0; concat gives each direction its slice") {
    test::Rng rng(81);
    const Batch<double> x = rng.batch<double>(3, In::size);
    SUBCASE("concat") {
        Bidirectional<"bi", Seq>::layer<double, In> bi;
        random_rnn(bi.forward_layer(), 82, true);
        random_rnn(bi.backward_layer(), 83, true);
        const Batch<double> r = rng.batch<double>(3, 4 * 6);
        ParamCache<double> cache;
        const auto s = bi.lrp_backward(x, r, Epsilon(0), cache);
        for (Eigen::Index b = 0; b < 3; ++b) CHECK(s.relevance.row(b).sum() == doctest::Approx(r.row(b).sum()).epsilon(1e-12));
        // Only the forward half of the relevance: what the forward layer alone gives.
        Batch<double> rf = r;
        for (int t = 0; t < 4; ++t) detail::step_view(rf, t, 6, 4).rightCols(3).setZero();
        Batch<double> rf_own(3, 12);
        for (int t = 0; t < 4; ++t) detail::step_view(rf_own, t, 3, 4) = detail::step_view(r, t, 6, 4).leftCols(3);
        ParamCache<double> c1, c2;
        CHECK(test::identical(bi.lrp_backward(x, rf, Epsilon(0), c1).relevance,
                              bi.forward_layer().lrp_backward(x, rf_own, Epsilon(0), c2).relevance));
    }
    SUBCASE("sum (GRU, SimpleRNN)") {
        Bidirectional<"bi", GRU<"gru", 3>, BidirectionalMerge::sum>::layer<double, In> g;
        random_rnn(g.forward_layer(), 84, true);
        random_rnn(g.backward_layer(), 85, true);
        const Batch<double> r = rng.batch<double>(3, 3);
        ParamCache<double> cache;
        const auto s = g.lrp_backward(x, r, Epsilon(0), cache);
        for (Eigen::Index b = 0; b < 3; ++b) CHECK(s.relevance.row(b).sum() == doctest::Approx(r.row(b).sum()).epsilon(1e-12));
        Bidirectional<"bi", SimpleRNN<"rnn", 3, Recurrent{.return_sequences = true}>, BidirectionalMerge::sum>::layer<double, In> n;
        random_rnn(n.forward_layer(), 86, true);
        random_rnn(n.backward_layer(), 87, true);
        const Batch<double> rs = rng.batch<double>(3, 12);
        const auto sn = n.lrp_backward(x, rs, Epsilon(0), cache.part("n"));
        for (Eigen::Index b = 0; b < 3; ++b) CHECK(sn.relevance.row(b).sum() == doctest::Approx(rs.row(b).sum()).epsilon(1e-12));
    }
}

TEST_CASE("TimeDistributed(Dense): the Dense on every step, under the wrapper's name and class") {
    using Net = Model<double, Input<4, 2>, LSTM<"enc", 3, Recurrent{.return_sequences = true}>,
                      TimeDistributed<"time_distributed", Dense<"dense", 2, Tanh>>>;
    Net m;
    random_rnn(m.layer<"enc">(), 91);
    test::Rng rng(92);
    auto& td = m.layer<"time_distributed">();
    rng.fill(td.params().kernel);
    rng.fill(td.params().bias);
    CHECK(td.name == "time_distributed");
    CHECK(td.keras_class == "TimeDistributed");
    CHECK(td.weights()[0].role == "kernel");
    CHECK(td.weights()[0].shape == std::vector<std::int64_t>{3, 2});
    const Batch<double> x = rng.batch<double>(2, 8);
    const auto trace = m.forward(x);
    const Batch<double>& h = trace.output(0);
    for (int t = 0; t < 4; ++t) {
        const Batch<double> z = (Batch<double>(detail::step_view(h, t, 3, 4)) * td.params().kernel).rowwise() +
                                td.params().bias.transpose();
        INNSPECT_CHECK_CLOSE(Batch<double>(detail::step_view(trace.output(1), t, 2, 4)), Batch<double>(z.array().tanh().matrix()), 1e-15);
    }
    // A composite may name it by class; the LSTM then has its own rule.
    const auto c = composite(entry<ByClass<"TimeDistributed">>(Epsilon(0.25)), entry<AnyLayer>(Epsilon(0)));
    const auto e = lrp(m, c).explain(trace, target<double>("time_distributed", select::all<double>()));
    CHECK(e.report.layers.at(0).rule == "epsilon(0.25)");
    CHECK(e.report.layers.at(1).rule.find("epsilon(0)") != std::string::npos);
}
