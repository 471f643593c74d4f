#pragma once
/// \file
/// `innspect-connectome demo`: the tour of innspect on the trained W = 90 seed model of
/// examples/connectome/data (what `bash scripts/demo.sh` runs). For the held-out samples it
///   1. loads seed90.h5 with the architecture check and prints predicted vs true labels;
///   2. explains with LRP (a) the class logit, (b) one latent unit, (c) the whole reconstruction,
///      (d) the known block of the reconstruction, also stopped at the latent code (top 5 units),
///      (e) a concept direction (mean latent code of class-1 minus class-0 samples);
///   3. writes one labelled heatmap grid per sample (PNG), an overview of the class heatmaps and
///      summary.txt into the output directory;
///   4. reports the share of positive class relevance inside the known block (relevance mass);
///   5. compares LRP-epsilon, LRP-alpha2beta1, gradient, input x gradient and a random baseline by
///      MoRF region perturbation (AOPC) on the class logit.
/// The choices (composite, latent unit, perturbation) and why are in demo.cpp and README.md.
///
/// This header is light (no model): main.cpp includes it. demo.cpp defines run_demo and
/// instantiates it for float and double.

#include <filesystem>

#include "cli.hpp"

/// The repository's examples/connectome/data, set by CMake (a compile definition); --data overrides.
#ifndef INNSPECT_CONNECTOME_DATA_DIR
#define INNSPECT_CONNECTOME_DATA_DIR "examples/connectome/data"
#endif

namespace connectome {

struct DemoRequest {
    std::filesystem::path data_dir = INNSPECT_CONNECTOME_DATA_DIR;
    std::filesystem::path out_dir = "innspect-demo-out";
    int samples = 0;  ///< the first N held-out samples; 0: all of them
};

/// Runs the demo in precision T (float or double); returns the exit code (0). Throws
/// innspect::io_error naming the path for a missing data directory or file (exit 1), usage_error
/// for --samples beyond the held-out set (exit 2).
template <class T>
int run_demo(const DemoRequest& request);

}  // namespace connectome
