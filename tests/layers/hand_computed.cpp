// Small cases computed by hand (the arithmetic is in the comments): Dense, Conv2D valid / same with
// an odd pad, Conv2DTranspose with stride 2, every activation and its derivative, softmax, the
// pass-through layers (Reshape, Flatten, Dropout, SpatialDropout2D, Activation).

#include <doctest/doctest.h>

#include <cmath>

#include <innspect/innspect.hpp>

#include "support/test_support.hpp"

using namespace innspect;
using innspect::test::identical;
using innspect::test::rows;

namespace {
constexpr Padding same = Padding::same;
const double ln2 = std::log(2.0), ln3 = std::log(3.0), ln5 = std::log(5.0);
constexpr double sa = 1.0507009873554804934193349852946 * 1.6732632423543772848170429916717;  // SELU scale·alpha

template <class L>
Batch<double> run(const L& layer, const Batch<double>& x, Batch<double>* pre_out = nullptr) {
    Batch<double> pre, out;
    layer.forward(x, pre, out);
    if (pre_out) *pre_out = pre;
    return out;
}

/// a = f(z) for an activation function on a batch with `channels` per group.
template <class Act>
Batch<double> act(const Batch<double>& z, int channels) {
    Batch<double> a;
    Act::forward(z, a, channels);
    return a;
}
/// The vector-Jacobian product g·∂a/∂z.
template <class Act>
Batch<double> vjp(const Batch<double>& z, const Batch<double>& g, int channels) {
    Batch<double> a = act<Act>(z, channels), gz = g;
    Act::vjp(z, a, gz, channels);
    return gz;
}
}  // namespace

TEST_CASE("Dense by hand") {
    // kernel [in=2, units=3] = [[1, 2, 3], [4, 5, 6]], bias [0.5, -1, 0]
    // x = [1, 2]:     z = [1+8+0.5, 2+10-1, 3+12+0] = [9.5, 11, 15]
    // x = [-1, 0.5]:  z = [-1+2+0.5, -2+2.5-1, -3+3+0] = [1.5, -0.5, 0]; relu → [1.5, 0, 0]
    Dense<"d", 3, Relu>::layer<double, Shape<2>> d;
    d.params().kernel << 1, 2, 3, 4, 5, 6;
    d.params().bias << 0.5, -1, 0;
    Batch<double> pre;
    const Batch<double> out = run(d, rows({{1, 2}, {-1, 0.5}}), &pre);
    CHECK(identical(pre, rows({{9.5, 11, 15}, {1.5, -0.5, 0}})));
    CHECK(identical(out, rows({{9.5, 11, 15}, {1.5, 0, 0}})));
    // Transposed: s = [1, 0, -1] → s·Wᵀ = [1-3, 4-6] = [-2, -2]
    CHECK(identical(d.apply_transposed(rows({{1, 0, -1}}), d.params()), rows({{-2, -2}})));
}

TEST_CASE("Dense on a rank-3 input acts on the last axis") {
    // input (1, 2, 2): position 0 = [1, 2], position 1 = [3, 4]; kernel [2, 1] = [[1], [10]], no bias
    // → (1, 2, 1): [1 + 20, 3 + 40] = [21, 43]
    Dense<"d", 1, Linear, false>::layer<double, Shape<1, 2, 2>> d;
    d.params().kernel << 1, 10;
    CHECK(identical(run(d, rows({{1, 2, 3, 4}})), rows({{21, 43}})));
}

TEST_CASE("Conv2D valid by hand") {
    // x (3, 3, 1) = [[1,2,3],[4,5,6],[7,8,9]], kernel (2, 2, 1, 1) = [[1,2],[3,4]], bias 0.5
    // (0,0): 1·1 + 2·2 + 4·3 + 5·4 = 37   (0,1): 2 + 6 + 15 + 24 = 47
    // (1,0): 4 + 10 + 21 + 32 = 67         (1,1): 5 + 12 + 24 + 36 = 77      (+0.5 each)
    Conv2D<"c", 1, Kernel<2, 2>>::layer<double, Shape<3, 3, 1>> c;
    c.params().kernel << 1, 2, 3, 4;
    c.params().bias << 0.5;
    CHECK(identical(run(c, rows({{1, 2, 3, 4, 5, 6, 7, 8, 9}})), rows({{37.5, 47.5, 67.5, 77.5}})));
}

TEST_CASE("Conv2D same with an odd pad: the extra zero goes after (bottom / right)") {
    // x (2, 3, 1) = [[1,2,3],[4,5,6]], kernel 2×2 = [[1,2],[3,4]], stride 1, same:
    // pad total h = 1 (0 before, 1 after), w = 1 (0 before, 1 after); output (2, 3)
    // (0,0): 1+4+12+20 = 37  (0,1): 2+6+15+24 = 47  (0,2): 3·1 + 6·3 = 21
    // (1,0): 4·1 + 5·2 = 14  (1,1): 5 + 12 = 17      (1,2): 6
    Conv2D<"c", 1, Kernel<2, 2>, Linear, Strides<1, 1>, same, false>::layer<double, Shape<2, 3, 1>> c;
    c.params().kernel << 1, 2, 3, 4;
    CHECK(identical(run(c, rows({{1, 2, 3, 4, 5, 6}})), rows({{37, 47, 21, 14, 17, 6}})));
}

TEST_CASE("Conv2D same with stride 2") {
    // x (1, 5, 1) = [1,2,3,4,5], stride (1, 2), out w = ceil(5/2) = 3
    // kernel (1,2) = [1, 10]: pad total (3-1)·2 + 2 - 5 = 1 → 0 before, 1 after
    //   windows [1,2] [3,4] [5,0] → [21, 43, 5]
    Conv2D<"c", 1, Kernel<1, 2>, Linear, Strides<1, 2>, same, false>::layer<double, Shape<1, 5, 1>> c2;
    c2.params().kernel << 1, 10;
    CHECK(identical(run(c2, rows({{1, 2, 3, 4, 5}})), rows({{21, 43, 5}})));
    // kernel (1,3) = [1, 10, 100]: pad total 4 + 3 - 5 = 2 → 1 before, 1 after
    //   windows [0,1,2] [2,3,4] [4,5,0] → [10+200, 2+30+400, 4+50] = [210, 432, 54]
    Conv2D<"c", 1, Kernel<1, 3>, Linear, Strides<1, 2>, same, false>::layer<double, Shape<1, 5, 1>> c3;
    c3.params().kernel << 1, 10, 100;
    CHECK(identical(run(c3, rows({{1, 2, 3, 4, 5}})), rows({{210, 432, 54}})));
}

TEST_CASE("Conv2D kernel layout [kh, kw, in, out]") {
    // x (1, 2, 2) flat [x(0,0,c0)=1, x(0,0,c1)=2, x(0,1,c0)=3, x(0,1,c1)=4]
    // kernel (1, 2, 2, 2) in C order over (b, c, o): [1, 2, 3, 4, 5, 6, 7, 8], i.e.
    //   K[b=0,c=0] = (1, 2), K[0,1] = (3, 4), K[1,0] = (5, 6), K[1,1] = (7, 8)
    // y[o=0] = 1·1 + 2·3 + 3·5 + 4·7 = 50;  y[o=1] = 1·2 + 2·4 + 3·6 + 4·8 = 60
    Conv2D<"c", 2, Kernel<1, 2>, Linear, Strides<1, 1>, Padding::valid, false>::layer<double, Shape<1, 2, 2>> c;
    c.params().kernel << 1, 2, 3, 4, 5, 6, 7, 8;
    CHECK(identical(run(c, rows({{1, 2, 3, 4}})), rows({{50, 60}})));
}

TEST_CASE("Conv2DTranspose stride 2 by hand") {
    // x (2, 2, 1) = [[1,2],[3,4]], kernel (2, 2, 1, 1) = [[1,10],[100,1000]], stride 2, valid:
    // out (4, 4); every input pixel fills its own 2×2 block with x·K.
    Conv2DTranspose<"t", 1, Kernel<2, 2>, Linear, Strides<2, 2>, Padding::valid, false>::layer<double, Shape<2, 2, 1>> t;
    t.params().kernel << 1, 10, 100, 1000;
    CHECK(identical(run(t, rows({{1, 2, 3, 4}})), rows({{1, 10, 2, 20,          //
                                                           100, 1000, 200, 2000,  //
                                                           3, 30, 4, 40,          //
                                                           300, 3000, 400, 4000}})));
}

TEST_CASE("Conv2DTranspose stride 2 with overlapping taps, valid and same") {
    // x (1, 2, 1) = [1, 2], kernel (1, 3) = [1, 2, 3], stride (1, 2)
    // valid: out w = 2·2 + (3-2) = 5; x0 adds [1,2,3] at 0..2, x1 adds [2,4,6] at 2..4 → [1, 2, 5, 4, 6]
    Conv2DTranspose<"t", 1, Kernel<1, 3>, Linear, Strides<1, 2>, Padding::valid, false>::layer<double, Shape<1, 2, 1>> tv;
    tv.params().kernel << 1, 2, 3;
    CHECK(identical(run(tv, rows({{1, 2}})), rows({{1, 2, 5, 4, 6}})));
    // same: out w = 4, pad_before = (3-2)/2 = 0: the first 4 of the full scatter, + bias 0.5
    Conv2DTranspose<"t", 1, Kernel<1, 3>, Linear, Strides<1, 2>, same>::layer<double, Shape<1, 2, 1>> ts;
    ts.params().kernel << 1, 2, 3;
    ts.params().bias << 0.5;
    CHECK(identical(run(ts, rows({{1, 2}})), rows({{1.5, 2.5, 5.5, 4.5}})));
    // same, kernel [1, 2, 3, 4]: pad_before = (4-2)/2 = 1; x0 adds [1,2,3,4] at -1..2, x1 adds
    // [2,4,6,8] at 1..4 → positions 0..3: [2, 3+2, 4+4, 6] = [2, 5, 8, 6]
    Conv2DTranspose<"t", 1, Kernel<1, 4>, Linear, Strides<1, 2>, same, false>::layer<double, Shape<1, 2, 1>> t4;
    t4.params().kernel << 1, 2, 3, 4;
    CHECK(identical(run(t4, rows({{1, 2}})), rows({{2, 5, 8, 6}})));
}

TEST_CASE("Conv2DTranspose kernel layout [kh, kw, out, in]") {
    // x (1, 1, 2) = [1, 2]; kernel (1, 1, 3, 2) in C order over (o, c): [1, 2, 3, 4, 5, 6]
    // y[o] = Σ_c x[c] K[o, c] = [1+4, 3+8, 5+12] = [5, 11, 17]
    Conv2DTranspose<"t", 3, Kernel<1, 1>, Linear, Strides<1, 1>, Padding::valid, false>::layer<double, Shape<1, 1, 2>> t;
    t.params().kernel << 1, 2, 3, 4, 5, 6;
    CHECK(identical(run(t, rows({{1, 2}})), rows({{5, 11, 17}})));
}

TEST_CASE("activations by hand (closed forms)") {
    const double tol = 1e-15;
    // linear: identity
    CHECK(identical(act<Linear>(rows({{-2, 0, 3}}), 3), rows({{-2, 0, 3}})));
    // relu: max(z, 0)
    CHECK(identical(act<Relu>(rows({{-2, 0, 3}}), 3), rows({{0, 0, 3}})));
    // selu: scale·z for z > 0; scale·alpha·(e^z − 1): z = ln 0.5 → scale·alpha·(−0.5)
    INNSPECT_CHECK_CLOSE(act<Selu>(rows({{1, 0, std::log(0.5)}}), 3),
                         rows({{1.0507009873554804934, 0, -0.5 * sa}}), tol);
    // elu: z for z > 0, e^z − 1: ln 0.5 → −0.5
    INNSPECT_CHECK_CLOSE(act<Elu>(rows({{2, 0, std::log(0.5)}}), 3), rows({{2, 0, -0.5}}), tol);
    // leaky relu, Keras 2 slope 0.3: −2 → −0.6; with slope 0.2: −2 → −0.4
    INNSPECT_CHECK_CLOSE(act<LeakyRelu>(rows({{-2, 0, 5}}), 3), rows({{-0.6, 0, 5}}), tol);
    INNSPECT_CHECK_CLOSE(act<LeakyReluWith<0.2>>(rows({{-2, 0, 5}}), 3), rows({{-0.4, 0, 5}}), tol);
    CHECK(LeakyRelu::slope == 0.3);
    // tanh: tanh(ln 2) = (2 − 1/2)/(2 + 1/2) = 0.6; tanh(−ln 3) = (1/3 − 3)/(1/3 + 3) = −0.8
    INNSPECT_CHECK_CLOSE(act<Tanh>(rows({{ln2, 0, -ln3}}), 3), rows({{0.6, 0, -0.8}}), tol);
    // sigmoid: 1/(1 + e^−z): ln 3 → 1/(1 + 1/3) = 0.75; −ln 4 → 1/(1 + 4) = 0.2
    INNSPECT_CHECK_CLOSE(act<Sigmoid>(rows({{ln3, 0, -std::log(4.0)}}), 3), rows({{0.75, 0.5, 0.2}}), tol);
    // softmax over [0, ln 2, ln 5]: e^z = [1, 2, 5] / 8
    INNSPECT_CHECK_CLOSE(act<Softmax>(rows({{0, ln2, ln5}}), 3), rows({{0.125, 0.25, 0.625}}), tol);
}

TEST_CASE("activation derivatives by hand") {
    const double tol = 1e-15;
    const Batch<double> g = rows({{1, 1, 1}});
    // relu' = 1 for z > 0, 0 otherwise (also at 0)
    CHECK(identical(vjp<Relu>(rows({{-1, 0, 2}}), g, 3), rows({{0, 0, 1}})));
    // selu' = scale for z > 0, scale·alpha·e^z: at ln 0.5 → 0.5·scale·alpha
    INNSPECT_CHECK_CLOSE(vjp<Selu>(rows({{1, std::log(0.5), -30}}), g, 3),
                         rows({{1.0507009873554804934, 0.5 * sa, sa * std::exp(-30.0)}}), tol);
    // elu' = 1 for z > 0, e^z: at ln 0.5 → 0.5
    INNSPECT_CHECK_CLOSE(vjp<Elu>(rows({{3, std::log(0.5), 0}}), g, 3), rows({{1, 0.5, 1}}), tol);
    // leaky relu' = 1 for z > 0, slope otherwise
    INNSPECT_CHECK_CLOSE(vjp<LeakyRelu>(rows({{3, -1, 0}}), g, 3), rows({{1, 0.3, 0.3}}), tol);
    // tanh' = 1 − tanh²: at ln 2 → 1 − 0.36 = 0.64; at 0 → 1
    INNSPECT_CHECK_CLOSE(vjp<Tanh>(rows({{ln2, 0, -ln3}}), g, 3), rows({{0.64, 1, 0.36}}), tol);
    // sigmoid' = a(1 − a): at ln 3 → 0.75·0.25 = 0.1875; at 0 → 0.25; at −ln 4 → 0.2·0.8 = 0.16
    INNSPECT_CHECK_CLOSE(vjp<Sigmoid>(rows({{ln3, 0, -std::log(4.0)}}), g, 3), rows({{0.1875, 0.25, 0.16}}), tol);
    // linear: the gradient passes unchanged
    CHECK(identical(vjp<Linear>(rows({{5, -5, 0}}), rows({{1, 2, 3}}), 3), rows({{1, 2, 3}})));
    // softmax: a = [1/8, 1/4, 5/8], g = [1, 0, 0]: a ⊙ (g − a·g) = a ⊙ (g − 1/8)
    //   = [1/8·7/8, 1/4·(−1/8), 5/8·(−1/8)] = [7/64, −2/64, −5/64]
    INNSPECT_CHECK_CLOSE(vjp<Softmax>(rows({{0, ln2, ln5}}), rows({{1, 0, 0}}), 3),
                         rows({{7.0 / 64, -2.0 / 64, -5.0 / 64}}), tol);
}

TEST_CASE("softmax: groups of the last axis, rows sum to one, no overflow, vjp against finite differences") {
    innspect::test::Rng rng(3);
    // 4 samples, a (2, 3) map of 5 channels: each group of 5 consecutive features sums to one.
    const Batch<double> z = 4.0 * rng.batch<double>(4, 30);
    const Batch<double> a = act<Softmax>(z, 5);
    for (Eigen::Index r = 0; r < a.rows(); ++r)
        for (int g = 0; g < 30; g += 5) {
            CHECK(std::abs(a.row(r).segment(g, 5).sum() - 1.0) < 1e-15);
            CHECK(a.row(r).segment(g, 5).minCoeff() > 0);
        }
    INNSPECT_CHECK_CLOSE(a, innspect::test::ref_activation_batch<Softmax>(z, 5), 1e-15);
    // Shift invariance without overflow: z + 1000 gives the same probabilities.
    const Batch<double> big = (z.array() + 1000.0).matrix();
    const Batch<double> a_big = act<Softmax>(big, 5);
    CHECK(a_big.allFinite());
    INNSPECT_CHECK_CLOSE(a_big, a, 1e-12);
    // vjp against central differences: ⟨vjp(g), v⟩ = d/dt ⟨a(z + t v), g⟩.
    const Batch<double> g = rng.batch<double>(4, 30), v = rng.batch<double>(4, 30);
    const Batch<double> gz = vjp<Softmax>(z, g, 5);
    const double h = 1e-5;
    const Batch<double> ap = act<Softmax>(z + h * v, 5), am = act<Softmax>(z - h * v, 5);
    for (Eigen::Index r = 0; r < 4; ++r) {
        const double analytic = gz.row(r).dot(v.row(r));
        const double numeric = (ap.row(r) - am.row(r)).dot(g.row(r)) / (2 * h);
        CHECK(std::abs(analytic - numeric) < 1e-8 * (1 + std::abs(numeric)));
        // g ↦ vjp(g) sums to zero within each group (the probabilities' sum is constant).
        for (int k = 0; k < 30; k += 5) CHECK(std::abs(gz.row(r).segment(k, 5).sum()) < 1e-14);
    }
}

TEST_CASE("every activation's vjp against central differences") {
    innspect::test::Rng rng(5);
    const Batch<double> z = 2.0 * rng.batch<double>(3, 12), g = rng.batch<double>(3, 12);
    const double h = 1e-6;
    const auto check = [&](auto tag, const char* name) {
        using Act = decltype(tag);
        INFO("activation " << name);
        const Batch<double> gz = vjp<Act>(z, g, 4);
        Batch<double> numeric(z.rows(), z.cols());
        // Elementwise: ∂a_k/∂z_k by central differences, one feature at a time (softmax: full
        // directional derivative per basis vector, grouped).
        for (Eigen::Index k = 0; k < z.cols(); ++k) {
            Batch<double> zp = z, zm = z;
            zp.col(k).array() += h;
            zm.col(k).array() -= h;
            const Batch<double> d = (act<Act>(zp, 4) - act<Act>(zm, 4)) / (2 * h);
            numeric.col(k) = (d.array() * g.array()).rowwise().sum();
        }
        INNSPECT_CHECK_CLOSE(gz, numeric, 1e-8);
    };
    check(Linear{}, "linear");
    check(Relu{}, "relu");
    check(Selu{}, "selu");
    check(Elu{}, "elu");
    check(LeakyRelu{}, "leaky_relu");
    check(Tanh{}, "tanh");
    check(Sigmoid{}, "sigmoid");
    check(Softmax{}, "softmax");
}

TEST_CASE("pass-through layers: Flatten, Dropout, Reshape, SpatialDropout2D, Activation") {
    using M = Model<double, Input<2, 3, 2>,                 //
                    Flatten<"flat">,                          // (12,)
                    Dropout<"drop", 0.3>,                     // (12,)
                    Reshape<"back", Shape<3, 2, 2>>,          // (3, 2, 2)
                    SpatialDropout2D<"sdrop", 0.1>,           // (3, 2, 2)
                    Activation<"relu", Relu>,                 // (3, 2, 2)
                    Activation<"soft", Softmax>,              // softmax over the 2 channels
                    Activation<"leaky", LeakyRelu>,           //
                    From<"drop", Activation<"lin", Linear>>>;
    M m;
    const Batch<double> x = rows({{-6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5},  //
                                  {1, -1, 2, -2, 3, -3, 4, -4, 5, -5, 6, -6}});
    const Trace<double> t = m.forward(x);
    // Keras reshapes in C order, which is the flat channels-last storage: values unchanged.
    CHECK(identical(t.output("flat"), x));
    CHECK(identical(t.output("drop"), x));
    CHECK(identical(t.output("back"), x));
    CHECK(identical(t.output("sdrop"), x));
    CHECK(identical(t.output("lin"), x));
    const Batch<double> r = rows({{0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5}, {1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0}});
    CHECK(identical(t.output("relu"), r));
    // Softmax over pairs (c0, c1) of the relu output: (0,0) → (1/2, 1/2); (0,1) → (1/(1+e), e/(1+e));
    // (a, a+1) → the same; (1, 0) → (e/(1+e), 1/(1+e)) ...
    const double p = 1 / (1 + std::exp(1.0)), q = 1 - p;
    const Batch<double> s = rows({{0.5, 0.5, 0.5, 0.5, 0.5, 0.5, p, q, p, q, p, q},  //
                                  {q, p, 1 / (1 + std::exp(-2.0)), 1 / (1 + std::exp(2.0)), 1 / (1 + std::exp(-3.0)),
                                   1 / (1 + std::exp(3.0)), 1 / (1 + std::exp(-4.0)), 1 / (1 + std::exp(4.0)),
                                   1 / (1 + std::exp(-5.0)), 1 / (1 + std::exp(5.0)), 1 / (1 + std::exp(-6.0)),
                                   1 / (1 + std::exp(6.0))}});
    INNSPECT_CHECK_CLOSE(t.output("soft"), s, 1e-15);
    CHECK(identical(t.output("leaky"), t.output("soft")));  // all positive: leaky relu is the identity
    // Pre-activations of pass-through layers are their inputs.
    for (int i = 0; i < static_cast<int>(M::size); ++i) CHECK(identical(t.pre_activation(i), t.input_of(i)));
    CHECK(identical(t.pre_activation(M::index_of("relu")), x));
    // Shapes, kinds and parents.
    const auto& info = M::layer_infos();
    CHECK(info[0].output_keras_shape() == std::vector<std::int64_t>{12});
    CHECK(info[2].output_keras_shape() == std::vector<std::int64_t>{3, 2, 2});
    CHECK(info[0].keras_class == "Flatten");
    CHECK(info[1].keras_class == "Dropout");
    CHECK(info[3].keras_class == "SpatialDropout2D");
    CHECK(info[4].keras_class == "Activation");
    for (int i : {0, 1, 3, 4}) {
        CHECK(info[static_cast<std::size_t>(i)].lrp == LrpPolicy::pass_through);
        CHECK(info[static_cast<std::size_t>(i)].family == RuleFamily::none);
    }
    CHECK(info[4].activation == "relu");
    CHECK(info[5].activation == "softmax");
    CHECK(info[7].parent == 1);
    CHECK(info[7].output_keras_shape() == std::vector<std::int64_t>{12});
    // backward_linear of a pass-through layer is the identity; they have no weights.
    m.for_each_layer([&](auto& l) {
        CHECK(l.weights().empty());
        CHECK(l.pre_is_input);
        using L = std::remove_cvref_t<decltype(l)>;
        const Batch<double> gr = innspect::test::Rng(1).batch<double>(2, L::output_shape::size);
        CHECK(identical(l.backward_linear(gr), gr));
    });
    // A pass-through layer still checks its input size.
    Batch<double> pre, out;
    CHECK_THROWS_AS(m.layer<"flat">().forward(Batch<double>::Zero(1, 11), pre, out), shape_error);
}

TEST_CASE("LeakyRelu slope inside a layer") {
    // Dense(2, leaky_relu) with kernel [[1, -1]], no bias: x = 2 → z = [2, -2] → [2, -0.6]
    Dense<"d", 2, LeakyRelu, false>::layer<double, Shape<1>> d;
    d.params().kernel << 1, -1;
    INNSPECT_CHECK_CLOSE(run(d, rows({{2}})), rows({{2, -0.6}}), 1e-15);
    Dense<"d", 2, LeakyReluWith<0.01>, false>::layer<double, Shape<1>> d2;
    d2.params().kernel << 1, -1;
    INNSPECT_CHECK_CLOSE(run(d2, rows({{2}})), rows({{2, -0.02}}), 1e-15);
}
