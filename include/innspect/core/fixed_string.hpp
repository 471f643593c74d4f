#pragma once
/// \file
/// A string usable as a template argument, so Keras layer names are part of a model's type and
/// name lookups are checked by the compiler.

#include <algorithm>
#include <cstddef>
#include <string_view>

namespace innspect {

/// A compile-time string literal, e.g. the `"conv1"` in `Conv2D<"conv1", ...>`.
template <std::size_t N>
struct fixed_string {
    char value[N]{};

    constexpr fixed_string(const char (&s)[N]) { std::copy_n(s, N, value); }  // NOLINT: implicit by design

    constexpr std::string_view view() const { return {value, N - 1}; }
    constexpr operator std::string_view() const { return view(); }
};

}  // namespace innspect
