#pragma once
/// \file
/// Command-line options of the innspect programs (innspect::cli::main, innspect-connectome):
/// `--name VALUE`, `--name=VALUE` and flags, checked against a table of OptionSpec so that every
/// message names the option and the values it accepts. Nothing here knows a model.

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace innspect::cli {

/// A bad command line: unknown option, bad value, unsupported input shape, a layer the model does
/// not have. Exit code 2. Deliberately not an innspect::error: those are failures while running
/// (exit 1), and the programs catch the two apart.
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

/// Who speaks in messages: the program ("innspect-connectome") and how the model is called in
/// them ("the seed model", "the model").
struct Context {
    std::string_view program;
    std::string_view model = "the model";
};

enum class Precision { f32, f64 };
inline constexpr std::string_view precisions[] = {"float", "double"};
/// --precision: float (default) or double.
Precision parse_precision(const Args& args);

// ---- Args -----------------------------------------------------------------------------------

namespace detail {

inline std::string accepted_options(std::span<const OptionSpec> specs) {
    std::string s;
    for (const auto& o : specs) s += (s.empty() ? "" : ", ") + std::string(o.name);
    return s;
}

inline std::string quote(std::string_view s) { return "'" + std::string(s) + "'"; }

}  // namespace detail

inline Args::Args(std::span<const OptionSpec> specs, std::span<const std::string> argv) {
    for (std::size_t i = 0; i < argv.size(); ++i) {
        const std::string& arg = argv[i];
        if (arg.size() < 3 || arg.compare(0, 2, "--") != 0)
            throw usage_error("unexpected argument " + detail::quote(arg) +
                              " (options start with --; accepted: " + detail::accepted_options(specs) + ")");
        const auto eq = arg.find('=');
        const std::string name = arg.substr(0, eq);
        const auto spec =
            std::find_if(specs.begin(), specs.end(), [&](const OptionSpec& o) { return o.name == name; });
        if (spec == specs.end())
            throw usage_error("unknown option " + detail::quote(name) +
                              " (accepted: " + detail::accepted_options(specs) + ")");
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

inline const std::string* Args::find(std::string_view name) const {
    for (const auto& [n, v] : values_)
        if (n == name) return &v;
    return nullptr;
}

inline std::optional<std::string> Args::get(std::string_view name) const {
    if (const auto* v = find(name)) return *v;
    return std::nullopt;
}

inline std::string Args::required(std::string_view name) const {
    if (const auto* v = find(name)) return *v;
    throw usage_error(std::string(name) + " is required");
}

inline std::vector<std::string> Args::names() const {
    std::vector<std::string> n;
    for (const auto& [name, value] : values_) n.push_back(name);
    return n;
}

// ---- values ---------------------------------------------------------------------------------

inline double parse_number(std::string_view option, const std::string& text) {
    double v = 0;
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, v);
    if (text.empty() || ec != std::errc() || ptr != end || !std::isfinite(v))
        throw usage_error(std::string(option) + ": " + detail::quote(text) + " is not a finite number");
    return v;
}

inline double parse_number_min(std::string_view option, const std::string& text, double min, bool strict) {
    const double v = parse_number(option, text);
    if (strict ? !(v > min) : !(v >= min)) {
        std::string bound = std::to_string(min);
        bound.erase(bound.find_last_not_of('0') + 1);
        if (!bound.empty() && bound.back() == '.') bound.pop_back();
        throw usage_error(std::string(option) + ": " + detail::quote(text) +
                          " is out of range (accepted: a number " + (strict ? "> " : ">= ") + bound + ")");
    }
    return v;
}

inline long long parse_integer(std::string_view option, const std::string& text, long long min,
                               long long max) {
    long long v = 0;
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, v);
    const std::string range =
        std::to_string(min) + ".." +
        (max == std::numeric_limits<long long>::max() ? std::string("") : std::to_string(max));
    if (text.empty() || ec != std::errc() || ptr != end || v < min || v > max)
        throw usage_error(std::string(option) + ": " + detail::quote(text) +
                          " is not accepted (accepted: an integer in " + range + ")");
    return v;
}

inline std::string join(std::span<const std::string_view> items, std::string_view sep) {
    std::string s;
    for (const auto& i : items) s += (s.empty() ? "" : std::string(sep)) + std::string(i);
    return s;
}

inline std::string parse_choice(std::string_view option, const std::string& text,
                                std::span<const std::string_view> choices) {
    if (std::find(choices.begin(), choices.end(), text) == choices.end())
        throw usage_error(std::string(option) + ": " + detail::quote(text) +
                          " is not accepted (accepted: " + join(choices) + ")");
    return text;
}

inline Precision parse_precision(const Args& args) {
    const auto p = args.get("--precision");
    if (!p) return Precision::f32;
    return parse_choice("--precision", *p, precisions) == "float" ? Precision::f32 : Precision::f64;
}

}  // namespace innspect::cli
