#include "cli.hpp"

#include <innspect/core/shape.hpp>
#include <innspect/io/npy.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <system_error>

namespace connectome {

// ---- Args -----------------------------------------------------------------------------------

namespace {

std::string accepted_options(std::span<const OptionSpec> specs) {
    std::string s;
    for (const auto& o : specs) s += (s.empty() ? "" : ", ") + std::string(o.name);
    return s;
}

std::string quote(std::string_view s) { return "'" + std::string(s) + "'"; }

}  // namespace

Args::Args(std::span<const OptionSpec> specs, std::span<const std::string> argv) {
    for (std::size_t i = 0; i < argv.size(); ++i) {
        const std::string& arg = argv[i];
        if (arg.size() < 3 || arg.compare(0, 2, "--") != 0)
            throw usage_error("unexpected argument " + quote(arg) +
                              " (options start with --; accepted: " + accepted_options(specs) + ")");
        const auto eq = arg.find('=');
        const std::string name = arg.substr(0, eq);
        const auto spec =
            std::find_if(specs.begin(), specs.end(), [&](const OptionSpec& o) { return o.name == name; });
        if (spec == specs.end())
            throw usage_error("unknown option " + quote(name) + " (accepted: " + accepted_options(specs) +
                              ")");
        if (find(name) != nullptr) throw usage_error(name + " is given twice");
        std::string value;
        if (spec->value.empty()) {
            if (eq != std::string::npos) throw usage_error(name + " is a flag and takes no value");
        } else if (eq != std::string::npos) {
            value = arg.substr(eq + 1);
        } else {
            if (i + 1 >= argv.size() || argv[i + 1].compare(0, 2, "--") == 0)
                throw usage_error(name + " needs a value (" + std::string(spec->value) + ")");
            value = argv[++i];
        }
        values_.emplace_back(name, std::move(value));
    }
}

const std::string* Args::find(std::string_view name) const {
    for (const auto& [n, v] : values_)
        if (n == name) return &v;
    return nullptr;
}

std::optional<std::string> Args::get(std::string_view name) const {
    if (const auto* v = find(name)) return *v;
    return std::nullopt;
}

std::string Args::required(std::string_view name) const {
    if (const auto* v = find(name)) return *v;
    throw usage_error(std::string(name) + " is required");
}

std::vector<std::string> Args::names() const {
    std::vector<std::string> n;
    for (const auto& [name, value] : values_) n.push_back(name);
    return n;
}

// ---- values ---------------------------------------------------------------------------------

double parse_number(std::string_view option, const std::string& text) {
    double v = 0;
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, v);
    if (text.empty() || ec != std::errc() || ptr != end || !std::isfinite(v))
        throw usage_error(std::string(option) + ": " + quote(text) + " is not a finite number");
    return v;
}

double parse_number_min(std::string_view option, const std::string& text, double min, bool strict) {
    const double v = parse_number(option, text);
    if (strict ? !(v > min) : !(v >= min)) {
        std::string bound = std::to_string(min);
        bound.erase(bound.find_last_not_of('0') + 1);
        if (!bound.empty() && bound.back() == '.') bound.pop_back();
        throw usage_error(std::string(option) + ": " + quote(text) + " is out of range (accepted: a number " +
                          (strict ? "> " : ">= ") + bound + ")");
    }
    return v;
}

long long parse_integer(std::string_view option, const std::string& text, long long min, long long max) {
    long long v = 0;
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, v);
    const std::string range =
        std::to_string(min) + ".." +
        (max == std::numeric_limits<long long>::max() ? std::string("") : std::to_string(max));
    if (text.empty() || ec != std::errc() || ptr != end || v < min || v > max)
        throw usage_error(std::string(option) + ": " + quote(text) +
                          " is not accepted (accepted: an integer in " + range + ")");
    return v;
}

std::string join(std::span<const std::string_view> items, std::string_view sep) {
    std::string s;
    for (const auto& i : items) s += (s.empty() ? "" : std::string(sep)) + std::string(i);
    return s;
}

std::string parse_choice(std::string_view option, const std::string& text,
                         std::span<const std::string_view> choices) {
    if (std::find(choices.begin(), choices.end(), text) == choices.end())
        throw usage_error(std::string(option) + ": " + quote(text) +
                          " is not accepted (accepted: " + join(choices) + ")");
    return text;
}

Precision parse_precision(const Args& args) {
    const auto p = args.get("--precision");
    if (!p) return Precision::f32;
    return parse_choice("--precision", *p, precisions) == "float" ? Precision::f32 : Precision::f64;
}

// ---- input ----------------------------------------------------------------------------------

std::string supported_widths_text() {
    std::string s;
    for (const int w : supported_widths) s += (s.empty() ? "W = " : " or W = ") + std::to_string(w);
    return s;
}

InputData read_input(std::string_view option, const std::filesystem::path& path) {
    auto a = innspect::io::read_npy<double>(path);
    const auto& s = a.shape;
    InputData in;
    in.path = path;
    in.file_shape = s;
    std::int64_t w = 0;
    if (s.size() == 2 && s[0] == s[1]) {  // (W, W)
        w = s[0], in.batch = 1;
    } else if (s.size() == 3 && s[2] == 1 && s[0] == s[1]) {  // (W, W, 1)
        w = s[0], in.batch = 1;
    } else if (s.size() == 3 && s[1] == s[2]) {  // (batch, W, W)
        w = s[1], in.batch = s[0];
    } else if (s.size() == 4 && s[3] == 1 && s[1] == s[2]) {  // (batch, W, W, 1)
        w = s[1], in.batch = s[0];
    } else {
        throw usage_error(std::string(option) + ": " + path.string() + " has shape " +
                          innspect::shape_string(s) +
                          "; accepted: (batch, W, W, 1), (batch, W, W), (W, W, 1) or (W, W) with " +
                          supported_widths_text());
    }
    if (std::find(std::begin(supported_widths), std::end(supported_widths), w) == std::end(supported_widths))
        throw usage_error(std::string(option) + ": " + path.string() + " has shape " +
                          innspect::shape_string(s) + ", W = " + std::to_string(w) +
                          "; this program is built for " + supported_widths_text() +
                          " (shape (batch, W, W, 1))");
    if (in.batch == 0)
        throw usage_error(std::string(option) + ": " + path.string() + " holds no sample (batch 0)");
    in.width = static_cast<int>(w);
    in.data = std::move(a.data);
    return in;
}

// ---- explain --------------------------------------------------------------------------------

std::pair<std::string, SelectionSpec> parse_target(const std::string& text) {
    const std::string accepted =
        "accepted: LAYER, LAYER:max, LAYER:all, LAYER:index:K, LAYER:index:H,W,C, LAYER:mask:FILE.npy, "
        "LAYER:direction:FILE.npy, LAYER:error, LAYER:error:MASK.npy";
    const auto colon = text.find(':');
    std::string layer = text.substr(0, colon);
    if (layer.empty()) throw usage_error("--target: " + quote(text) + " names no layer (" + accepted + ")");
    SelectionSpec sel;
    if (colon == std::string::npos) return {layer, sel};
    const std::string rest = text.substr(colon + 1);
    const auto colon2 = rest.find(':');
    const std::string kind = rest.substr(0, colon2);
    const std::string arg = colon2 == std::string::npos ? "" : rest.substr(colon2 + 1);
    const bool has_arg = colon2 != std::string::npos;
    auto bad = [&](const std::string& why) {
        return usage_error("--target: " + quote(text) + ": " + why + " (" + accepted + ")");
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
        throw bad("unknown selection " + quote(kind));
    }
    return {layer, sel};
}

namespace {

/// The methods (and, for lrp.composite, composites) an option is used by; empty: every method.
struct OptionUse {
    std::string_view option;
    std::vector<std::string_view> methods;
    std::vector<std::string_view> composites;  ///< for lrp.composite: only these (empty: any)
};

const std::vector<OptionUse>& option_uses() {
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
void check_option_applies(const Args& args, const std::string& method, const std::string& comp) {
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

}  // namespace

ExplainRequest parse_explain(const Args& args) {
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
    check_option_applies(args, r.method, r.composite);

    r.weights = args.required("--weights");
    r.out = args.required("--out");
    (void)args.required("--input");
    std::tie(r.tap, r.selection) = parse_target(args.required("--target"));
    r.stop_at = args.get("--stop-at").value_or("");
    r.keep_activation = args.flag("--keep-activation");
    if (r.method == "residual" && r.selection.kind != SelectionSpec::Kind::error)
        throw usage_error("--method residual explains the reconstruction error only (accepted: --target LAYER:error, "
                          "LAYER:error:MASK.npy)");
    if (r.selection.kind == SelectionSpec::Kind::error && r.keep_activation)
        throw usage_error("--keep-activation: the reconstruction error always compares the layer's output (its "
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
            throw usage_error("--seed: " + quote(*v) +
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

}  // namespace connectome
