// innspect-connectome: run and explain the connectome seed model (design.md §7) from a Keras
// weight file. Usage notes: examples/connectome/README.md; `innspect-connectome --help`.
//
// Subcommands are rows of one table (`subcommands` below): a name, its options, its help text and
// the function that runs it. Adding one (e.g. `demo`) is one OptionSpec array, one run function
// and one row; parsing, --help and the exit codes come with it.
//
// Exit codes: 0 success; 1 failure while running (an unreadable file, weights that do not fit the
// model, any innspect::error); 2 bad command line (an unknown option or value, an input that is no
// W×W matrix with W = 16 or 90), with a message naming the option and the values it accepts.

#include <algorithm>
#include <exception>
#include <iostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <innspect/core/errors.hpp>

#include "cli.hpp"
#include "commands.hpp"
#include "demo.hpp"

#ifndef INNSPECT_CONNECTOME_VERSION
#define INNSPECT_CONNECTOME_VERSION "unknown"
#endif

namespace connectome {
namespace {

// ---- predict --------------------------------------------------------------------------------

constexpr OptionSpec predict_options[] = {
    {"--weights", "M.h5", "Keras weight file of the seed model (model.save or save_weights layout)"},
    {"--input", "X.npy", "input batch: (batch, W, W, 1), (batch, W, W), (W, W, 1) or (W, W); W = 16 or 90"},
    {"--out-dir", "D", "directory for the outputs (created if missing)"},
    {"--precision", "P", "float (default) or double"},
    {"--help", "", "show this help"},
};

int predict_main(const Args& a) {
    const Precision precision = parse_precision(a);
    const PredictRequest r{a.required("--weights"), a.required("--out-dir")};
    const InputData in = read_input("--input", a.required("--input"));
    return with_seed_model(in.width, precision, [&]<class T, int W>() { return run_predict<T, W>(r, in); });
}

// ---- explain --------------------------------------------------------------------------------

constexpr OptionSpec explain_options[] = {
    {"--weights", "M.h5", "Keras weight file of the seed model"},
    {"--input", "X.npy", "input batch (shapes as for predict)"},
    {"--method", "METHOD", "explanation method (list below)"},
    {"--target", "LAYER[:SEL]", "the explained layer and units (SEL below; default max)"},
    {"--out", "R.npy", "relevance / attribution, (batch, W, W, 1), or (batch, <stop layer shape>)"},
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
    {"--window", "N", "occlusion: N x N patch (default max(1, W / 10): 9 at W = 90, 1 at W = 16)"},
    {"--stride", "N", "occlusion: patch stride (default the window)"},
    {"--fill", "V", "occlusion: value of the occluded pixels (default 0)"},
    {"--help", "", "show this help"},
};

constexpr std::string_view explain_details =
    R"(The explained quantity: the selected units of LAYER's pre-activation z (the logit; with
--keep-activation its output f(z)). SEL is one of
  max                 each sample's largest unit (default)
  all                 every unit, weighted by itself (LRP: R0 = z)
  index:K             unit K (flat, channels-last), e.g. output:index:1
  index:H,W,C         the unit at (H, W, C) of an image-shaped layer, e.g. autoencoder:index:3,5,0
  mask:FILE.npy       weights m on the units (e.g. a 0/1 region of the reconstruction): explains sum m*z
  direction:FILE.npy  a concept direction c (from `concept`): explains the score c.z
A mask or direction file holds one row (any shape with as many values as the layer has units,
e.g. (1, 16, 16, 1) for the autoencoder at W = 16) or one row per sample.
Layers: conv1 dropout1 conv2 dropout2 reshape1 dense1 output dense2 reshape2 conv3 conv4 autoencoder
(output: the classifier, dropout2: the latent code, autoencoder: the reconstruction).
integrated_gradients, smoothgrad and occlusion attribute to the input only (no --stop-at).
Options that a method does not use are refused, not ignored.)";

int explain_main(const Args& a) {
    const Precision precision = parse_precision(a);
    const ExplainRequest r = parse_explain(a);
    const InputData in = read_input("--input", a.required("--input"));
    return with_seed_model(in.width, precision, [&]<class T, int W>() { return run_explain<T, W>(r, in); });
}

// ---- concept --------------------------------------------------------------------------------

constexpr OptionSpec concept_options[] = {
    {"--weights", "M.h5", "Keras weight file of the seed model"},
    {"--with", "A.npy", "inputs showing the concept (shapes as for predict)"},
    {"--without", "B.npy", "inputs not showing it (same W)"},
    {"--layer", "LAYER", "the latent layer (default dropout2: the latent code, conv2's output)"},
    {"--pre-activation", "", "average the layer's pre-activation z instead of its output"},
    {"--out", "C.npy", "the concept vector, shape (1, features of LAYER)"},
    {"--precision", "P", "float (default) or double"},
    {"--help", "", "show this help"},
};

constexpr std::string_view concept_details =
    R"(c = mean latent(A) - mean latent(B), latent = LAYER's output (or pre-activation). Explain the
concept score s = c.latent with `explain --target LAYER:direction:C.npy`, matching the space:
  concept --layer dropout2 (default)          -> explain --target dropout2:direction:C.npy
     (dropout2 has no computation of its own: its explained value is conv2's output, the latent code)
  concept --layer conv2 --pre-activation      -> explain --target conv2:direction:C.npy
  concept --layer conv2                       -> explain --target conv2:direction:C.npy --keep-activation)";

int concept_main(const Args& a) {
    const Precision precision = parse_precision(a);
    ConceptRequest r;
    r.weights = a.required("--weights");
    r.out = a.required("--out");
    if (const auto l = a.get("--layer")) r.layer = *l;
    r.pre_activation = a.flag("--pre-activation");
    (void)a.required("--without");
    const InputData with = read_input("--with", a.required("--with"));
    const InputData without = read_input("--without", a.required("--without"));
    if (without.width != with.width)
        throw usage_error("--without: W = " + std::to_string(without.width) + " differs from --with's W = " +
                          std::to_string(with.width) + " (accepted: inputs of the same width)");
    return with_seed_model(with.width, precision,
                           [&]<class T, int W>() { return run_concept<T, W>(r, with, without); });
}

// ---- demo -----------------------------------------------------------------------------------

constexpr OptionSpec demo_options[] = {
    {"--data", "DIR",
     "directory with seed90.h5 and the held-out data\n(default: " INNSPECT_CONNECTOME_DATA_DIR ")"},
    {"--out-dir", "D", "directory for the heatmaps and summary.txt (default: innspect-demo-out)"},
    {"--samples", "N", "explain the first N held-out samples (default: all 8)"},
    {"--precision", "P", "float (default) or double"},
    {"--help", "", "show this help"},
};

constexpr std::string_view demo_details =
    R"(For each held-out sample: the prediction, and LRP-epsilon heatmaps of the class logit, the latent
unit most correlated with the class, the whole reconstruction, the known block of the
reconstruction (also stopped at the latent code: its top 5 latent units) and the concept direction
(class-1 minus class-0 latent code), as one labelled PNG grid per sample. Then the share of the
class relevance inside the known block (relevance mass) and the AOPC (MoRF region perturbation)
of LRP-epsilon, LRP-alpha2beta1, two LRP composites, gradient, input x gradient and a random
baseline. Prints the summary and writes it to D/summary.txt; progress goes to stderr.)";

int demo_main(const Args& a) {
    const Precision precision = parse_precision(a);
    DemoRequest r;
    if (const auto d = a.get("--data")) r.data_dir = *d;
    if (const auto d = a.get("--out-dir")) r.out_dir = *d;
    if (const auto s = a.get("--samples"))
        r.samples = static_cast<int>(parse_integer("--samples", *s, 1, 1000000));
    return precision == Precision::f32 ? run_demo<float>(r) : run_demo<double>(r);
}

// ---- the table ------------------------------------------------------------------------------

struct Subcommand {
    std::string_view name;
    std::string_view summary;   ///< one line, for the overview
    std::string_view synopsis;  ///< after "Usage: innspect-connectome "
    std::span<const OptionSpec> options;
    std::string_view details;  ///< printed after the options
    int (*run)(const Args&);
};

const Subcommand subcommands[] = {
    {"predict", "run the model, write every layer's output as D/<layer>.npy",
     "predict --weights M.h5 --input X.npy --out-dir D [--precision float|double]", predict_options,
     "Writes D/<layer>.npy for conv1 ... autoencoder, Keras shapes: (batch, h, w, c) or (batch, units).",
     predict_main},
    {"explain", "explain units of any layer (LRP, gradients, occlusion), write the relevance",
     "explain --weights M.h5 --input X.npy --method METHOD --target LAYER[:SEL] --out R.npy [options]",
     explain_options, explain_details, explain_main},
    {"concept", "concept vector: mean latent code of one set of inputs minus another's",
     "concept --weights M.h5 --with A.npy --without B.npy [--layer LAYER] --out C.npy", concept_options,
     concept_details, concept_main},
    {"demo", "explain the trained W = 90 model on its held-out samples: heatmaps, block share, AOPC",
     "demo [--data DIR] [--out-dir D] [--samples N] [--precision float|double]", demo_options, demo_details,
     demo_main},
};

void print_overview(std::ostream& os) {
    os << "Usage: " << program_name << " <command> [options]\n\n"
       << "Runs and explains the connectome seed model (an autoencoder with a classifier head on\n"
       << "W x W x 1 connectivity matrices, " << supported_widths_text()
       << ") loaded from a Keras weight file.\n\nCommands:\n";
    for (const auto& s : subcommands)
        os << "  " << s.name << std::string(10 - s.name.size(), ' ') << s.summary << '\n';
    os << "\nRun '" << program_name << " <command> --help' for a command's options.\n"
       << "Exit codes: 0 success, 1 failure while running (unreadable file, weights that do not fit\n"
       << "the model, ...), 2 bad command line.\n";
}

void print_lines(std::ostream& os, std::string_view text, std::size_t indent) {
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

void print_help(const Subcommand& s, std::ostream& os) {
    os << "Usage: " << program_name << ' ' << s.synopsis << "\n\n" << s.summary << ".\n\nOptions:\n";
    constexpr std::size_t column = 28;
    for (const auto& o : s.options) {
        std::string head = "  " + std::string(o.name) + (o.value.empty() ? "" : " " + std::string(o.value));
        head.resize(std::max(column, head.size() + 1), ' ');
        os << head;
        print_lines(os, o.help, column);
    }
    if (s.name == "explain") {
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

bool wants_help(std::span<const std::string> args) {
    return std::any_of(args.begin(), args.end(),
                       [](const std::string& a) { return a == "--help" || a == "-h"; });
}

int run(std::span<const std::string> args) {
    if (args.empty()) {
        std::cerr << program_name << ": a command is required\n\n";
        print_overview(std::cerr);
        return 2;
    }
    const std::string& name = args[0];
    if (name == "--help" || name == "-h" || name == "help") {
        if (args.size() > 1)
            for (const auto& s : subcommands)
                if (s.name == args[1]) return print_help(s, std::cout), 0;
        print_overview(std::cout);
        return 0;
    }
    if (name == "--version") {
        std::cout << program_name << ' ' << INNSPECT_CONNECTOME_VERSION << '\n';
        return 0;
    }
    const auto it = std::find_if(std::begin(subcommands), std::end(subcommands),
                                 [&](const Subcommand& s) { return s.name == name; });
    if (it == std::end(subcommands)) {
        std::vector<std::string_view> names;
        for (const auto& s : subcommands) names.push_back(s.name);
        std::cerr << program_name << ": unknown command '" << name << "' (accepted: " << join(names)
                  << ")\nRun '" << program_name << " --help' for usage.\n";
        return 2;
    }
    const auto rest = args.subspan(1);
    if (wants_help(rest)) {
        print_help(*it, std::cout);
        return 0;
    }
    const std::string where = std::string(program_name) + " " + std::string(it->name);
    try {
        return it->run(Args(it->options, rest));
    } catch (const usage_error& e) {
        std::cerr << where << ": " << e.what() << "\nRun '" << where << " --help' for usage.\n";
        return 2;
    } catch (const innspect::error& e) {
        std::cerr << where << ": error: " << e.what() << '\n';
        return 1;
    } catch (const std::exception& e) {
        std::cerr << where << ": error: " << e.what() << '\n';
        return 1;
    }
}

}  // namespace
}  // namespace connectome

int main(int argc, char** argv) {
    const std::vector<std::string> args(argv + 1, argv + argc);
    return connectome::run(args);
}
