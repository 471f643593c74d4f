// BatchNormalization, MaxPooling2D / AveragePooling2D / GlobalAveragePooling2D, UpSampling2D,
// ZeroPadding2D, Cropping2D and the ReLU layer:
//   - hand cases (values worked out in the comments),
//   - forward against tests/data/forward4/ (numpy reference, tests/reference/make_layer4_fixtures.py)
//     in double and float, single layers and the model with every new layer,
//   - gradients against central finite differences, one tiny model per layer,
//   - LRP per design.md §5 (max: winner takes all; average: R_i = x_i R_j / Σx; upsampling: sum of
//     the copies; BatchNormalization merged into a preceding linear layer, or a diagonal linear
//     layer of its own), and the conservation report of the model with every new layer,
//   - a negative moving variance.

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include <innspect/innspect.hpp>

#include "support/fixtures.hpp"
#include "support/model_checks.hpp"
#include "support/test_support.hpp"

using namespace innspect;
namespace t = innspect::test;
namespace fs = std::filesystem;
using t::check_gradient_fd;
using t::randomize;

namespace {

constexpr Padding valid = Padding::valid, same = Padding::same;
constexpr double inf = std::numeric_limits<double>::infinity();

fs::path forward4(const std::string& name) { return fs::path(INNSPECT_TEST_DATA_DIR) / "forward4" / name; }

// The single-layer cases this file declares a layer for (check_case requires its name here; the
// coverage test requires every case directory here). A table, not a record of the cases run, so
// the check holds when CTest runs each test case in a process of its own.
const std::set<std::string> declared_cases = {
    "bn_default", "bn_no_scale", "bn_no_center", "bn_vector",                                            //
    "maxpool_valid_2x2", "maxpool_valid_3x2_s1", "maxpool_same_3x3_s2", "maxpool_same_2x3_s1x2",         //
    "maxpool_same_negative", "avgpool_valid_2x2", "avgpool_same_2x2_odd", "avgpool_same_3x3_s2",         //
    "avgpool_same_3x2_s1", "gap", "upsampling_2x2", "upsampling_3x1", "zeropad_sym", "zeropad_asym",     //
    "crop_sym", "crop_asym", "relu_plain", "relu_max6", "relu_slope_threshold", "relu_all"};

/// One layer "l" reading the input, in double and float, against tests/data/forward4/<name>/.
template <class InputSpec, class Spec>
void check_case(const std::string& name) {
    REQUIRE(declared_cases.count(name) == 1);
    const auto dir = forward4(name);
    {
        Model<double, InputSpec, Spec> m;
        t::load_model_weights(m, dir);
        t::check_model_against_case(m, dir);
    }
    {
        Model<float, InputSpec, Spec> m;
        t::load_model_weights(m, dir);
        t::check_model_against_case(m, dir);
    }
}

/// The model of tests/data/forward4/all_new/: every new layer once (Keras 2.2.4 auto names).
template <class T>
using AllNew = Model<T, Input<12, 12, 2>,                                                    //
                     Conv2D<"conv2d_1", 4, Kernel<3, 3>>,                                    // (10,10,4)
                     BatchNormalization<"batch_normalization_1">,                            //
                     Activation<"activation_1", Relu>,                                       //
                     MaxPooling2D<"max_pooling2d_1">,                                        // (5,5,4)
                     ZeroPadding2D<"zero_padding2d_1", 1, 0, 1, 2>,                          // (6,8,4)
                     Conv2D<"conv2d_2", 5, Kernel<3, 3>, Linear, Strides<1, 1>, same>,      // (6,8,5)
                     ReLU<"re_lu_1", 6.0>,                                                   //
                     AveragePooling2D<"average_pooling2d_1", PoolSize<3, 3>, Strides<2, 2>, same>,  // (3,4,5)
                     UpSampling2D<"up_sampling2d_1", UpSize<2, 3>>,                          // (6,12,5)
                     Cropping2D<"cropping2d_1", 1, 0, 2, 1>,                                 // (5,9,5)
                     Conv2DTranspose<"conv2d_transpose_1", 3, Kernel<3, 3>, Linear, Strides<2, 2>, same>,  // (10,18,3)
                     GlobalAveragePooling2D<"global_average_pooling2d_1">,                  // (3,)
                     Dense<"dense_1", 2, Softmax>>;

template <class T>
AllNew<T> load_all_new() {
    AllNew<T> m;
    t::load_model_weights(m, forward4("all_new"));
    return m;
}

/// Smallest gap between the largest and the second largest in-bounds value of any pooling window
/// (TensorFlow geometry, computed here from test_support's keras_conv_axis): the max pool's
/// finite differences are meaningful only if it is much larger than the step.
double min_window_gap(const Batch<double>& x, int H, int W, int C, int ph, int pw, int sh, int sw, Padding p) {
    const auto gh = t::keras_conv_axis(H, ph, sh, p), gw = t::keras_conv_axis(W, pw, sw, p);
    double gap = inf;
    for (Eigen::Index b = 0; b < x.rows(); ++b)
        for (int i = 0; i < gh.out; ++i)
            for (int j = 0; j < gw.out; ++j)
                for (int c = 0; c < C; ++c) {
                    std::vector<double> v;
                    for (int a = 0; a < ph; ++a)
                        for (int q = 0; q < pw; ++q) {
                            const int r = i * sh - gh.pad_before + a, s = j * sw - gw.pad_before + q;
                            if (r >= 0 && r < H && s >= 0 && s < W) v.push_back(x(b, (r * W + s) * C + c));
                        }
                    std::sort(v.rbegin(), v.rend());
                    if (v.size() > 1) gap = std::min(gap, v[0] - v[1]);
                }
    return gap;
}

const LayerConservation& row(const Explanation<double>& e, const std::string& layer) {
    for (const auto& r : e.report.layers)
        if (r.layer == layer) return r;
    FAIL("no report row for " << layer);
    return e.report.layers.front();
}

const Batch<double>& kept(const Explanation<double>& e, const std::string& layer) {
    for (const auto& l : e.layers)
        if (l.layer == layer) return l.relevance;
    FAIL("no kept relevance for " << layer);
    return e.layers.front().relevance;
}

}  // namespace

// =================================================================================================
// hand cases
// =================================================================================================

TEST_CASE("MaxPooling2D: ties go to the first maximum in row-major window order") {
    // Input (2, 4, 2), pool 2x2 valid -> (1, 2, 2). Feature index (h·4 + w)·2 + c.
    //   channel 0, window cols 0-1: [[1, 3], [3, 0]]   -> 3, first at (0,1)  = index 2
    //   channel 1, window cols 0-1: [[5, 5], [5, 5]]   -> 5, first at (0,0)  = index 1
    //   channel 0, window cols 2-3: [[0, 0], [0, 0]]   -> 0, first at (0,2)  = index 4  (all tied, as after ReLU)
    //   channel 1, window cols 2-3: [[-1, -2], [-1, -0.5]] -> -0.5 at (1,3) = index 15
    using M = Model<double, Input<2, 4, 2>, MaxPooling2D<"p">>;
    const M m;
    Batch<double> x(1, 16);
    // h=0: (w0: c0 c1) (w1) (w2) (w3) | h=1: ...
    x << 1, 5, 3, 5, 0, -1, 0, -2,  //
        3, 5, 0, 5, 0, -1, 0, -0.5;
    const auto tr = m.forward(x);
    INNSPECT_CHECK_CLOSE(tr.output("p"), t::rows({{3, 5, 0, -0.5}}), 0.0);

    // Gradient and LRP route each output's value to that one input.
    const Batch<double> g = t::rows({{1, 2, 3, 4}});
    Batch<double> expected = Batch<double>::Zero(1, 16);
    expected(0, 2) = 1;
    expected(0, 1) = 2;
    expected(0, 4) = 3;
    expected(0, 15) = 4;
    const auto eg = gradient(m).explain(x, target("p", select::direction<double>(g)));
    INNSPECT_CHECK_CLOSE(eg.relevance, expected, 0.0);
    const auto el = lrp(m, Epsilon(0.1)).explain(x, target("p", select::relevance<double>(g)));
    INNSPECT_CHECK_CLOSE(el.relevance, expected, 0.0);
    REQUIRE(el.report.layers.size() == 1);
    CHECK(el.report.layers[0].rule == "winner-takes-all");
    CHECK(el.report.layers[0].relevance_in == doctest::Approx(10.0));
    CHECK(el.report.layers[0].relevance_out == doctest::Approx(10.0));
}

TEST_CASE("MaxPooling2D same: the padding never wins, even over negative values") {
    // (3,3,1) = -1..-9, pool 2 same: out 2x2, pad 0 before, 1 after. Windows (clipped):
    // {-1,-2,-4,-5} -> -1; {-3,-6} -> -3; {-7,-8} -> -7; {-9} -> -9. A padded 0 would give 0.
    const Model<double, Input<3, 3, 1>, MaxPooling2D<"p", PoolSize<2, 2>, void, same>> m;
    const Batch<double> x = t::rows({{-1, -2, -3, -4, -5, -6, -7, -8, -9}});
    INNSPECT_CHECK_CLOSE(m.forward(x).output("p"), t::rows({{-1, -3, -7, -9}}), 0.0);
}

TEST_CASE("AveragePooling2D same: partial windows divide by their in-bounds count") {
    // (3,3,1) = 1..9, pool 2 same -> 2x2 (pad 0 before, 1 after):
    //   (0,0): {1,2,4,5}/4 = 3   (0,1): {3,6}/2 = 4.5   (1,0): {7,8}/2 = 7.5   (1,1): {9}/1 = 9
    const Model<double, Input<3, 3, 1>, AveragePooling2D<"a", PoolSize<2, 2>, void, same>> m;
    const Batch<double> x = t::rows({{1, 2, 3, 4, 5, 6, 7, 8, 9}});
    INNSPECT_CHECK_CLOSE(m.forward(x).output("a"), t::rows({{3, 4.5, 7.5, 9}}), 1e-15);

    // Gradient of Σ out: each input gets 1/n of the window it lies in.
    const auto eg = gradient(m).explain(x, target("a", select::all<double>()));
    INNSPECT_CHECK_CLOSE(eg.relevance, t::rows({{0.25, 0.25, 0.5, 0.25, 0.25, 0.5, 0.5, 0.5, 1}}), 1e-15);

    // LRP: R_i = x_i R_j / Σ_window x. R = (12, 9, 15, 18):
    //   window (0,0), Σ = 12: R = 1, 2, 4, 5;  (0,1), Σ = 9: R = 3, 6;  (1,0), Σ = 15: 7, 8;  (1,1): 18.
    const auto el = lrp(m, Epsilon(0.1)).explain(x, target("a", select::relevance<double>(t::rows({{12, 9, 15, 18}}))));
    INNSPECT_CHECK_CLOSE(el.relevance, t::rows({{1, 2, 3, 4, 5, 6, 7, 8, 18}}), 1e-5);
    CHECK(el.report.layers.at(0).rule == "proportional");

    // pool 3 stride 1 same on the same image: windows clipped on every side.
    //   (0,0): {1,2,4,5}/4 = 3;  (0,1): {1..6}/6 = 3.5;  (1,1): {1..9}/9 = 5;  (2,2): {5,6,8,9}/4 = 7
    const Model<double, Input<3, 3, 1>, AveragePooling2D<"a", PoolSize<3, 3>, Strides<1, 1>, same>> m3;
    const auto y = m3.forward(x).output("a");
    CHECK(y(0, 0) == doctest::Approx(3.0));
    CHECK(y(0, 1) == doctest::Approx(3.5));
    CHECK(y(0, 4) == doctest::Approx(5.0));
    CHECK(y(0, 8) == doctest::Approx(7.0));
}

TEST_CASE("GlobalAveragePooling2D: the mean per channel; LRP proportional to the inputs") {
    // (2,2,2): channel 0 = 1, 2, 3, 4 (mean 2.5), channel 1 = -1, 0, 2, 3 (mean 1).
    const Model<double, Input<2, 2, 2>, GlobalAveragePooling2D<"g">> m;
    const Batch<double> x = t::rows({{1, -1, 2, 0, 3, 2, 4, 3}});
    INNSPECT_CHECK_CLOSE(m.forward(x).output("g"), t::rows({{2.5, 1}}), 1e-15);
    // R = (10, 8): channel 0 R_i = x_i·10/10 = x_i; channel 1 R_i = x_i·8/4 = 2 x_i.
    const auto el = lrp(m, Epsilon(0.1)).explain(x, target("g", select::relevance<double>(t::rows({{10, 8}}))));
    INNSPECT_CHECK_CLOSE(el.relevance, t::rows({{1, -2, 2, 0, 3, 4, 4, 6}}), 1e-5);
    const auto eg = gradient(m).explain(x, target("g", select::all<double>()));
    INNSPECT_CHECK_CLOSE(eg.relevance, Batch<double>::Constant(1, 8, 0.25), 1e-15);
}

TEST_CASE("UpSampling2D, ZeroPadding2D, Cropping2D: values moved, relevance moved back") {
    // (1,2,1) = [a, b] up 2x2 -> (2,4,1) = [a a b b; a a b b]. Relevance: each input gets the
    // sum of its 4 copies.
    const Model<double, Input<1, 2, 1>, UpSampling2D<"u", UpSize<2, 2>>> up;
    const Batch<double> x = t::rows({{3, -2}});
    INNSPECT_CHECK_CLOSE(up.forward(x).output("u"), t::rows({{3, 3, -2, -2, 3, 3, -2, -2}}), 0.0);
    const Batch<double> r = t::rows({{1, 2, 3, 4, 5, 6, 7, 8}});
    const auto lu = lrp(up, Epsilon(0.1)).explain(x, target("u", select::relevance<double>(r)));
    INNSPECT_CHECK_CLOSE(lu.relevance, t::rows({{1 + 2 + 5 + 6, 3 + 4 + 7 + 8}}), 0.0);
    CHECK(lu.report.layers.at(0).rule == "moved back");
    const auto gu = gradient(up).explain(x, target("u", select::direction<double>(r)));
    INNSPECT_CHECK_CLOSE(gu.relevance, t::rows({{14, 22}}), 0.0);

    // (2,2,1) = [1 2; 3 4] padded ((1,0),(0,1)) -> (3,3,1) = [0 0 0; 1 2 0; 3 4 0]; back: crop.
    const Model<double, Input<2, 2, 1>, ZeroPadding2D<"z", 1, 0, 0, 1>> pad;
    const Batch<double> x2 = t::rows({{1, 2, 3, 4}});
    INNSPECT_CHECK_CLOSE(pad.forward(x2).output("z"), t::rows({{0, 0, 0, 1, 2, 0, 3, 4, 0}}), 0.0);
    const Batch<double> r9 = t::rows({{9, 9, 9, 1, 2, 9, 3, 4, 9}});
    const auto lz = lrp(pad, Epsilon(0.1)).explain(x2, target("z", select::relevance<double>(r9)));
    INNSPECT_CHECK_CLOSE(lz.relevance, x2, 0.0);  // relevance on the padding (45) is dropped ...
    CHECK(lz.report.layers.at(0).relevance_out == doctest::Approx(55.0));
    CHECK(lz.report.layers.at(0).relevance_in == doctest::Approx(10.0));  // ... and shows in the report

    // (3,3,1) = 1..9 cropped ((1,0),(0,1)) -> (2,2,1) = [4 5; 7 8]; back: zeros around.
    const Model<double, Input<3, 3, 1>, Cropping2D<"c", 1, 0, 0, 1>> crop;
    const Batch<double> x3 = t::rows({{1, 2, 3, 4, 5, 6, 7, 8, 9}});
    INNSPECT_CHECK_CLOSE(crop.forward(x3).output("c"), t::rows({{4, 5, 7, 8}}), 0.0);
    const auto lc = lrp(crop, Epsilon(0.1)).explain(x3, target("c", select::relevance<double>(t::rows({{1, 2, 3, 4}}))));
    INNSPECT_CHECK_CLOSE(lc.relevance, t::rows({{0, 0, 0, 1, 2, 0, 3, 4, 0}}), 0.0);
}

TEST_CASE("ReLU layer: max_value, negative_slope, threshold") {
    const Model<double, Input<4>, ReLU<"r", 6.0>> relu6;
    INNSPECT_CHECK_CLOSE(relu6.forward(t::rows({{-1, 3, 7, 0.5}})).output("r"), t::rows({{0, 3, 6, 0.5}}), 0.0);
    // slope 0.1 below threshold 0.5: -1 -> 0.1·(-1.5) = -0.15, 0.2 -> 0.1·(0.2 - 0.5) = -0.03
    const Model<double, Input<3>, ReLU<"r", inf, 0.1, 0.5>> leaky;
    INNSPECT_CHECK_CLOSE(leaky.forward(t::rows({{-1, 0.2, 2}})).output("r"), t::rows({{-0.15, -0.03, 2}}), 1e-15);
    // derivative: slope below the threshold, 1 between, 0 above max_value
    const Model<double, Input<3>, ReLU<"r", 2.0, 0.2, 0.25>> all;
    Target<double> keep = target("r", select::all<double>());
    keep.strip_activation = false;
    const auto gk = gradient(all).explain(t::rows({{-1, 1, 3}}), keep);
    INNSPECT_CHECK_CLOSE(gk.relevance, t::rows({{0.2, 1, 0}}), 0.0);
}

// Keras 2.2.4's backend (keras_numpy.relu_layer, transcribed from K.relu) computes, for
// threshold != 0, x·(x > threshold): strictly greater, so x == threshold gives 0 (+ slope·0), and
// it clips to [0, max_value] whenever max_value is given, so with a negative threshold the values
// in (threshold, 0) become 0. innspect's ReluWith computes exactly that.
TEST_CASE("ReLU layer at Keras 2.2.4's edges: x == threshold, negative threshold with max_value") {
    const Model<double, Input<3>, ReLU<"r", inf, 0.1, 0.5>> at_threshold;
    INNSPECT_CHECK_CLOSE(at_threshold.forward(t::rows({{0.5, 0.4, 0.7}})).output("r"), t::rows({{0, -0.01, 0.7}}), 1e-15);
    const Model<double, Input<3>, ReLU<"r", 6.0, 0.0, -0.5>> negative_threshold;
    INNSPECT_CHECK_CLOSE(negative_threshold.forward(t::rows({{-0.25, -1, 7}})).output("r"), t::rows({{0, 0, 6}}), 1e-15);
}

TEST_CASE("BatchNormalization: k = gamma / sqrt(var + eps), c = beta - k mean, per channel") {
    // channel 0: gamma 2, beta 0.5, mean 1, var 3;  channel 1: gamma -1, beta 1, mean -2, var 0.25
    const double eps = 1e-3;
    const double k0 = 2 / std::sqrt(3 + eps), k1 = -1 / std::sqrt(0.25 + eps);
    const double c0 = 0.5 - k0 * 1, c1 = 1 - k1 * -2;
    Model<double, Input<1, 1, 2>, BatchNormalization<"bn">> m;
    m.layer<"bn">().set(t::rows({{2, -1}}).transpose(), t::rows({{0.5, 1}}).transpose(), t::rows({{1, -2}}).transpose(),
                        t::rows({{3, 0.25}}).transpose());
    const auto& p = m.layer<"bn">().params();
    INNSPECT_CHECK_CLOSE(p.kernel, t::rows({{k0, k1}}), 1e-15);
    INNSPECT_CHECK_CLOSE(p.bias.transpose(), t::rows({{c0, c1}}), 1e-15);
    INNSPECT_CHECK_CLOSE(m.forward(t::rows({{4, 1}})).output("bn"), t::rows({{k0 * 4 + c0, k1 * 1 + c1}}), 1e-15);

    // The arrays Keras stores, in Keras's order, depending on center / scale.
    auto roles = [](auto& layer) {
        std::vector<std::string> r;
        for (const auto& w : layer.weights()) r.emplace_back(w.role);
        return r;
    };
    Model<double, Input<3>, BatchNormalization<"a">, BatchNormalization<"b", 1e-2, false, true>,
          BatchNormalization<"c", 1e-5, true, false>>
        v;
    CHECK(roles(v.layer<"a">()) == std::vector<std::string>{"gamma", "beta", "moving_mean", "moving_variance"});
    CHECK(roles(v.layer<"b">()) == std::vector<std::string>{"gamma", "moving_mean", "moving_variance"});
    CHECK(roles(v.layer<"c">()) == std::vector<std::string>{"beta", "moving_mean", "moving_variance"});
    // center = false: no beta (c = -k mean); scale = false: no gamma (k = 1/sqrt(var + eps))
    Model<double, Input<1>, BatchNormalization<"b", 1e-2, false, true>> nc;
    nc.layer<"b">().set(t::rows({{3}}), t::rows({{100}}), t::rows({{2}}), t::rows({{1}}));  // beta ignored
    const double kb = 3 / std::sqrt(1.01);
    INNSPECT_CHECK_CLOSE(nc.forward(t::rows({{5}})).output("b"), t::rows({{kb * 5 - kb * 2}}), 1e-15);
    Model<double, Input<1>, BatchNormalization<"c", 1e-5, true, false>> ns;
    ns.layer<"c">().set(t::rows({{100}}), t::rows({{0.5}}), t::rows({{2}}), t::rows({{4}}));  // gamma ignored
    const double kc = 1 / std::sqrt(4 + 1e-5);
    INNSPECT_CHECK_CLOSE(ns.forward(t::rows({{5}})).output("c"), t::rows({{kc * 5 + 0.5 - kc * 2}}), 1e-15);
}

TEST_CASE("BatchNormalization with a negative variance: value_error naming the layer") {
    Model<double, Input<2, 2, 2>, BatchNormalization<"bn_bad">> m;
    m.layer<"bn_bad">().set(t::rows({{1, 1}}).transpose(), t::rows({{0, 0}}).transpose(), t::rows({{0, 0}}).transpose(),
                            t::rows({{1, -0.5}}).transpose());
    const Batch<double> x = Batch<double>::Ones(1, 8);
    CHECK_THROWS_WITH_AS(m.forward(x), doctest::Contains("bn_bad"), value_error);
    CHECK_THROWS_WITH_AS(m.forward(x), doctest::Contains("moving_variance[1]"), value_error);
    CHECK_THROWS_AS(m.check_finite(), value_error);

    // Written through weights() (as a weight loader does) into the model with every new layer.
    auto all = load_all_new<double>();
    const Batch<double> xa = t::load_batch<double>(forward4("all_new") / "input.npy");
    CHECK_NOTHROW(all.forward(xa));
    for (auto& w : all.layer<"batch_normalization_1">().weights())
        if (w.role == "moving_variance") w.data[2] = -1e-3;
    CHECK_THROWS_WITH_AS(all.forward(xa), doctest::Contains("batch_normalization_1: moving_variance[2]"), value_error);
}

// =================================================================================================
// forward against the numpy reference
// =================================================================================================

TEST_CASE("forward4 fixtures: BatchNormalization") {
    check_case<Input<4, 5, 3>, BatchNormalization<"l">>("bn_default");
    check_case<Input<3, 4, 2>, BatchNormalization<"l", 1e-2, true, false>>("bn_no_scale");
    check_case<Input<3, 3, 4>, BatchNormalization<"l", 1e-5, false, true>>("bn_no_center");
    check_case<Input<6>, BatchNormalization<"l">>("bn_vector");
}

TEST_CASE("forward4 fixtures: pooling") {
    check_case<Input<5, 6, 2>, MaxPooling2D<"l">>("maxpool_valid_2x2");
    check_case<Input<4, 5, 2>, MaxPooling2D<"l", PoolSize<3, 2>, Strides<1, 1>>>("maxpool_valid_3x2_s1");
    check_case<Input<5, 6, 2>, MaxPooling2D<"l", PoolSize<3, 3>, Strides<2, 2>, same>>("maxpool_same_3x3_s2");
    check_case<Input<4, 5, 1>, MaxPooling2D<"l", PoolSize<2, 3>, Strides<1, 2>, same>>("maxpool_same_2x3_s1x2");
    check_case<Input<5, 5, 2>, MaxPooling2D<"l", PoolSize<2, 2>, void, same>>("maxpool_same_negative");
    check_case<Input<5, 6, 2>, AveragePooling2D<"l">>("avgpool_valid_2x2");
    check_case<Input<5, 7, 2>, AveragePooling2D<"l", PoolSize<2, 2>, void, same>>("avgpool_same_2x2_odd");
    check_case<Input<6, 5, 3>, AveragePooling2D<"l", PoolSize<3, 3>, Strides<2, 2>, same>>("avgpool_same_3x3_s2");
    check_case<Input<4, 4, 1>, AveragePooling2D<"l", PoolSize<3, 2>, Strides<1, 1>, same>>("avgpool_same_3x2_s1");
    check_case<Input<3, 4, 5>, GlobalAveragePooling2D<"l">>("gap");
}

TEST_CASE("forward4 fixtures: resampling and ReLU") {
    check_case<Input<2, 3, 2>, UpSampling2D<"l", UpSize<2, 2>>>("upsampling_2x2");
    check_case<Input<2, 2, 3>, UpSampling2D<"l", UpSize<3, 1>>>("upsampling_3x1");
    check_case<Input<3, 4, 2>, ZeroPadding2D<"l", 1, 1, 1, 1>>("zeropad_sym");
    check_case<Input<3, 4, 2>, ZeroPadding2D<"l", 1, 2, 0, 3>>("zeropad_asym");
    check_case<Input<6, 7, 2>, Cropping2D<"l", 1, 1, 1, 1>>("crop_sym");
    check_case<Input<6, 7, 2>, Cropping2D<"l", 2, 0, 1, 3>>("crop_asym");
    check_case<Input<3, 4, 2>, ReLU<"l">>("relu_plain");
    check_case<Input<3, 4, 2>, ReLU<"l", 6.0>>("relu_max6");
    check_case<Input<3, 4, 2>, ReLU<"l", inf, 0.1, 0.5>>("relu_slope_threshold");
    check_case<Input<10>, ReLU<"l", 2.0, 0.2, 0.25>>("relu_all");
}

TEST_CASE("forward4 fixtures: the model with every new layer (double and float)") {
    t::check_model_against_case(load_all_new<double>(), forward4("all_new"));
    t::check_model_against_case(load_all_new<float>(), forward4("all_new"));
}

TEST_CASE("forward4 fixtures: every single-layer case is declared above") {
    // all_new is the model above; real12 belongs to tests/hdf5/real_keras_models.cpp.
    for (const auto& entry : fs::directory_iterator(fs::path(INNSPECT_TEST_DATA_DIR) / "forward4")) {
        const std::string name = entry.path().filename().string();
        if (name == "all_new" || name == "real12") continue;
        INFO("case directory without a test: " << name);
        CHECK(declared_cases.count(name) == 1);
    }
}

// =================================================================================================
// gradients against finite differences
// =================================================================================================

TEST_CASE("gradient vs finite differences through every new layer") {
    t::Rng rng(4242);
    SUBCASE("BatchNormalization on feature maps (after a tanh conv: not folded)") {
        Model<double, Input<4, 5, 2>, Conv2D<"c", 3, Kernel<2, 2>, Tanh>, BatchNormalization<"bn">, Flatten<"f">,
              Dense<"d", 2>>
            m;
        randomize(m, rng);
        check_gradient_fd(m, rng.batch<double>(2, 40), "d", rng);
    }
    SUBCASE("BatchNormalization on vectors, scale only") {
        Model<double, Input<6>, Dense<"a", 5, Tanh>, BatchNormalization<"bn", 1e-2, false, true>, Dense<"d", 2>> m;
        randomize(m, rng);
        check_gradient_fd(m, rng.batch<double>(2, 6), "d", rng);
    }
    SUBCASE("MaxPooling2D valid, away from ties") {
        Model<double, Input<5, 6, 2>, Conv2D<"c", 3, Kernel<2, 2>, Tanh>, MaxPooling2D<"p">, Flatten<"f">, Dense<"d", 2>> m;
        randomize(m, rng);
        const Batch<double> x = rng.batch<double>(2, 60);
        REQUIRE(min_window_gap(m.forward(x).output("c"), 4, 5, 3, 2, 2, 2, 2, valid) > 1e-4);
        check_gradient_fd(m, x, "d", rng);
    }
    SUBCASE("MaxPooling2D same, overlapping windows, away from ties") {
        Model<double, Input<5, 6, 2>, Conv2D<"c", 3, Kernel<2, 2>, Tanh>,
              MaxPooling2D<"p", PoolSize<3, 3>, Strides<2, 2>, same>, Flatten<"f">, Dense<"d", 2>>
            m;
        randomize(m, rng);
        Batch<double> x = rng.batch<double>(2, 60);
        for (int tries = 0; tries < 100 && min_window_gap(m.forward(x).output("c"), 4, 5, 3, 3, 3, 2, 2, same) <= 1e-4; ++tries)
            x = rng.batch<double>(2, 60);  // overlapping windows: draw until no window is near a tie
        REQUIRE(min_window_gap(m.forward(x).output("c"), 4, 5, 3, 3, 3, 2, 2, same) > 1e-4);
        check_gradient_fd(m, x, "d", rng);
    }
    SUBCASE("AveragePooling2D same, odd size") {
        Model<double, Input<5, 6, 2>, Conv2D<"c", 3, Kernel<2, 2>, Tanh>,
              AveragePooling2D<"p", PoolSize<3, 2>, Strides<2, 1>, same>, Flatten<"f">, Dense<"d", 2>>
            m;
        randomize(m, rng);
        check_gradient_fd(m, rng.batch<double>(2, 60), "d", rng);
    }
    SUBCASE("GlobalAveragePooling2D") {
        Model<double, Input<5, 6, 2>, Conv2D<"c", 3, Kernel<2, 2>, Tanh>, GlobalAveragePooling2D<"p">, Dense<"d", 2>> m;
        randomize(m, rng);
        check_gradient_fd(m, rng.batch<double>(2, 60), "d", rng);
    }
    SUBCASE("UpSampling2D") {
        Model<double, Input<3, 2, 2>, UpSampling2D<"u", UpSize<2, 3>>, Conv2D<"c", 2, Kernel<3, 3>, Tanh>, Flatten<"f">,
              Dense<"d", 2>>
            m;
        randomize(m, rng);
        check_gradient_fd(m, rng.batch<double>(2, 12), "d", rng);
    }
    SUBCASE("ZeroPadding2D") {
        Model<double, Input<4, 5, 2>, ZeroPadding2D<"z", 1, 0, 2, 1>, Conv2D<"c", 3, Kernel<3, 3>, Tanh>, Flatten<"f">,
              Dense<"d", 2>>
            m;
        randomize(m, rng);
        check_gradient_fd(m, rng.batch<double>(2, 40), "d", rng);
    }
    SUBCASE("Cropping2D") {
        Model<double, Input<5, 6, 2>, Conv2D<"c", 3, Kernel<2, 2>, Tanh>, Cropping2D<"k", 1, 0, 0, 2>, Flatten<"f">,
              Dense<"d", 2>>
            m;
        randomize(m, rng);
        check_gradient_fd(m, rng.batch<double>(2, 60), "d", rng);
    }
    SUBCASE("ReLU(max_value 1, slope 0.2, threshold 0.1), all three pieces, away from the kinks") {
        Model<double, Input<3, 4, 2>, Conv2D<"c", 6, Kernel<2, 2>>, ReLU<"r", 1.0, 0.2, 0.1>, Flatten<"f">, Dense<"d", 2>> m;
        randomize(m, rng);
        const Batch<double> x = rng.batch<double>(2, 24);
        const Batch<double> z = m.forward(x).output("c");
        REQUIRE((z.array() > 1.0).any());
        REQUIRE((z.array() < 0.1).any());
        REQUIRE((z.array() > 0.1 && z.array() < 1.0).any());
        REQUIRE(((z.array() - 0.1).abs().minCoeff()) > 1e-4);
        REQUIRE(((z.array() - 1.0).abs().minCoeff()) > 1e-4);
        check_gradient_fd(m, x, "d", rng);
    }
}

// =================================================================================================
// LRP
// =================================================================================================

TEST_CASE("LRP through Conv2D -> BatchNormalization equals LRP on the conv with hand-folded weights") {
    // W'[..., f] = W[..., f]·k_f,  b'_f = b_f·k_f + c_f,  k = gamma/sqrt(var + eps), c = beta - k·mean,
    // computed here from the arrays, not from the layer's params().
    t::Rng rng(7);
    const double eps = 1e-3;
    Vector<double> gamma(3), beta(3), mean(3), var(3);
    gamma << 1.5, -0.7, 0.9;
    beta << 0.3, -0.2, 1.1;
    mean << 0.4, -0.5, 0.2;
    var << 0.8, 1.7, 0.3;
    Vector<double> k(3), c(3);
    for (int f = 0; f < 3; ++f) {
        k(f) = gamma(f) / std::sqrt(var(f) + eps);
        c(f) = beta(f) - k(f) * mean(f);
    }
    const Batch<double> x = rng.batch<double>(2, 50);

    SUBCASE("Conv2D") {
        Model<double, Input<5, 5, 2>, Conv2D<"conv", 3, Kernel<3, 3>>, BatchNormalization<"bn">, Activation<"act", Relu>,
              Flatten<"f">, Dense<"d", 2>>
            a;
        Model<double, Input<5, 5, 2>, Conv2D<"conv", 3, Kernel<3, 3>>, Activation<"act", Relu>, Flatten<"f">, Dense<"d", 2>> b;
        randomize(a, rng);
        a.layer<"bn">().set(gamma, beta, mean, var);
        auto& wa = a.layer<"conv">().params();
        auto& wb = b.layer<"conv">().params();
        wb.kernel = wa.kernel;  // [3·3·2, 3]: column f is filter f
        for (int f = 0; f < 3; ++f) wb.kernel.col(f) *= k(f);
        wb.bias = wa.bias.cwiseProduct(k) + c;
        b.layer<"d">().params() = a.layer<"d">().params();
        INNSPECT_CHECK_CLOSE(b.forward(x).output("d"), a.forward(x).output("d"), 1e-12);

        const auto ea = lrp(a, Epsilon(0.1)).explain(x, target<double>("d"));
        const auto eb = lrp(b, Epsilon(0.1)).explain(x, target<double>("d"));
        INNSPECT_CHECK_CLOSE(ea.relevance, eb.relevance, 1e-10);
        CHECK(row(ea, "bn").rule == "merged into conv");
        CHECK(row(ea, "bn").relevance_in == doctest::Approx(row(ea, "bn").relevance_out).epsilon(1e-14));
        CHECK(row(ea, "conv").rule == "epsilon(0.1) (+bn)");
        CHECK(row(ea, "conv").bias_absorbed == doctest::Approx(row(eb, "conv").bias_absorbed).epsilon(1e-10));
        // Other rules take the folded parameters too.
        const auto za = lrp(a, AlphaBeta(2, 1)).explain(x, target<double>("d"));
        const auto zb = lrp(b, AlphaBeta(2, 1)).explain(x, target<double>("d"));
        INNSPECT_CHECK_CLOSE(za.relevance, zb.relevance, 1e-10);
        // The gradient of the folded pair is the gradient of the fused conv.
        const auto ga = gradient(a).explain(x, target<double>("d"));
        const auto gb = gradient(b).explain(x, target<double>("d"));
        INNSPECT_CHECK_CLOSE(ga.relevance, gb.relevance, 1e-10);
    }
    SUBCASE("Conv2DTranspose (kernel [kh, kw, filters, in]: filter is axis 2)") {
        Model<double, Input<3, 3, 2>, Conv2DTranspose<"conv", 3, Kernel<3, 2>, Linear, Strides<2, 1>, same>,
              BatchNormalization<"bn">, Flatten<"f">, Dense<"d", 2>>
            a;
        Model<double, Input<3, 3, 2>, Conv2DTranspose<"conv", 3, Kernel<3, 2>, Linear, Strides<2, 1>, same>, Flatten<"f">,
              Dense<"d", 2>>
            b;
        randomize(a, rng);
        a.layer<"bn">().set(gamma, beta, mean, var);
        const auto wa = a.layer<"conv">().weights();  // Keras arrays: kernel (3,2,3,2), bias (3,)
        auto wb = b.layer<"conv">().weights();
        REQUIRE(wa[0].shape == std::vector<std::int64_t>{3, 2, 3, 2});
        for (int i = 0; i < 3 * 2 * 3 * 2; ++i) wb[0].data[i] = wa[0].data[i] * k((i / 2) % 3);
        for (int f = 0; f < 3; ++f) wb[1].data[f] = wa[1].data[f] * k(f) + c(f);
        b.layer<"d">().params() = a.layer<"d">().params();
        const Batch<double> x3 = rng.batch<double>(2, 18);
        INNSPECT_CHECK_CLOSE(b.forward(x3).output("d"), a.forward(x3).output("d"), 1e-12);
        const auto ea = lrp(a, Epsilon(0.1)).explain(x3, target<double>("d"));
        const auto eb = lrp(b, Epsilon(0.1)).explain(x3, target<double>("d"));
        INNSPECT_CHECK_CLOSE(ea.relevance, eb.relevance, 1e-10);
        CHECK(row(ea, "bn").rule == "merged into conv");
    }
    SUBCASE("Dense on vectors") {
        Model<double, Input<5>, Dense<"conv", 3>, BatchNormalization<"bn">, Activation<"act", Tanh>, Dense<"d", 2>> a;
        Model<double, Input<5>, Dense<"conv", 3>, Activation<"act", Tanh>, Dense<"d", 2>> b;
        randomize(a, rng);
        a.layer<"bn">().set(gamma, beta, mean, var);
        auto& wb = b.layer<"conv">().params();
        wb.kernel = a.layer<"conv">().params().kernel;
        for (int f = 0; f < 3; ++f) wb.kernel.col(f) *= k(f);
        wb.bias = a.layer<"conv">().params().bias.cwiseProduct(k) + c;
        b.layer<"d">().params() = a.layer<"d">().params();
        const Batch<double> x5 = rng.batch<double>(3, 5);
        const auto ea = lrp(a, Epsilon(0.1)).explain(x5, target<double>("d"));
        const auto eb = lrp(b, Epsilon(0.1)).explain(x5, target<double>("d"));
        INNSPECT_CHECK_CLOSE(ea.relevance, eb.relevance, 1e-10);
    }
}

TEST_CASE("LRP through Conv2D(relu) -> BatchNormalization: a diagonal linear layer with its own rule") {
    // BN reads a ReLU output, so it is not folded: R_in = x ⊙ k ⊙ R_out / (k x + c + ε·sgn(k x + c)).
    // Units the ReLU switched off (x = 0) get no relevance, however large BN's shift c makes
    // their output: relevance stays bounded.
    t::Rng rng(11);
    Model<double, Input<4, 4, 2>, Conv2D<"conv", 3, Kernel<2, 2>, Relu>, BatchNormalization<"bn">, Flatten<"f">,
          Dense<"d", 2>>
        m;
    randomize(m, rng);
    Vector<double> gamma(3), beta(3), mean(3), var(3);
    gamma << 2.0, -1.5, 0.8;
    beta << 3.0, -2.5, 4.0;  // large shifts
    mean << 0.1, 0.3, -0.2;
    var << 0.05, 0.2, 0.01;  // small variances: large k
    m.layer<"bn">().set(gamma, beta, mean, var);
    const double eps_bn = 1e-3, eps = 0.01;
    const Batch<double> x = rng.batch<double>(2, 32);
    const auto tr = m.forward(x);
    const Batch<double>& a = tr.output("conv");  // BN input
    REQUIRE((a.array() == 0).any());
    REQUIRE((a.array() > 0).any());

    const auto e = lrp(m, Epsilon(eps)).explain(x, target<double>("d"), ExplainOptions{.keep_layers = true});
    const Batch<double>& r_out = kept(e, "bn");   // at BN's output
    const Batch<double>& r_in = kept(e, "conv");  // at conv's output = BN's input (ReLU passes it)
    Batch<double> expected(r_out.rows(), r_out.cols());
    double bias_share = 0, stab_bound = 0;
    for (Eigen::Index b = 0; b < a.rows(); ++b)
        for (Eigen::Index i = 0; i < a.cols(); ++i) {
            const int ch = static_cast<int>(i % 3);
            const double k = gamma(ch) / std::sqrt(var(ch) + eps_bn), c = beta(ch) - k * mean(ch);
            const double z = k * a(b, i) + c;
            const double s = r_out(b, i) / (z >= 0 ? z + eps : z - eps);
            expected(b, i) = a(b, i) * k * s;
            bias_share += s * c;
            stab_bound += std::abs(s) * eps;
        }
    INNSPECT_CHECK_CLOSE(r_in, expected, 1e-10);
    CHECK(((a.array() == 0).select(r_in.array().abs(), 0.0)).maxCoeff() == 0.0);
    const auto& bn = row(e, "bn");
    CHECK(bn.rule == "epsilon(0.01)");
    CHECK(row(e, "conv").rule == "epsilon(0.01)");  // nothing merged into the conv
    CHECK(bn.bias_absorbed == doctest::Approx(bias_share).epsilon(1e-10));
    CHECK(bn.relevance_out - bn.relevance_in == doctest::Approx(bn.bias_absorbed + bn.stabilizer_lost));
    CHECK(std::abs(bn.stabilizer_lost) <= stab_bound * (1 + 1e-12));
    // bounded: nothing anywhere exceeds the explained score by orders of magnitude
    const double r0 = e.initial.cwiseAbs().sum();
    CHECK(r_in.cwiseAbs().maxCoeff() <= 10 * r0);
    CHECK(e.relevance.cwiseAbs().maxCoeff() <= 10 * r0);
    CHECK(std::isfinite(e.report.final));

    // Rule selection: BN on feature maps counts as a convolution, on vectors as a Dense layer.
    const auto ec = lrp(m, composite(entry<DenseLayers>(Epsilon(0.5)), entry<Convolutions>(Epsilon(0.25))))
                        .explain(x, target<double>("d"));
    CHECK(row(ec, "bn").rule == "epsilon(0.25)");
    Model<double, Input<4>, Dense<"a", 3, Relu>, BatchNormalization<"bn">, Dense<"d", 2>> v;
    randomize(v, rng);
    const auto ev = lrp(v, composite(entry<Convolutions>(Epsilon(0.25)), entry<DenseLayers>(Epsilon(0.5))))
                        .explain(rng.batch<double>(2, 4), target<double>("d"));
    CHECK(row(ev, "bn").rule == "epsilon(0.5)");
    const auto en = lrp(v, composite(entry<ByName<"bn">>(ZPlus()), entry<AnyLayer>(Epsilon(0.5))))
                        .explain(rng.batch<double>(2, 4), target<double>("d"));
    CHECK(row(en, "bn").rule == ZPlus().name());
}

TEST_CASE("conservation report of the model with every new layer") {
    const auto m = load_all_new<double>();
    const Batch<double> x = t::load_batch<double>(forward4("all_new") / "input.npy");
    const auto e = lrp(m, Epsilon(0.1)).explain(x, target<double>("dense_1"), ExplainOptions{.keep_layers = true});
    const std::vector<std::pair<std::string, std::string>> expected = {
        {"dense_1", "epsilon(0.1)"},
        {"global_average_pooling2d_1", "proportional"},
        {"conv2d_transpose_1", "epsilon(0.1)"},
        {"cropping2d_1", "moved back"},
        {"up_sampling2d_1", "moved back"},
        {"average_pooling2d_1", "proportional"},
        {"re_lu_1", "pass-through"},
        {"conv2d_2", "epsilon(0.1)"},
        {"zero_padding2d_1", "moved back"},
        {"max_pooling2d_1", "winner-takes-all"},
        {"activation_1", "pass-through"},
        {"batch_normalization_1", "merged into conv2d_1"},
        {"conv2d_1", "epsilon(0.1) (+batch_normalization_1)"},
    };
    const auto& rows = e.report.layers;
    REQUIRE(rows.size() == expected.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        INFO("row " << i << " " << rows[i].layer);
        CHECK(rows[i].layer == expected[i].first);
        CHECK(rows[i].rule == expected[i].second);
        CHECK(std::isfinite(rows[i].relevance_in));
        CHECK(std::isfinite(rows[i].bias_absorbed));
        CHECK(std::isfinite(rows[i].stabilizer_lost));
        if (i + 1 < rows.size()) CHECK(rows[i].relevance_in == doctest::Approx(rows[i + 1].relevance_out).epsilon(1e-14));
        // only linear layers absorb relevance in a bias
        if (expected[i].second.rfind("epsilon", 0) != 0) CHECK(rows[i].bias_absorbed == 0.0);
        // layers that only move values (and the folded BN, and activations) conserve exactly
        if (expected[i].second == "moved back" || expected[i].second == "winner-takes-all" ||
            expected[i].second == "pass-through" || expected[i].second.rfind("folded", 0) == 0)
            CHECK(rows[i].relevance_in == doctest::Approx(rows[i].relevance_out).epsilon(1e-12));
        // average pooling loses only its 1e-6 stabiliser
        if (expected[i].second == "proportional")
            CHECK(rows[i].relevance_in == doctest::Approx(rows[i].relevance_out).epsilon(1e-4));
    }
    // Relevance that reaches padded zeros: none, since every LRP rule gives R_i ∝ x_i.
    const Batch<double>& rp = kept(e, "zero_padding2d_1");  // at ZeroPadding2D's output (6, 8, 4)
    double on_pads = 0;
    for (Eigen::Index b = 0; b < rp.rows(); ++b)
        for (int h = 0; h < 6; ++h)
            for (int w = 0; w < 8; ++w)
                for (int c = 0; c < 4; ++c)
                    if (h < 1 || w < 1 || w >= 6) on_pads += std::abs(rp(b, (h * 8 + w) * 4 + c));
    CHECK(on_pads == 0.0);
    // The whole budget: what every row took adds up to initial − final.
    double taken = 0;
    for (const auto& r : rows) taken += r.bias_absorbed + r.stabilizer_lost;
    CHECK(e.report.initial - e.report.final == doctest::Approx(taken).epsilon(1e-9));
    CHECK(e.report.initial == doctest::Approx(e.initial.sum()));
    CHECK(e.report.final == doctest::Approx(e.relevance.sum()));
    const std::string table = e.report.table();
    CHECK(table.find("winner-takes-all") != std::string::npos);
    CHECK(table.find("merged into conv2d_1") != std::string::npos);
    MESSAGE("all_new LRP-epsilon(0.1) conservation:\n" << table);

    // float gives the same explanation
    const auto mf = load_all_new<float>();
    const auto ef = lrp(mf, Epsilon(0.1)).explain(x.cast<float>(), target<float>("dense_1"));
    INNSPECT_CHECK_CLOSE(ef.relevance, e.relevance, 1e-3);
}
