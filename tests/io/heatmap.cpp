// Tests of innspect/io/heatmap.hpp (needs the stb headers: CMake target innspect::heatmap).
// Every expected colour is derived by hand from the colour map's definition, not from the code:
//   byte(v) = round(255 v), halves away from zero (0.5 → 127.5 → 128; 0.3 → 76.5 → 77).
// PNG files are read back with stb_image.h, an independent decoder.

#include "innspect/io/heatmap.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <vector>

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
#pragma GCC diagnostic ignored "-Wunused-but-set-variable"
#pragma GCC diagnostic ignored "-Wdouble-promotion"
#endif
#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#include <stb/stb_image.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

namespace {

namespace fs = std::filesystem;
using innspect::Batch;
using namespace innspect::io;

constexpr Rgb white{255, 255, 255}, black{0, 0, 0}, red{255, 0, 0}, blue{0, 0, 255};

bool same(Rgb a, Rgb b) { return a.r == b.r && a.g == b.g && a.b == b.b; }

std::string str(Rgb c) {
    return "(" + std::to_string(c.r) + ", " + std::to_string(c.g) + ", " + std::to_string(c.b) + ")";
}

#define CHECK_RGB(actual, expected)                                               \
    do {                                                                          \
        const Rgb innspect_a_ = (actual), innspect_e_ = (expected);               \
        INFO("actual " << str(innspect_a_) << ", expected " << str(innspect_e_)); \
        CHECK(same(innspect_a_, innspect_e_));                                    \
    } while (0)

// The pixels of one image row, left to right.
std::vector<Rgb> row_of(const Image& img, int y) {
    std::vector<Rgb> r;
    for (int x = 0; x < img.width; ++x) r.push_back(img.at(x, y));
    return r;
}

bool same_row(const std::vector<Rgb>& a, const std::vector<Rgb>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (!same(a[i], b[i])) return false;
    return true;
}

// A fresh directory, removed at scope exit (ctest may run test cases as overlapping processes).
class TempDir {
public:
    TempDir() {
        std::random_device rd;
        path_ =
            fs::temp_directory_path() / ("innspect_heatmap_" + std::to_string(rd()) + std::to_string(rd()));
        fs::create_directories(path_);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir() {
        std::error_code ignored;
        fs::remove_all(path_, ignored);
    }
    fs::path operator/(std::string_view name) const { return path_ / name; }

private:
    fs::path path_;
};

// Number of pixels of `colour` in the rectangle [x0, x1) × [y0, y1).
int count(const Image& img, Rgb colour, int x0, int y0, int x1, int y1) {
    int n = 0;
    for (int y = y0; y < y1; ++y)
        for (int x = x0; x < x1; ++x) n += same(img.at(x, y), colour);
    return n;
}

}  // namespace

// ---- colour maps ------------------------------------------------------------------------------

TEST_CASE("colour map names") {
    CHECK(colormap_from_name("bwr") == Colormap::bwr);
    CHECK(colormap_from_name("seismic") == Colormap::seismic);
    CHECK(colormap_from_name("coldnhot") == Colormap::coldnhot);
    CHECK(colormap_from_name("gray") == Colormap::gray);
    CHECK_THROWS_WITH_AS(colormap_from_name("jet"), doctest::Contains("'jet'"), innspect::value_error);
    CHECK_THROWS_WITH_AS(colormap_from_name("jet"), doctest::Contains("bwr, seismic, coldnhot, gray"),
                         innspect::value_error);
    CHECK_THROWS_AS(colormap_from_name(""), innspect::value_error);
    CHECK_THROWS_AS(colormap_from_name("BWR"), innspect::value_error);  // names are case-sensitive
}

TEST_CASE("bwr: blue (-1), white (0), red (+1), linear in between") {
    CHECK_RGB(colorize(Colormap::bwr, -1), blue);
    CHECK_RGB(colorize(Colormap::bwr, 0), white);
    CHECK_RGB(colorize(Colormap::bwr, 1), red);
    // halfway blue → white: (127.5, 127.5, 255); halfway white → red: (255, 127.5, 127.5)
    CHECK_RGB(colorize(Colormap::bwr, -0.5), (Rgb{128, 128, 255}));
    CHECK_RGB(colorize(Colormap::bwr, 0.5), (Rgb{255, 128, 128}));
    // a quarter of the way from white: 0.75 · 255 = 191.25
    CHECK_RGB(colorize(Colormap::bwr, -0.25), (Rgb{191, 191, 255}));
    CHECK_RGB(colorize(Colormap::bwr, 0.25), (Rgb{255, 191, 191}));
    // beyond ±1: clamped
    CHECK_RGB(colorize(Colormap::bwr, -7), blue);
    CHECK_RGB(colorize(Colormap::bwr, 3), red);
}

TEST_CASE("seismic: matplotlib's (0,0,.3) (0,0,1) (1,1,1) (1,0,0) (.5,0,0) at -1, -.5, 0, .5, 1") {
    CHECK_RGB(colorize(Colormap::seismic, -1), (Rgb{0, 0, 77}));  // 0.3 · 255 = 76.5
    CHECK_RGB(colorize(Colormap::seismic, -0.5), blue);
    CHECK_RGB(colorize(Colormap::seismic, 0), white);
    CHECK_RGB(colorize(Colormap::seismic, 0.5), red);
    CHECK_RGB(colorize(Colormap::seismic, 1), (Rgb{128, 0, 0}));  // 0.5 · 255 = 127.5
    // midpoints of the four segments
    CHECK_RGB(colorize(Colormap::seismic, -0.75), (Rgb{0, 0, 166}));      // (0.3 + 1) / 2 = 0.65 → 165.75
    CHECK_RGB(colorize(Colormap::seismic, -0.25), (Rgb{128, 128, 255}));  // halfway blue → white
    CHECK_RGB(colorize(Colormap::seismic, 0.25), (Rgb{255, 128, 128}));   // halfway white → red
    CHECK_RGB(colorize(Colormap::seismic, 0.75), (Rgb{191, 0, 0}));       // (1 + 0.5) / 2 = 0.75 → 191.25
    CHECK_RGB(colorize(Colormap::seismic, -2), (Rgb{0, 0, 77}));
    CHECK_RGB(colorize(Colormap::seismic, 2), (Rgb{128, 0, 0}));
}

TEST_CASE("coldnhot: cyan (-1), blue, black (0), red, yellow (+1)") {
    CHECK_RGB(colorize(Colormap::coldnhot, 0), black);
    CHECK_RGB(colorize(Colormap::coldnhot, -1), (Rgb{0, 255, 255}));  // cyan
    CHECK_RGB(colorize(Colormap::coldnhot, 1), (Rgb{255, 255, 0}));   // yellow
    CHECK_RGB(colorize(Colormap::coldnhot, -0.5), blue);
    CHECK_RGB(colorize(Colormap::coldnhot, 0.5), red);
    // halfway black → red, red → yellow, black → blue, blue → cyan
    CHECK_RGB(colorize(Colormap::coldnhot, 0.25), (Rgb{128, 0, 0}));
    CHECK_RGB(colorize(Colormap::coldnhot, 0.75), (Rgb{255, 128, 0}));
    CHECK_RGB(colorize(Colormap::coldnhot, -0.25), (Rgb{0, 0, 128}));
    CHECK_RGB(colorize(Colormap::coldnhot, -0.75), (Rgb{0, 128, 255}));
    // the two saturated ends stay apart: the sign of the strongest relevance is visible
    CHECK(!same(colorize(Colormap::coldnhot, -1), colorize(Colormap::coldnhot, 1)));
    CHECK_RGB(colorize(Colormap::coldnhot, 5), (Rgb{255, 255, 0}));
    CHECK_RGB(colorize(Colormap::coldnhot, -5), (Rgb{0, 255, 255}));
}

TEST_CASE("gray: black (-1), mid grey (0), white (+1)") {
    CHECK_RGB(colorize(Colormap::gray, -1), black);
    CHECK_RGB(colorize(Colormap::gray, 0), (Rgb{128, 128, 128}));  // 127.5
    CHECK_RGB(colorize(Colormap::gray, 1), white);
    CHECK_RGB(colorize(Colormap::gray, 0.5), (Rgb{191, 191, 191}));  // 0.75 · 255 = 191.25
    CHECK_RGB(colorize(Colormap::gray, -0.5), (Rgb{64, 64, 64}));    // 0.25 · 255 = 63.75
}

// ---- percentile, channel sums, normalisation --------------------------------------------------

TEST_CASE("abs_percentile: nearest rank of |values|") {
    // |v| sorted: 1 1 2 3 4 5 6 9 (N = 8); the p-th percentile is the ceil(p/100 · N)-th smallest
    const std::vector<double> v{3, -1, 4, -1, 5, -9, 2, 6};
    CHECK(abs_percentile(v, 100.0) == 9);
    CHECK(abs_percentile(v, 99.5) == 9);   // ceil(7.96) = 8
    CHECK(abs_percentile(v, 87.5) == 6);   // 7
    CHECK(abs_percentile(v, 80.0) == 6);   // ceil(6.4) = 7
    CHECK(abs_percentile(v, 50.0) == 3);   // 4
    CHECK(abs_percentile(v, 37.5) == 2);   // 3
    CHECK(abs_percentile(v, 25.0) == 1);   // 2
    CHECK(abs_percentile(v, 10.0) == 1);   // ceil(0.8) = 1
    CHECK(abs_percentile(v, 0.0) == 1);    // the smallest
    CHECK(abs_percentile(v, 250.0) == 9);  // clamped to 100
    CHECK(abs_percentile(v, -3.0) == 1);   // clamped to 0
    CHECK(abs_percentile(std::vector<float>{-2.5f}, 50.0) == 2.5);
    CHECK(abs_percentile(std::vector<double>{}, 50.0) == 0);
    // 1..100: the p-th percentile is p itself, for every integer p (no rounding drift in the rank:
    // 0.07 · 100 is 7.000000000000001 in floating point)
    std::vector<double> ramp;
    for (int i = 1; i <= 100; ++i) ramp.push_back(i % 2 ? i : -i);
    for (int p = 1; p <= 100; ++p) {
        INFO("p = " << p);
        CHECK(abs_percentile(ramp, static_cast<double>(p)) == p);
    }
    CHECK_THROWS_AS(abs_percentile(v, std::numeric_limits<double>::quiet_NaN()), innspect::value_error);
}

TEST_CASE("channel_sum: each pixel's channels summed") {
    // (h, w, c) = (1, 2, 3): pixel 0 = [1, 2, -3], pixel 1 = [4, 0.5, 0]
    const double v[] = {1, 2, -3, 4, 0.5, 0};
    CHECK(channel_sum(v, 1, 2, 3) == std::vector<double>{0, 4.5});
    // (2, 1, 2)
    const float f[] = {1, 1, -2, -3};
    CHECK(channel_sum(f, 2, 1, 2) == std::vector<float>{2, -5});
}

TEST_CASE("heatmap: symmetric normalisation by the percentile") {
    HeatmapOptions opt;
    opt.percentile = 100;
    {
        // max |r| = 4: t = -0.5, -0.25, 0.25, 1
        const double r[] = {-2, -1, 1, 4};
        const Image img = heatmap(r, 1, 4, 1, opt);
        REQUIRE(img.width == 4);
        REQUIRE(img.height == 1);
        CHECK(same_row(row_of(img, 0), {{128, 128, 255}, {191, 191, 255}, {255, 191, 191}, red}));
    }
    {
        // |r| sorted 0.5 1 2 8; the 75th percentile is the 3rd = 2: 2 → +1, -8 saturates at -1
        opt.percentile = 75;
        const double r[] = {0.5, -1, 2, -8};
        const Image img = heatmap(r, 2, 2, 1, opt);
        CHECK_RGB(img.at(0, 0), (Rgb{255, 191, 191}));  // 0.25
        CHECK_RGB(img.at(1, 0), (Rgb{128, 128, 255}));  // -0.5
        CHECK_RGB(img.at(0, 1), red);                   // +1
        CHECK_RGB(img.at(1, 1), blue);                  // -4 → -1
    }
    {
        // the default, 99.5, on 8 values is the maximum (rank ceil(7.96) = 8)
        const float r[] = {1, -2, 0, 0, 0, 0, 0, 8};
        const Image img = heatmap(r, 1, 8, 1);
        CHECK_RGB(img.at(7, 0), red);
        CHECK_RGB(img.at(1, 0), (Rgb{191, 191, 255}));  // -2 / 8 = -0.25
        CHECK_RGB(img.at(2, 0), white);
    }
}

TEST_CASE("heatmap: all-zero relevance is the colour of 0 everywhere") {
    const double zeros[6] = {};
    for (auto [map, zero] :
         {std::pair{Colormap::bwr, white}, std::pair{Colormap::seismic, white},
          std::pair{Colormap::coldnhot, black}, std::pair{Colormap::gray, Rgb{128, 128, 128}}}) {
        HeatmapOptions opt;
        opt.colormap = map;
        const Image img = heatmap(zeros, 2, 3, 1, opt);
        REQUIRE(img.pixels.size() == 6);
        for (const Rgb& p : img.pixels) CHECK_RGB(p, zero);
    }
    // channels that cancel are zero too
    const double cancel[] = {1, -1, 2, -2};
    for (const Rgb& p : heatmap(cancel, 1, 2, 2).pixels) CHECK_RGB(p, white);
}

TEST_CASE("heatmap: channels are summed before colouring") {
    HeatmapOptions opt;
    opt.percentile = 100;
    opt.colormap = Colormap::gray;
    // (1, 3, 2): sums 0, 4, -2 → t = 0, 1, -0.5
    const double r[] = {3, -3, 1, 3, -1, -1};
    const Image img = heatmap(r, 1, 3, 2, opt);
    REQUIRE(img.width == 3);
    CHECK(same_row(row_of(img, 0), {{128, 128, 128}, white, {64, 64, 64}}));
}

TEST_CASE("heatmap: scale makes each value a block") {
    HeatmapOptions opt;
    opt.scale = 3;
    opt.percentile = 100;
    // (2, 1): +1 on top, -1 below → a 3 × 6 image, red rows 0..2, blue rows 3..5
    const double r[] = {1, -1};
    const Image img = heatmap(r, 2, 1, 1, opt);
    REQUIRE(img.width == 3);
    REQUIRE(img.height == 6);
    REQUIRE(img.pixels.size() == 18);
    for (int y = 0; y < 6; ++y)
        for (int x = 0; x < 3; ++x) CHECK_RGB(img.at(x, y), y < 3 ? red : blue);
}

TEST_CASE("heatmap of a batch row") {
    HeatmapOptions opt;
    opt.percentile = 100;
    Batch<double> b(2, 4);
    b << 9, 9, 9, 9,  //
        0, 1, -1, 0;
    const Image img = heatmap(b, 1, 2, 2, 1, opt);  // row 1 as (2, 2, 1)
    REQUIRE(img.width == 2);
    REQUIRE(img.height == 2);
    CHECK_RGB(img.at(0, 0), white);
    CHECK_RGB(img.at(1, 0), red);
    CHECK_RGB(img.at(0, 1), blue);
    CHECK_RGB(img.at(1, 1), white);
    // (1, 2, 2) reads the same 4 values as two pixels of two channels: sums 1, -1
    const Image two = heatmap(b, 1, 1, 2, 2, opt);
    CHECK(same_row(row_of(two, 0), {red, blue}));
    // a row whose size is not h·w·c
    CHECK_THROWS_WITH_AS(heatmap(b, 0, 2, 3, 1, opt), doctest::Contains("(2, 3, 1) needs 6"),
                         innspect::shape_error);
    CHECK_THROWS_AS(heatmap(b, 0, 4, 1, 2, opt), innspect::shape_error);
    // a row that does not exist
    CHECK_THROWS_AS(heatmap(b, 2, 2, 2, 1, opt), innspect::value_error);
    CHECK_THROWS_AS(heatmap(b, -1, 2, 2, 1, opt), innspect::value_error);
}

TEST_CASE("heatmap errors: non-finite relevance, bad sizes") {
    const double nan = std::numeric_limits<double>::quiet_NaN(),
                 inf = std::numeric_limits<double>::infinity();
    const double with_nan[] = {1, nan, 0, 0};
    const double with_inf[] = {1, 0, -inf, 0};
    const double ok[] = {1, 2, 3, 4};
    CHECK_THROWS_WITH_AS(heatmap(with_nan, 2, 2, 1), doctest::Contains("non-finite"), innspect::value_error);
    CHECK_THROWS_AS(heatmap(with_inf, 2, 2, 1), innspect::value_error);
    CHECK_THROWS_AS(heatmap(with_inf, 1, 2, 2), innspect::value_error);
    CHECK_THROWS_AS(heatmap(ok, 0, 2, 1), innspect::value_error);
    CHECK_THROWS_AS(heatmap(ok, 2, 0, 1), innspect::value_error);
    CHECK_THROWS_AS(heatmap(ok, 2, 2, 0), innspect::value_error);
    HeatmapOptions opt;
    opt.scale = 0;
    CHECK_THROWS_AS(heatmap(ok, 2, 2, 1, opt), innspect::value_error);
    Batch<float> b(1, 4);
    b << 1, std::numeric_limits<float>::infinity(), 0, 0;
    CHECK_THROWS_AS(heatmap(b, 0, 2, 2, 1), innspect::value_error);
}

// ---- overlay ----------------------------------------------------------------------------------

TEST_CASE("overlay: (1 - alpha) grey + alpha heat, grey = the input min-max scaled") {
    // input (1, 3, 1) = [0, 1, 2] → grey 0, 0.5, 1; heat red, white, blue
    Image heat(3, 1);
    heat.at(0, 0) = red;
    heat.at(1, 0) = white;
    heat.at(2, 0) = blue;
    const double input[] = {0, 1, 2};
    const Image out = overlay(heat, input, 1, 3, 1, 0.6);
    REQUIRE(out.width == 3);
    REQUIRE(out.height == 1);
    // pixel 0: 0.4·0 + 0.6·(1, 0, 0)         = (0.6, 0, 0)         → (153, 0, 0)
    // pixel 1: 0.4·0.5 + 0.6·(1, 1, 1)       = (0.8, 0.8, 0.8)     → (204, 204, 204)
    // pixel 2: 0.4·1 + 0.6·(0, 0, 1)         = (0.4, 0.4, 1)       → (102, 102, 255)
    CHECK_RGB(out.at(0, 0), (Rgb{153, 0, 0}));
    CHECK_RGB(out.at(1, 0), (Rgb{204, 204, 204}));
    CHECK_RGB(out.at(2, 0), (Rgb{102, 102, 255}));
    // alpha 1: the heatmap; alpha 0: the grey input
    CHECK(same_row(row_of(overlay(heat, input, 1, 3, 1, 1.0), 0), row_of(heat, 0)));
    CHECK(same_row(row_of(overlay(heat, input, 1, 3, 1, 0.0), 0), {black, {128, 128, 128}, white}));
}

TEST_CASE("overlay: channels summed, blocks of a scaled heatmap, constant input is mid grey") {
    // input (1, 2, 2): sums [5, 1] → grey 1, 0; heat scaled ×2 (4 × 2), all black
    const Image heat(4, 2, black);
    const float input[] = {2, 3, 0.5f, 0.5f};
    const Image out = overlay(heat, input, 1, 2, 2, 0.5);
    REQUIRE(out.width == 4);
    REQUIRE(out.height == 2);
    for (int y = 0; y < 2; ++y)
        for (int x = 0; x < 4; ++x)
            CHECK_RGB(out.at(x, y), x < 2 ? (Rgb{128, 128, 128}) : black);  // 0.5·1 = 127.5
    // constant input: grey 0.5 everywhere; over black at alpha 0.5 → 0.25 · 255 = 63.75 → 64
    const double flat[] = {7, 7};
    for (const Rgb& p : overlay(Image(2, 1, black), flat, 1, 2, 1, 0.5).pixels)
        CHECK_RGB(p, (Rgb{64, 64, 64}));
}

TEST_CASE("overlay errors: heatmap not a whole multiple of the input, empty sizes") {
    const double input[] = {0, 1};
    CHECK_THROWS_WITH_AS(overlay(Image(3, 1), input, 1, 2, 1), doctest::Contains("not a multiple"),
                         innspect::shape_error);
    CHECK_THROWS_AS(overlay(Image(1, 1), input, 1, 2, 1), innspect::shape_error);
    CHECK_THROWS_AS(overlay(Image(2, 3), input, 2, 1, 1), innspect::shape_error);
    CHECK_THROWS_AS(overlay(Image(2, 1), input, 0, 2, 1), innspect::value_error);
    CHECK_THROWS_AS(overlay(Image(2, 1), input, 1, 0, 1), innspect::value_error);
    CHECK_THROWS_AS(overlay(Image(2, 1), input, 1, 2, 0), innspect::value_error);
}

// ---- text and grid ----------------------------------------------------------------------------

TEST_CASE("draw_text: glyphs in the given colour, clipped at the border, every character drawn") {
    Image one(40, 16);
    draw_text(one, 2, 2, "X");
    const int per_x = count(one, black, 0, 0, 40, 16);
    CHECK(per_x > 0);
    // the same glyph rasterised here from stb_easy_font's quads, with a buffer far larger than needed
    {
        std::vector<char> buffer(1 << 16);
        char x[] = "X";
        const int quads =
            stb_easy_font_print(0, 0, x, nullptr, buffer.data(), static_cast<int>(buffer.size()));
        Image ref(40, 16);
        for (int q = 0; q < quads; ++q) {
            float v[16];
            std::memcpy(v, buffer.data() + 64 * q, sizeof v);  // 4 vertices of (x, y, z, colour)
            for (int y = static_cast<int>(v[1]); y < static_cast<int>(v[9]); ++y)
                for (int xx = static_cast<int>(v[0]); xx < static_cast<int>(v[8]); ++xx)
                    ref.at(2 + xx, 2 + y) = black;
        }
        CHECK(quads == 11);  // X: the glyph with the most quads
        CHECK(count(ref, black, 0, 0, 40, 16) == per_x);
    }
    // every drawn pixel lies in the glyph box right/below (2, 2): about 6 px wide, 7 high
    CHECK(count(one, black, 2, 2, 9, 12) == per_x);
    // a long label is drawn in full: six X glyphs, side by side, six times the pixels
    // (X is the glyph with the most quads)
    Image six(80, 16);
    draw_text(six, 2, 2, "XXXXXX");
    CHECK(count(six, black, 0, 0, 80, 16) == 6 * per_x);
    Image many(450, 16);  // X advances 7 px: 420 px
    draw_text(many, 0, 2, std::string(60, 'X'));
    CHECK(count(many, black, 0, 0, 450, 16) == 60 * per_x);
    // colour and clipping: drawn partly outside the image, no write out of bounds
    Image clip(4, 4);
    draw_text(clip, -2, -2, "X", red);
    CHECK(count(clip, red, 0, 0, 4, 4) > 0);
    CHECK(count(clip, red, 0, 0, 4, 4) < per_x);
    CHECK(count(clip, black, 0, 0, 4, 4) == 0);
    // bytes outside printable ASCII (UTF-8, control characters) are drawn as '?'
    Image utf8(40, 16), question(40, 16);
    draw_text(utf8, 2, 2, "\xce\xb1\t");  // "α" and a tab
    draw_text(question, 2, 2, "???");
    CHECK(utf8.pixels.size() == question.pixels.size());
    CHECK(count(utf8, black, 0, 0, 40, 16) > 0);
    bool equal = true;
    for (std::size_t i = 0; i < utf8.pixels.size(); ++i)
        equal = equal && same(utf8.pixels[i], question.pixels[i]);
    CHECK(equal);
    // the empty string draws nothing
    Image empty(8, 8);
    draw_text(empty, 0, 0, "");
    CHECK(count(empty, white, 0, 0, 8, 8) == 64);
}

TEST_CASE("grid: dimensions and tile placement without labels") {
    // three 2 × 2 tiles, 2 columns, gap 1:
    //   width  = 2 tiles · 2 + 3 gaps = 7,  height = 2 rows · 2 + 3 gaps = 7
    //   tile 0 at (1, 1), tile 1 at (4, 1), tile 2 at (1, 4); the rest is white
    const std::vector<Image> tiles{Image(2, 2, red), Image(2, 2, blue), Image(2, 2, black)};
    const Image g = grid(tiles, 2, {}, 1);
    REQUIRE(g.width == 7);
    REQUIRE(g.height == 7);
    CHECK(count(g, red, 1, 1, 3, 3) == 4);
    CHECK(count(g, blue, 4, 1, 6, 3) == 4);
    CHECK(count(g, black, 1, 4, 3, 6) == 4);
    CHECK(count(g, white, 0, 0, 7, 7) == 49 - 12);
    // one column: 1 · 2 + 2 = 4 wide, 3 · 2 + 4 = 10 high
    const Image col = grid(tiles, 1, {}, 1);
    CHECK(col.width == 4);
    CHECK(col.height == 10);
    CHECK(count(col, black, 1, 7, 3, 9) == 4);
    // more columns than tiles: one row of three, 3 · 2 + 4 · 1 = 10 wide
    const Image wide = grid(tiles, 5, {}, 1);
    CHECK(wide.width == 10);
    CHECK(wide.height == 4);
    CHECK(count(wide, black, 7, 1, 9, 3) == 4);
    // the default gap is 6: 2 · 2 + 3 · 6 = 22 wide, 2 · 2 + 3 · 6 = 22 high
    const Image def = grid(tiles, 2);
    CHECK(def.width == 22);
    CHECK(def.height == 22);
    // gap 0 and tiles of different sizes: cells are the largest tile (3 × 1 and 1 × 2 → 3 × 2)
    const Image mixed = grid({Image(3, 1, red), Image(1, 2, blue)}, 2, {}, 0);
    CHECK(mixed.width == 6);
    CHECK(mixed.height == 2);
    CHECK(count(mixed, red, 0, 0, 3, 1) == 3);
    CHECK(count(mixed, blue, 3, 0, 4, 2) == 2);
    CHECK(count(mixed, white, 0, 0, 6, 2) == 12 - 5);
}

TEST_CASE("grid: labels add 12 pixel rows above each tile and are drawn there") {
    // two 20 × 3 tiles, 2 columns, gap 2, labels "A" and "":
    //   width 2 · 20 + 3 · 2 = 46, height 1 · (3 + 12) + 2 · 2 = 19
    //   tile 0 at (2, 2 + 12 = 14), tile 1 at (24, 14); label 0 in [2, 22) × [2, 14)
    const std::vector<Image> tiles{Image(20, 3, red), Image(20, 3, blue)};
    const Image g = grid(tiles, 2, {"A", ""}, 2);
    REQUIRE(g.width == 46);
    REQUIRE(g.height == 19);
    CHECK(count(g, red, 2, 14, 22, 17) == 60);
    CHECK(count(g, blue, 24, 14, 44, 17) == 60);
    const int label_pixels = count(g, black, 2, 2, 22, 14);
    CHECK(label_pixels > 0);
    CHECK(count(g, black, 0, 0, 46, 19) == label_pixels);  // nowhere else: the second label is empty
    // the label is the same glyph draw_text makes, one pixel below the cell's top
    Image a(46, 19);
    draw_text(a, 2, 3, "A");
    CHECK(count(a, black, 0, 0, 46, 19) == label_pixels);
    // fewer labels than tiles: the rest unlabelled, still 12 rows reserved
    const Image g1 = grid({Image(20, 3, red), Image(20, 3, blue), Image(20, 3, red)}, 2, {"B"}, 2);
    CHECK(g1.height == 2 * (3 + 12) + 3 * 2);
    CHECK(count(g1, black, 24, 0, 46, 17) == 0);
    CHECK(count(g1, black, 2, 2, 22, 14) > 0);
}

TEST_CASE("grid errors") {
    CHECK_THROWS_AS(grid({}, 2), innspect::value_error);
    CHECK_THROWS_AS(grid({Image(2, 2)}, 0), innspect::value_error);
    CHECK_THROWS_AS(grid({Image(2, 2)}, 1, {}, -1), innspect::value_error);
}

// ---- PNG --------------------------------------------------------------------------------------

TEST_CASE("write_png: read back with stb_image, every pixel") {
    TempDir dir;
    Image img(3, 2);
    img.at(0, 0) = red;
    img.at(1, 0) = {0, 255, 0};
    img.at(2, 0) = blue;
    img.at(0, 1) = {1, 2, 3};
    img.at(1, 1) = {254, 128, 7};
    img.at(2, 1) = black;
    const fs::path p = dir / "small.png";
    write_png(p, img);
    int w = 0, h = 0, comp = 0;
    unsigned char* data = stbi_load(p.string().c_str(), &w, &h, &comp, 0);
    REQUIRE(data != nullptr);
    CHECK(w == 3);
    CHECK(h == 2);
    CHECK(comp == 3);
    const unsigned char expected[] = {255, 0, 0, 0, 255, 0, 0, 0, 255, 1, 2, 3, 254, 128, 7, 0, 0, 0};
    bool equal = w == 3 && h == 2 && comp == 3;
    for (int i = 0; equal && i < 18; ++i) equal = data[i] == expected[i];
    CHECK(equal);
    stbi_image_free(data);

    // a labelled grid of heatmaps, written and read back unchanged
    HeatmapOptions opt;
    opt.scale = 4;
    opt.colormap = Colormap::seismic;
    const double r[] = {1, -2, 0.5, 3, 0, -1, 2, 2, -3};
    const Image g = grid({heatmap(r, 3, 3, 1, opt), heatmap(r, 1, 9, 1)}, 1, {"seismic", "bwr"});
    const fs::path q = dir / "grid.png";
    write_png(q, g);
    data = stbi_load(q.string().c_str(), &w, &h, &comp, 3);
    REQUIRE(data != nullptr);
    CHECK(w == g.width);
    CHECK(h == g.height);
    equal = w == g.width && h == g.height;
    for (std::size_t i = 0; equal && i < g.pixels.size(); ++i)
        equal = data[3 * i] == g.pixels[i].r && data[3 * i + 1] == g.pixels[i].g &&
                data[3 * i + 2] == g.pixels[i].b;
    CHECK(equal);
    stbi_image_free(data);
}

TEST_CASE("write_png errors: unwritable path, empty image, pixels that do not match the size") {
    TempDir dir;
    const fs::path missing = dir / "no_such_directory" / "x.png";
    CHECK_THROWS_WITH_AS(write_png(missing, Image(2, 2)), doctest::Contains(missing.string().c_str()),
                         innspect::io_error);
    CHECK(!fs::exists(missing));
    CHECK_THROWS_AS(write_png(dir / "empty.png", Image()), innspect::value_error);
    CHECK_THROWS_AS(write_png(dir / "empty.png", Image(0, 3)), innspect::value_error);
    Image bad(2, 2);
    bad.pixels.pop_back();
    CHECK_THROWS_AS(write_png(dir / "bad.png", bad), innspect::shape_error);
    bad.pixels.resize(9);
    CHECK_THROWS_AS(write_png(dir / "bad.png", bad), innspect::shape_error);
}
