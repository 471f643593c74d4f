#pragma once
/// \file
/// A command-line program as a table of subcommands: a name, its options, its help text and the
/// function that runs it. run_program() does the rest every innspect program shares: the
/// overview and per-command --help, --version, unknown commands, and the exit codes
///   0 success; 1 failure while running (an unreadable file, weights that do not fit the model,
///   any innspect::error); 2 bad command line (usage_error), the message naming the option and
///   the values it accepts.
/// Also here: the option tables of `predict` and `explain`, shared by every program that has them.

#include <algorithm>
#include <exception>
#include <functional>
#include <iostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <innspect/cli/options.hpp>
#include <innspect/cli/requests.hpp>

namespace innspect::cli {

struct Subcommand {
    std::string_view name;
    std::string_view summary;  ///< one line, for the overview
    std::string synopsis;      ///< after "Usage: <program> "
    std::span<const OptionSpec> options;
    std::string details;  ///< printed after the options
    std::function<int(const Args&)> run;
    bool lists_methods = false;  ///< --help lists explain_methods and composite_names
};

struct Program {
    std::string_view name;     ///< "innspect-connectome"
    std::string_view version;  ///< printed by --version
    std::string description;   ///< the overview's paragraph, after the usage line
    std::vector<Subcommand> commands;
};

inline constexpr OptionSpec predict_options[] = {
    {"--weights", "F", "Keras file: .h5 (model.save or save_weights), .keras or .weights.h5"},
    {"--input", "X.npy", "input batch: (batch, *input shape) or one sample (input shape)"},
    {"--out-dir", "D", "directory for the outputs (created if missing)"},
    {"--precision", "P", "float (default) or double"},
    {"--help", "", "show this help"},
};

inline constexpr OptionSpec explain_options[] = {
    {"--weights", "F", "Keras file: .h5 (model.save or save_weights), .keras or .weights.h5"},
    {"--input", "X.npy", "input batch (shapes as for predict)"},
    {"--method", "METHOD", "explanation method (list below)"},
    {"--target", "LAYER[:SEL]", "the explained layer and units (SEL below; default max)"},
    {"--out", "R.npy", "relevance / attribution, (batch, *input shape), or (batch, <stop layer shape>)"},
    {"--precision", "P", "float (default) or double"},
    {"--stop-at", "LAYER", "stop propagation at this layer's output (gradient and LRP methods)"},
    {"--keep-activation", "", "explain the layer's activation f(z), not its pre-activation z (logit)"},
    {"--report", "", "print the LRP conservation table (sum of R per layer) to stdout"},
    {"--epsilon", "E",
     "epsilon of lrp.epsilon (default 1e-6) and of the composites' Dense rule\n"
     "(default 0.1 for sequential_preset_*, 1e-6 for the others)"},
    {"--no-bias", "", "leave the bias out of the rule (lrp.z, .epsilon, .alpha_beta, .zplus, .gamma)"},
    {"--alpha", "A", "alpha of lrp.alpha_beta (default 2; alpha - beta = 1, one implies the other)"},
    {"--beta", "B", "beta of lrp.alpha_beta (default 1)"},
    {"--gamma", "G", "gamma of lrp.gamma and epsilon_gamma_box (default 0.25)"},
    {"--low", "L", "lower input bound of z^B (lrp.zbox, epsilon_gamma_box; default min of the input)"},
    {"--high", "H", "upper input bound of z^B (default max of the input)"},
    {"--composite", "NAME", "rule per layer for lrp.composite (list below)"},
    {"--steps", "N", "integrated_gradients: points on the path from the zero baseline (default 32)"},
    {"--samples", "N", "smoothgrad: noisy samples (default 32)"},
    {"--noise-level", "S", "smoothgrad: sigma = S * (max x - min x) per sample (default 0.1)"},
    {"--seed", "K", "smoothgrad: seed of the noise generator (default 0)"},
    {"--window", "N", "occlusion: N x N patch (default max(1, H / 10), H the input's first axis)"},
    {"--stride", "N", "occlusion: patch stride (default the window)"},
    {"--fill", "V", "occlusion: value of the occluded pixels (default 0)"},
    {"--help", "", "show this help"},
};

/// The selections of --target, for explain's --help (a program appends its own layer list).
inline constexpr std::string_view explain_selections_help =
    R"(The explained quantity: the selected units of LAYER's pre-activation z (the logit; with
--keep-activation its output f(z)). SEL is one of
  max                 each sample's largest unit (default)
  all                 every unit, weighted by itself (LRP: R0 = z)
  index:K             unit K (flat, channels-last), e.g. output:index:1
  index:H,W,C         the unit at (H, W, C) of an image-shaped layer
  mask:FILE.npy       weights m on the units (e.g. a 0/1 region of the reconstruction): explains sum m*z
  direction:FILE.npy  a concept direction c: explains the score c.z
  error[:MASK.npy]    the reconstruction error of LAYER against the input (with --method residual:
                      its residual map; with the others: the error's attribution)
A mask or direction file holds one row (any shape with as many values as the layer has units) or
one row per sample.
integrated_gradients, smoothgrad and occlusion attribute to the input only (no --stop-at).
Options that a method does not use are refused, not ignored.)";

namespace detail {

inline void print_lines(std::ostream& os, std::string_view text, std::size_t indent) {
    std::size_t start = 0;
    bool first = true;
    while (start <= text.size()) {
        const auto nl = text.find('\n', start);
        const auto line =
            text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
        os << (first ? "" : std::string(indent, ' ')) << line << '\n';
        first = false;
        if (nl == std::string_view::npos) break;
        start = nl + 1;
    }
}

inline void print_overview(const Program& p, std::ostream& os) {
    os << "Usage: " << p.name << " <command> [options]\n\n" << p.description << "\n\nCommands:\n";
    for (const auto& s : p.commands)
        os << "  " << s.name << std::string(s.name.size() < 10 ? 10 - s.name.size() : 1, ' ') << s.summary
           << '\n';
    os << "\nRun '" << p.name << " <command> --help' for a command's options.\n"
       << "Exit codes: 0 success, 1 failure while running (unreadable file, weights that do not fit\n"
       << "the model, ...), 2 bad command line.\n";
}

inline void print_help(const Program& p, const Subcommand& s, std::ostream& os) {
    os << "Usage: " << p.name << ' ' << s.synopsis << "\n\n" << s.summary << ".\n\nOptions:\n";
    constexpr std::size_t column = 28;
    for (const auto& o : s.options) {
        std::string head = "  " + std::string(o.name) + (o.value.empty() ? "" : " " + std::string(o.value));
        head.resize(std::max(column, head.size() + 1), ' ');
        os << head;
        print_lines(os, o.help, column);
    }
    if (s.lists_methods) {
        os << "\nMethods (--method):\n";
        for (const auto& m : explain_methods) {
            std::string head = "  " + std::string(m.name);
            head.resize(column, ' ');
            os << head;
            print_lines(os, m.help, column);
        }
        os << "\nComposites (--composite, with --method lrp.composite):";
        for (std::size_t i = 0; i < std::size(composite_names); ++i)
            os << (i % 4 == 0 ? "\n  " : ", ") << composite_names[i];
        os << '\n';
    }
    if (!s.details.empty()) os << '\n' << s.details << '\n';
}

inline bool wants_help(std::span<const std::string> args) {
    return std::any_of(args.begin(), args.end(),
                       [](const std::string& a) { return a == "--help" || a == "-h"; });
}

}  // namespace detail

/// Runs the command line `args` (without the program name) against `p`; returns the exit code.
/// Errors go to stderr as "<program> <command>: <message>" (usage errors with a pointer to --help).
inline int run_program(const Program& p, std::span<const std::string> args) {
    if (args.empty()) {
        std::cerr << p.name << ": a command is required\n\n";
        detail::print_overview(p, std::cerr);
        return 2;
    }
    const std::string& name = args[0];
    if (name == "--help" || name == "-h" || name == "help") {
        if (args.size() > 1)
            for (const auto& s : p.commands)
                if (s.name == args[1]) return detail::print_help(p, s, std::cout), 0;
        detail::print_overview(p, std::cout);
        return 0;
    }
    if (name == "--version") {
        std::cout << p.name << ' ' << p.version << '\n';
        return 0;
    }
    const auto it = std::find_if(p.commands.begin(), p.commands.end(),
                                 [&](const Subcommand& s) { return s.name == name; });
    if (it == p.commands.end()) {
        std::vector<std::string_view> names;
        for (const auto& s : p.commands) names.push_back(s.name);
        std::cerr << p.name << ": unknown command '" << name << "' (accepted: " << join(names) << ")\nRun '"
                  << p.name << " --help' for usage.\n";
        return 2;
    }
    const auto rest = args.subspan(1);
    if (detail::wants_help(rest)) {
        detail::print_help(p, *it, std::cout);
        return 0;
    }
    const std::string where = std::string(p.name) + " " + std::string(it->name);
    try {
        return it->run(Args(it->options, rest));
    } catch (const usage_error& e) {
        std::cerr << where << ": " << e.what() << "\nRun '" << where << " --help' for usage.\n";
        return 2;
    } catch (const std::exception& e) {  // innspect::error and anything else failing while running
        std::cerr << where << ": error: " << e.what() << '\n';
        return 1;
    }
}

}  // namespace innspect::cli
