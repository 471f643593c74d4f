// Model behaviour: name lookup at compile time and run time, From parents, layer_infos, shapes,
// batching, visiting order, and bad input (wrong size, non-finite values, non-finite weights,
// empty batch).

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include <innspect/innspect.hpp>

#include "support/seed_model.hpp"
#include "support/test_support.hpp"

using namespace innspect;
namespace t = innspect::test;
using t::identical;

namespace {
using Seed = t::Seed16<double>;
using SeedLatent = t::Seed16Latent<double>;
using V = std::vector<std::int64_t>;

/// Every weight ~ N(0, 1/fan_in), biases ~ N(0, 0.01): activations stay O(1).
template <class M>
void randomize(M& m, std::uint64_t seed) {
    t::Rng rng(seed);
    m.for_each_layer([&](auto& l) {
        for (auto& w : l.weights()) {
            std::int64_t n = 1;
            for (auto d : w.shape) n *= d;
            const double scale = w.role == "bias" ? 0.1 : 1.0 / std::sqrt(static_cast<double>(n / w.shape.back()));
            for (std::int64_t i = 0; i < n; ++i) w.data[i] = static_cast<typename M::scalar>(scale * rng.normal());
        }
    });
}

using test::message_of;
}  // namespace

TEST_CASE("compile-time layer lookup by name") {
    Seed m;
    using Conv1 = std::remove_cvref_t<decltype(m.layer<"conv1">())>;
    static_assert(std::is_same_v<Conv1, Seed::node<0>::layer>);
    static_assert(Conv1::keras_class == "Conv2D" && Conv1::lrp == LrpPolicy::linear && Conv1::family == RuleFamily::convolution);
    static_assert(std::is_same_v<std::remove_cvref_t<decltype(m.layer<"autoencoder">())>, Seed::node<11>::layer>);
    static_assert(LinearLayer<Conv1>);
    static_assert(Layer<Seed::node<1>::layer> && !LinearLayer<Seed::node<1>::layer>);
    static_assert(!LinearLayer<Seed::node<4>::layer>);
    CHECK(m.layer<"conv1">().name == "conv1");
    CHECK(&m.layer<"conv2">() == &m.layer_at<2>());
    const Seed& cm = m;
    CHECK(&cm.layer<"dense2">() == &m.layer_at<7>());
    // Keras kernel (1, 16, 1, 32) viewed as (16 × 32); conv2 (16, 1, 32, 64) as (512 × 64).
    CHECK(m.layer<"conv1">().params().kernel.rows() == 16);
    CHECK(m.layer<"conv1">().params().kernel.cols() == 32);
    CHECK(m.layer<"conv2">().params().kernel.rows() == 512);
    CHECK(m.layer<"conv4">().params().kernel.rows() == 16 * 32);
    CHECK(m.layer<"conv4">().params().kernel.cols() == 64);
    // The layer returned is the one the model runs: zero kernels and a bias b give selu(b).
    m.layer<"conv1">().params().bias.setConstant(0.5);
    const Trace<double> tr = m.forward(Batch<double>::Ones(1, 256));
    const double selu_half = 1.0507009873554804934 * 0.5;
    CHECK(tr.output("conv1").isConstant(selu_half, 1e-15));
    CHECK(tr.output("conv1").cols() == 16 * 32);
}

TEST_CASE("output shapes at compile time") {
    static_assert(std::is_same_v<Seed::output_shape_of<"conv1">, Shape<16, 1, 32>>);
    static_assert(std::is_same_v<Seed::output_shape_of<"conv2">, Shape<1, 1, 64>>);
    static_assert(std::is_same_v<Seed::output_shape_of<"reshape1">, Shape<64>>);
    static_assert(std::is_same_v<Seed::output_shape_of<"output">, Shape<2>>);
    static_assert(std::is_same_v<Seed::output_shape_of<"conv4">, Shape<16, 1, 32>>);
    static_assert(std::is_same_v<Seed::output_shape_of<"autoencoder">, Shape<16, 16, 1>>);
    static_assert(std::is_same_v<Seed::input_shape, Shape<16, 16, 1>>);
    static_assert(std::is_same_v<Seed::node<7>::in, Shape<2>>);         // dense2 reads output
    static_assert(std::is_same_v<SeedLatent::node<7>::in, Shape<64>>);  // dense2 reads reshape1
    static_assert(Seed::size == 12);
    static_assert(Seed::names[0] == "conv1" && Seed::names[11] == "autoencoder");
}

TEST_CASE("run-time lookup: index_of and name_error naming the unknown name") {
    CHECK(Seed::index_of("conv1") == 0);
    CHECK(Seed::index_of("dropout2") == 3);
    CHECK(Seed::index_of("output") == 6);
    CHECK(Seed::index_of("autoencoder") == 11);
    CHECK_THROWS_AS(Seed::index_of("conv5"), name_error);
    CHECK_THROWS_AS(Seed::index_of(""), name_error);
    CHECK_THROWS_AS(Seed::index_of("Conv1"), name_error);  // names are case-sensitive, as in Keras
    const std::string msg = message_of<name_error>([] { Seed::index_of("encoded_x"); });
    CHECK(msg.find("encoded_x") != std::string::npos);
    CHECK(msg.find("conv1") != std::string::npos);  // and lists the names there are
    // The same through the trace and predict.
    Seed m;
    const Trace<double> tr = m.forward(Batch<double>::Zero(1, 256));
    CHECK(tr.index_of("reshape2") == 8);
    CHECK_THROWS_AS(tr.output("nope"), name_error);
    CHECK(message_of<name_error>([&] { (void)tr.output("nope"); }).find("nope") != std::string::npos);
    CHECK_THROWS_AS(m.predict(Batch<double>::Zero(1, 256), "nope"), name_error);
    // name_error is an innspect::error.
    CHECK_THROWS_AS(Seed::index_of("x"), innspect::error);
}

TEST_CASE("layer_infos: names, kinds, parents, shapes, activations") {
    const auto& info = Seed::layer_infos();
    REQUIRE(info.size() == 12);
    const char* names[] = {"conv1",  "dropout1", "conv2",    "dropout2", "reshape1", "dense1",
                           "output", "dense2",   "reshape2", "conv3",    "conv4",    "autoencoder"};
    const char* classes[] = {"Conv2D",  "SpatialDropout2D", "Conv2D", "Dropout",         "Reshape",         "Dense",
                             "Dense",   "Dense",            "Reshape", "Conv2DTranspose", "Conv2DTranspose", "Conv2DTranspose"};
    using F = RuleFamily;
    const F families[] = {F::convolution, F::none,  F::convolution, F::none,        F::none,        F::dense,
                          F::dense,       F::dense, F::none,        F::convolution, F::convolution, F::convolution};
    const char* acts[] = {"selu", "linear", "selu", "linear", "linear", "selu",
                          "softmax", "selu", "linear", "selu", "selu", "tanh"};
    const V outs[] = {{16, 1, 32}, {16, 1, 32}, {1, 1, 64}, {1, 1, 64}, {64}, {64},
                      {2},         {64},        {1, 1, 64}, {1, 1, 64}, {16, 1, 32}, {16, 16, 1}};
    for (std::size_t i = 0; i < 12; ++i) {
        INFO("layer " << names[i]);
        CHECK(info[i].name == names[i]);
        CHECK(info[i].keras_class == classes[i]);
        CHECK(info[i].family == families[i]);
        CHECK(info[i].linear() == (families[i] != F::none));
        CHECK(info[i].activation == acts[i]);
        CHECK(info[i].parent == static_cast<int>(i) - 1);
        CHECK(info[i].output_keras_shape() == outs[i]);
        CHECK(info[i].input_keras_shape() == (i == 0 ? V{16, 16, 1} : outs[i - 1]));
        std::int64_t n = 1;
        for (auto d : outs[i]) n *= d;
        CHECK(info[i].out_size == n);
        CHECK(info[i].pre_is_input == (families[i] == F::none));
    }
    CHECK(info[0].in_size == 256);
    CHECK(info[4].out_rank == 1);
    CHECK(info[8].out_rank == 3);
    // The two-heads variant: dense2 reads reshape1 (index 4), and reshape2 still reads dense2.
    const auto& li = SeedLatent::layer_infos();
    CHECK(li[7].name == "dense2");
    CHECK(li[7].parent == 4);
    CHECK(li[7].in_size == 64);
    CHECK(li[8].parent == 7);
    CHECK(info[7].in_size == 2);
}

TEST_CASE("From parents: reading an earlier layer or the model input") {
    using M = Model<double, Input<3>,                         //
                    Dense<"a", 2, Linear, false>,              //
                    Dense<"b", 1, Linear, false>,              // reads a
                    From<"input", Dense<"c", 1, Linear, false>>,  // reads the model input
                    From<"a", Dense<"d", 1, Linear, false>>>;  // reads a again
    static_assert(std::is_same_v<M::node<2>::in, Shape<3>>);
    static_assert(std::is_same_v<M::node<3>::in, Shape<2>>);
    const auto& info = M::layer_infos();
    CHECK(info[0].parent == -1);
    CHECK(info[1].parent == 0);
    CHECK(info[2].parent == -1);
    CHECK(info[3].parent == 0);
    M m;
    m.layer<"a">().params().kernel << 1, 0, 0, 1, 0, 0;  // a = (x0, x1)
    m.layer<"b">().params().kernel << 1, 1;              // b = x0 + x1
    m.layer<"c">().params().kernel << 0, 0, 1;           // c = x2
    m.layer<"d">().params().kernel << 2, -1;             // d = 2·x0 − x1
    const Trace<double> tr = m.forward(t::rows({{1, 2, 3}, {-1, 4, 10}}));
    CHECK(identical(tr.output("a"), t::rows({{1, 2}, {-1, 4}})));
    CHECK(identical(tr.output("b"), t::rows({{3}, {3}})));
    CHECK(identical(tr.output("c"), t::rows({{3}, {10}})));
    CHECK(identical(tr.output("d"), t::rows({{0}, {-6}})));
    CHECK(&tr.input_of(2) == &tr.input);
    CHECK(&tr.input_of(3) == &tr.out[0]);
    // The latent variant of the seed model: the decoder's input is the latent code.
    SeedLatent ml;
    randomize(ml, 4);
    const Trace<double> tl = ml.forward(t::Rng(2).batch<double>(2, 256));
    CHECK(&tl.input_of(7) == &tl.output("reshape1"));
    const Batch<double> z2 = ml.layer<"dense2">().apply(tl.output("reshape1"), ml.layer<"dense2">().params());
    CHECK(identical(tl.pre_activation(7), z2));
}

TEST_CASE("trace: outputs, pre-activations, visiting order") {
    Seed m;
    randomize(m, 1);
    const Batch<double> x = t::Rng(9).batch<double>(3, 256);
    const Trace<double> tr = m.forward(x);
    CHECK(tr.batch() == 3);
    CHECK(tr.out.size() == 12);
    CHECK(identical(tr.input, x));
    for (int i = 0; i < 12; ++i) {
        CHECK(tr.output(i).rows() == 3);
        CHECK(tr.output(i).cols() == Seed::layer_infos()[static_cast<std::size_t>(i)].out_size);
    }
    // A linear layer's pre-activation is apply(input); a pass-through layer's is its input.
    CHECK(identical(tr.pre_activation(0), m.layer<"conv1">().apply(x, m.layer<"conv1">().params())));
    CHECK(identical(tr.pre_activation(1), tr.output(0)));
    CHECK(identical(tr.output("dropout1"), tr.output("conv1")));
    CHECK(identical(tr.output("dropout2"), tr.output("conv2")));
    // predict = forward's output of that layer.
    CHECK(identical(m.predict(x, "output"), tr.output("output")));
    // Visiting orders.
    std::vector<std::string> fwd, bwd;
    std::vector<std::size_t> idx;
    m.for_each_layer([&](const auto& l) { fwd.emplace_back(l.name); });
    m.for_each_backward([&](auto i, const auto& l) {
        bwd.emplace_back(l.name);
        idx.push_back(i());
    });
    REQUIRE(fwd.size() == 12);
    REQUIRE(bwd.size() == 12);
    for (std::size_t i = 0; i < 12; ++i) {
        CHECK(fwd[i] == Seed::names[i]);
        CHECK(bwd[i] == Seed::names[11 - i]);
        CHECK(idx[i] == 11 - i);
    }
    std::size_t k = 0;
    m.for_each_indexed([&](auto i, const auto& l) {
        CHECK(i() == k);
        CHECK(l.name == Seed::names[k]);
        ++k;
    });
    CHECK(k == 12);
}

TEST_CASE("a batch gives the same result as its samples one at a time") {
    Seed m;
    randomize(m, 2);
    const Batch<double> x = t::Rng(10).batch<double>(5, 256);
    const Trace<double> t5 = m.forward(x);
    for (Eigen::Index r = 0; r < 5; ++r) {
        const Trace<double> t1 = m.forward(x.row(r));
        for (std::size_t i = 0; i < 12; ++i) {
            INFO("sample " << r << ", layer " << std::string(Seed::names[i]));
            INNSPECT_CHECK_CLOSE(t1.out[i], Batch<double>(t5.out[i].row(r)), 1e-13);
        }
    }
    // And the same model in float agrees with double.
    t::Seed16<float> mf;
    randomize(mf, 2);
    const Trace<float> tf = mf.forward(x.cast<float>());
    for (std::size_t i = 0; i < 12; ++i) {
        INFO("layer " << std::string(Seed::names[i]));
        INNSPECT_CHECK_CLOSE(tf.out[i], t5.out[i], 1e-5);
    }
}

TEST_CASE("bad input: wrong feature count, non-finite values, empty batch") {
    Seed m;
    randomize(m, 3);
    // Wrong number of features: shape_error naming the expected and the actual size.
    CHECK_THROWS_AS(m.forward(Batch<double>::Zero(2, 255)), shape_error);
    CHECK_THROWS_AS(m.forward(Batch<double>::Zero(2, 257)), shape_error);
    CHECK_THROWS_AS(m.forward(Batch<double>::Zero(1, 16)), shape_error);
    const std::string msg = message_of<shape_error>([&] { m.forward(Batch<double>::Zero(2, 255)); });
    CHECK(msg.find("256") != std::string::npos);
    CHECK(msg.find("255") != std::string::npos);
    CHECK(msg.find("(16, 16, 1)") != std::string::npos);
    // NaN and ±Inf in the input: value_error naming where.
    for (double bad : {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
                       -std::numeric_limits<double>::infinity()}) {
        Batch<double> x = Batch<double>::Zero(3, 256);
        x(2, 17) = bad;
        CHECK_THROWS_AS(m.forward(x), value_error);
        const std::string mv = message_of<value_error>([&] { m.forward(x); });
        CHECK(mv.find("input") != std::string::npos);
        CHECK(mv.find("row 2") != std::string::npos);
        CHECK(mv.find("column 17") != std::string::npos);
    }
    // Empty batch: rejected as a shape_error saying so.
    CHECK_THROWS_AS(m.forward(Batch<double>(0, 256)), shape_error);
    CHECK(message_of<shape_error>([&] { m.forward(Batch<double>(0, 256)); }).find("empty") != std::string::npos);
    // Every innspect exception is an innspect::error.
    CHECK_THROWS_AS(m.forward(Batch<double>::Zero(2, 255)), innspect::error);
}

TEST_CASE("check_finite names the layer holding a non-finite weight") {
    Seed m;
    randomize(m, 5);
    m.check_finite();  // no throw
    m.layer<"conv2">().params().kernel(3, 5) = std::numeric_limits<double>::quiet_NaN();
    CHECK_THROWS_AS(m.check_finite(), value_error);
    const std::string msg = message_of<value_error>([&] { m.check_finite(); });
    CHECK(msg.find("conv2") != std::string::npos);
    CHECK(msg.find("kernel") != std::string::npos);
    m.layer<"conv2">().params().kernel(3, 5) = 0;
    m.check_finite();
    m.layer<"dense1">().params().bias(7) = std::numeric_limits<double>::infinity();
    const std::string mb = message_of<value_error>([&] { m.check_finite(); });
    CHECK(mb.find("dense1") != std::string::npos);
    CHECK(mb.find("bias") != std::string::npos);
    m.layer<"dense1">().params().bias(7) = 0;
    m.layer<"autoencoder">().params().kernel(0, 0) = -std::numeric_limits<double>::infinity();
    CHECK(message_of<value_error>([&] { m.check_finite(); }).find("autoencoder") != std::string::npos);
}

TEST_CASE("core types: LinearParams substitutes, shapes, names, finiteness") {
    LinearParams<double> p;
    p.kernel = t::rows({{1, -2}, {-3, 4}});
    p.bias = Vector<double>(2);
    p.bias << -0.5, 0.25;
    p.has_bias = true;
    // W⁺ with b⁺: the positive parts, bias kept.
    const LinearParams<double> plus = p.map([](double w) { return std::max(w, 0.0); },
                                            [](double b) { return std::max(b, 0.0); });
    CHECK(identical(plus.kernel, t::rows({{1, 0}, {0, 4}})));
    CHECK(plus.has_bias);
    CHECK(plus.bias(0) == 0.0);
    CHECK(plus.bias(1) == 0.25);
    // W² without bias.
    const LinearParams<double> sq = p.map_kernel([](double w) { return w * w; });
    CHECK(identical(sq.kernel, t::rows({{1, 4}, {9, 16}})));
    CHECK_FALSE(sq.has_bias);
    const LinearParams<double> nb = p.without_bias();
    CHECK(identical(nb.kernel, p.kernel));
    CHECK_FALSE(nb.has_bias);
    // A layer applies a substitute's bias only when it has one.
    Dense<"d", 2>::layer<double, Shape<2>> d;
    CHECK(identical(d.apply(t::rows({{1, 1}}), plus), t::rows({{1, 4.25}})));
    CHECK(identical(d.apply(t::rows({{1, 1}}), sq), t::rows({{10, 20}})));

    // Shapes as Keras prints them.
    CHECK(shape_string(Shape<16, 16, 1>::keras()) == "(16, 16, 1)");
    CHECK(shape_string(Shape<64>::keras()) == "(64,)");
    static_assert(Shape<4, 5, 6>::size == 120 && Shape<7>::size == 7 && Shape<7>::rank == 1);
    // require_finite names what it checks and where, in float too.
    Batch<float> f = Batch<float>::Ones(2, 3);
    require_finite(f, "ok");
    f(1, 2) = std::numeric_limits<float>::quiet_NaN();
    CHECK_THROWS_WITH_AS(require_finite(f, "relevance of conv1"),
                         doctest::Contains("relevance of conv1"), value_error);
    CHECK(message_of<value_error>([&] { require_finite(f, "x"); }).find("row 1, column 2") != std::string::npos);
}

TEST_CASE("float model: bad input and non-finite weights are reported as in double") {
    t::Seed16<float> m;
    randomize(m, 6);
    Batch<float> x = Batch<float>::Zero(1, 256);
    CHECK(m.forward(x).output("output").allFinite());
    x(0, 0) = std::numeric_limits<float>::infinity();
    CHECK_THROWS_AS(m.forward(x), value_error);
    CHECK_THROWS_AS(m.forward(Batch<float>::Zero(1, 64)), shape_error);
    m.layer<"conv3">().params().bias(0) = std::numeric_limits<float>::quiet_NaN();
    CHECK(message_of<value_error>([&] { m.check_finite(); }).find("conv3") != std::string::npos);
}
