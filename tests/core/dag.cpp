// Graphs that merge: Add, Subtract, Average, Maximum, Concatenate by hand; shapes and parents at
// compile time; every backward pass over a DAG (relevance conservation through every merge with
// zero biases, gradients against central differences, stop_at with skip connections around it,
// keep_layers); composites and batch-norm merging on a DAG; the merge's epsilon.

#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <type_traits>
#include <vector>

#include <innspect/innspect.hpp>

#include "support/test_support.hpp"

using namespace innspect;
namespace t = innspect::test;

namespace {

/// Weights ~ N(0, 1/fan_in); biases zero unless `biases`.
template <class M>
void randomize(M& m, std::uint64_t seed, bool biases = false) {
    t::Rng rng(seed);
    m.for_each_layer([&](auto& l) {
        for (auto& w : l.weights()) {
            std::int64_t n = 1;
            for (auto d : w.shape) n *= d;
            const bool bias = w.role == "bias" || w.role == "beta" || w.role == "moving_mean";
            const double scale = bias ? (biases ? 0.1 : 0.0) : 1.0 / std::sqrt(static_cast<double>(n / w.shape.back()));
            for (std::int64_t i = 0; i < n; ++i) w.data[i] = static_cast<typename M::scalar>(scale * rng.normal());
            if (w.role == "moving_variance" || w.role == "gamma")
                for (std::int64_t i = 0; i < n; ++i) w.data[i] = std::abs(w.data[i]) + 0.5;
        }
    });
}

/// A small U-Net autoencoder (the README's): the encoder's first feature map is concatenated
/// with the upsampled bottleneck and added to the decoder's.
template <class T>
using UNet = Model<T, Input<4, 4, 1>,
                   Conv2D<"enc1", 3, Kernel<3, 3>, Relu, Strides<1, 1>, Padding::same>,
                   MaxPooling2D<"pool1", PoolSize<2, 2>>,
                   Conv2D<"bottleneck", 4, Kernel<3, 3>, Relu, Strides<1, 1>, Padding::same>,
                   UpSampling2D<"up1", UpSize<2, 2>>,
                   Concatenate<"skip", Inputs<"up1", "enc1">>,
                   Conv2D<"dec1", 3, Kernel<3, 3>, Relu, Strides<1, 1>, Padding::same>,
                   Add<"residual", Inputs<"dec1", "enc1">>,
                   Conv2D<"reconstruction", 1, Kernel<1, 1>, Tanh>>;

/// A residual autoencoder on vectors: two residual blocks (Add), a Subtract and an Average.
template <class T>
using Residual = Model<T, Input<6>,
                       Dense<"in", 5, Tanh>,
                       Dense<"r1a", 5, Relu>,
                       Dense<"r1b", 5>,
                       Add<"res1", Inputs<"in", "r1b">>,
                       Dense<"code", 3, Tanh>,
                       Dense<"d1", 5, Relu>,
                       From<"res1", Dense<"d2", 5>>,
                       Subtract<"sub", Inputs<"d1", "d2">>,
                       Average<"avg", Inputs<"sub", "res1", "d1">>,
                       Maximum<"max", Inputs<"avg", "d2">>,
                       Dense<"out", 6>>;

template <class M>
Batch<double> numeric_gradient(const M& m, const Batch<double>& x, const std::string& tap, double h = 1e-6) {
    const int i = M::index_of(tap);
    Batch<double> g(x.rows(), x.cols());
    for (Eigen::Index b = 0; b < x.rows(); ++b)
        for (Eigen::Index j = 0; j < x.cols(); ++j) {
            Batch<double> a = x.row(b), c = x.row(b);
            a(0, j) += h;
            c(0, j) -= h;
            g(b, j) = (m.forward(a).pre_activation(i).sum() - m.forward(c).pre_activation(i).sum()) / (2 * h);
        }
    return g;
}

}  // namespace

TEST_CASE("merge layers by hand") {
    using M = Model<double, Input<2>, Dense<"a", 2>, From<"input", Dense<"b", 2>>, Add<"add", Inputs<"a", "b">>,
                    Subtract<"sub", Inputs<"a", "b">>, Average<"avg", Inputs<"a", "b", "input">>,
                    Maximum<"max", Inputs<"a", "b">>, Concatenate<"cat", Inputs<"a", "b", "input">>>;
    static_assert(std::is_same_v<M::output_shape_of<"cat">, Shape<6>>);
    M m;
    // a = x ⊙ (1, 2), b = x ⊙ (3, −1): identity-like kernels.
    m.layer<"a">().params().kernel << 1, 0, 0, 2;
    m.layer<"b">().params().kernel << 3, 0, 0, -1;
    const Batch<double> x = t::rows({{1, 2}, {-1, 0.5}});
    const auto tr = m.forward(x);
    // a = (1, 4), (−1, 1); b = (3, −2), (−3, −0.5)
    CHECK(t::identical(tr.output("add"), t::rows({{4, 2}, {-4, 0.5}})));
    CHECK(t::identical(tr.output("sub"), t::rows({{-2, 6}, {2, 1.5}})));
    CHECK(t::close(tr.output("avg"), t::rows({{5.0 / 3, 4.0 / 3}, {-5.0 / 3, 1.0 / 3}}), 1e-15).ok);
    CHECK(t::identical(tr.output("max"), t::rows({{3, 4}, {-1, 1}})));
    CHECK(t::identical(tr.output("cat"), t::rows({{1, 4, 3, -2, 1, 2}, {-1, 1, -3, -0.5, -1, 0.5}})));
    const auto& info = M::layer_infos();
    CHECK(info[2].parents.count == 2);
    CHECK(info[2].parents.index[0] == 0);
    CHECK(info[2].parents.index[1] == 1);
    CHECK(info[4].parents.count == 3);
    CHECK(info[4].parents.index[2] == -1);
    CHECK(info[4].reads_model_input());
    CHECK(info[4].in_size == 6);

    SUBCASE("Add, Subtract, Average: proportional split with the rule's epsilon") {
        // R = (1, 1) at "add": R_a = a R / (a + b + eps sgn), R_b likewise.
        const auto& add = m.layer<"add">();
        const Batch<double> joined = t::rows({{1, 4, 3, -2}});
        const double e = 0.5;
        const Batch<double> r = add.lrp_backward(joined, t::rows({{1, 1}}), e);
        CHECK(t::close(r, t::rows({{1 / 4.5, 4 / 2.5, 3 / 4.5, -2 / 2.5}}), 1e-15).ok);
        // Subtract: contributions a and −b; y = a − b = (−2, 6), sgn₀(−2) = −1.
        const Batch<double> rs = m.layer<"sub">().lrp_backward(joined, t::rows({{1, 1}}), e);
        CHECK(t::close(rs, t::rows({{1 / -2.5, 4 / 6.5, -3 / -2.5, 2 / 6.5}}), 1e-15).ok);
        // Average of (a, b, x): contributions a/3, b/3, x/3; y = (5/3, 4/3) for x = (1, 2).
        const Batch<double> ja = t::rows({{1, 4, 3, -2, 1, 2}});
        const Batch<double> ra = m.layer<"avg">().lrp_backward(ja, t::rows({{2, 1}}), 0.0);
        CHECK(t::close(ra, t::rows({{2 * (1 / 3.0) / (5 / 3.0), (4 / 3.0) / (4 / 3.0), 2 * 1.0 / (5 / 3.0), -0.5, 2 * (1 / 3.0) / (5 / 3.0),
                                     0.5}}),
                       1e-15)
                  .ok);
        // Gradients: s_k g.
        CHECK(t::identical(m.layer<"sub">().backward_linear(t::rows({{1, 2}})), t::rows({{1, 2, -1, -2}})));
        CHECK(t::close(m.layer<"avg">().backward_linear(t::rows({{3, 6}})), t::rows({{1, 2, 1, 2, 1, 2}}), 1e-15).ok);
    }
    SUBCASE("Maximum: to the winner, the first on ties") {
        const Batch<double> joined = t::rows({{1, 4, 3, 4}});
        CHECK(t::identical(m.layer<"max">().lrp_backward(joined, t::rows({{5, 7}})), t::rows({{0, 7, 5, 0}})));
        CHECK(t::identical(m.layer<"max">().backward(joined, t::rows({{5, 7}})), t::rows({{0, 7, 5, 0}})));
    }
    SUBCASE("Concatenate: each input its slice") {
        const Batch<double> r = t::rows({{1, 2, 3, 4, 5, 6}});
        CHECK(t::identical(m.layer<"cat">().lrp_backward(Batch<double>(), r), r));
    }
    SUBCASE("bad input names the layer") {
        Batch<double> pre, out;
        CHECK_THROWS_WITH_AS(m.layer<"add">().forward(t::rows({{1, 2, 3}}), pre, out),
                             "add: joined input has 3 features per sample, expected 4", shape_error);
    }
}

TEST_CASE("Concatenate along any axis of images and sequences") {
    // Two 2x2 images with 1 and 2 channels along the channels; 1x2x1 and 2x2x1 along the height.
    using M = Model<double, Input<2, 2, 3>, Conv2D<"a", 1, Kernel<1, 1>>, From<"input", Conv2D<"b", 2, Kernel<1, 1>>>,
                    Concatenate<"c", Inputs<"a", "b">>, Concatenate<"h", Inputs<"a", "b">, Axis<3>>,
                    Concatenate<"rows", Inputs<"a", "a">, Axis<1>>, Concatenate<"cols", Inputs<"a", "a">, Axis<-2>>,
                    From<"input", Reshape<"seq", Shape<4, 3>>>, Concatenate<"steps", Inputs<"seq", "seq">, Axis<1>>>;
    static_assert(std::is_same_v<M::output_shape_of<"c">, Shape<2, 2, 3>>);
    static_assert(std::is_same_v<M::output_shape_of<"h">, Shape<2, 2, 3>>);
    static_assert(std::is_same_v<M::output_shape_of<"rows">, Shape<4, 2, 1>>);
    static_assert(std::is_same_v<M::output_shape_of<"cols">, Shape<2, 4, 1>>);
    static_assert(std::is_same_v<M::output_shape_of<"steps">, Shape<8, 3>>);
    M m;
    m.layer<"a">().params().kernel << 1, 0, 0;           // a = channel 0
    m.layer<"b">().params().kernel << 0, 0, 1, 0, 0, 1;  // b = channels 1, 2
    Batch<double> x(1, 12);
    for (int i = 0; i < 12; ++i) x(0, i) = i;  // pixel p, channel c: 3p + c
    const auto tr = m.forward(x);
    CHECK(t::identical(tr.output("c"), x));
    CHECK(t::identical(tr.output("h"), x));
    // Along the height: a (2x2x1) then a again.
    CHECK(t::identical(tr.output("rows"), t::rows({{0, 3, 6, 9, 0, 3, 6, 9}})));
    // Along the width (axis −2 of (h, w, c)): each image row of a, then the same row again.
    CHECK(t::identical(tr.output("cols"), t::rows({{0, 3, 0, 3, 6, 9, 6, 9}})));
    // The gradient of a sum over "cols" w.r.t. a: each pixel of a is read twice.
    auto tt = target("cols", select::all<double>());
    tt.stop_at = "a";
    CHECK(t::identical(gradient(m).explain(x, tt).relevance, t::rows({{2, 2, 2, 2}})));
    CHECK(t::identical(tr.output("steps").leftCols(12), x));
    CHECK(t::identical(tr.output("steps").rightCols(12), x));
}

TEST_CASE("a DAG conserves relevance through every merge (zero biases, epsilon -> 0)") {
    UNet<double> u;
    randomize(u, 7);
    Residual<double> r;
    randomize(r, 11);
    t::Rng rng(3);
    const Batch<double> xu = rng.batch<double>(3, 16), xr = rng.batch<double>(3, 6);
    auto check = [](const auto& e) {
        CHECK(std::abs(e.report.final - e.report.initial) <= 1e-10 * std::max(1.0, std::abs(e.report.initial)));
        CHECK(std::abs(e.relevance.sum() - e.initial.sum()) <= 1e-10 * std::max(1.0, std::abs(e.initial.sum())));
        for (const auto& l : e.report.layers)
            CHECK_MESSAGE(std::abs(l.relevance_in - l.relevance_out) <= 1e-10 * std::max(1.0, std::abs(l.relevance_out)), l.layer);
    };
    SUBCASE("U-Net, whole reconstruction, a region, a bottleneck unit") {
        const auto an = lrp(u, Epsilon{1e-13});
        check(an.explain(xu, target("reconstruction", select::all<double>())));
        Batch<double> mask = Batch<double>::Zero(1, 16);
        mask(0, 5) = mask(0, 6) = 1;
        check(an.explain(xu, target("reconstruction", select::mask<double>(mask))));
        check(an.explain(xu, target("bottleneck", select::index<double>(2))));
        // Every layer on the path is visited once, its relevance kept once.
        const auto e = an.explain(xu, target("reconstruction", select::all<double>()), {.keep_layers = true});
        REQUIRE(e.layers.size() == 8);
        CHECK(e.layers[0].layer == "reconstruction");
        CHECK(e.layers[3].layer == "skip");
        CHECK(e.layers[7].layer == "enc1");
        CHECK(e.report.layers.size() == 8);
    }
    SUBCASE("residual: Add, Subtract, Average, Maximum") {
        check(lrp(r, Epsilon{1e-13}).explain(xr, target("out", select::all<double>())));
        check(lrp(r, Epsilon{1e-13}).explain(xr, target("code", select::index<double>(1))));
    }
    SUBCASE("z+ and alpha2beta1 split a merge with 1e-6 and conserve up to it") {
        // Without an epsilon in the rule, the merge's stabiliser is 1e-6: what it takes is reported.
        const auto e = lrp(u, ZPlus{}).explain(xu, target("reconstruction", select::all<double>()));
        double lost = 0;
        for (const auto& l : e.report.layers) lost += l.stabilizer_lost + l.bias_absorbed;
        CHECK(std::abs(e.report.initial - lost - e.report.final) <= 1e-9 * std::abs(e.report.initial));
    }
}

TEST_CASE("gradients over a DAG match central differences") {
    UNet<double> u;
    randomize(u, 5, true);
    Residual<double> r;
    randomize(r, 6, true);
    t::Rng rng(9);
    const Batch<double> xu = rng.batch<double>(2, 16), xr = rng.batch<double>(2, 6);
    const auto gu = gradient(u).explain(xu, target("reconstruction", select::all<double>()));
    CHECK(t::close(gu.relevance, numeric_gradient(u, xu, "reconstruction"), 1e-6).ok);
    const auto gr = gradient(r).explain(xr, target("out", select::all<double>()));
    CHECK(t::close(gr.relevance, numeric_gradient(r, xr, "out"), 1e-6).ok);
    // Input x gradient is x ⊙ the same.
    const auto ig = input_x_gradient(r).explain(xr, target("out", select::all<double>()));
    CHECK(t::identical(ig.relevance, Batch<double>(gr.relevance.cwiseProduct(xr))));
}

TEST_CASE("stop_at on a DAG: what goes around the stop layer is reported, not lost") {
    UNet<double> u;
    randomize(u, 13);
    t::Rng rng(4);
    const Batch<double> x = rng.batch<double>(2, 16);
    auto tt = target("reconstruction", select::all<double>());
    tt.stop_at = "bottleneck";
    const auto e = lrp(u, Epsilon{1e-13}).explain(x, tt);
    CHECK(e.at == "bottleneck");
    CHECK(e.shape == std::vector<std::int64_t>{2, 2, 4});
    CHECK(e.report.bypassed != 0);  // the skip connection carries relevance around the bottleneck
    CHECK(std::abs(e.report.final + e.report.bypassed - e.report.initial) <= 1e-10 * std::abs(e.report.initial));
    CHECK(e.report.table().find("around the stop layer") != std::string::npos);
    // The gradient at the stop layer is the partial derivative with the skip branch held fixed:
    // its numeric version perturbs the bottleneck's output only.
    const auto g = gradient(u).explain(x, tt);
    const Batch<double> enc1 = u.forward(x).output("enc1");
    auto score = [&](const Batch<double>& h) {  // the decoder from a given bottleneck output
        Batch<double> pre, up, cat, dec, res, z, a;
        u.layer<"up1">().forward(h, pre, up);
        Batch<double> joined(h.rows(), up.cols() + enc1.cols());
        joined << up, enc1;
        u.layer<"skip">().forward(joined, pre, cat);
        u.layer<"dec1">().forward(cat, pre, dec);
        res = dec + enc1;
        u.layer<"reconstruction">().forward(res, z, a);
        return z.sum();
    };
    const Batch<double> h0 = u.forward(x).output("bottleneck");
    double worst = 0;
    for (Eigen::Index j = 0; j < h0.cols(); ++j) {
        Batch<double> hp = h0, hm = h0;
        hp(0, j) += 1e-6;
        hm(0, j) -= 1e-6;
        worst = std::max(worst, std::abs((score(hp) - score(hm)) / 2e-6 - g.relevance(0, j)));
    }
    CHECK(worst < 1e-6);
    // A stop layer the tap does not depend on.
    auto bad = target("bottleneck", select::all<double>());
    bad.stop_at = "dec1";
    CHECK_THROWS_AS(lrp(u, Epsilon{}).explain(x, bad), name_error);
}

TEST_CASE("composites and batch-norm merging on a DAG") {
    using M = Model<double, Input<3>, Dense<"a", 3>, From<"input", Dense<"b", 3>>, Add<"add", Inputs<"a", "b">>,
                    Dense<"c", 3>, BatchNormalization<"bn">, Dense<"d", 2>, From<"c", Dense<"e", 2>>,
                    Concatenate<"cat", Inputs<"d", "e">>>;
    constexpr auto& infos = M::layer_infos();
    using C = Composite<Entry<FirstLinear, Flat>, Entry<AnyLayer, Epsilon>>;
    // Both branches that read the input have their first linear layer; "c" reads both.
    static_assert(C::is_first_linear(infos, 0) && C::is_first_linear(infos, 1) && !C::is_first_linear(infos, 3));
    // "c" has two readers (bn and e): the batch norm is not merged into it.
    static_assert(MergeBatchNorm<M>::merged_child<3>() == -1);
    M m;
    randomize(m, 21);
    t::Rng rng(2);
    const Batch<double> x = rng.batch<double>(2, 3);
    const auto e = lrp(m, composite(entry<ByClass<"Add">>(Epsilon{0.25}), entry<AnyLayer>(Epsilon{1e-3})))
                       .explain(x, target("cat", select::all<double>()));
    bool seen = false;
    for (const auto& l : e.report.layers)
        if (l.layer == "add") {
            CHECK(l.rule == "proportional to the inputs' contributions (eps 0.25)");
            seen = true;
        }
    CHECK(seen);
    const auto z = lrp(m, ZPlus{}).explain(x, target("cat", select::all<double>()));
    for (const auto& l : z.report.layers)
        if (l.layer == "add") CHECK(l.rule == "proportional to the inputs' contributions (eps 1e-06)");
}
