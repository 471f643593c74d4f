#pragma once
/// \file
/// The seed model (design.md §7) the benchmarks run, from the shared declaration in
/// examples/connectome/seed_model.hpp (the include directory examples/ is set by CMakeLists.txt).

#include "connectome/seed_model.hpp"

namespace innspect_bench {

template <class T, int W>
using SeedModel = innspect::seed::SeedModel<T, W>;

}  // namespace innspect_bench
