#pragma once
/// \file
/// What every analyzer returns: the relevance (or attribution) where propagation stopped, what
/// was explained, optionally every layer's relevance, and for LRP the conservation report.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "innspect/core/tensor.hpp"

namespace innspect {

/// One layer's line in the conservation report (sums over the batch).
struct LayerConservation {
    std::string layer;            ///< Keras name
    std::string rule;             ///< rule applied ("pass-through" for non-linear layers)
    double relevance_out = 0;     ///< Σ R at the layer's output
    double relevance_in = 0;      ///< Σ R handed to its input
    double bias_absorbed = 0;     ///< Σ of what the bias took in the denominator
    double stabilizer_lost = 0;   ///< Σ R_out − Σ R_in − bias: what the stabiliser (ε) took
};

/// Σ R layer by layer, from the explained tap down to where propagation stopped.
struct ConservationReport {
    double initial = 0;  ///< Σ R⁰ at the tap
    double final = 0;    ///< Σ R where propagation stopped
    /// With a stop layer on a graph with skip connections: Σ R that reached the input through
    /// branches around the stop layer (not part of `final`).
    double bypassed = 0;
    /// The reconstruction-error target: Σ R_direct = −Σ d ⊙ x, the input's own term of
    /// E = Σ R⁰ + direct (part of `final` when propagation goes to the input).
    double direct = 0;
    bool has_direct = false;
    std::vector<LayerConservation> layers;

    /// A fixed-width table, one row a layer: Σ out, Σ in, bias and stabiliser shares of Σ out.
    std::string table() const {
        // Column widths grow with the longest layer and rule names (Keras names can be long).
        int wl = 16, wr = 28;
        for (const auto& l : layers) {
            wl = std::max(wl, static_cast<int>(l.layer.size()));
            wr = std::max(wr, static_cast<int>(l.rule.size()));
        }
        std::string s;
        char line[512];
        std::snprintf(line, sizeof line, "%-*s %-*s %14s %14s %9s %9s\n", wl, "layer", wr, "rule", "sum R out",
                      "sum R in", "bias %", "eps %");
        s += line;
        for (const auto& l : layers) {
            const double d = l.relevance_out != 0 ? 100.0 / l.relevance_out : 0.0;
            std::snprintf(line, sizeof line, "%-*s %-*s %14.6g %14.6g %9.3f %9.3f\n", wl, l.layer.c_str(), wr,
                          l.rule.c_str(), l.relevance_out, l.relevance_in, l.bias_absorbed * d, l.stabilizer_lost * d);
            s += line;
        }
        std::snprintf(line, sizeof line, "explained sum R0 = %.6g, at the end sum R = %.6g (%.3f%%)\n", initial, final,
                      initial != 0 ? 100.0 * final / initial : 0.0);
        s += line;
        if (has_direct) {
            std::snprintf(line, sizeof line, "reconstruction error E = sum R0 + direct term (-d * x, at the input) = %.6g + %.6g = %.6g\n",
                          initial, direct, initial + direct);
            s += line;
        }
        if (bypassed != 0) {
            std::snprintf(line, sizeof line, "around the stop layer to the input: sum R = %.6g (%.3f%%)\n", bypassed,
                          initial != 0 ? 100.0 * bypassed / initial : 0.0);
            s += line;
        }
        return s;
    }
};

/// Relevance at one layer's output (kept on request).
template <class T>
struct LayerRelevance {
    std::string layer;
    Batch<T> relevance;
};

template <class T>
struct Explanation {
    Batch<T> relevance;                ///< batch × features where propagation stopped
    std::string at = "input";          ///< "input" or the stop layer's name
    std::vector<std::int64_t> shape;   ///< Keras shape of one sample of `relevance`
    Batch<T> initial;                  ///< R⁰ at the tap (LRP) or the selection weights m (gradients)
    Vector<T> score;                   ///< per sample: the explained quantity Σ_j m_j z_j
    std::vector<LayerRelevance<T>> layers;  ///< per layer, when requested
    ConservationReport report;         ///< LRP only
};

/// Options every analyzer accepts.
struct ExplainOptions {
    bool keep_layers = false;  ///< record the relevance at every visited layer's output
    /// Threads explaining the batch's tasks at once (analyzers/tasks.hpp). 1: the calling thread
    /// only; the library starts no thread unless this is > 1. LRP and the gradient analyzers keep
    /// the threads they start (threads − 1, the calling thread is one of the workers) until they
    /// are destroyed, each with its own copy of the analyzer, so a repeated call starts none.
    int threads = 1;
    /// Rows per task: each task is explained exactly as its rows alone would be. 0: the batch shared
    /// evenly among `threads` (one task for one thread). The results depend on the tasks, never on
    /// the number of threads: the same rows_per_task gives the same bits on 1 or N threads.
    Eigen::Index rows_per_task = 0;
};

}  // namespace innspect
