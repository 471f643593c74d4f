#pragma once
/// \file
/// Composite presets, named as users of iNNvestigate and Zennit know them.
///
/// | preset                 | first linear layer | Dense         | Conv2D / Conv2DTranspose |
/// |------------------------|--------------------|---------------|--------------------------|
/// | sequential_preset_a    | (as its family)    | ε = 0.1       | α1β0                     |
/// | sequential_preset_b    | (as its family)    | ε = 0.1       | α2β1                     |
/// | sequential_preset_a_flat | flat             | ε = 0.1       | α1β0                     |
/// | sequential_preset_b_flat | flat             | ε = 0.1       | α2β1                     |
/// | epsilon_plus           | (as its family)    | ε = 1e-6      | z⁺                       |
/// | epsilon_alpha2_beta1   | (as its family)    | ε = 1e-6      | α2β1                     |
/// | epsilon_plus_flat      | flat               | ε = 1e-6      | z⁺                       |
/// | epsilon_gamma_box      | z^B(low, high)     | ε = 1e-6      | γ = 0.25                 |

#include <string>

#include "innspect/composites/composite.hpp"
#include "innspect/rules/alpha_beta.hpp"
#include "innspect/rules/epsilon.hpp"
#include "innspect/rules/flat.hpp"
#include "innspect/rules/gamma.hpp"
#include "innspect/rules/z_box.hpp"

namespace innspect::presets {

namespace detail {
template <class C>
C named(C c, std::string name) {
    c.name = std::move(name);
    return c;
}
}  // namespace detail

/// iNNvestigate's LRPSequentialPresetA: ε (0.1) on Dense, α1β0 on convolutions.
inline auto sequential_preset_a(double epsilon = 0.1) {
    return detail::named(composite(entry<DenseLayers>(Epsilon(epsilon)), entry<Convolutions>(AlphaBeta(1, 0))),
                         "sequential_preset_a");
}
/// iNNvestigate's LRPSequentialPresetB: ε (0.1) on Dense, α2β1 on convolutions.
inline auto sequential_preset_b(double epsilon = 0.1) {
    return detail::named(composite(entry<DenseLayers>(Epsilon(epsilon)), entry<Convolutions>(AlphaBeta(2, 1))),
                         "sequential_preset_b");
}
/// sequential_preset_a with the flat rule on the first linear layer.
inline auto sequential_preset_a_flat(double epsilon = 0.1) {
    return detail::named(composite(entry<FirstLinear>(Flat{}), entry<DenseLayers>(Epsilon(epsilon)),
                                   entry<Convolutions>(AlphaBeta(1, 0))),
                         "sequential_preset_a_flat");
}
/// sequential_preset_b with the flat rule on the first linear layer.
inline auto sequential_preset_b_flat(double epsilon = 0.1) {
    return detail::named(composite(entry<FirstLinear>(Flat{}), entry<DenseLayers>(Epsilon(epsilon)),
                                   entry<Convolutions>(AlphaBeta(2, 1))),
                         "sequential_preset_b_flat");
}
/// Zennit's EpsilonPlus: ε on Dense, z⁺ on convolutions.
inline auto epsilon_plus(double epsilon = 1e-6) {
    return detail::named(composite(entry<DenseLayers>(Epsilon(epsilon)), entry<Convolutions>(ZPlus())),
                         "epsilon_plus");
}
/// Zennit's EpsilonAlpha2Beta1: ε on Dense, α2β1 on convolutions.
inline auto epsilon_alpha2_beta1(double epsilon = 1e-6) {
    return detail::named(composite(entry<DenseLayers>(Epsilon(epsilon)), entry<Convolutions>(AlphaBeta(2, 1))),
                         "epsilon_alpha2_beta1");
}
/// Zennit's EpsilonPlusFlat: flat on the first linear layer, ε on Dense, z⁺ on convolutions.
inline auto epsilon_plus_flat(double epsilon = 1e-6) {
    return detail::named(composite(entry<FirstLinear>(Flat{}), entry<DenseLayers>(Epsilon(epsilon)),
                                   entry<Convolutions>(ZPlus())),
                         "epsilon_plus_flat");
}
/// Zennit's EpsilonGammaBox: z^B(low, high) on the first linear layer, γ on convolutions, ε on Dense.
inline auto epsilon_gamma_box(double low, double high, double gamma = 0.25, double epsilon = 1e-6) {
    return detail::named(composite(entry<FirstLinear>(ZBox(low, high)), entry<Convolutions>(Gamma(gamma)),
                                   entry<DenseLayers>(Epsilon(epsilon))),
                         "epsilon_gamma_box");
}

}  // namespace innspect::presets
