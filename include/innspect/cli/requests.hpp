#pragma once
/// \file
/// The requests of `predict` and `explain`; for explain the methods, composites,
/// `--target LAYER[:SELECTION]` and the method options, parsed and checked as far as that is possible without
/// the model (the model-dependent checks, layer names and index ranges, are in cli/commands.hpp and throw the
/// same usage_error).

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include <innspect/cli/options.hpp>

namespace innspect::cli {

/// `predict --out-dir D`: every layer's output as D/<layer>.npy.
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
    {"guided_backprop", "gradient, ReLUs pass positive gradients where z > 0"},
    {"deconvnet", "gradient, ReLUs pass positive gradients (without ReLUs: = gradient)"},
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

// ---- explain --------------------------------------------------------------------------------

inline std::pair<std::string, SelectionSpec> parse_target(const std::string& text) {
    const std::string accepted =
        "accepted: LAYER, LAYER:max, LAYER:all, LAYER:index:K, LAYER:index:H,W,C, LAYER:mask:FILE.npy, "
        "LAYER:direction:FILE.npy, LAYER:error, LAYER:error:MASK.npy";
    const auto colon = text.find(':');
    std::string layer = text.substr(0, colon);
    if (layer.empty())
        throw usage_error("--target: " + detail::quote(text) + " names no layer (" + accepted + ")");
    SelectionSpec sel;
    if (colon == std::string::npos) return {layer, sel};
    const std::string rest = text.substr(colon + 1);
    const auto colon2 = rest.find(':');
    const std::string kind = rest.substr(0, colon2);
    const std::string arg = colon2 == std::string::npos ? "" : rest.substr(colon2 + 1);
    const bool has_arg = colon2 != std::string::npos;
    auto bad = [&](const std::string& why) {
        return usage_error("--target: " + detail::quote(text) + ": " + why + " (" + accepted + ")");
    };
    if (kind == "max" || kind == "all") {
        if (has_arg) throw bad(kind + " takes no argument");
        sel.kind = kind == "max" ? SelectionSpec::Kind::max : SelectionSpec::Kind::all;
    } else if (kind == "index") {
        if (arg.empty()) throw bad("index needs K or H,W,C");
        if (arg.find(',') == std::string::npos) {
            sel.kind = SelectionSpec::Kind::index;
            sel.index = parse_integer("--target index", arg, 0, std::numeric_limits<int>::max());
        } else {
            sel.kind = SelectionSpec::Kind::index_hwc;
            int* dst[] = {&sel.h, &sel.w, &sel.c};
            std::size_t start = 0;
            for (int k = 0; k < 3; ++k) {
                const auto comma = arg.find(',', start);
                if ((k < 2) != (comma != std::string::npos))
                    throw bad("index:H,W,C needs exactly three integers");
                *dst[k] = static_cast<int>(parse_integer("--target index", arg.substr(start, comma - start),
                                                         0, std::numeric_limits<int>::max()));
                start = comma + 1;
            }
        }
    } else if (kind == "mask" || kind == "direction") {
        if (arg.empty()) throw bad(kind + " needs a file (" + kind + ":FILE.npy)");
        sel.kind = kind == "mask" ? SelectionSpec::Kind::mask : SelectionSpec::Kind::direction;
        sel.file = arg;
    } else if (kind == "error") {
        if (has_arg && arg.empty()) throw bad("error:MASK.npy needs a file");
        sel.kind = SelectionSpec::Kind::error;
        sel.file = arg;
    } else {
        throw bad("unknown selection " + detail::quote(kind));
    }
    return {layer, sel};
}

namespace detail {

/// The methods (and, for lrp.composite, composites) an option is used by; empty: every method.
struct OptionUse {
    std::string_view option;
    std::vector<std::string_view> methods;
    std::vector<std::string_view> composites;  ///< for lrp.composite: only these (empty: any)
};

inline const std::vector<OptionUse>& option_uses() {
    static const std::vector<OptionUse> uses = {
        {"--composite", {"lrp.composite"}, {}},
        {"--epsilon", {"lrp.epsilon", "lrp.composite"}, {}},
        {"--no-bias", {"lrp.z", "lrp.epsilon", "lrp.alpha_beta", "lrp.zplus", "lrp.gamma"}, {}},
        {"--alpha", {"lrp.alpha_beta"}, {}},
        {"--beta", {"lrp.alpha_beta"}, {}},
        {"--gamma", {"lrp.gamma", "lrp.composite"}, {"epsilon_gamma_box"}},
        {"--low", {"lrp.zbox", "lrp.composite"}, {"epsilon_gamma_box"}},
        {"--high", {"lrp.zbox", "lrp.composite"}, {"epsilon_gamma_box"}},
        {"--report",
         {"lrp.z", "lrp.epsilon", "lrp.alpha_beta", "lrp.zplus", "lrp.gamma", "lrp.flat", "lrp.wsquare",
          "lrp.zbox", "lrp.composite"},
         {}},
        {"--steps", {"integrated_gradients"}, {}},
        {"--samples", {"smoothgrad"}, {}},
        {"--noise-level", {"smoothgrad"}, {}},
        {"--seed", {"smoothgrad"}, {}},
        {"--window", {"occlusion"}, {}},
        {"--stride", {"occlusion"}, {}},
        {"--fill", {"occlusion"}, {}},
        {"--stop-at",
         {"gradient", "input_x_gradient", "guided_backprop", "deconvnet", "lrp.z", "lrp.epsilon",
          "lrp.alpha_beta", "lrp.zplus", "lrp.gamma", "lrp.flat", "lrp.wsquare", "lrp.zbox", "lrp.composite"},
         {}},
    };
    return uses;
}

/// usage_error when an option given does not apply to the method (a silently ignored option
/// would explain something other than what the user asked for).
inline void check_option_applies(const Args& args, const std::string& method, const std::string& comp) {
    for (const auto& name : args.names()) {
        for (const auto& use : option_uses()) {
            if (use.option != name) continue;
            const bool method_ok =
                std::find(use.methods.begin(), use.methods.end(), method) != use.methods.end();
            const bool comp_ok =
                method != "lrp.composite" || use.composites.empty() ||
                std::find(use.composites.begin(), use.composites.end(), comp) != use.composites.end();
            if (method_ok && comp_ok) continue;
            std::string users = join(use.methods);
            if (!use.composites.empty()) users += " (with --composite " + join(use.composites, " or ") + ")";
            throw usage_error(name + " does not apply to --method " + method +
                              (method == "lrp.composite" ? " --composite " + comp : std::string()) +
                              " (it is used by: " + users + ")");
        }
    }
}

}  // namespace detail

inline ExplainRequest parse_explain(const Args& args) {
    ExplainRequest r;
    std::vector<std::string_view> method_names;
    for (const auto& m : explain_methods) method_names.push_back(m.name);
    r.method = parse_choice("--method", args.required("--method"), method_names);
    if (r.method == "lrp.composite") {
        const auto c = args.get("--composite");
        if (!c)
            throw usage_error("--method lrp.composite needs --composite (accepted: " + join(composite_names) +
                              ")");
        r.composite = parse_choice("--composite", *c, composite_names);
    }
    detail::check_option_applies(args, r.method, r.composite);

    r.weights = args.required("--weights");
    r.out = args.required("--out");
    (void)args.required("--input");
    std::tie(r.tap, r.selection) = parse_target(args.required("--target"));
    r.stop_at = args.get("--stop-at").value_or("");
    r.keep_activation = args.flag("--keep-activation");
    if (r.method == "residual" && r.selection.kind != SelectionSpec::Kind::error)
        throw usage_error(
            "--method residual explains the reconstruction error only (accepted: --target LAYER:error, "
            "LAYER:error:MASK.npy)");
    if (r.selection.kind == SelectionSpec::Kind::error && r.keep_activation)
        throw usage_error(
            "--keep-activation: the reconstruction error always compares the layer's output (its "
            "activation kept); leave the flag out");
    r.bias = !args.flag("--no-bias");
    r.report = args.flag("--report");

    if (const auto v = args.get("--epsilon")) r.epsilon = parse_number_min("--epsilon", *v, 0.0);
    const auto a = args.get("--alpha"), b = args.get("--beta");
    if (a) r.alpha = parse_number_min("--alpha", *a, 1.0);
    if (b) r.beta = parse_number_min("--beta", *b, 0.0);
    if (a && !b) r.beta = r.alpha - 1;
    if (b && !a) r.alpha = r.beta + 1;
    if (a && b && !(std::abs(r.alpha - r.beta - 1) <= 1e-9))
        throw usage_error("--alpha " + *a + " and --beta " + *b +
                          " are not accepted (accepted: alpha - beta = 1, beta >= 0)");
    if (const auto v = args.get("--gamma")) r.gamma = parse_number_min("--gamma", *v, 0.0);
    if (const auto v = args.get("--low")) r.low = parse_number("--low", *v);
    if (const auto v = args.get("--high")) r.high = parse_number("--high", *v);
    if (r.low && r.high && *r.low > *r.high)
        throw usage_error("--low " + *args.get("--low") + " is above --high " + *args.get("--high") +
                          " (accepted: low <= high)");
    constexpr long long int_max = std::numeric_limits<int>::max();
    if (const auto v = args.get("--steps"))
        r.steps = static_cast<int>(parse_integer("--steps", *v, 1, int_max));
    if (const auto v = args.get("--samples"))
        r.samples = static_cast<int>(parse_integer("--samples", *v, 1, int_max));
    if (const auto v = args.get("--noise-level")) r.noise_level = parse_number_min("--noise-level", *v, 0.0);
    if (const auto v = args.get("--seed")) {
        std::uint64_t s = 0;
        const char* end = v->data() + v->size();
        const auto [ptr, ec] = std::from_chars(v->data(), end, s);
        if (v->empty() || ec != std::errc() || ptr != end)
            throw usage_error("--seed: " + detail::quote(*v) +
                              " is not accepted (accepted: an integer in 0..2^64-1)");
        r.seed = s;
    }
    if (const auto v = args.get("--window"))
        r.window = static_cast<int>(parse_integer("--window", *v, 1, int_max));
    if (const auto v = args.get("--stride"))
        r.stride = static_cast<int>(parse_integer("--stride", *v, 1, int_max));
    if (const auto v = args.get("--fill")) r.fill = parse_number("--fill", *v);
    (void)parse_precision(args);
    return r;
}

}  // namespace innspect::cli
