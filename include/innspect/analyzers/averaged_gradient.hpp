#pragma once
/// \file
/// What integrated gradients and SmoothGrad share: for every sample b of a batch, the mean of
/// ∂S/∂v over `per` inputs v_{b,1..per} made from it (the points of its path, its noisy copies),
///   ḡ_b = (1/per) Σ_k ∂S/∂x (v_{b,k}),
/// with S the target's scalar with its units fixed as they were at x (fixed_at): the same units
/// for every input of sample b. The inputs of several samples go through the model together, in
/// passes of at most `rows_per_pass` rows (whole samples; at least one sample's `per` rows), each
/// row with its own sample's selection weights: for a small model, one GEMM per layer for many
/// samples instead of one per sample; for any model, memory bounded by the pass, not the batch.
///
///   x (batch rows) ──▶ pass 1: [v_{0,1..per} │ v_{1,1..per} │ … │ v_{k−1,1..per}] ──▶ ∂S/∂v ──▶ ḡ_0 … ḡ_{k−1}
///                      pass 2: [v_{k,1..per} │ …                                 ]  …
///                      (k = max(1, ⌊rows_per_pass / per⌋) samples per pass; the last may have fewer)
///
/// A sample's `per` rows are averaged before the walk reaches the input where the layers there
/// allow it (backpropagate's `per`, averaging_layer in gradient.hpp): below the activation of the
/// top of the chain of fixed linear maps at the input, the gradient of the rows' mean is the mean
/// of their gradients, so those layers map one row per sample instead of `per` (the seed model's
/// first convolution: one transposed product per sample, not 32).
///
/// Every buffer (the forward pass of x, the passes' inputs, traces, targets, walks, gradients) is
/// kept in a workspace across calls: after a first call with a batch size, a call with the same
/// batch size, target and options allocates nothing (every target, the reconstruction error
/// included).

#include <algorithm>
#include <array>
#include <string>

#include "innspect/analyzers/gradient.hpp"

namespace innspect::detail {

/// How many rows a pass holds when the analyzer is not told (rows_per_pass = 0): as many as keep
/// the layer outputs of one forward pass (input included) within 2¹⁵ values — 128 KiB in float;
/// with pre-activations, the walk's buffers and im2col the pass's working set is a few times that,
/// about a core's L2 cache — and at least one sample's inputs. Measured with 32 steps (1 thread,
/// CPU time per sample at batch 32): a 64-64-32-4 dense network (164 values per row) is 8 % faster
/// in passes of 64–256 rows than in one-sample passes of 32, and slower again at 512–1024; the
/// seed model at W = 90 (≈ 25 000 values per row) is fastest in one-sample passes of 32 rows and
/// 15 % / 35 % slower in passes of 64 / 256 rows: its GEMMs are already full at 32 rows (2 880
/// im2col rows in conv1), and bigger passes only leave the cache. A bound in values, not rows,
/// gives each model its side of that.
inline constexpr Eigen::Index pass_values = Eigen::Index(1) << 15;

/// Layer output values one input row makes in a forward pass of `Model`: its input and every
/// layer's output.
template <class Model>
Eigen::Index values_per_row() {
    Eigen::Index n = Model::input_shape::size;
    for (const LayerInfo& l : Model::layer_infos()) n += l.out_size;
    return n;
}

/// An analyzer's rows-per-pass bound: `rows` ≥ 1 as given, 0 for pass_values' bound (`who` names
/// the analyzer in the error).
template <class Model>
Eigen::Index pass_rows(Eigen::Index rows, const char* who) {
    if (rows < 0) throw value_error(std::string(who) + ": rows_per_pass must be >= 0, got " + std::to_string(rows));
    return rows > 0 ? rows : std::max<Eigen::Index>(1, pass_values / values_per_row<Model>());
}

/// One pass's buffers: its inputs, their forward pass, their target and its resolution, the walk.
template <class T>
struct PassBuffers {
    Batch<T> inputs;    ///< per rows for each sample of the pass, sample after sample
    Trace<T> trace;
    Target<T> target;   ///< the pass's samples' targets fixed at x: one selection row per input row
    ResolvedTarget<T> rt;
    WalkBuffers<T> walk;
    Batch<T> gradient;  ///< ∂S/∂v, one row per input row
};

/// What an averaging analyzer keeps between calls. Two sets of pass buffers — the full passes'
/// and the last, shorter one's — so that each keeps one row count across calls and none is resized
/// (Eigen reallocates on every change of size). Buffers, not state: a copy starts empty.
template <class T>
struct AveragedGradientWorkspace {
    Trace<T> trace;          ///< the forward pass of x
    ResolvedTarget<T> rt;    ///< the target at x
    std::array<PassBuffers<T>, 2> pass;

    AveragedGradientWorkspace() = default;
    AveragedGradientWorkspace(const AveragedGradientWorkspace&) {}
    AveragedGradientWorkspace& operator=(const AveragedGradientWorkspace&) { return *this; }
};

/// Samples per pass: as many whole samples of `per` rows as fit in `rows_per_pass`, at least one.
inline Eigen::Index samples_per_pass(Eigen::Index rows_per_pass, Eigen::Index per) {
    return std::max<Eigen::Index>(1, rows_per_pass / per);
}

/// The targets of samples [b0, b0 + n) of x, fixed at x as `fixed_at` fixes them, as one target
/// over their `per` inputs each, into `f` (its buffers reused): selection row b repeated per times.
/// The reconstruction error keeps its whole or broadcast mask as it is.
template <class T>
void fixed_rows(const Target<T>& t, const ResolvedTarget<T>& rt, Eigen::Index b0, Eigen::Index n, Eigen::Index per,
                Target<T>& f) {
    f.layer = t.layer;
    f.strip_activation = t.strip_activation;
    f.stop_at = t.stop_at;
    f.selection.kind = rt.error ? SelectionKind::error : SelectionKind::relevance;
    const Batch<T>& rows = rt.error ? t.selection.values : rt.weights;
    if (rt.error && rows.rows() <= 1) {
        f.selection.values = rows;
        return;
    }
    f.selection.values.resize(n * per, rows.cols());
    for (Eigen::Index j = 0; j < n; ++j)
        f.selection.values.middleRows(j * per, per) = rows.row(b0 + j).replicate(per, 1);
}

/// The explanation of `target` at x (score, initial, at, shape as GradientAnalyzer's; no layers,
/// empty report) into `e`, with e.relevance's row b written by `finish(b, ḡ_b)`. `fill(b, rows)`
/// writes sample b's `per` inputs into `rows` (a block of the pass's inputs). `caches`: one per
/// layer (the analyzer's) or null.
template <class Model, class T, class Fill, class Finish>
void explain_averaged(const Model& model, const Batch<T>& x, const Target<T>& target, Eigen::Index per,
                      Eigen::Index rows_per_pass, ParamCache<T>* caches, AveragedGradientWorkspace<T>& ws,
                      Explanation<T>& e, Fill&& fill, Finish&& finish) {
    model.forward(x, ws.trace, target.layer);
    resolve(ws.trace, target, ws.rt);
    start_explanation(ws.trace, ws.rt, e);
    e.layers.clear();
    e.relevance.resize(x.rows(), x.cols());
    const Eigen::Index k = samples_per_pass(rows_per_pass, per);
    for (Eigen::Index b0 = 0; b0 < x.rows(); b0 += k) {
        const Eigen::Index n = std::min(k, x.rows() - b0);
        PassBuffers<T>& p = ws.pass[n == k ? 0 : 1];
        p.inputs.resize(n * per, x.cols());
        for (Eigen::Index j = 0; j < n; ++j) fill(b0 + j, p.inputs.middleRows(j * per, per));
        model.forward(p.inputs, p.trace, target.layer);
        fixed_rows(target, ws.rt, b0, n, per, p.target);
        resolve(p.trace, p.target, p.rt);
        if (backpropagate(model, p.trace, p.rt, ReluMode::gradient, nullptr, caches, p.walk, p.gradient, per))
            for (Eigen::Index j = 0; j < n; ++j) finish(b0 + j, p.gradient.row(j));
        else
            for (Eigen::Index j = 0; j < n; ++j) finish(b0 + j, p.gradient.middleRows(j * per, per).colwise().mean());
    }
}

}  // namespace innspect::detail
