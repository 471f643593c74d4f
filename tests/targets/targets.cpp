// Targets (design.md §6): which tap, which units with which weights m, logit or activation. For
// LRP the initial relevance is R⁰ = m ⊙ v, for gradients the explained scalar is S = Σ_j m_j v_j,
// v the tap's pre-activation (default) or its output (strip_activation = false).

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <random>
#include <string>
#include <type_traits>

#include <innspect/innspect.hpp>

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
void randomize(M& m, std::uint64_t seed, double bias_scale) {
    std::mt19937_64 gen(seed);
    std::normal_distribution<double> normal(0.0, 1.0);
    m.for_each_layer([&](auto& l) {
        using L = std::remove_cvref_t<decltype(l)>;
        if constexpr (LinearLayer<L>) {
            auto& p = l.params();
            const double fan = L::keras_class == "Conv2DTranspose" ? double(p.kernel.cols()) : double(p.kernel.rows());
            for (Eigen::Index i = 0; i < p.kernel.size(); ++i) p.kernel.data()[i] = normal(gen) / std::sqrt(fan);
            if (p.has_bias)
                for (Eigen::Index i = 0; i < p.bias.size(); ++i) p.bias(i) = bias_scale * normal(gen);
        }
    });
}

void check_close(const Batch<double>& a, const Batch<double>& b, double tol) {
    REQUIRE(a.rows() == b.rows());
    REQUIRE(a.cols() == b.cols());
    const double scale = std::max(1.0, b.cwiseAbs().maxCoeff());
    const double diff = (a - b).cwiseAbs().maxCoeff();
    INFO("max |diff| = " << diff << ", scale " << scale << ", tol " << tol);
    CHECK(diff <= tol * scale);
}

/// Central differences of S(x) = Σ_j m_j v_j(x) (per row), v = pre-activation or output of `tap`.
template <class M>
Batch<double> finite_differences(const M& m, const Batch<double>& x, const std::string& tap, const Batch<double>& w,
                                 bool strip, double h = 1e-5) {
    auto s = [&](const Batch<double>& xx) -> Vector<double> {
        const auto t = m.forward(xx);
        const int i = t.index_of(tap);
        const Batch<double>& v = strip ? t.pre_activation(i) : t.output(i);
        const Batch<double> ww = w.rows() == v.rows() ? w : Batch<double>(w.replicate(v.rows(), 1));
        return ww.cwiseProduct(v).rowwise().sum();
    };
    Batch<double> g(x.rows(), x.cols());
    for (Eigen::Index i = 0; i < x.cols(); ++i) {
        Batch<double> xp = x, xm = x;
        xp.col(i).array() += h;
        xm.col(i).array() -= h;
        g.col(i) = (s(xp) - s(xm)) / (2 * h);
    }
    return g;
}

// A small image model with taps of every kind: a conv feature map (3×4×2), a Dropout (no own
// computation), a softmax classifier head, a latent Dense and an Activation layer.
using TNet = Model<double, Input<4, 5, 1>,
                   Conv2D<"c", 2, Kernel<2, 2>, Selu>,  // 3×4×2 = 24
                   Dropout<"drop">,
                   Flatten<"f">,
                   Dense<"logits", 3, Softmax>,
                   From<"f", Dense<"h", 4>>,
                   Activation<"act", Tanh>>;

TNet make_net(double bias_scale = 0.3) {
    TNet m;
    randomize(m, 301, bias_scale);
    return m;
}

}  // namespace

TEST_SUITE("targets") {

TEST_CASE("index(h, w, c) is flat index (h·W + w)·C + c, channels-last") {
    // tap c: 3 × 4 × 2; (1, 2, 1) → (1·4 + 2)·2 + 1 = 13
    const auto m = make_net();
    const Batch<double> x = random_batch(2, 20, 302);
    const auto trace = m.forward(x);
    const Batch<double>& z = trace.pre_activation(TNet::index_of("c"));
    const auto a = lrp(m, Epsilon(0.01)).explain(trace, target<double>("c", select::index<double>(1, 2, 1)));
    const auto b = lrp(m, Epsilon(0.01)).explain(trace, target<double>("c", select::index<double>(13)));
    Batch<double> expected = Batch<double>::Zero(2, 24);
    expected.col(13) = z.col(13);
    CHECK(a.initial == expected);
    CHECK(b.initial == expected);
    CHECK(a.relevance == b.relevance);
    // the corner units
    CHECK(lrp(m, Epsilon(0.01)).explain(trace, target<double>("c", select::index<double>(2, 3, 1))).initial(0, 23) == z(0, 23));
    CHECK(lrp(m, Epsilon(0.01)).explain(trace, target<double>("c", select::index<double>(0, 0, 0))).initial(1, 0) == z(1, 0));
    // gradients: the seed m is the one-hot itself
    const auto g = gradient(m).explain(trace, target<double>("c", select::index<double>(1, 2, 1)));
    Batch<double> onehot = Batch<double>::Zero(2, 24);
    onehot.col(13).setOnes();
    CHECK(g.initial == onehot);
    CHECK(g.relevance == gradient(m).explain(trace, target<double>("c", select::index<double>(13))).relevance);
}

TEST_CASE("max picks each row's argmax of the explained values") {
    const auto m = make_net();
    const Batch<double> x = 3.0 * random_batch(16, 20, 303);
    const auto trace = m.forward(x);
    const Batch<double>& z = trace.pre_activation(TNet::index_of("logits"));
    const auto e = lrp(m, ZRule{}).explain(trace, target<double>("logits", select::max<double>()));
    const auto g = gradient(m).explain(trace, target<double>("logits", select::max<double>()));
    int distinct = 0;
    Eigen::Index first = -1;
    for (Eigen::Index r = 0; r < 16; ++r) {
        Eigen::Index k = 0;
        for (Eigen::Index j = 1; j < 3; ++j)
            if (z(r, j) > z(r, k)) k = j;
        if (first < 0) first = k;
        if (k != first) ++distinct;
        for (Eigen::Index j = 0; j < 3; ++j) {
            CAPTURE(r);
            CAPTURE(j);
            CHECK(e.initial(r, j) == (j == k ? z(r, j) : 0.0));
            CHECK(g.initial(r, j) == (j == k ? 1.0 : 0.0));
        }
        CHECK(e.score(r) == z(r, k));
    }
    CHECK(distinct > 0);  // the batch really has different argmaxes
}

TEST_CASE("mask: R⁰ = m ⊙ z, and LRP-0 on zero biases sums to Σ m z at the input") {
    auto m = make_net(0.0);
    const Batch<double> x = random_batch(2, 20, 304);
    const Batch<double> mask = random_batch(2, 24, 305);  // one row per sample
    const auto trace = m.forward(x);
    const Batch<double>& z = trace.pre_activation(TNet::index_of("c"));
    const auto e = lrp(m, ZRule{}).explain(trace, target<double>("c", select::mask<double>(mask)));
    CHECK(e.initial == Batch<double>(mask.cwiseProduct(z)));
    for (Eigen::Index r = 0; r < 2; ++r) {
        const double s = mask.row(r).cwiseProduct(z.row(r)).sum();
        CHECK(e.score(r) == doctest::Approx(s).epsilon(1e-14));
        CHECK(e.relevance.row(r).sum() == doctest::Approx(s).epsilon(1e-10));
    }
    // one row broadcast to the batch = the same row given per sample
    const Batch<double> one = mask.row(0);
    const auto b = lrp(m, ZRule{}).explain(trace, target<double>("c", select::mask<double>(one)));
    const auto p = lrp(m, ZRule{}).explain(trace, target<double>("c", select::mask<double>(Batch<double>(one.replicate(2, 1)))));
    CHECK(b.relevance == p.relevance);
}

TEST_CASE("direction: the concept score c·z — LRP R⁰ sums to it, its gradient matches finite differences") {
    auto m = make_net(0.0);  // zero biases: LRP-0 conserves the concept score down to the input
    const Batch<double> x = random_batch(3, 20, 306);
    const Batch<double> c = random_batch(1, 4, 307);
    const auto trace = m.forward(x);
    const Batch<double>& z = trace.pre_activation(TNet::index_of("h"));
    const auto t = target<double>("h", select::direction<double>(c));
    const auto e = lrp(m, ZRule{}).explain(trace, t);
    const auto g = gradient(m).explain(trace, t);
    for (Eigen::Index r = 0; r < 3; ++r) {
        const double s = c.row(0).cwiseProduct(z.row(r)).sum();
        CAPTURE(r);
        CHECK(e.initial.row(r).sum() == doctest::Approx(s).epsilon(1e-14));
        CHECK(e.relevance.row(r).sum() == doctest::Approx(s).epsilon(1e-10));
        CHECK(g.score(r) == doctest::Approx(s).epsilon(1e-14));
    }
    check_close(g.relevance, finite_differences(m, x, "h", c, true), 1e-7);
}

TEST_CASE("strip_activation = false explains f(z): the softmax probability and its gradient") {
    const auto m = make_net();
    const Batch<double> x = random_batch(2, 20, 308);
    const auto trace = m.forward(x);
    const Batch<double>& p = trace.output("logits");
    auto t = target<double>("logits", select::index<double>(2));
    t.strip_activation = false;
    const auto e = lrp(m, Epsilon(0.01)).explain(trace, t);
    for (Eigen::Index r = 0; r < 2; ++r) {
        CHECK(e.initial(r, 2) == p(r, 2));
        CHECK(e.initial(r, 0) == 0.0);
        CHECK(e.score(r) == p(r, 2));
    }
    Batch<double> onehot = Batch<double>::Zero(1, 3);
    onehot(0, 2) = 1;
    const auto g = gradient(m).explain(trace, t);
    check_close(g.relevance, finite_differences(m, x, "logits", onehot, false), 1e-7);
    // and differs from the logit's gradient
    const auto gl = gradient(m).explain(trace, target<double>("logits", select::index<double>(2)));
    CHECK((g.relevance - gl.relevance).cwiseAbs().maxCoeff() > 1e-3);
    check_close(gl.relevance, finite_differences(m, x, "logits", onehot, true), 1e-7);
    // max with the activation kept picks the argmax of the probabilities (same unit as the logits)
    auto tm = target<double>("logits", select::max<double>());
    tm.strip_activation = false;
    const auto em = lrp(m, Epsilon(0.01)).explain(trace, tm);
    for (Eigen::Index r = 0; r < 2; ++r) CHECK(em.initial.row(r).sum() == p.row(r).maxCoeff());
}

TEST_CASE("taps without own computation: Dropout and Activation explain their input (= the parent's output)") {
    const auto m = make_net();
    const Batch<double> x = random_batch(2, 20, 309);
    const auto trace = m.forward(x);
    // Dropout after a SELU conv: "pre-activation" = its input = SELU(z_c)
    const auto d = lrp(m, Epsilon(0.01)).explain(trace, target<double>("drop", select::index<double>(5)));
    CHECK(d.initial(0, 5) == trace.output("c")(0, 5));
    CHECK(d.initial(1, 5) == trace.output("c")(1, 5));
    // Activation(tanh) layer: stripped → its input h; kept → tanh(h)
    const auto a = lrp(m, Epsilon(0.01)).explain(trace, target<double>("act", select::all<double>()));
    CHECK(a.initial == trace.output("h"));
    auto keep = target<double>("act", select::all<double>());
    keep.strip_activation = false;
    const auto k = lrp(m, Epsilon(0.01)).explain(trace, keep);
    CHECK(k.initial == trace.output("act"));
    check_close(k.initial, Batch<double>(trace.output("h").array().tanh().matrix()), 1e-15);
    // the gradient of Σ tanh(h) vs finite differences
    check_close(gradient(m).explain(trace, keep).relevance,
                finite_differences(m, x, "act", Batch<double>::Ones(1, 4), false), 1e-7);
}

TEST_CASE("relevance(R): the initial relevance as given; for gradients the seed") {
    const auto m = make_net();
    const Batch<double> x = random_batch(2, 20, 310);
    const Batch<double> r = random_batch(2, 3, 311);
    const auto e = lrp(m, Epsilon(0.01)).explain(x, target<double>("logits", select::relevance<double>(r)));
    CHECK(e.initial == r);
    CHECK(e.report.initial == doctest::Approx(r.sum()).epsilon(1e-14));
    const auto g = gradient(m).explain(x, target<double>("logits", select::relevance<double>(r)));
    CHECK(g.initial == r);
    check_close(g.relevance, finite_differences(m, x, "logits", r, true), 1e-7);
}

TEST_CASE("select:: and target without a scalar type take the model's: same results as spelled out") {
    // The value-less selections are Selection<void> until used; they convert to the model's type.
    static_assert(std::is_same_v<decltype(select::max()), Selection<void>>);
    static_assert(std::is_same_v<decltype(target("c")), Target<void>>);
    static_assert(std::is_convertible_v<Target<void>, Target<double>>);
    static_assert(std::is_convertible_v<Target<void>, Target<float>>);
    static_assert(!std::is_convertible_v<Target<float>, Target<double>>);

    const auto m = make_net();
    const Batch<double> x = random_batch(3, 20, 311);
    const auto trace = m.forward(x);
    const auto a = lrp(m, Epsilon(0.01));
    CHECK(a.explain(trace, target("logits")).relevance ==
          a.explain(trace, target<double>("logits", select::max<double>())).relevance);
    CHECK(a.explain(x, target("c", select::index(1, 2, 1))).relevance ==
          a.explain(x, target<double>("c", select::index<double>(1, 2, 1))).relevance);
    CHECK(a.explain(x, target<"h">(select::all())).relevance ==
          a.explain(x, target<double>("h", select::all<double>())).relevance);
    CHECK(gradient(m).explain(x, target<"c">(select::index(13))).relevance ==
          gradient(m).explain(x, target<double>("c", select::index<double>(13))).relevance);
    // The fields survive the conversion.
    auto t = target("c", select::index(5));
    t.strip_activation = false;
    t.stop_at = "c";
    const Target<double> td = t;
    CHECK(td.layer == "c");
    CHECK(td.selection.kind == SelectionKind::index);
    CHECK(td.selection.flat_index == 5);
    CHECK_FALSE(td.strip_activation);
    CHECK(td.stop_at == "c");

    // A float model takes the same spelling.
    Model<float, Input<4>, Dense<"d", 3>> mf;
    mf.layer<"d">().params().kernel.setConstant(0.5f);
    const Batch<float> xf = Batch<float>::Ones(2, 4);
    CHECK(lrp(mf, Epsilon(0.01)).explain(xf, target("d", select::index(2))).relevance ==
          lrp(mf, Epsilon(0.01)).explain(xf, target<float>("d", select::index<float>(2))).relevance);
}

}  // TEST_SUITE
