// The seed model of design.md §7 (W = 16) and its two-heads variant against the numpy reference
// fixtures tests/data/forward/seed16*/: every layer's output and pre-activation, double and float.

#include <doctest/doctest.h>

#include <innspect/innspect.hpp>

#include "support/fixtures.hpp"
#include "support/seed_model.hpp"

using namespace innspect;
namespace t = innspect::test;

namespace {
template <class M>
void check_seed(const char* case_name, const char* fallback) {
    using T = typename M::scalar;
    const auto dir = t::forward_case(case_name);
    M m;
    t::load_model_weights(m, dir, fallback ? t::forward_case(fallback) : t::fs::path{});
    m.check_finite();
    const Trace<T> tr = t::check_model_against_case(m, dir);
    // The fixture's input layer output is the input itself.
    t::check_against_npy(tr.input, dir / "input_1.out.npy", {16, 16, 1}, 0.0);
    // Properties on top of the fixtures: softmax probabilities sum to one, tanh stays in (-1, 1).
    const Batch<T>& p = tr.output("output");
    for (Eigen::Index r = 0; r < p.rows(); ++r) CHECK(std::abs(static_cast<double>(p.row(r).sum()) - 1.0) < 1e-6);
    CHECK(tr.output("autoencoder").cwiseAbs().maxCoeff() < T(1));
}
}  // namespace

TEST_CASE("seed16 against the numpy reference, double and float") {
    check_seed<t::Seed16<double>>("seed16", nullptr);
    check_seed<t::Seed16<float>>("seed16", nullptr);
}

TEST_CASE("seed16_latent (decoder reads the latent code) against the numpy reference, double and float") {
    // dense2's kernel and bias are the variant's own; every other weight is seed16's.
    check_seed<t::Seed16Latent<double>>("seed16_latent", "seed16");
    check_seed<t::Seed16Latent<float>>("seed16_latent", "seed16");
}

TEST_CASE("seed16: float and double forward passes agree") {
    t::Seed16<double> md;
    t::Seed16<float> mf;
    const auto dir = t::forward_case("seed16");
    t::load_model_weights(md, dir);
    t::load_model_weights(mf, dir);
    const Trace<double> td = md.forward(t::load_batch<double>(dir / "input.npy"));
    const Trace<float> tf = mf.forward(t::load_batch<float>(dir / "input.npy"));
    for (std::size_t i = 0; i < td.out.size(); ++i) {
        INFO("layer " << std::string(td.layers[i].name));
        INNSPECT_CHECK_CLOSE(tf.out[i], td.out[i], 1e-5);
        INNSPECT_CHECK_CLOSE(tf.pre_activation(static_cast<int>(i)), td.pre_activation(static_cast<int>(i)), 1e-5);
    }
}
