#pragma once
/// \file
/// Relevance mass in a region (Arras et al. 2022, "CLEVR-XAI"): the share of a sample's positive
/// relevance that falls inside a ground-truth region M,
///   mass = Σ_{i∈M} max(R_i, 0) / Σ_i max(R_i, 0),
/// to be read against the region's share of the input |M| / N — what a relevance spread
/// uniformly would score.

#include <string>

#include "innspect/core/errors.hpp"
#include "innspect/core/tensor.hpp"

namespace innspect {

template <class T>
struct RelevanceMass {
    Vector<T> mass;          ///< per sample: share of positive relevance inside the region (0 if none is positive)
    double region_share = 0;  ///< |M| / N (per-sample regions: the mean over the samples, the mean
                              ///< mass a uniform relevance would score)
};

/// `relevance`: batch × N; `region`: 1 × N or batch × N, nonzero entries mark the region.
template <class T>
RelevanceMass<T> relevance_mass(const Batch<T>& relevance, const Batch<T>& region) {
    if (region.cols() != relevance.cols() || (region.rows() != 1 && region.rows() != relevance.rows()))
        throw shape_error("relevance_mass: region is " + std::to_string(region.rows()) + " x " +
                          std::to_string(region.cols()) + ", relevance is " + std::to_string(relevance.rows()) + " x " +
                          std::to_string(relevance.cols()));
    if (!relevance.allFinite()) require_finite(relevance, "relevance_mass: relevance");
    RelevanceMass<T> out;
    out.mass.resize(relevance.rows());
    for (Eigen::Index b = 0; b < relevance.rows(); ++b) {
        const auto m = region.row(region.rows() == 1 ? 0 : b);
        const Batch<T> pos = relevance.row(b).cwiseMax(T(0));
        const T total = pos.sum();
        const T inside = (m.array() != T(0)).select(pos.array(), T(0)).sum();
        out.mass(b) = total > T(0) ? inside / total : T(0);
    }
    out.region_share = static_cast<double>((region.array() != T(0)).count()) /
                       (static_cast<double>(region.rows()) * static_cast<double>(region.cols()));
    return out;
}

}  // namespace innspect
