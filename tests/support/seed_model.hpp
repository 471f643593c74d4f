#pragma once
/// \file
/// The seed model of design.md §7 at W = 16 for the tests: the one declaration the command line
/// program and the benchmarks use too (examples/connectome/seed_model.hpp).

#include "connectome/seed_model.hpp"

namespace innspect::test {

/// seed16: the decoder's dense2 reads `output`.
template <class T>
using Seed16 = seed::SeedModel<T, 16>;

/// seed16_latent: dense2 reads the latent code `reshape1` (two heads on one trunk).
template <class T>
using Seed16Latent = seed::SeedModelTwoHeads<T, 16>;

}  // namespace innspect::test
