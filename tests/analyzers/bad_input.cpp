// Bad input: each misuse is one clear exception of the right type (errors.hpp), whose message
// names what is wrong — the layer, the shape, the parameter — so a user can act without a debugger.

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <exception>
#include <limits>
#include <random>
#include <string>
#include <type_traits>
#include <typeinfo>

#include <innspect/innspect.hpp>

#include "connectome/seed_model.hpp"

using namespace innspect;

namespace {

/// Runs f, requires it to throw exactly E (not another innspect error), returns the message.
template <class E, class F>
std::string message_of(F&& f) {
    try {
        f();
    } catch (const std::exception& e) {
        INFO("threw " << typeid(e).name() << ": " << e.what());
        CHECK(typeid(e) == typeid(E));
        return e.what();
    }
    FAIL("no exception thrown");
    return {};
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

#define CHECK_MESSAGE_HAS(msg, part)                 \
    do {                                             \
        INFO("message: " << (msg));                  \
        CHECK(contains((msg), (part)));              \
    } while (0)

template <int W>
using Seed = seed::SeedModel<double, W>;
using M = Seed<4>;

M make_model() {
    M m;
    std::mt19937_64 gen(501);
    std::normal_distribution<double> n(0.0, 1.0);
    m.for_each_layer([&](auto& l) {
        using L = std::remove_cvref_t<decltype(l)>;
        if constexpr (LinearLayer<L>) {
            auto& p = l.params();
            for (Eigen::Index i = 0; i < p.kernel.size(); ++i) p.kernel.data()[i] = 0.2 * n(gen);
        }
    });
    return m;
}

Batch<double> input(Eigen::Index rows = 2) {
    std::mt19937_64 gen(502);
    std::normal_distribution<double> n(0.0, 1.0);
    Batch<double> x(rows, 16);
    for (Eigen::Index i = 0; i < x.size(); ++i) x.data()[i] = n(gen);
    return x;
}

}  // namespace

TEST_SUITE("analyzers: bad input") {

TEST_CASE("unknown tap name: name_error naming it and listing the layers") {
    const auto m = make_model();
    const auto x = input();
    const auto t = target<double>("outptu", select::max<double>());
    for (const auto& msg : {message_of<name_error>([&] { lrp(m, Epsilon(0.1)).explain(x, t); }),
                            message_of<name_error>([&] { gradient(m).explain(x, t); }),
                            message_of<name_error>([&] { IntegratedGradients(m, 4).explain(x, t); }),
                            message_of<name_error>([&] { SmoothGrad(m, 2).explain(x, t); }),
                            message_of<name_error>([&] { Occlusion(m, 2, 2, 2, 2).explain(x, t); })}) {
        CHECK_MESSAGE_HAS(msg, "'outptu'");
        CHECK_MESSAGE_HAS(msg, "output");  // the list of names there are
        CHECK_MESSAGE_HAS(msg, "conv1");
    }
}

TEST_CASE("index out of range: value_error naming the layer and its shape") {
    const auto m = make_model();
    const auto x = input();
    {
        const auto msg = message_of<value_error>(
            [&] { lrp(m, Epsilon(0.1)).explain(x, target<double>("output", select::index<double>(2))); });
        CHECK_MESSAGE_HAS(msg, "output");
        CHECK_MESSAGE_HAS(msg, "(2,)");
        CHECK_MESSAGE_HAS(msg, "2");
    }
    {
        const auto msg = message_of<value_error>(
            [&] { gradient(m).explain(x, target<double>("output", select::index<double>(-1))); });
        CHECK_MESSAGE_HAS(msg, "output (2,)");
    }
    {
        // conv4 is 4 × 1 × 32: w = 1 is out of range
        const auto msg = message_of<value_error>(
            [&] { lrp(m, Epsilon(0.1)).explain(x, target<double>("conv4", select::index<double>(0, 1, 0))); });
        CHECK_MESSAGE_HAS(msg, "conv4");
        CHECK_MESSAGE_HAS(msg, "(4, 1, 32)");
        CHECK_MESSAGE_HAS(msg, "(0, 1, 0)");
    }
    {
        const auto msg = message_of<value_error>(
            [&] { lrp(m, Epsilon(0.1)).explain(x, target<double>("conv4", select::index<double>(0, 0, 32))); });
        CHECK_MESSAGE_HAS(msg, "conv4");
    }
    {
        // (h, w, c) on a vector tap
        const auto msg = message_of<value_error>(
            [&] { lrp(m, Epsilon(0.1)).explain(x, target<double>("dense1", select::index<double>(0, 0, 1))); });
        CHECK_MESSAGE_HAS(msg, "dense1");
        CHECK_MESSAGE_HAS(msg, "(64,)");
    }
}

TEST_CASE("mask / direction / relevance of the wrong shape: shape_error naming the layer") {
    const auto m = make_model();
    const auto x = input();  // 2 rows
    {
        const auto msg = message_of<shape_error>([&] {
            lrp(m, Epsilon(0.1)).explain(x, target<double>("autoencoder", select::mask<double>(Batch<double>::Ones(1, 15))));
        });
        CHECK_MESSAGE_HAS(msg, "mask");
        CHECK_MESSAGE_HAS(msg, "autoencoder (4, 4, 1)");
        CHECK_MESSAGE_HAS(msg, "16");
        CHECK_MESSAGE_HAS(msg, "15");
    }
    {
        const auto msg = message_of<shape_error>([&] {
            gradient(m).explain(x, target<double>("dropout2", select::direction<double>(Batch<double>::Ones(1, 63))));
        });
        CHECK_MESSAGE_HAS(msg, "direction");
        CHECK_MESSAGE_HAS(msg, "dropout2 (1, 1, 64)");
    }
    {
        // 3 rows for a batch of 2
        const auto msg = message_of<shape_error>([&] {
            lrp(m, Epsilon(0.1)).explain(x, target<double>("output", select::relevance<double>(Batch<double>::Ones(3, 2))));
        });
        CHECK_MESSAGE_HAS(msg, "relevance");
        CHECK_MESSAGE_HAS(msg, "output");
        CHECK_MESSAGE_HAS(msg, "got 3");
    }
    {
        // a NaN in a mask is a value error
        Batch<double> mask = Batch<double>::Ones(1, 2);
        mask(0, 1) = std::numeric_limits<double>::quiet_NaN();
        const auto msg = message_of<value_error>(
            [&] { lrp(m, Epsilon(0.1)).explain(x, target<double>("output", select::mask<double>(mask))); });
        CHECK_MESSAGE_HAS(msg, "output");
    }
}

TEST_CASE("rule parameters out of their domain: value_error naming the parameter") {
    {
        const auto msg = message_of<value_error>([] { AlphaBeta(1, 1); });
        CHECK_MESSAGE_HAS(msg, "alpha - beta = 1");
    }
    CHECK_MESSAGE_HAS(message_of<value_error>([] { AlphaBeta(3, 1); }), "alpha");
    CHECK_MESSAGE_HAS(message_of<value_error>([] { AlphaBeta(0.5, -0.5); }), "beta >= 0");
    {
        const auto msg = message_of<value_error>([] { Epsilon(-1e-3); });
        CHECK_MESSAGE_HAS(msg, "epsilon");
        CHECK_MESSAGE_HAS(msg, "-0.001");
    }
    CHECK_MESSAGE_HAS(message_of<value_error>([] { Epsilon(std::numeric_limits<double>::quiet_NaN()); }), "epsilon");
    {
        const auto msg = message_of<value_error>([] { Gamma(-0.25); });
        CHECK_MESSAGE_HAS(msg, "gamma");
        CHECK_MESSAGE_HAS(msg, "-0.25");
    }
    CHECK_MESSAGE_HAS(message_of<value_error>([] { ZBox(1, -1); }), "low <= high");
    // presets validate through their rules
    CHECK_MESSAGE_HAS(message_of<value_error>([] { presets::epsilon_plus(-1); }), "epsilon");
    CHECK_MESSAGE_HAS(message_of<value_error>([] { presets::epsilon_gamma_box(0, 1, -1); }), "gamma");
}

TEST_CASE("z-box bounds per feature of the wrong length: shape_error") {
    const auto m = make_model();
    const auto msg = message_of<shape_error>([&] {
        lrp(m, composite(entry<FirstLinear>(ZBox(std::vector<double>(15, -1.0), std::vector<double>(15, 1.0))),
                         entry<AnyLayer>(Epsilon(0.1))))
            .explain(input(), target<double>("output", select::max<double>()));
    });
    CHECK_MESSAGE_HAS(msg, "15");
    CHECK_MESSAGE_HAS(msg, "16");
}

TEST_CASE("stop layer not on the path: name_error naming both layers") {
    const auto m = make_model();
    const auto x = input();
    {
        // downstream of the tap
        auto t = target<double>("output", select::max<double>());
        t.stop_at = "dense2";
        for (const auto& msg : {message_of<name_error>([&] { lrp(m, Epsilon(0.1)).explain(x, t); }),
                                message_of<name_error>([&] { gradient(m).explain(x, t); })}) {
            CHECK_MESSAGE_HAS(msg, "'dense2'");
            CHECK_MESSAGE_HAS(msg, "'output'");
        }
    }
    {
        // unknown
        auto t = target<double>("output", select::max<double>());
        t.stop_at = "latent";
        CHECK_MESSAGE_HAS(message_of<name_error>([&] { lrp(m, Epsilon(0.1)).explain(x, t); }), "'latent'");
    }
    {
        // another branch: with the decoder reading the latent code, dense1 is not on the
        // reconstruction's path
        using Two = Model<double, Input<4, 4, 1>, Conv2D<"conv1", 8, Kernel<1, 4>, Selu>, Flatten<"flat">,
                          Dense<"dense1", 4, Selu>, Dense<"output", 2, Softmax>, From<"flat", Dense<"dense2", 16, Tanh>>>;
        Two two;
        auto t = target<double>("dense2", select::all<double>());
        t.stop_at = "dense1";
        const auto msg = message_of<name_error>([&] { lrp(two, Epsilon(0.1)).explain(x, t); });
        CHECK_MESSAGE_HAS(msg, "'dense1'");
        CHECK_MESSAGE_HAS(msg, "'dense2'");
    }
}

TEST_CASE("non-finite input: value_error naming the input and where") {
    const auto m = make_model();
    Batch<double> x = input();
    x(1, 5) = std::numeric_limits<double>::quiet_NaN();
    const auto t = target<double>("output", select::max<double>());
    for (const auto& msg : {message_of<value_error>([&] { lrp(m, Epsilon(0.1)).explain(x, t); }),
                            message_of<value_error>([&] { gradient(m).explain(x, t); }),
                            message_of<value_error>([&] { IntegratedGradients(m, 4).explain(x, t); }),
                            message_of<value_error>([&] { SmoothGrad(m, 2).explain(x, t); }),
                            message_of<value_error>([&] { Occlusion(m, 2, 2, 2, 2).explain(x, t); })}) {
        CHECK_MESSAGE_HAS(msg, "model input");
        CHECK_MESSAGE_HAS(msg, "row 1, column 5");
    }
    x(1, 5) = std::numeric_limits<double>::infinity();
    CHECK_MESSAGE_HAS(message_of<value_error>([&] { lrp(m, Epsilon(0.1)).explain(x, t); }), "inf");
}

TEST_CASE("wrong input size: shape_error with the expected and the given feature counts") {
    const auto m = make_model();
    const Batch<double> x = Batch<double>::Ones(2, 15);
    const auto t = target<double>("output", select::max<double>());
    for (const auto& msg : {message_of<shape_error>([&] { lrp(m, Epsilon(0.1)).explain(x, t); }),
                            message_of<shape_error>([&] { gradient(m).explain(x, t); }),
                            message_of<shape_error>([&] { IntegratedGradients(m, 4).explain(x, t); }),
                            message_of<shape_error>([&] { SmoothGrad(m, 2).explain(x, t); })}) {
        CHECK_MESSAGE_HAS(msg, "16");
        CHECK_MESSAGE_HAS(msg, "15");
        CHECK_MESSAGE_HAS(msg, "(4, 4, 1)");
    }
    CHECK_MESSAGE_HAS(message_of<shape_error>([&] { lrp(m, Epsilon(0.1)).explain(Batch<double>(0, 16), t); }), "empty");
}

TEST_CASE("integrated gradients, SmoothGrad and occlusion with stop_at: value_error") {
    const auto m = make_model();
    const auto x = input();
    auto t = target<double>("autoencoder", select::all<double>());
    t.stop_at = "dropout2";
    {
        const auto msg = message_of<value_error>([&] { IntegratedGradients(m, 4).explain(x, t); });
        CHECK_MESSAGE_HAS(msg, "IntegratedGradients");
        CHECK_MESSAGE_HAS(msg, "dropout2");
    }
    {
        const auto msg = message_of<value_error>([&] { SmoothGrad(m, 2).explain(x, t); });
        CHECK_MESSAGE_HAS(msg, "SmoothGrad");
        CHECK_MESSAGE_HAS(msg, "dropout2");
    }
    {
        const auto msg = message_of<value_error>([&] { Occlusion(m, 2, 2, 2, 2).explain(x, t); });
        CHECK_MESSAGE_HAS(msg, "Occlusion");
        CHECK_MESSAGE_HAS(msg, "dropout2");
    }
}

TEST_CASE("analyzer parameters out of their domain") {
    const auto m = make_model();
    CHECK_MESSAGE_HAS(message_of<value_error>([&] { IntegratedGradients(m, 0); }), "steps");
    CHECK_MESSAGE_HAS(message_of<value_error>([&] { SmoothGrad(m, 0); }), "samples");
    CHECK_MESSAGE_HAS(message_of<value_error>([&] { SmoothGrad(m, 4, -0.1); }), "noise_level");
    CHECK_MESSAGE_HAS(message_of<value_error>([&] { Occlusion(m, 0, 2, 1, 1); }), "window");
    {
        const auto msg = message_of<shape_error>([&] {
            IntegratedGradients(m, 4, Batch<double>::Zero(1, 15)).explain(input(), target<double>("output", select::max<double>()));
        });
        CHECK_MESSAGE_HAS(msg, "baseline");
        CHECK_MESSAGE_HAS(msg, "15");
        CHECK_MESSAGE_HAS(msg, "16");
    }
}

TEST_CASE("epsilon = 0 meeting z = 0: that neuron passes nothing, as in the z rule") {
    // Input<2> → Dense<"h", 2, Relu, no bias> → Dense<"o", 1, no bias>: x = (1, 1), W_h = [[1, 1], [−1, 2]]
    // (column j = neuron j) gives z_h = (1·1 + 1·(−1), 1·1 + 1·2) = (0, 3), a_h = (0, 3), z_o = 3.
    // At o: R_h = a_h · w_o · R_o / z_o = (0, 3)·1·3/3 = (0, 3). At h with ε = 0: neuron 0 has
    // z = 0 and passes nothing (0/0 is not an error); neuron 1 passes x_i w_i1 · 3 / 3 = (1, 2).
    Model<double, Input<2>, Dense<"h", 2, Relu, false>, Dense<"o", 1, Linear, false>> m;
    m.layer<"h">().params().kernel.resize(2, 2);
    m.layer<"h">().params().kernel << 1, 1, -1, 2;
    m.layer<"o">().params().kernel.resize(2, 1);
    m.layer<"o">().params().kernel << 1, 1;
    Batch<double> x(1, 2);
    x << 1, 1;
    const auto t = target<double>("o", select::index<double>(0));
    const auto e = lrp(m, Epsilon(0.0)).explain(x, t);
    CHECK(e.relevance(0, 0) == doctest::Approx(1.0).epsilon(1e-12));
    CHECK(e.relevance(0, 1) == doctest::Approx(2.0).epsilon(1e-12));
    const auto z = lrp(m, ZRule{}).explain(x, t);
    CHECK(z.relevance(0, 0) == doctest::Approx(1.0).epsilon(1e-12));
    CHECK(z.relevance(0, 1) == doctest::Approx(2.0).epsilon(1e-12));
}

}  // TEST_SUITE
