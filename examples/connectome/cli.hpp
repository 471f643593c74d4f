#pragma once
/// \file
/// What innspect-connectome adds to the library's command line (innspect/cli/): the widths W it
/// is built for, its input forms (a W×W matrix with or without the channel axis, batched or not)
/// and the request of `concept`. Nothing here instantiates the model.

#include <filesystem>
#include <string>
#include <string_view>

#include <innspect/cli/input.hpp>
#include <innspect/cli/options.hpp>
#include <innspect/cli/requests.hpp>

namespace connectome {

inline constexpr std::string_view program_name = "innspect-connectome";

/// The widths W the seed model is compiled for (one instantiation each, per precision).
inline constexpr int supported_widths[] = {16, 90};

/// "W = 16 or W = 90".
std::string supported_widths_text();

// The generic command line (innspect/cli/): option parsing, the explain request and its
// selections are the library's; this program adds the seed model's input forms and `concept`.
using innspect::cli::Args;
using innspect::cli::composite_names;
using innspect::cli::ExplainRequest;
using innspect::cli::join;
using innspect::cli::OptionSpec;
using innspect::cli::parse_explain;
using innspect::cli::parse_integer;
using innspect::cli::parse_precision;
using innspect::cli::Precision;
using innspect::cli::PredictRequest;
using innspect::cli::usage_error;

/// How the messages call the model ("--target: the seed model has no layer ...").
inline constexpr innspect::cli::Context context{program_name, "the seed model"};

/// An input batch read from an .npy file: (batch, W, W, 1), (batch, W, W), (W, W, 1) or (W, W),
/// with W one of supported_widths. `data` holds batch·W·W values, channels-last.
struct InputData : innspect::cli::InputData {
    int width = 0;
};
/// Reads `path` (the value of `option`). An unreadable or malformed file throws innspect::io_error
/// (exit 1); a shape that is no W×W matrix, or an unsupported W, throws usage_error (exit 2).
InputData read_input(std::string_view option, const std::filesystem::path& path);

struct ConceptRequest {
    std::filesystem::path weights, out;
    std::string layer = "dropout2";
    bool pre_activation = false;
};

}  // namespace connectome
