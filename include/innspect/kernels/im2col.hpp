#pragma once
/// \file
/// The one convolution kernel pair every convolution direction is built from.
///
/// Input images are channels-last rows of a batch; `im2col` copies, for every output pixel, the
/// kh × kw × C patch it sees into one row of `cols` (zeros where the patch hangs over the padding;
/// with a dilation (dh, dw) the patch's taps are dh rows / dw pixels apart):
///
///   x:    batch × (H·W·C)              cols: (batch·OH·OW) × (kh·kw·C)
///   row b = [pixel (0,0): C values][pixel (0,1)] ...    row (b, oh, ow) = [ki=0: kw·C values][ki=1] ...
///
/// Undilated, a patch row of kw pixels is contiguous in x (kw·C values), so each ki copies one run;
/// dilated along the width, each tap copies its C values.
/// `col2im` is its exact adjoint: it scatter-adds each patch row back into the image.
///
///   Conv2D forward          = im2col(x) · K           Conv2D transposed op = col2im(s · Kᵀ)
///   Conv2DTranspose forward = col2im(x · Kᵀ)          its transposed op    = im2col(s) · K

#include <algorithm>
#include <cstring>

#include <Eigen/Core>

#include "innspect/core/tensor.hpp"

namespace innspect {

/// Keras's paddings. `same` pads (k − 1 rounded to the stride) zeros, the odd one after; `causal`
/// (Conv1D only) pads d·(k − 1) zeros before the sequence and none after, so output t sees no
/// input after t.
enum class Padding { valid, same, causal };

/// "valid" / "same" / "causal", as Keras's config spells them.
constexpr const char* padding_name(Padding p) {
    return p == Padding::same ? "same" : p == Padding::causal ? "causal" : "valid";
}

namespace detail {

/// Geometry of a convolution from an in_h × in_w × in_c image to out_h × out_w pixels: output
/// pixel (oh, ow) reads the taps (oh·sh − pad_top + ki·dh, ow·sw − pad_left + kj·dw).
struct ConvGeometry {
    int in_h, in_w, in_c;
    int out_h, out_w;
    int kh, kw, sh, sw;
    int pad_top, pad_left;
    int dh = 1, dw = 1;  ///< dilation

    constexpr int patch() const { return kh * kw * in_c; }
    constexpr int pixels_out() const { return out_h * out_w; }
    constexpr int pixels_in() const { return in_h * in_w; }
};

/// The span of a kernel of k taps d apart: (k − 1)·d + 1.
constexpr int dilated_extent(int k, int d) { return (k - 1) * d + 1; }

/// Output length of a Keras/TensorFlow convolution along one axis (k taps, d apart). Causal
/// padding gives the length of same padding at stride 1 and ⌈in / s⌉ in general, as Keras's Conv1D.
constexpr int conv_out_length(int in, int k, int s, Padding p, int d = 1) {
    return p == Padding::valid ? (in - dilated_extent(k, d)) / s + 1 : (in + s - 1) / s;
}

/// Zeros TensorFlow pads before the input along one axis (the odd one goes after; causal: all before).
constexpr int conv_pad_before(int in, int k, int s, Padding p, int d = 1) {
    if (p == Padding::valid) return 0;
    if (p == Padding::causal) return dilated_extent(k, d) - 1;
    const int out = conv_out_length(in, k, s, p, d);
    const int total = std::max((out - 1) * s + dilated_extent(k, d) - in, 0);
    return total / 2;
}

/// The geometry of a Keras convolution. Causal padding applies to the width (a sequence is an
/// image of height 1); the height is then padded as valid.
constexpr ConvGeometry conv_geometry(int in_h, int in_w, int in_c, int kh, int kw, int sh, int sw, Padding p,
                                     int dh = 1, int dw = 1) {
    const Padding ph = p == Padding::causal ? Padding::valid : p;
    return ConvGeometry{in_h,
                        in_w,
                        in_c,
                        conv_out_length(in_h, kh, sh, ph, dh),
                        conv_out_length(in_w, kw, sw, p, dw),
                        kh,
                        kw,
                        sh,
                        sw,
                        conv_pad_before(in_h, kh, sh, ph, dh),
                        conv_pad_before(in_w, kw, sw, p, dw),
                        dh,
                        dw};
}

/// The kj range [lo, hi) of a patch row whose taps (iw0 + kj·dw) fall inside the image.
inline void inside_columns(const ConvGeometry& g, int iw0, int& lo, int& hi) {
    lo = iw0 >= 0 ? 0 : (-iw0 + g.dw - 1) / g.dw;
    hi = iw0 > g.in_w - 1 ? 0 : std::min(g.kw, (g.in_w - 1 - iw0) / g.dw + 1);
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
                    const int ih = oh * g.sh - g.pad_top + ki * g.dh;
                    if (ih < 0 || ih >= g.in_h || lo == hi) {
                        std::fill(dst, dst + run, T(0));
                        continue;
                    }
                    std::fill(dst, dst + lo * C, T(0));
                    const T* src = xb + static_cast<Eigen::Index>(ih) * g.in_w * C;
                    if (g.dw == 1) {
                        std::memcpy(dst + lo * C, src + static_cast<Eigen::Index>(iw0 + lo) * C,
                                    sizeof(T) * static_cast<std::size_t>((hi - lo) * C));
                    } else {
                        for (int kj = lo; kj < hi; ++kj)
                            std::memcpy(dst + kj * C, src + static_cast<Eigen::Index>(iw0 + kj * g.dw) * C,
                                        sizeof(T) * static_cast<std::size_t>(C));
                    }
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
                    const int ih = oh * g.sh - g.pad_top + ki * g.dh;
                    if (ih < 0 || ih >= g.in_h || lo == hi) continue;
                    T* dst_row = xb + static_cast<Eigen::Index>(ih) * g.in_w * C;
                    for (int kj = lo; kj < hi; ++kj) {
                        const T* src = row + ki * run + kj * C;
                        T* dst = dst_row + static_cast<Eigen::Index>(iw0 + kj * g.dw) * C;
                        for (int c = 0; c < C; ++c) dst[c] += src[c];
                    }
                }
            }
    }
}

/// True when the patches are the input itself, read in order, so im2col is the identity and can
/// be skipped: a full-width kernel one row high at stride 1 (the seed model's (1, W) kernel), or a
/// kernel covering the whole image (its (W, 1) kernel over a W × 1 map). No padding and no
/// dilation either way.
constexpr bool im2col_is_identity(const ConvGeometry& g) {
    return g.pad_top == 0 && g.pad_left == 0 && g.dh == 1 && g.dw == 1 && g.kw == g.in_w && g.out_w == 1 &&
           ((g.kh == 1 && g.sh == 1 && g.out_h == g.in_h) || (g.kh == g.in_h && g.out_h == 1));
}

}  // namespace detail
}  // namespace innspect
