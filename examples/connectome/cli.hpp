#pragma once
/// \file
/// Command-line plumbing of innspect-connectome: option parsing whose every message names the
/// option and the values it accepts, the input-shape check, and the requests the subcommands run.
/// Nothing here knows the model: model-dependent checks (layer names, index ranges) live in
/// commands_impl.hpp and throw the same usage_error.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace connectome {

inline constexpr std::string_view program_name = "innspect-connectome";

/// The widths W the seed model is compiled for (one instantiation each, per precision).
inline constexpr int supported_widths[] = {16, 90};

/// "W = 16 or W = 90".
std::string supported_widths_text();

/// A bad command line: unknown option, bad value, unsupported input shape. Exit code 2.
struct usage_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// One option of a subcommand: `--name VALUE` (or `--name=VALUE`), or a flag when `value` is empty.
struct OptionSpec {
    std::string_view name;   ///< "--epsilon"
    std::string_view value;  ///< placeholder shown in the help ("E"); empty: a flag
    std::string_view help;   ///< one line (may contain '\n' for continuation lines)
};

/// The options given to one subcommand, checked against its specs: unknown options, flags given a
/// value, options missing their value, options given twice and stray arguments are usage_errors.
class Args {
public:
    Args(std::span<const OptionSpec> specs, std::span<const std::string> argv);

    bool given(std::string_view name) const { return find(name) != nullptr; }
    bool flag(std::string_view name) const { return given(name); }
    /// The value of `name`, or nullopt when it was not given.
    std::optional<std::string> get(std::string_view name) const;
    /// The value of `name`; usage_error "--name is required" when it was not given.
    std::string required(std::string_view name) const;
    /// The names of the options given, in command-line order.
    std::vector<std::string> names() const;

private:
    const std::string* find(std::string_view name) const;
    std::vector<std::pair<std::string, std::string>> values_;
};

/// `text` as a finite number; usage_error naming `option` otherwise.
double parse_number(std::string_view option, const std::string& text);
/// A finite number >= `min` (> `min` when `strict`).
double parse_number_min(std::string_view option, const std::string& text, double min, bool strict = false);
/// An integer in [min, max].
long long parse_integer(std::string_view option, const std::string& text, long long min, long long max);
/// One of `choices`; usage_error listing them otherwise.
std::string parse_choice(std::string_view option, const std::string& text,
                         std::span<const std::string_view> choices);
/// "a, b, c".
std::string join(std::span<const std::string_view> items, std::string_view sep = ", ");

enum class Precision { f32, f64 };
inline constexpr std::string_view precisions[] = {"float", "double"};
Precision parse_precision(const Args& args);

/// An input batch read from an .npy file: (batch, W, W, 1), (batch, W, W), (W, W, 1) or (W, W),
/// with W one of supported_widths. `data` holds batch·W·W values, channels-last.
struct InputData {
    std::filesystem::path path;
    std::vector<std::int64_t> file_shape;
    std::vector<double> data;
    std::int64_t batch = 0;
    int width = 0;
};
/// Reads `path` (the value of `option`). An unreadable or malformed file throws innspect::io_error
/// (exit 1); a shape that is no W×W matrix, or an unsupported W, throws usage_error (exit 2).
InputData read_input(std::string_view option, const std::filesystem::path& path);

// ---- requests -------------------------------------------------------------------------------

struct PredictRequest {
    std::filesystem::path weights, out_dir;
};

/// A unit selection at the explained layer, as given after `LAYER:` in --target.
struct SelectionSpec {
    enum class Kind { max, all, index, index_hwc, mask, direction, error };
    Kind kind = Kind::max;
    long long index = 0;         ///< index:K
    int h = 0, w = 0, c = 0;     ///< index:H,W,C
    std::filesystem::path file;  ///< mask: / direction: / error: (optional)
};

/// `LAYER[:SELECTION]`, SELECTION ∈ index:K, index:H,W,C, max, all, mask:FILE.npy, direction:FILE.npy,
/// error, error:MASK.npy (the reconstruction error of LAYER against the input).
std::pair<std::string, SelectionSpec> parse_target(const std::string& text);

struct ExplainMethod {
    std::string_view name;
    std::string_view help;
};
inline constexpr ExplainMethod explain_methods[] = {
    {"gradient", "dS/dx"},
    {"input_x_gradient", "x * dS/dx"},
    {"integrated_gradients", "(x - 0) * mean of dS/dx on --steps points of the path from 0 to x"},
    {"smoothgrad", "mean of dS/dx at --samples noisy copies of x (sigma = --noise-level * (max x - min x))"},
    {"guided_backprop", "gradient, ReLUs pass positive gradients where z > 0 (the seed model has no ReLU)"},
    {"deconvnet", "gradient, ReLUs pass positive gradients (the seed model has no ReLU: = gradient)"},
    {"occlusion", "drop of S when a --window x --window patch is set to --fill, mean over patches"},
    {"lrp.z", "LRP-0 on every linear layer"},
    {"lrp.epsilon", "LRP-epsilon (--epsilon) on every linear layer"},
    {"lrp.alpha_beta", "LRP-alpha-beta (--alpha, --beta) on every linear layer"},
    {"lrp.zplus", "LRP-z+ (alpha 1, beta 0) on every linear layer"},
    {"lrp.gamma", "LRP-gamma (--gamma) on every linear layer"},
    {"lrp.flat", "flat rule on every linear layer"},
    {"lrp.wsquare", "w^2 rule on every linear layer"},
    {"lrp.zbox",
     "z^B rule (--low, --high) on every linear layer (for z^B on the first layer\n"
     "only, use --method lrp.composite --composite epsilon_gamma_box)"},
    {"lrp.composite", "a rule per layer from --composite"},
    {"residual", "m * (x - x_hat)^2, the residual map (only with --target LAYER:error)"},
};
inline constexpr std::string_view composite_names[] = {
    "sequential_preset_a", "sequential_preset_b",  "sequential_preset_a_flat", "sequential_preset_b_flat",
    "epsilon_plus",        "epsilon_alpha2_beta1", "epsilon_plus_flat",        "epsilon_gamma_box",
};

struct ExplainRequest {
    std::filesystem::path weights, out;
    std::string method;
    std::string composite;  ///< lrp.composite only
    std::string tap;        ///< the explained layer
    SelectionSpec selection;
    std::string stop_at;  ///< empty: the model input
    bool keep_activation = false;
    bool bias = true;
    bool report = false;
    std::optional<double> epsilon;  ///< unset: 1e-6, or the preset's own value
    double alpha = 2, beta = 1;     ///< resolved so that alpha - beta = 1
    double gamma = 0.25;
    std::optional<double> low, high;  ///< unset: the input's minimum / maximum
    int steps = 32, samples = 32;
    double noise_level = 0.1;
    std::uint64_t seed = 0;
    std::optional<int> window, stride;  ///< unset: max(1, W / 10), and the window
    double fill = 0;
};
/// Checks and resolves the options of `explain` (everything that does not need the model).
ExplainRequest parse_explain(const Args& args);

struct ConceptRequest {
    std::filesystem::path weights, out;
    std::string layer = "dropout2";
    bool pre_activation = false;
};

}  // namespace connectome
