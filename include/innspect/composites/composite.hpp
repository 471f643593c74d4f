#pragma once
/// \file
/// A composite chooses an LRP rule per linear layer: an ordered list of (selector, rule) entries,
/// first match wins (as in Zennit). Selectors look at a layer's kind, its position (the first
/// linear layer: the one that reads the input) or its Keras name. The layers of a model are
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
#include "innspect/core/layer_kind.hpp"
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
/// Matches layers of the given kinds.
template <LayerKind... Kinds>
struct ByKind {
    static constexpr bool matches(const LayerPosition& p) { return ((p.info.kind == Kinds) || ...); }
};
/// Dense layers, and a BatchNormalization on vectors (design.md §5).
struct DenseLayers {
    static constexpr bool matches(const LayerPosition& p) {
        return p.info.kind == LayerKind::dense || (p.info.kind == LayerKind::batch_norm && p.info.out_rank == 1);
    }
};
/// Conv2D and Conv2DTranspose (a transposed convolution counts as a convolution), and a
/// BatchNormalization on feature maps.
struct Convolutions {
    static constexpr bool matches(const LayerPosition& p) {
        return is_convolution(p.info.kind) || (p.info.kind == LayerKind::batch_norm && p.info.out_rank == 3);
    }
};
/// The first linear layer: the one that reads the model input.
struct FirstLinear {
    static constexpr bool matches(const LayerPosition& p) { return p.first_linear; }
};
/// The layer with this Keras name.
template <fixed_string Name>
struct ByName {
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

    template <std::size_t N>
    static constexpr bool is_first_linear(const std::array<LayerInfo, N>& layers, std::size_t i) {
        if (!is_linear(layers[i].kind)) return false;
        for (int p = layers[i].parent; p >= 0; p = layers[static_cast<std::size_t>(p)].parent)
            if (is_linear(layers[static_cast<std::size_t>(p)].kind)) return false;
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
