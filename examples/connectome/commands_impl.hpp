#pragma once
/// \file
/// Definitions of the subcommands declared in commands.hpp, for any scalar T and width W. Included
/// only by the seed_<W>_<T>.cpp files, which instantiate them (INNSPECT_CONNECTOME_INSTANTIATE).
/// predict and explain are the library's (innspect/cli/commands.hpp) on the seed model; concept
/// is this program's own.

#include <cstdint>
#include <iostream>
#include <memory>

#include <innspect/cli/commands.hpp>
#include <innspect/innspect.hpp>
#include <innspect/io/npy.hpp>

#include "cli.hpp"
#include "commands.hpp"
#include "concept.hpp"
#include "seed_model.hpp"

namespace connectome {

using innspect::Batch;

template <class T, int W>
int run_predict(const PredictRequest& r, const InputData& input) {
    return innspect::cli::run_predict<innspect::seed::SeedModel<T, W>>(context, r, input);
}

template <class T, int W>
int run_explain(const ExplainRequest& r, const InputData& input) {
    return innspect::cli::run_explain<innspect::seed::SeedModel<T, W>>(context, r, input);
}

template <class T, int W>
int run_concept(const ConceptRequest& r, const InputData& with, const InputData& without) {
    using M = innspect::seed::SeedModel<T, W>;
    namespace cli = innspect::cli;
    const int i = cli::layer_index(context, M::layer_infos(), r.layer, "--layer");
    const auto model = std::make_unique<M>();
    cli::load_weights(context, *model, r.weights);
    const Batch<T> c = innspect::concept_vector(*model, cli::to_batch<T>(with), cli::to_batch<T>(without), r.layer,
                                                r.pre_activation);
    innspect::io::write_npy(r.out, c, {std::int64_t{1}, static_cast<std::int64_t>(c.cols())});
    std::cerr << program_name << ": wrote " << r.out.string() << " (1, " << c.cols() << "): mean "
              << (r.pre_activation ? "pre-activation" : "output") << " of "
              << cli::describe(M::layer_infos()[static_cast<std::size_t>(i)]) << " over " << with.batch
              << " sample(s) minus over " << without.batch << " sample(s), |c| = " << c.norm() << '\n';
    return 0;
}

}  // namespace connectome

/// Instantiates the subcommands for scalar T and width W (one translation unit each).
#define INNSPECT_CONNECTOME_INSTANTIATE(T, W)                                                  \
    namespace connectome {                                                                     \
    template int run_predict<T, W>(const PredictRequest&, const InputData&);                   \
    template int run_explain<T, W>(const ExplainRequest&, const InputData&);                   \
    template int run_concept<T, W>(const ConceptRequest&, const InputData&, const InputData&); \
    }
