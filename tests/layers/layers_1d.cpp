// The 1D layers (Conv1D, Conv1DTranspose, MaxPooling1D, AveragePooling1D, GlobalAveragePooling1D,
// GlobalMaxPooling1D, UpSampling1D, ZeroPadding1D, Cropping1D) and Conv2D's dilation_rate:
//   - shapes at compile time (Keras's output lengths),
//   - hand cases (values worked out in the comments),
//   - forward against tests/data/forward1d/ (numpy reference, tests/reference/make_layer1d_fixtures.py)
//     in double and float, single layers and the model with every 1D layer,
//   - gradients against central finite differences, one tiny model per layer,
//   - LRP: the 2D rules (design.md §5), conservation through a Conv1D / pooling model and through a
//     Conv1DTranspose / resampling model with zero biases, the rule families composites select by.
// The linear layers also pass tests/layers/linear_conformance.cpp.

#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

#include <innspect/innspect.hpp>

#include "support/fixtures.hpp"
#include "support/model_checks.hpp"
#include "support/test_support.hpp"

using namespace innspect;
namespace t = innspect::test;
namespace fs = std::filesystem;

namespace {

constexpr Padding valid = Padding::valid, same = Padding::same, causal = Padding::causal;

fs::path forward1d(const std::string& name) { return fs::path(INNSPECT_TEST_DATA_DIR) / "forward1d" / name; }

// ---- output shapes: Keras's lengths -------------------------------------------------------------
template <class Spec, class In, class Out>
constexpr bool out_is = std::is_same_v<typename Spec::template output_shape_for<In>, Out>;

static_assert(out_is<Conv1D<"c", 3, Kernel<3>>, Shape<7, 2>, Shape<5, 3>>);                              // 7 − 3 + 1
static_assert(out_is<Conv1D<"c", 3, Kernel<3>, Linear, Strides<2>, same>, Shape<8, 2>, Shape<4, 3>>);     // ⌈8/2⌉
static_assert(out_is<Conv1D<"c", 2, Kernel<3>, Linear, Strides<1>, causal, true, Dilation<4>>, Shape<5, 1>, Shape<5, 2>>);
static_assert(out_is<Conv1D<"c", 2, Kernel<4>, Linear, Strides<2>, causal>, Shape<7, 1>, Shape<4, 2>>);   // ⌈7/2⌉
static_assert(out_is<Conv1D<"c", 2, Kernel<3>, Linear, Strides<1>, valid, true, Dilation<3>>, Shape<10, 2>, Shape<4, 2>>);  // 10 − 7 + 1
static_assert(out_is<Conv1DTranspose<"t", 3, Kernel<3>>, Shape<4, 2>, Shape<6, 3>>);                      // 4 + 3 − 1
static_assert(out_is<Conv1DTranspose<"t", 2, Kernel<2>, Linear, Strides<3>>, Shape<3, 1>, Shape<9, 2>>);  // 3·3 + max(2 − 3, 0)
static_assert(out_is<Conv1DTranspose<"t", 2, Kernel<4>, Linear, Strides<2>, same>, Shape<3, 2>, Shape<6, 2>>);
static_assert(out_is<Conv2D<"c", 3, Kernel<3, 3>, Relu, Strides<1, 1>, valid, true, Dilation<2, 2>>, Shape<7, 8, 2>, Shape<3, 4, 3>>);
static_assert(out_is<Conv2D<"c", 3, Kernel<3, 2>, Relu, Strides<1, 1>, same, true, Dilation<3, 2>>, Shape<4, 5, 2>, Shape<4, 5, 3>>);
static_assert(out_is<MaxPooling1D<"p">, Shape<7, 2>, Shape<3, 2>>);
static_assert(out_is<MaxPooling1D<"p", PoolSize<3>, Strides<1>, same>, Shape<5, 2>, Shape<5, 2>>);
static_assert(out_is<AveragePooling1D<"p", PoolSize<3>, Strides<2>>, Shape<8, 2>, Shape<3, 2>>);
static_assert(out_is<AveragePooling1D<"p", PoolSize<2>, void, same>, Shape<7, 3>, Shape<4, 3>>);
static_assert(out_is<GlobalAveragePooling1D<"g">, Shape<5, 3>, Shape<3>>);
static_assert(out_is<GlobalMaxPooling1D<"g">, Shape<5, 3>, Shape<3>>);
static_assert(out_is<UpSampling1D<"u", UpSize<3>>, Shape<4, 2>, Shape<12, 2>>);
static_assert(out_is<UpSampling1D<"u">, Shape<4, 2>, Shape<8, 2>>);                                    // Keras's size=2
static_assert(out_is<ZeroPadding1D<"z">, Shape<4, 2>, Shape<6, 2>>);                                   // Keras's padding=1
static_assert(out_is<ZeroPadding1D<"z", 1, 3>, Shape<4, 2>, Shape<8, 2>>);
static_assert(out_is<Cropping1D<"c">, Shape<7, 2>, Shape<5, 2>>);                                      // Keras's (1, 1)
static_assert(out_is<Cropping1D<"c", 0, 3>, Shape<7, 2>, Shape<4, 2>>);

// The single-layer cases this file declares a layer for (check_case requires its name here; the
// coverage test requires every case directory here).
const std::set<std::string> declared_cases = {
    "conv1d_valid", "conv1d_same_s2", "conv1d_causal_d2", "conv1d_causal_s2", "conv1d_valid_d3",           //
    "conv1d_same_d2_even", "conv1dt_valid", "conv1dt_same_s2", "conv1dt_valid_s3", "conv1dt_same_k4_s2",   //
    "conv2d_dil_valid", "conv2d_dil_same", "conv2d_dil_same_span", "maxpool1d_valid", "maxpool1d_same_s1",  //
    "maxpool1d_same_negative", "avgpool1d_valid_3_s2", "avgpool1d_same_odd", "gap1d", "gmp1d",             //
    "upsampling1d_3", "zeropad1d_sym", "zeropad1d_asym", "crop1d_sym", "crop1d_asym"};

template <class InputSpec, class Spec>
void check_case(const std::string& name) {
    REQUIRE(declared_cases.count(name) == 1);
    INFO("case " << name);
    t::check_single_layer_case<InputSpec, Spec>(forward1d(name));
}

/// The model of tests/data/forward1d/all1d/: every 1D layer once (Keras auto names).
template <class T>
using All1d = Model<T, Input<16, 2>,                                                                  //
                    Conv1D<"conv1d_1", 4, Kernel<3>, Relu, Strides<1>, causal, true, Dilation<2>>,   // (16,4)
                    MaxPooling1D<"max_pooling1d_1">,                                                  // (8,4)
                    ZeroPadding1D<"zero_padding1d_1", 1, 2>,                                          // (11,4)
                    Conv1D<"conv1d_2", 5, Kernel<3>, Tanh, Strides<1>, same>,                         // (11,5)
                    AveragePooling1D<"average_pooling1d_1", PoolSize<2>, void, same>,                 // (6,5)
                    UpSampling1D<"up_sampling1d_1">,                                                  // (12,5)
                    Cropping1D<"cropping1d_1", 1, 0>,                                                 // (11,5)
                    Conv1DTranspose<"conv1d_transpose_1", 3, Kernel<3>, Linear, Strides<2>, same>,    // (22,3)
                    GlobalAveragePooling1D<"global_average_pooling1d_1">,                            // (3,)
                    Dense<"dense_1", 2, Softmax>>;

/// Sets the kernel (Keras's C order) and zero bias of a linear layer.
template <class L>
void set_kernel(L& l, std::initializer_list<double> k) {
    auto w = l.weights();
    REQUIRE(static_cast<std::size_t>(l.params().kernel.size()) == k.size());
    std::copy(k.begin(), k.end(), w[0].data);
    if (l.params().has_bias) l.params().bias.setZero();
}

void zero_biases(auto& m) {
    m.for_each_layer([](auto& l) {
        for (auto& w : l.weights())
            if (w.role == "bias") std::fill(w.data, w.data + w.shape[0], 0.0);
    });
}

}  // namespace

// =================================================================================================
// hand cases
// =================================================================================================

TEST_CASE("Conv1D causal with dilation by hand: output t reads no input after t") {
    // k = 2 taps 2 apart, K = [1, 10]: causal pads d·(k − 1) = 2 zeros before,
    // y_t = x_{t−2}·1 + x_t·10:  x = [1, 2, 3, 4] -> [10, 20, 31, 42].
    Model<double, Input<4, 1>, Conv1D<"c", 1, Kernel<2>, Linear, Strides<1>, causal, false, Dilation<2>>> m;
    set_kernel(m.layer<"c">(), {1, 10});
    const Batch<double> x = t::rows({{1, 2, 3, 4}});
    INNSPECT_CHECK_CLOSE(m.forward(x).output("c"), t::rows({{10, 20, 31, 42}}), 0.0);
    // ∂Σy/∂x: x0 feeds y0 (10) and y2 (1); x1 feeds y1, y3; x2 and x3 only themselves (10).
    const auto g = gradient(m).explain(x, target("c", select::all<double>()));
    INNSPECT_CHECK_CLOSE(g.relevance, t::rows({{11, 11, 10, 10}}), 0.0);
    // Output 1 depends on inputs 0..1 only (not on 2, 3), for any weights.
    t::Rng rng(1);
    Model<double, Input<6, 2>, Conv1D<"c", 3, Kernel<3>, Linear, Strides<1>, causal, true, Dilation<2>>> r;
    t::randomize(r, rng);
    const auto gr = gradient(r).explain(rng.batch<double>(1, 12), target("c", select::index<double>(1 * 3 + 2)));
    CHECK(gr.relevance.leftCols(4).cwiseAbs().sum() > 0);
    CHECK(gr.relevance.rightCols(8).cwiseAbs().maxCoeff() == 0.0);
}

TEST_CASE("Conv1D same with stride 2, and the kernel layout [k, in, out]") {
    // 5 steps, k = 3, s = 2: out ⌈5/2⌉ = 3, pad total (3 − 1)·2 + 3 − 5 = 2: one zero each side.
    // K = ones: y0 = 0 + x0 + x1, y1 = x1 + x2 + x3, y2 = x3 + x4 + 0 -> x = 1..5: [3, 9, 9].
    Model<double, Input<5, 1>, Conv1D<"c", 1, Kernel<3>, Linear, Strides<2>, same, false>> m;
    set_kernel(m.layer<"c">(), {1, 1, 1});
    INNSPECT_CHECK_CLOSE(m.forward(t::rows({{1, 2, 3, 4, 5}})).output("c"), t::rows({{3, 9, 9}}), 0.0);
    // [k, in, out] = [2, 2, 2]: only K[1, 0, 1] = 1, so y[0, 1] = x[1, 0] and y[0, 0] = 0.
    Model<double, Input<2, 2>, Conv1D<"c", 2, Kernel<2>, Linear, Strides<1>, valid, false>> l;
    CHECK(l.layer<"c">().weights()[0].shape == std::vector<std::int64_t>{2, 2, 2});
    set_kernel(l.layer<"c">(), {0, 0, 0, 0, 0, 1, 0, 0});  // index (a·2 + c)·2 + o = (1·2 + 0)·2 + 1 = 5
    INNSPECT_CHECK_CLOSE(l.forward(t::rows({{1, 2, 3, 4}})).output("c"), t::rows({{0, 3}}), 0.0);
}

TEST_CASE("Conv1DTranspose stride 2 by hand, valid and same; kernel layout [k, out, in]") {
    // x = [1, 2], K = [1, 10, 100], s = 2: x0 scatters to 0..2, x1 to 2..4:
    // valid (length 2·2 + 1 = 5): [1, 10, 100 + 2, 20, 200]; same (length 4, nothing cropped before).
    Model<double, Input<2, 1>, Conv1DTranspose<"t", 1, Kernel<3>, Linear, Strides<2>, valid, false>> v;
    set_kernel(v.layer<"t">(), {1, 10, 100});
    INNSPECT_CHECK_CLOSE(v.forward(t::rows({{1, 2}})).output("t"), t::rows({{1, 10, 102, 20, 200}}), 0.0);
    Model<double, Input<2, 1>, Conv1DTranspose<"t", 1, Kernel<3>, Linear, Strides<2>, same, false>> s;
    set_kernel(s.layer<"t">(), {1, 10, 100});
    INNSPECT_CHECK_CLOSE(s.forward(t::rows({{1, 2}})).output("t"), t::rows({{1, 10, 102, 20}}), 0.0);
    // [k, out, in] = [1, 2, 3]: only K[0, 1, 2] = 1, so the output's channel 1 is the input's channel 2.
    Model<double, Input<1, 3>, Conv1DTranspose<"t", 2, Kernel<1>, Linear, Strides<1>, valid, false>> l;
    CHECK(l.layer<"t">().weights()[0].shape == std::vector<std::int64_t>{1, 2, 3});
    set_kernel(l.layer<"t">(), {0, 0, 0, 0, 0, 1});
    INNSPECT_CHECK_CLOSE(l.forward(t::rows({{4, 5, 6}})).output("t"), t::rows({{0, 6}}), 0.0);
}

TEST_CASE("Conv2D with dilation by hand: the taps are d apart") {
    // 3×3 image 1..9, 2×2 kernel K = [1 2; 3 4] with dilation (2, 2): taps at the four corners.
    // valid: one output, 1·1 + 3·2 + 7·3 + 9·4 = 64.
    Model<double, Input<3, 3, 1>, Conv2D<"c", 1, Kernel<2, 2>, Linear, Strides<1, 1>, valid, false, Dilation<2, 2>>> v;
    set_kernel(v.layer<"c">(), {1, 2, 3, 4});
    const Batch<double> x = t::rows({{1, 2, 3, 4, 5, 6, 7, 8, 9}});
    INNSPECT_CHECK_CLOSE(v.forward(x).output("c"), t::rows({{64}}), 0.0);
    // same: span 3, one zero before on each axis. Centre = 64; corner (0,0) reads (−1,−1), (−1,1),
    // (1,−1), (1,1): only x(1,1) = 5 is inside, times 4 = 20; (0,1) reads (1,0)·3 + (1,2)·4 = 12 + 24.
    Model<double, Input<3, 3, 1>, Conv2D<"c", 1, Kernel<2, 2>, Linear, Strides<1, 1>, same, false, Dilation<2, 2>>> s;
    set_kernel(s.layer<"c">(), {1, 2, 3, 4});
    const auto y = s.forward(x).output("c");
    CHECK(y(0, 4) == 64.0);
    CHECK(y(0, 0) == 20.0);
    CHECK(y(0, 1) == 36.0);
}

TEST_CASE("MaxPooling1D: ties to the first maximum, the padding never wins") {
    // 4 steps × 2 channels, pool 2: steps (1,5) (3,5) | (0,−1) (0,−0.5). Feature index step·2 + c.
    //   ch 0 window 0: 3 at step 1 = index 2;   ch 1 window 0: 5, 5 -> the first, index 1
    //   ch 0 window 1: 0, 0 -> the first, index 4;   ch 1 window 1: −0.5 at step 3 = index 7
    const Model<double, Input<4, 2>, MaxPooling1D<"p">> m;
    const Batch<double> x = t::rows({{1, 5, 3, 5, 0, -1, 0, -0.5}});
    INNSPECT_CHECK_CLOSE(m.forward(x).output("p"), t::rows({{3, 5, 0, -0.5}}), 0.0);
    const Batch<double> g = t::rows({{1, 2, 3, 4}});
    const Batch<double> expected = t::rows({{0, 2, 1, 0, 3, 0, 0, 4}});
    INNSPECT_CHECK_CLOSE(gradient(m).explain(x, target("p", select::direction<double>(g))).relevance, expected, 0.0);
    const auto el = lrp(m, Epsilon(0.1)).explain(x, target("p", select::relevance<double>(g)));
    INNSPECT_CHECK_CLOSE(el.relevance, expected, 0.0);
    CHECK(el.report.layers.at(0).rule == "winner-takes-all");
    // [−1, −2, −3], pool 2 same: windows {−1, −2}, {−3} (the padded zero after takes no part).
    const Model<double, Input<3, 1>, MaxPooling1D<"p", PoolSize<2>, void, same>> s;
    INNSPECT_CHECK_CLOSE(s.forward(t::rows({{-1, -2, -3}})).output("p"), t::rows({{-1, -3}}), 0.0);
}

TEST_CASE("AveragePooling1D same: partial windows divide by their in-bounds count; LRP proportional") {
    // [1, 2, 3], pool 2 same -> windows {1, 2}, {3}: [1.5, 3]; gradient of the sum [0.5, 0.5, 1].
    const Model<double, Input<3, 1>, AveragePooling1D<"a", PoolSize<2>, void, same>> m;
    const Batch<double> x = t::rows({{1, 2, 3}});
    INNSPECT_CHECK_CLOSE(m.forward(x).output("a"), t::rows({{1.5, 3}}), 1e-15);
    INNSPECT_CHECK_CLOSE(gradient(m).explain(x, target("a", select::all<double>())).relevance, t::rows({{0.5, 0.5, 1}}), 1e-15);
    // R = (6, 9): R_i = x_i R_j / Σ_window x (+1e-6): [1·6/3, 2·6/3, 9] = [2, 4, 9].
    const auto el = lrp(m, Epsilon(0.1)).explain(x, target("a", select::relevance<double>(t::rows({{6, 9}}))));
    INNSPECT_CHECK_CLOSE(el.relevance, t::rows({{2, 4, 9}}), 1e-5);
    CHECK(el.report.layers.at(0).rule == "proportional");
}

TEST_CASE("GlobalAveragePooling1D and GlobalMaxPooling1D: over the steps, per channel") {
    // steps (1, −1), (3, 3): means (2, 1). R = (10, 8): ch 0 R_i = x_i·10/4 -> 2.5, 7.5;
    // ch 1 R_i = x_i·8/2 -> −4, 12. Gradient of the sum: 1/2 each.
    const Model<double, Input<2, 2>, GlobalAveragePooling1D<"g">> a;
    const Batch<double> x = t::rows({{1, -1, 3, 3}});
    INNSPECT_CHECK_CLOSE(a.forward(x).output("g"), t::rows({{2, 1}}), 1e-15);
    const auto la = lrp(a, Epsilon(0.1)).explain(x, target("g", select::relevance<double>(t::rows({{10, 8}}))));
    INNSPECT_CHECK_CLOSE(la.relevance, t::rows({{2.5, -4, 7.5, 12}}), 1e-5);
    INNSPECT_CHECK_CLOSE(gradient(a).explain(x, target("g", select::all<double>())).relevance,
                         Batch<double>::Constant(1, 4, 0.5), 1e-15);
    // steps (1, 4), (5, 4), (2, −1): max (5, 4), the tie in channel 1 goes to step 0.
    const Model<double, Input<3, 2>, GlobalMaxPooling1D<"g">> mx;
    const Batch<double> y = t::rows({{1, 4, 5, 4, 2, -1}});
    INNSPECT_CHECK_CLOSE(mx.forward(y).output("g"), t::rows({{5, 4}}), 0.0);
    const auto lm = lrp(mx, Epsilon(0.1)).explain(y, target("g", select::relevance<double>(t::rows({{7, 3}}))));
    INNSPECT_CHECK_CLOSE(lm.relevance, t::rows({{0, 3, 7, 0, 0, 0}}), 0.0);
    CHECK(lm.report.layers.at(0).rule == "winner-takes-all");
}

TEST_CASE("UpSampling1D, ZeroPadding1D, Cropping1D: values moved, relevance moved back") {
    // [3, −2] up 3 -> [3, 3, 3, −2, −2, −2]; relevance 1..6 back: [1 + 2 + 3, 4 + 5 + 6].
    const Model<double, Input<2, 1>, UpSampling1D<"u", UpSize<3>>> up;
    const Batch<double> x = t::rows({{3, -2}});
    INNSPECT_CHECK_CLOSE(up.forward(x).output("u"), t::rows({{3, 3, 3, -2, -2, -2}}), 0.0);
    const Batch<double> r = t::rows({{1, 2, 3, 4, 5, 6}});
    const auto lu = lrp(up, Epsilon(0.1)).explain(x, target("u", select::relevance<double>(r)));
    INNSPECT_CHECK_CLOSE(lu.relevance, t::rows({{6, 15}}), 0.0);
    CHECK(lu.report.layers.at(0).rule == "moved back");
    INNSPECT_CHECK_CLOSE(gradient(up).explain(x, target("u", select::direction<double>(r))).relevance, t::rows({{6, 15}}), 0.0);

    // [1, 2] padded (1, 2) -> [0, 1, 2, 0, 0]; relevance back: cropped (the 27 on the pads is dropped).
    const Model<double, Input<2, 1>, ZeroPadding1D<"z", 1, 2>> pad;
    const Batch<double> x2 = t::rows({{1, 2}});
    INNSPECT_CHECK_CLOSE(pad.forward(x2).output("z"), t::rows({{0, 1, 2, 0, 0}}), 0.0);
    const auto lz = lrp(pad, Epsilon(0.1)).explain(x2, target("z", select::relevance<double>(t::rows({{9, 1, 2, 9, 9}}))));
    INNSPECT_CHECK_CLOSE(lz.relevance, x2, 0.0);
    CHECK(lz.report.layers.at(0).relevance_out == doctest::Approx(30.0));
    CHECK(lz.report.layers.at(0).relevance_in == doctest::Approx(3.0));
    const Model<double, Input<2, 1>, ZeroPadding1D<"z", 2>> sym;  // an int n: (n, n)
    INNSPECT_CHECK_CLOSE(sym.forward(x2).output("z"), t::rows({{0, 0, 1, 2, 0, 0}}), 0.0);

    // 1..5 cropped (1, 2) -> [2, 3]; relevance back: zeros around.
    const Model<double, Input<5, 1>, Cropping1D<"c", 1, 2>> crop;
    const Batch<double> x3 = t::rows({{1, 2, 3, 4, 5}});
    INNSPECT_CHECK_CLOSE(crop.forward(x3).output("c"), t::rows({{2, 3}}), 0.0);
    const auto lc = lrp(crop, Epsilon(0.1)).explain(x3, target("c", select::relevance<double>(t::rows({{1, 2}}))));
    INNSPECT_CHECK_CLOSE(lc.relevance, t::rows({{0, 1, 2, 0, 0}}), 0.0);
    const Model<double, Input<5, 1>, Cropping1D<"c">> crop_default;  // Keras's (1, 1)
    INNSPECT_CHECK_CLOSE(crop_default.forward(x3).output("c"), t::rows({{2, 3, 4}}), 0.0);
}

TEST_CASE("1D layers report their own Keras class and sequence shapes") {
    using M = All1d<double>;
    const auto& infos = M::layer_infos();
    const std::vector<std::string> classes = {"Conv1D", "MaxPooling1D", "ZeroPadding1D", "Conv1D", "AveragePooling1D",
                                              "UpSampling1D", "Cropping1D", "Conv1DTranspose", "GlobalAveragePooling1D",
                                              "Dense"};
    REQUIRE(infos.size() == classes.size());
    for (std::size_t i = 0; i < classes.size(); ++i) CHECK(infos[i].keras_class == classes[i]);
    CHECK(infos[0].output_keras_shape() == std::vector<std::int64_t>{16, 4});
    CHECK(infos[7].output_keras_shape() == std::vector<std::int64_t>{22, 3});
    CHECK(infos[8].output_keras_shape() == std::vector<std::int64_t>{3});
    static_assert(M::node<0>::layer::family == RuleFamily::convolution);
    static_assert(M::node<7>::layer::family == RuleFamily::convolution);
}

// =================================================================================================
// forward fixtures (numpy reference)
// =================================================================================================

TEST_CASE("forward1d fixtures: Conv1D") {
    check_case<Input<7, 2>, Conv1D<"l", 3, Kernel<3>>>("conv1d_valid");
    check_case<Input<8, 3>, Conv1D<"l", 3, Kernel<3>, Relu, Strides<2>, same>>("conv1d_same_s2");
    check_case<Input<9, 2>, Conv1D<"l", 2, Kernel<3>, Tanh, Strides<1>, causal, true, Dilation<2>>>("conv1d_causal_d2");
    check_case<Input<7, 1>, Conv1D<"l", 2, Kernel<4>, Linear, Strides<2>, causal, false>>("conv1d_causal_s2");
    check_case<Input<10, 2>, Conv1D<"l", 2, Kernel<3>, Selu, Strides<1>, valid, true, Dilation<3>>>("conv1d_valid_d3");
    check_case<Input<5, 3>, Conv1D<"l", 3, Kernel<2>, Linear, Strides<1>, same, true, Dilation<2>>>("conv1d_same_d2_even");
}

TEST_CASE("forward1d fixtures: Conv1DTranspose") {
    check_case<Input<4, 2>, Conv1DTranspose<"l", 3, Kernel<3>>>("conv1dt_valid");
    check_case<Input<4, 3>, Conv1DTranspose<"l", 3, Kernel<3>, Relu, Strides<2>, same>>("conv1dt_same_s2");
    check_case<Input<3, 1>, Conv1DTranspose<"l", 2, Kernel<2>, Linear, Strides<3>, valid, false>>("conv1dt_valid_s3");
    check_case<Input<3, 2>, Conv1DTranspose<"l", 2, Kernel<4>, Tanh, Strides<2>, same>>("conv1dt_same_k4_s2");
}

TEST_CASE("forward1d fixtures: Conv2D with dilation") {
    check_case<Input<7, 8, 2>, Conv2D<"l", 3, Kernel<3, 3>, Relu, Strides<1, 1>, valid, true, Dilation<2, 2>>>("conv2d_dil_valid");
    check_case<Input<5, 6, 1>, Conv2D<"l", 2, Kernel<2, 3>, Linear, Strides<1, 1>, same, false, Dilation<2, 1>>>("conv2d_dil_same");
    check_case<Input<4, 5, 2>, Conv2D<"l", 2, Kernel<3, 2>, Tanh, Strides<1, 1>, same, true, Dilation<3, 2>>>("conv2d_dil_same_span");
}

TEST_CASE("forward1d fixtures: pooling, upsampling, padding, cropping") {
    check_case<Input<7, 2>, MaxPooling1D<"l">>("maxpool1d_valid");
    check_case<Input<5, 2>, MaxPooling1D<"l", PoolSize<3>, Strides<1>, same>>("maxpool1d_same_s1");
    check_case<Input<5, 2>, MaxPooling1D<"l", PoolSize<2>, void, same>>("maxpool1d_same_negative");
    check_case<Input<8, 2>, AveragePooling1D<"l", PoolSize<3>, Strides<2>>>("avgpool1d_valid_3_s2");
    check_case<Input<7, 3>, AveragePooling1D<"l", PoolSize<2>, void, same>>("avgpool1d_same_odd");
    check_case<Input<5, 3>, GlobalAveragePooling1D<"l">>("gap1d");
    check_case<Input<5, 3>, GlobalMaxPooling1D<"l">>("gmp1d");
    check_case<Input<4, 2>, UpSampling1D<"l", UpSize<3>>>("upsampling1d_3");
    check_case<Input<4, 2>, ZeroPadding1D<"l", 2>>("zeropad1d_sym");
    check_case<Input<4, 2>, ZeroPadding1D<"l", 1, 3>>("zeropad1d_asym");
    check_case<Input<7, 2>, Cropping1D<"l", 1>>("crop1d_sym");
    check_case<Input<7, 2>, Cropping1D<"l", 0, 3>>("crop1d_asym");
}

TEST_CASE("forward1d fixtures: the model with every 1D layer (double and float)") {
    {
        All1d<double> m;
        t::load_model_weights(m, forward1d("all1d"));
        t::check_model_against_case(m, forward1d("all1d"));
    }
    All1d<float> m;
    t::load_model_weights(m, forward1d("all1d"));
    t::check_model_against_case(m, forward1d("all1d"));
}

TEST_CASE("forward1d fixtures: every single-layer case is declared above") {
    for (const auto& entry : fs::directory_iterator(fs::path(INNSPECT_TEST_DATA_DIR) / "forward1d")) {
        const std::string name = entry.path().filename().string();
        if (name == "all1d") continue;
        INFO("case directory without a test: " << name);
        CHECK(declared_cases.count(name) == 1);
    }
}

// =================================================================================================
// gradients against finite differences
// =================================================================================================

TEST_CASE("gradient vs finite differences through every 1D layer and a dilated Conv2D") {
    t::Rng rng(1717);
    SUBCASE("Conv1D causal, dilated") {
        Model<double, Input<9, 2>, Conv1D<"c", 3, Kernel<3>, Tanh, Strides<1>, causal, true, Dilation<2>>, Flatten<"f">,
              Dense<"d", 2>>
            m;
        t::randomize(m, rng);
        t::check_gradient_fd(m, rng.batch<double>(2, 18), "d", rng);
    }
    SUBCASE("Conv1DTranspose same, stride 2") {
        Model<double, Input<4, 2>, Conv1DTranspose<"t", 3, Kernel<3>, Tanh, Strides<2>, same>, Flatten<"f">, Dense<"d", 2>> m;
        t::randomize(m, rng);
        t::check_gradient_fd(m, rng.batch<double>(2, 8), "d", rng);
    }
    SUBCASE("Conv2D dilated, same") {
        Model<double, Input<5, 6, 2>, Conv2D<"c", 2, Kernel<2, 3>, Tanh, Strides<1, 1>, same, true, Dilation<2, 2>>,
              Flatten<"f">, Dense<"d", 2>>
            m;
        t::randomize(m, rng);
        t::check_gradient_fd(m, rng.batch<double>(2, 60), "d", rng);
    }
    SUBCASE("MaxPooling1D same, overlapping windows") {
        // Inputs drawn N(0,1): windows of a tanh conv's output are almost surely far from a tie
        // at the step 1e-6; the values are checked below.
        Model<double, Input<8, 2>, Conv1D<"c", 3, Kernel<2>, Tanh>, MaxPooling1D<"p", PoolSize<3>, Strides<2>, same>,
              Flatten<"f">, Dense<"d", 2>>
            m;
        t::randomize(m, rng);
        const Batch<double> x = rng.batch<double>(2, 16);
        const Batch<double> z = m.forward(x).output("c");  // (7, 3): windows {0,1}, {1,2,3}, {3,4,5}, {5,6}
        double gap = 1e300;
        for (Eigen::Index b = 0; b < z.rows(); ++b)
            for (int c = 0; c < 3; ++c)
                for (int s = 0; s < 7; ++s)
                    for (int u = s + 1; u < std::min(s + 3, 7); ++u) gap = std::min(gap, std::abs(z(b, s * 3 + c) - z(b, u * 3 + c)));
        REQUIRE(gap > 1e-4);
        t::check_gradient_fd(m, x, "d", rng);
    }
    SUBCASE("AveragePooling1D valid, stride 2") {
        Model<double, Input<8, 2>, Conv1D<"c", 3, Kernel<2>, Tanh>, AveragePooling1D<"p", PoolSize<3>, Strides<2>>,
              Flatten<"f">, Dense<"d", 2>>
            m;
        t::randomize(m, rng);
        t::check_gradient_fd(m, rng.batch<double>(2, 16), "d", rng);
    }
    SUBCASE("GlobalAveragePooling1D") {
        Model<double, Input<6, 2>, Conv1D<"c", 3, Kernel<2>, Tanh>, GlobalAveragePooling1D<"g">, Dense<"d", 2>> m;
        t::randomize(m, rng);
        t::check_gradient_fd(m, rng.batch<double>(2, 12), "d", rng);
    }
    SUBCASE("GlobalMaxPooling1D") {
        Model<double, Input<6, 2>, Conv1D<"c", 3, Kernel<2>, Tanh>, GlobalMaxPooling1D<"g">, Dense<"d", 2>> m;
        t::randomize(m, rng);
        t::check_gradient_fd(m, rng.batch<double>(2, 12), "d", rng);
    }
    SUBCASE("UpSampling1D, ZeroPadding1D, Cropping1D") {
        Model<double, Input<4, 2>, UpSampling1D<"u", UpSize<3>>, ZeroPadding1D<"z", 1, 2>,
              Conv1D<"c", 2, Kernel<3>, Tanh>, Cropping1D<"k", 2, 1>, Flatten<"f">, Dense<"d", 2>>
            m;
        t::randomize(m, rng);
        t::check_gradient_fd(m, rng.batch<double>(2, 8), "d", rng);
    }
}

// =================================================================================================
// LRP
// =================================================================================================

TEST_CASE("LRP-epsilon conserves relevance through Conv1D -> MaxPooling1D -> Conv1D -> GlobalAveragePooling1D -> Dense") {
    // Zero biases and ε = 1e-13: every linear layer hands on Σ R_j z_j / (z_j + ε) = Σ R (to
    // rounding), max pooling moves R, and global average pooling's proportional rule loses only what
    // its fixed 1e-6 stabiliser takes: R_c·(1 − S_c / (S_c + 1e-6·sgn₀ S_c)), S_c the channel sum,
    // computed here from the trace.
    using M = Model<double, Input<12, 3>, Conv1D<"c1", 4, Kernel<3>, Relu, Strides<1>, causal, true, Dilation<2>>,
                    MaxPooling1D<"p">, Conv1D<"c2", 5, Kernel<2>, Relu, Strides<1>, same>, GlobalAveragePooling1D<"g">,
                    Dense<"d", 3>>;
    t::Rng rng(99);
    M m;
    t::randomize(m, rng);
    zero_biases(m);
    const Batch<double> x = rng.batch<double>(3, 36);
    const auto e = lrp(m, Epsilon(1e-13)).explain(x, target<double>("d"), ExplainOptions{.keep_layers = true});
    const auto tr = m.forward(x);

    // What g's stabiliser takes, from the relevance kept at g's output.
    const Batch<double>& c2 = tr.output("c2");  // (6, 5)
    double gap_loss = 0;
    for (const auto& l : e.layers)
        if (l.layer == "g") {
            const Batch<double>& rg = l.relevance;  // relevance at g's output, (5,)
            for (Eigen::Index b = 0; b < rg.rows(); ++b)
                for (int c = 0; c < 5; ++c) {
                    double s = 0;
                    for (int step = 0; step < 6; ++step) s += c2(b, step * 5 + c);
                    gap_loss += rg(b, c) * (1.0 - s / (s >= 0 ? s + 1e-6 : s - 1e-6));
                }
        }
    const double r0 = e.initial.sum(), scale = e.initial.cwiseAbs().sum();
    INFO("Σ R⁰ = " << r0 << ", Σ R at the input = " << e.relevance.sum() << ", pooling stabiliser " << gap_loss);
    CHECK(std::abs(gap_loss) < 1e-4 * scale);  // small, but far above 1e-10: it must be accounted for
    CHECK(std::abs(gap_loss) > 1e-9 * scale);
    CHECK(std::abs(e.relevance.sum() - (r0 - gap_loss)) <= 1e-10 * scale);
    for (const auto& row : e.report.layers) {
        INFO("layer " << row.layer << " rule " << row.rule);
        CHECK(row.bias_absorbed == 0.0);
        if (row.layer != "g") CHECK(std::abs(row.relevance_in - row.relevance_out) <= 1e-10 * scale);
    }
}

TEST_CASE("LRP-epsilon conserves relevance through ZeroPadding1D -> Conv1D -> UpSampling1D -> Cropping1D -> Conv1DTranspose") {
    // Zero biases, ε = 1e-13, no pooling: Σ R at the input equals Σ R⁰ to rounding. Padding's
    // zeros receive nothing (every rule gives R_i ∝ x_i), cropping hands back all it received.
    using M = Model<double, Input<6, 2>, ZeroPadding1D<"z", 2, 1>, Conv1D<"c", 3, Kernel<3>, Tanh, Strides<1>, valid>,
                    UpSampling1D<"u", UpSize<2>>, Cropping1D<"k", 1, 2>,
                    Conv1DTranspose<"t", 2, Kernel<3>, Linear, Strides<2>, same>, Flatten<"f">, Dense<"d", 2>>;
    t::Rng rng(7);
    M m;
    t::randomize(m, rng);
    zero_biases(m);
    const Batch<double> x = rng.batch<double>(3, 12);
    for (const Batch<double>& r0 : {Batch<double>(t::rows({{1, 0}})), Batch<double>(t::rows({{0.3, -2}}))}) {
        const auto e = lrp(m, Epsilon(1e-13)).explain(x, target("d", select::relevance<double>(r0.replicate(3, 1))));
        const double scale = e.initial.cwiseAbs().sum();
        INFO("Σ R⁰ = " << e.initial.sum() << ", Σ R at the input = " << e.relevance.sum());
        CHECK(std::abs(e.relevance.sum() - e.initial.sum()) <= 1e-10 * scale);
        for (const auto& row : e.report.layers) {
            INFO("layer " << row.layer);
            CHECK(std::abs(row.relevance_in - row.relevance_out) <= 1e-10 * scale);
        }
    }
    // The gradient analyzer on the same model, against finite differences.
    t::check_gradient_fd(m, x, "d", rng);
}

TEST_CASE("composites see Conv1D and Conv1DTranspose as convolutions") {
    using M = Model<double, Input<8, 2>, Conv1D<"c", 3, Kernel<3>, Relu>, Conv1DTranspose<"t", 2, Kernel<3>, Relu>,
                    GlobalMaxPooling1D<"g">, Dense<"d", 2>>;
    t::Rng rng(3);
    M m;
    t::randomize(m, rng);
    const auto e = lrp(m, composite(entry<Convolutions>(ZPlus()), entry<DenseLayers>(Epsilon(0.5))))
                       .explain(rng.batch<double>(2, 16), target<double>("d"));
    std::vector<std::string> rules;
    for (const auto& r : e.report.layers) rules.push_back(r.layer + ": " + r.rule);
    CHECK(rules == std::vector<std::string>{"d: epsilon(0.5)", "g: winner-takes-all", "t: " + ZPlus().name(),
                                            "c: " + ZPlus().name()});
}
