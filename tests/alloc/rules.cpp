// Issue 10, item 1 for the LRP rules beyond ε, z, α-β and z⁺: γ, flat, w² and z^B explain into a
// kept Explanation without a heap call after a first call with the batch size (their kernels
// made once, their products and quotients in the layer's kept RuleBuffers, γ's kernels found by
// the value of γ instead of a key string), and give the bits of the allocating path. Also α-β and
// z⁺ on a model where a layer's input is ≥ 0 (after ReLU), the sign-split step's other branch.

#include <doctest/doctest.h>

#include <vector>

#include <innspect/innspect.hpp>

#include "alloc/kept_checks.hpp"
#include "connectome/seed_model.hpp"

using namespace innspect;
namespace kept = innspect::test::kept;

namespace {

/// Strided and transposed convolutions with 'same' padding (z^B and flat count in-bounds inputs
/// only), a ReLU before the transposed convolution (an input ≥ 0: the sign-split rules skip their
/// x⁻ products), and a Dense head. No BatchNormalization: as a layer of its own (after a ReLU) it
/// makes its parameters and products fresh on every call (layers/batch_normalization.hpp has no
/// `apply_into`), whatever the rule — even LRP-ε and the gradient allocate there.
template <class T>
using Conv = Model<T, Input<12, 12, 3>, Conv2D<"c1", 8, Kernel<3, 3>, Elu, Strides<1, 1>, Padding::same>,
                   Conv2D<"c2", 16, Kernel<3, 3>, Relu, Strides<2, 2>, Padding::same>,
                   Conv2DTranspose<"up", 4, Kernel<3, 3>, Selu, Strides<2, 2>, Padding::same>, Flatten<"f">,
                   Dense<"head", 37, Softmax>>;

template <class T>
std::vector<Target<T>> seed_targets() {
    return {target("autoencoder", select::all<T>()), target("output", select::index<T>(1)),
            target("dropout2", select::max<T>())};
}
template <class T>
std::vector<Target<T>> conv_targets() {
    return {target("head", select::max<T>()), target("up", select::all<T>())};
}

/// z^B bounds per input feature: a ramp from −3 to 3 below, 3 above the lowest.
std::vector<double> ramp(int n, double from, double to) {
    std::vector<double> v(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) v[static_cast<std::size_t>(i)] = from + (to - from) * i / std::max(1, n - 1);
    return v;
}

template <class M>
void check_rules(std::uint64_t seed, const std::vector<Target<typename M::scalar>>& targets) {
    constexpr int n = M::input_shape::size;
    SUBCASE("EpsilonGammaBox (z^B first, gamma on convolutions, epsilon on Dense)") {
        kept::check_explain<M>(seed, [](const M& m) { return lrp(m, presets::epsilon_gamma_box(-3, 3)); }, targets);
    }
    SUBCASE("EpsilonPlusFlat (flat first, z-plus on convolutions)") {
        kept::check_explain<M>(seed, [](const M& m) { return lrp(m, presets::epsilon_plus_flat()); }, targets);
    }
    SUBCASE("gamma everywhere") {
        kept::check_explain<M>(seed, [](const M& m) { return lrp(m, Gamma()); }, targets);
    }
    SUBCASE("gamma 0.5 without bias, and gamma 0.1 on Dense: two values of gamma") {
        kept::check_explain<M>(seed, [](const M& m) {
            return lrp(m, composite(entry<DenseLayers>(Gamma(0.1)), entry<AnyLayer>(Gamma(0.5, false))));
        }, targets);
    }
    SUBCASE("w-square everywhere") {
        kept::check_explain<M>(seed, [](const M& m) { return lrp(m, WSquare()); }, targets);
    }
    SUBCASE("z-box everywhere") {
        kept::check_explain<M>(seed, [](const M& m) { return lrp(m, ZBox(-2, 2)); }, targets);
    }
    SUBCASE("z-box with per-feature bounds first, flat on Dense, w-square elsewhere") {
        kept::check_explain<M>(seed, [](const M& m) {
            return lrp(m, composite(entry<FirstLinear>(ZBox(ramp(n, -3, 0), ramp(n, 0, 3))), entry<DenseLayers>(Flat{}),
                                    entry<AnyLayer>(WSquare())));
        }, targets);
    }
    SUBCASE("alpha2beta1 without bias, z-plus on Dense") {
        kept::check_explain<M>(seed, [](const M& m) {
            return lrp(m, composite(entry<DenseLayers>(ZPlus()), entry<AnyLayer>(AlphaBeta(2, 1, false))));
        }, targets);
    }
}

}  // namespace

TEST_CASE("steady state: gamma, flat, w-square and z-box explanations into a kept Explanation allocate nothing and give the plain path's bits") {
    SUBCASE("the seed model, float, W = 90") {
        check_rules<seed::SeedModel<float, 90>>(21, seed_targets<float>());
    }
    SUBCASE("the seed model, double, W = 16") {
        check_rules<seed::SeedModel<double, 16>>(22, seed_targets<double>());
    }
    SUBCASE("strided and transposed convolutions, an input >= 0, float") {
        check_rules<Conv<float>>(23, conv_targets<float>());
    }
    SUBCASE("the same in double") { check_rules<Conv<double>>(24, conv_targets<double>()); }
}
