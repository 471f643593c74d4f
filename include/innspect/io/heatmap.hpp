#pragma once
/// \file
/// Heatmaps as PNG images (optional: needs Debian's libstb-dev headers; CMake target
/// innspect::heatmap). Relevance is reduced over channels by summing, normalised symmetrically
/// around zero (r / v, v = a percentile of |r| so a few extreme values do not wash the picture
/// out; values beyond ±v saturate), and coloured with a diverging map:
///   bwr       blue (−) → white (0) → red (+)
///   seismic   dark blue → blue → white → red → dark red
///   coldnhot  cyan (−1) → blue → black (0) → red → yellow (+1), after Zennit's coldnhot (whose
///             positive end goes on to white; stopped at yellow so the two saturated ends differ)
///   gray      black (−) → grey (0) → white (+)
/// Heatmaps can be blended over the input, and several laid out side by side with labels.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "innspect/core/errors.hpp"
#include "innspect/core/tensor.hpp"

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wold-style-cast"
#pragma GCC diagnostic ignored "-Wcast-qual"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#endif
#ifndef STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC  // private copies per translation unit: no clash with a user's stb
#define STB_IMAGE_WRITE_IMPLEMENTATION
#endif
#include <stb/stb_easy_font.h>
#include <stb/stb_image_write.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

namespace innspect::io {

struct Rgb {
    std::uint8_t r = 0, g = 0, b = 0;
};

enum class Colormap { bwr, seismic, coldnhot, gray };

/// "bwr", "seismic", "coldnhot" or "gray"; anything else is a value_error naming the choices.
inline Colormap colormap_from_name(std::string_view name) {
    if (name == "bwr") return Colormap::bwr;
    if (name == "seismic") return Colormap::seismic;
    if (name == "coldnhot") return Colormap::coldnhot;
    if (name == "gray") return Colormap::gray;
    throw value_error("unknown colour map '" + std::string(name) + "' (bwr, seismic, coldnhot, gray)");
}

namespace detail {
inline std::uint8_t byte(double v) { return static_cast<std::uint8_t>(std::lround(std::clamp(v, 0.0, 1.0) * 255.0)); }
inline double ramp(double v) { return std::clamp(v, 0.0, 1.0); }
}  // namespace detail

/// The colour of t ∈ [−1, 1] (clamped).
inline Rgb colorize(Colormap map, double t) {
    t = std::clamp(t, -1.0, 1.0);
    const double s = (t + 1) / 2;  // [0, 1]
    using detail::byte;
    switch (map) {
        case Colormap::bwr:
            return s < 0.5 ? Rgb{byte(2 * s), byte(2 * s), 255} : Rgb{255, byte(2 - 2 * s), byte(2 - 2 * s)};
        case Colormap::seismic: {
            // matplotlib's seismic: (0,0,.3) → (0,0,1) → (1,1,1) → (1,0,0) → (.5,0,0)
            if (s < 0.25) return {0, 0, byte(0.3 + 0.7 * s / 0.25)};
            if (s < 0.5) return {byte((s - 0.25) / 0.25), byte((s - 0.25) / 0.25), 255};
            if (s < 0.75) return {255, byte(1 - (s - 0.5) / 0.25), byte(1 - (s - 0.5) / 0.25)};
            return {byte(1 - 0.5 * (s - 0.75) / 0.25), 0, 0};
        }
        case Colormap::coldnhot: {
            // each half in two linear steps: black → red → yellow, black → blue → cyan
            const double a = std::abs(t) * 2;
            using detail::ramp;
            if (t >= 0) return {byte(ramp(a)), byte(ramp(a - 1)), 0};
            return {0, byte(ramp(a - 1)), byte(ramp(a))};
        }
        case Colormap::gray: return {byte(s), byte(s), byte(s)};
    }
    return {};
}

/// An RGB image, rows top to bottom.
struct Image {
    int width = 0, height = 0;
    std::vector<Rgb> pixels;

    Image() = default;
    Image(int w, int h, Rgb fill = {255, 255, 255})
        : width(w), height(h), pixels(static_cast<std::size_t>(w) * static_cast<std::size_t>(h), fill) {}
    Rgb& at(int x, int y) { return pixels[static_cast<std::size_t>(y) * static_cast<std::size_t>(width) + static_cast<std::size_t>(x)]; }
    const Rgb& at(int x, int y) const {
        return pixels[static_cast<std::size_t>(y) * static_cast<std::size_t>(width) + static_cast<std::size_t>(x)];
    }
};

struct HeatmapOptions {
    Colormap colormap = Colormap::bwr;
    double percentile = 99.5;  ///< |r| at this percentile maps to ±1 (100: the maximum)
    int scale = 1;             ///< each value becomes a scale × scale block
};

/// The value v with percent % of |values| at or below it (nearest rank: the ⌈percent/100 · N⌉-th
/// smallest |value|; percent clamped to [0, 100], 0 gives the smallest). NaN: value_error.
template <class T>
double abs_percentile(const std::vector<T>& values, double percent) {
    if (std::isnan(percent)) throw value_error("abs_percentile: the percentile is NaN");
    if (values.empty()) return 0;
    std::vector<double> a(values.size());
    std::transform(values.begin(), values.end(), a.begin(), [](T v) { return std::abs(static_cast<double>(v)); });
    // percent · N first: exact for integer percentages, so (p · N) / 100 is exact when it is an
    // integer (p / 100 · N is not: 0.07 · 100 = 7.000000000000001 would skip a rank)
    const auto rank = static_cast<std::size_t>(
        std::ceil(std::clamp(percent, 0.0, 100.0) * static_cast<double>(a.size()) / 100.0));
    const std::size_t k = rank == 0 ? 0 : rank - 1;
    std::nth_element(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(k), a.end());
    return a[k];
}

/// Channel sums of one channels-last sample (h × w × c values) as an h × w map.
template <class T>
std::vector<T> channel_sum(const T* values, int h, int w, int c) {
    std::vector<T> m(static_cast<std::size_t>(h) * static_cast<std::size_t>(w), T(0));
    for (int i = 0; i < h * w; ++i)
        for (int k = 0; k < c; ++k) m[static_cast<std::size_t>(i)] += values[static_cast<std::size_t>(i) * static_cast<std::size_t>(c) + static_cast<std::size_t>(k)];
    return m;
}

/// A heatmap of one channels-last sample: channels summed, normalised symmetrically around 0.
template <class T>
Image heatmap(const T* values, int h, int w, int c, const HeatmapOptions& opt = {}) {
    if (h < 1 || w < 1 || c < 1 || opt.scale < 1) throw value_error("heatmap: sizes and scale must be >= 1");
    const auto m = channel_sum(values, h, w, c);
    for (T v : m)
        if (!std::isfinite(static_cast<double>(v))) throw value_error("heatmap: non-finite relevance");
    double vmax = abs_percentile(m, opt.percentile);
    if (vmax <= 0) vmax = 1;  // all zero: everything maps to the colour of 0
    Image img(w * opt.scale, h * opt.scale);
    for (int y = 0; y < img.height; ++y)
        for (int x = 0; x < img.width; ++x)
            img.at(x, y) = colorize(opt.colormap, static_cast<double>(m[static_cast<std::size_t>(y / opt.scale) * static_cast<std::size_t>(w) + static_cast<std::size_t>(x / opt.scale)]) / vmax);
    return img;
}

/// Row `row` of a batch whose samples have Keras shape (h, w, c) or (h, w).
template <class T>
Image heatmap(const Batch<T>& batch, Eigen::Index row, int h, int w, int c, const HeatmapOptions& opt = {}) {
    if (row < 0 || row >= batch.rows())
        throw value_error("heatmap: row " + std::to_string(row) + " of a batch of " +
                          std::to_string(batch.rows()));
    if (batch.cols() != static_cast<Eigen::Index>(h) * w * c)
        throw shape_error("heatmap: a row has " + std::to_string(batch.cols()) + " values, (" + std::to_string(h) + ", " +
                          std::to_string(w) + ", " + std::to_string(c) + ") needs " + std::to_string(h * w * c));
    const Batch<T> r = batch.row(row);
    return heatmap(r.data(), h, w, c, opt);
}

/// The input (channels summed, min–max scaled to grey) with the heatmap blended over it:
/// colour = (1 − alpha)·grey + alpha·heat.
template <class T>
Image overlay(const Image& heat, const T* input, int h, int w, int c, double alpha = 0.6) {
    if (h < 1 || w < 1 || c < 1) throw value_error("overlay: input sizes must be >= 1");
    const auto m = channel_sum(input, h, w, c);
    const auto [lo, hi] = std::minmax_element(m.begin(), m.end());
    const double span = static_cast<double>(*hi - *lo);
    Image out = heat;
    const int sy = heat.height / h, sx = heat.width / w;
    if (sy < 1 || sx < 1 || sy * h != heat.height || sx * w != heat.width)
        throw shape_error("overlay: heatmap is " + std::to_string(heat.width) + "x" + std::to_string(heat.height) +
                          ", not a multiple of the input's " + std::to_string(w) + "x" + std::to_string(h));
    for (int y = 0; y < heat.height; ++y)
        for (int x = 0; x < heat.width; ++x) {
            const double g = span > 0 ? static_cast<double>(m[static_cast<std::size_t>(y / sy) * static_cast<std::size_t>(w) + static_cast<std::size_t>(x / sx)] - *lo) / span : 0.5;
            auto& p = out.at(x, y);
            p = {detail::byte((1 - alpha) * g + alpha * p.r / 255.0), detail::byte((1 - alpha) * g + alpha * p.g / 255.0),
                 detail::byte((1 - alpha) * g + alpha * p.b / 255.0)};
        }
    return out;
}

/// Draws `text` in black at (x, y) with stb_easy_font (about 6 px per character, 7 px high);
/// bytes outside printable ASCII (UTF-8, tabs) are drawn as '?'.
inline void draw_text(Image& img, int x0, int y0, const std::string& text, Rgb colour = {0, 0, 0}) {
    // stb_easy_font reads its glyph table at [ch - 32] and stops silently when the buffer is full:
    // printable ASCII only, and room for the largest glyph (11 quads of 64 bytes) per character.
    std::string copy = text;
    for (char& ch : copy)
        if (ch != '\n' && (ch < 32 || ch > 126)) ch = '?';
    std::vector<char> buffer(copy.size() * 16 * 64 + 64);
    const int quads = stb_easy_font_print(0, 0, copy.data(), nullptr, buffer.data(), static_cast<int>(buffer.size()));
    // Each quad is 4 vertices of (x, y, z, colour): 16 bytes each.
    for (int q = 0; q < quads; ++q) {
        const auto* v = reinterpret_cast<const float*>(buffer.data() + static_cast<std::size_t>(q) * 64);
        const int x1 = static_cast<int>(v[0]), y1 = static_cast<int>(v[1]);
        const int x2 = static_cast<int>(v[8]), y2 = static_cast<int>(v[9]);
        for (int y = y1; y < y2; ++y)
            for (int x = x1; x < x2; ++x)
                if (x0 + x >= 0 && x0 + x < img.width && y0 + y >= 0 && y0 + y < img.height) img.at(x0 + x, y0 + y) = colour;
    }
}

/// Images side by side, `columns` per row, `gap` pixels apart, each with an optional label above.
inline Image grid(const std::vector<Image>& tiles, int columns, const std::vector<std::string>& labels = {},
                  int gap = 6) {
    if (tiles.empty()) throw value_error("grid: no images");
    if (columns < 1) throw value_error("grid: columns must be >= 1");
    if (gap < 0) throw value_error("grid: gap must be >= 0");
    int tw = 0, th = 0;
    for (const auto& t : tiles) {
        tw = std::max(tw, t.width);
        th = std::max(th, t.height);
    }
    const int label_h = labels.empty() ? 0 : 12;
    const int n = static_cast<int>(tiles.size());
    const int cols = std::min(columns, n), rows = (n + columns - 1) / columns;
    Image out(cols * tw + (cols + 1) * gap, rows * (th + label_h) + (rows + 1) * gap);
    for (int i = 0; i < n; ++i) {
        const int ox = gap + (i % columns) * (tw + gap), oy = gap + (i / columns) * (th + label_h + gap);
        if (static_cast<std::size_t>(i) < labels.size()) draw_text(out, ox, oy + 1, labels[static_cast<std::size_t>(i)]);
        const auto& t = tiles[static_cast<std::size_t>(i)];
        for (int y = 0; y < t.height; ++y)
            for (int x = 0; x < t.width; ++x) out.at(ox + x, oy + label_h + y) = t.at(x, y);
    }
    return out;
}

/// Writes `img` as an 8-bit RGB PNG; io_error naming the path if it cannot.
inline void write_png(const std::filesystem::path& path, const Image& img) {
    static_assert(sizeof(Rgb) == 3, "Rgb must be three packed bytes");
    if (img.width < 1 || img.height < 1) throw value_error("write_png: empty image");
    if (img.pixels.size() != static_cast<std::size_t>(img.width) * static_cast<std::size_t>(img.height))
        throw shape_error("write_png: " + std::to_string(img.pixels.size()) + " pixels for a " +
                          std::to_string(img.width) + "x" + std::to_string(img.height) + " image");
    if (!stbi_write_png(path.string().c_str(), img.width, img.height, 3, img.pixels.data(), img.width * 3))
        throw io_error("write_png: cannot write '" + path.string() + "'");
}

}  // namespace innspect::io
