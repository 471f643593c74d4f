#pragma once
/// \file
/// A composite chooses an LRP rule per linear layer: an ordered list of (selector, rule) entries,
/// first match wins (as in Zennit). Selectors look at a layer's rule family (dense or
/// convolution, as each layer declares it), its Keras class, its position (the first linear
/// layer: the one that reads the input) or its Keras name. The layers of a model are
/// known at compile time, so the choice is made by the compiler; a linear layer no entry
/// matches is a compile error.
///
///   auto c = composite(entry<Dense_>(Epsilon(0.1)), entry<Convolutions>(AlphaBeta(2, 1)));

#include <array>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>

#include "innspect/core/fixed_string.hpp"
#include "innspect/core/layer_info.hpp"
#include "innspect/core/layer_traits.hpp"
#include "innspect/rules/rule.hpp"

namespace innspect {

/// Where a layer stands, as selectors see it.
struct LayerPosition {
    const LayerInfo& info;
    bool first_linear;  ///< no linear layer lies between it and the model input
};

/// Matches every layer.
struct AnyLayer {
    static constexpr bool matches(const LayerPosition&) { return true; }
};
/// Matches layers of the given Keras classes: `ByClass<"Conv2DTranspose">`.
template <fixed_string... Classes>
struct ByClass {
    static constexpr bool matches(const LayerPosition& p) { return ((p.info.keras_class == Classes.view()) || ...); }
};
/// Layers of the dense family: Dense, and a BatchNormalization on vectors (design.md §5).
struct DenseLayers {
    static constexpr bool matches(const LayerPosition& p) { return p.info.family == RuleFamily::dense; }
};
/// Layers of the convolution family: Conv2D and Conv2DTranspose (a transposed convolution
/// counts as a convolution), and a BatchNormalization on feature maps.
struct Convolutions {
    static constexpr bool matches(const LayerPosition& p) { return p.info.family == RuleFamily::convolution; }
};
/// The first linear layer: the one that reads the model input.
struct FirstLinear {
    static constexpr bool matches(const LayerPosition& p) { return p.first_linear; }
};
/// The layer with this Keras name.
template <fixed_string Name>
struct ByName {
    static constexpr std::string_view required_name = Name.view();  ///< checked against the model
    static constexpr bool matches(const LayerPosition& p) { return p.info.name == Name.view(); }
};

/// One (selector, rule) pair.
template <class Selector, LrpRule Rule>
struct Entry {
    using selector = Selector;
    Rule rule;
};

/// `entry<Selector>(rule)`.
template <class Selector, LrpRule Rule>
constexpr Entry<Selector, Rule> entry(Rule r) {
    return {std::move(r)};
}

/// An ordered list of entries; `name` is what reports print.
template <class... Entries>
struct Composite {
    static_assert(sizeof...(Entries) > 0, "Composite: needs at least one (selector, rule) entry");
    std::tuple<Entries...> entries;
    std::string name = "custom";

    /// Index of the first entry matching layer i of a model with these layers, or sizeof...(Entries).
    template <std::size_t N>
    static constexpr std::size_t match(const std::array<LayerInfo, N>& layers, std::size_t i) {
        const LayerPosition pos{layers[i], is_first_linear(layers, i)};
        std::size_t k = 0;
        bool found = false;
        ((found || (Entries::selector::matches(pos) ? (found = true) : (++k, false))), ...);
        return k;
    }

    /// False when a ByName<...> entry names no layer of a model with these names.
    template <std::size_t N>
    static constexpr bool names_known(const std::array<std::string_view, N>& names) {
        auto known = [&](auto selector) {
            using S = decltype(selector);
            if constexpr (requires { S::required_name; }) {
                for (auto n : names)
                    if (n == S::required_name) return true;
                return false;
            } else {
                return true;
            }
        };
        return (known(typename Entries::selector{}) && ...);
    }

    /// A linear layer nothing linear comes before, on any path from the input (so every input
    /// branch of a graph has its first linear layer).
    template <std::size_t N>
    static constexpr bool is_first_linear(const std::array<LayerInfo, N>& layers, std::size_t i) {
        if (!layers[i].linear()) return false;
        std::array<bool, N> before{};  // layers i depends on
        for (int p : layers[i].parents.list())
            if (p >= 0) before[static_cast<std::size_t>(p)] = true;
        for (std::size_t j = i; j-- > 0;) {
            if (!before[j]) continue;
            if (layers[j].linear()) return false;
            for (int p : layers[j].parents.list())
                if (p >= 0) before[static_cast<std::size_t>(p)] = true;
        }
        return true;
    }
};

/// `composite(entry<...>(rule), ...)`.
template <class... Entries>
Composite<Entries...> composite(Entries... e) {
    return {std::tuple<Entries...>{std::move(e)...}};
}

/// A composite applying one rule everywhere.
template <LrpRule Rule>
Composite<Entry<AnyLayer, Rule>> uniform(Rule r) {
    Composite<Entry<AnyLayer, Rule>> c{std::tuple<Entry<AnyLayer, Rule>>{{std::move(r)}}};
    c.name = std::get<0>(c.entries).rule.name();
    return c;
}

}  // namespace innspect
