#pragma once
/// \file
/// The subcommands that need the model, one function template per subcommand on the scalar T and
/// the width W. Their definitions (commands_impl.hpp) are instantiated once per (T, W) in
/// seed_<W>_<T>.cpp, so the four model instantiations compile in parallel and main.cpp stays light.
///
/// Each returns the exit code (0) and throws usage_error (exit 2) for a command-line value the
/// model rejects (an unknown layer, an index out of range, a selection file of the wrong size),
/// and innspect::error or std::exception (exit 1) for anything failing while running.

#include "cli.hpp"

namespace connectome {

template <class T, int W>
int run_predict(const PredictRequest& request, const InputData& input);

template <class T, int W>
int run_explain(const ExplainRequest& request, const InputData& input);

template <class T, int W>
int run_concept(const ConceptRequest& request, const InputData& with, const InputData& without);

/// Calls `f.template operator()<T, W>()` for the seed model instantiation of `width` and
/// `precision` (width is one of supported_widths: read_input checked it).
template <class F>
int with_seed_model(int width, Precision precision, F&& f) {
    const bool f32 = precision == Precision::f32;
    switch (width) {
        case 16: return f32 ? f.template operator()<float, 16>() : f.template operator()<double, 16>();
        case 90: return f32 ? f.template operator()<float, 90>() : f.template operator()<double, 90>();
        default:
            throw usage_error("W = " + std::to_string(width) + " is not supported (" +
                              supported_widths_text() + ")");
    }
}

}  // namespace connectome
