#pragma once
/// \file
/// The one convolution kernel pair every convolution direction is built from.
///
/// Input images are channels-last rows of a batch; `im2col` copies, for every output pixel, the
/// kh × kw × C patch it sees into one row of `cols` (zeros where the patch hangs over the padding):
///
///   x:    batch × (H·W·C)              cols: (batch·OH·OW) × (kh·kw·C)
///   row b = [pixel (0,0): C values][pixel (0,1)] ...    row (b, oh, ow) = [ki=0: kw·C values][ki=1] ...
///
/// Because a patch row of kw pixels is contiguous in x (kw·C values), each ki copies one run.
/// `col2im` is its exact adjoint: it scatter-adds each patch row back into the image.
///
///   Conv2D forward          = im2col(x) · K           Conv2D transposed op = col2im(s · Kᵀ)
///   Conv2DTranspose forward = col2im(x · Kᵀ)          its transposed op    = im2col(s) · K

#include <algorithm>
#include <cstring>

#include <Eigen/Core>

#include "innspect/core/tensor.hpp"

namespace innspect {

/// Keras's two paddings. `same` pads (k − 1 rounded to the stride) zeros, the odd one after.
enum class Padding { valid, same };

/// "valid" / "same", as Keras's config spells them.
constexpr const char* padding_name(Padding p) { return p == Padding::same ? "same" : "valid"; }

namespace detail {

/// Geometry of a convolution from an in_h × in_w × in_c image to out_h × out_w pixels.
struct ConvGeometry {
    int in_h, in_w, in_c;
    int out_h, out_w;
    int kh, kw, sh, sw;
    int pad_top, pad_left;

    constexpr int patch() const { return kh * kw * in_c; }
    constexpr int pixels_out() const { return out_h * out_w; }
    constexpr int pixels_in() const { return in_h * in_w; }
};

/// Output length of a Keras/TensorFlow convolution along one axis.
constexpr int conv_out_length(int in, int k, int s, Padding p) {
    return p == Padding::valid ? (in - k) / s + 1 : (in + s - 1) / s;
}

/// Zeros TensorFlow pads before the input along one axis (the odd one goes after).
constexpr int conv_pad_before(int in, int k, int s, Padding p) {
    if (p == Padding::valid) return 0;
    const int out = conv_out_length(in, k, s, p);
    const int total = std::max((out - 1) * s + k - in, 0);
    return total / 2;
}

constexpr ConvGeometry conv_geometry(int in_h, int in_w, int in_c, int kh, int kw, int sh, int sw,
                                     Padding p) {
    return ConvGeometry{in_h,
                        in_w,
                        in_c,
                        conv_out_length(in_h, kh, sh, p),
                        conv_out_length(in_w, kw, sw, p),
                        kh,
                        kw,
                        sh,
                        sw,
                        conv_pad_before(in_h, kh, sh, p),
                        conv_pad_before(in_w, kw, sw, p)};
}

/// The kj range [lo, hi) of a patch row whose pixels fall inside the image.
inline void inside_columns(const ConvGeometry& g, int iw0, int& lo, int& hi) {
    lo = std::max(0, -iw0);
    hi = std::min(g.kw, g.in_w - iw0);
    if (hi < lo) hi = lo;
}

/// cols ((batch·OH·OW) × patch) ← the patches of x (batch × H·W·C).
template <class T>
void im2col(const ConvGeometry& g, const T* x, Eigen::Index batch, T* cols) {
    const int C = g.in_c;
    const int run = g.kw * C;
    for (Eigen::Index b = 0; b < batch; ++b) {
        const T* xb = x + b * static_cast<Eigen::Index>(g.pixels_in()) * C;
        for (int oh = 0; oh < g.out_h; ++oh)
            for (int ow = 0; ow < g.out_w; ++ow) {
                T* row = cols + ((b * g.out_h + oh) * g.out_w + ow) * static_cast<Eigen::Index>(g.patch());
                const int iw0 = ow * g.sw - g.pad_left;
                int lo, hi;
                inside_columns(g, iw0, lo, hi);
                for (int ki = 0; ki < g.kh; ++ki) {
                    T* dst = row + ki * run;
                    const int ih = oh * g.sh - g.pad_top + ki;
                    if (ih < 0 || ih >= g.in_h || lo == hi) {
                        std::fill(dst, dst + run, T(0));
                        continue;
                    }
                    std::fill(dst, dst + lo * C, T(0));
                    std::memcpy(dst + lo * C, xb + (static_cast<Eigen::Index>(ih) * g.in_w + iw0 + lo) * C,
                                sizeof(T) * static_cast<std::size_t>((hi - lo) * C));
                    std::fill(dst + hi * C, dst + run, T(0));
                }
            }
    }
}

/// x (batch × H·W·C) ← Σ of the patch rows of cols scattered back: the adjoint of im2col.
template <class T>
void col2im(const ConvGeometry& g, const T* cols, Eigen::Index batch, T* x) {
    const int C = g.in_c;
    const int run = g.kw * C;
    std::fill(x, x + batch * static_cast<Eigen::Index>(g.pixels_in()) * C, T(0));
    for (Eigen::Index b = 0; b < batch; ++b) {
        T* xb = x + b * static_cast<Eigen::Index>(g.pixels_in()) * C;
        for (int oh = 0; oh < g.out_h; ++oh)
            for (int ow = 0; ow < g.out_w; ++ow) {
                const T* row =
                    cols + ((b * g.out_h + oh) * g.out_w + ow) * static_cast<Eigen::Index>(g.patch());
                const int iw0 = ow * g.sw - g.pad_left;
                int lo, hi;
                inside_columns(g, iw0, lo, hi);
                for (int ki = 0; ki < g.kh; ++ki) {
                    const int ih = oh * g.sh - g.pad_top + ki;
                    if (ih < 0 || ih >= g.in_h || lo == hi) continue;
                    const T* src = row + ki * run + lo * C;
                    T* dst = xb + (static_cast<Eigen::Index>(ih) * g.in_w + iw0 + lo) * C;
                    const int n = (hi - lo) * C;
                    for (int i = 0; i < n; ++i) dst[i] += src[i];
                }
            }
    }
}

/// True when the patches are the input itself, read in order, so im2col is the identity and can
/// be skipped: a full-width kernel one row high at stride 1 (the seed model's (1, W) kernel), or a
/// kernel covering the whole image (its (W, 1) kernel over a W × 1 map). No padding either way.
constexpr bool im2col_is_identity(const ConvGeometry& g) {
    return g.pad_top == 0 && g.pad_left == 0 && g.kw == g.in_w && g.out_w == 1 &&
           ((g.kh == 1 && g.sh == 1 && g.out_h == g.in_h) || (g.kh == g.in_h && g.out_h == 1));
}

}  // namespace detail
}  // namespace innspect
