// innspect-connectome: run and explain the connectome seed model (design.md §7) from a Keras
// weight file. Usage notes: examples/connectome/README.md; `innspect-connectome --help`.
//
// One instance of the library's command line (innspect/cli/): predict and explain are
// innspect::cli's on the seed model, with its option tables and --help; this program adds its W
// choice (16 or 90, read from the input), its input forms and the subcommands concept and demo.
// Subcommands are rows of one table (`program()` below): a name, its options, its help text and
// the function that runs it; parsing, --help and the exit codes come with innspect::cli::run_program.
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

#include <innspect/cli/program.hpp>

#include "cli.hpp"
#include "commands.hpp"
#include "demo.hpp"

#ifndef INNSPECT_CONNECTOME_VERSION
#define INNSPECT_CONNECTOME_VERSION "unknown"
#endif

namespace connectome {
namespace {

// ---- predict --------------------------------------------------------------------------------

int predict_main(const Args& a) {
    const Precision precision = parse_precision(a);
    const PredictRequest r{a.required("--weights"), a.required("--out-dir")};
    const InputData in = read_input("--input", a.required("--input"));
    return with_seed_model(in.width, precision, [&]<class T, int W>() { return run_predict<T, W>(r, in); });
}

// ---- explain --------------------------------------------------------------------------------

/// What explain's --help says after the library's list of selections: the seed model's layers.
constexpr std::string_view explain_layers =
    R"(Layers: conv1 dropout1 conv2 dropout2 reshape1 dense1 output dense2 reshape2 conv3 conv4 autoencoder
(output: the classifier, dropout2: the latent code, autoencoder: the reconstruction; e.g.
autoencoder:index:3,5,0, or mask:FILE.npy of shape (1, 16, 16, 1) for the autoencoder at W = 16).
Occlusion's default window is max(1, W / 10): 9 at W = 90, 1 at W = 16.)";

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

innspect::cli::Program program() {
    namespace cli = innspect::cli;
    cli::Program p;
    p.name = program_name;
    p.version = INNSPECT_CONNECTOME_VERSION;
    p.description =
        "Runs and explains the connectome seed model (an autoencoder with a classifier head on\n"
        "W x W x 1 connectivity matrices, " +
        supported_widths_text() + ") loaded from a Keras weight file.";
    p.commands = {
        {"predict", "run the model, write every layer's output as D/<layer>.npy",
         "predict --weights M.h5 --input X.npy --out-dir D [--precision float|double]", cli::predict_options,
         "Writes D/<layer>.npy for conv1 ... autoencoder, Keras shapes: (batch, h, w, c) or (batch, units).\n"
         "--input: (batch, W, W, 1), (batch, W, W), (W, W, 1) or (W, W) with " +
             supported_widths_text() + ".",
         predict_main},
        {"explain", "explain units of any layer (LRP, gradients, occlusion), write the relevance",
         "explain --weights M.h5 --input X.npy --method METHOD --target LAYER[:SEL] --out R.npy [options]",
         cli::explain_options, std::string(cli::explain_selections_help) + "\n" + std::string(explain_layers),
         explain_main, true},
        {"concept", "concept vector: mean latent code of one set of inputs minus another's",
         "concept --weights M.h5 --with A.npy --without B.npy [--layer LAYER] --out C.npy", concept_options,
         std::string(concept_details), concept_main},
        {"demo", "explain the trained W = 90 model on its held-out samples: heatmaps, block share, AOPC",
         "demo [--data DIR] [--out-dir D] [--samples N] [--precision float|double]", demo_options,
         std::string(demo_details), demo_main},
    };
    return p;
}

}  // namespace
}  // namespace connectome

int main(int argc, char** argv) {
    const std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
    return innspect::cli::run_program(connectome::program(), args);
}
