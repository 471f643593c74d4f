#pragma once
/// \file
/// Checks on whole (small) models shared by the layer tests: random weights, and the gradient
/// analyzer against central finite differences of the explained scalar.

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <type_traits>

#include <innspect/innspect.hpp>

#include "support/test_support.hpp"

namespace innspect::test {

/// Fills every weight array of every layer with N(0, 0.7²) (moving_variance: U(0.5, 2)).
template <class M>
void randomize(M& m, Rng& rng) {
    m.for_each_layer([&](auto& l) {
        for (auto& w : l.weights()) {
            std::int64_t n = 1;
            for (auto d : w.shape) n *= d;
            for (std::int64_t i = 0; i < n; ++i)
                w.data[i] = static_cast<std::remove_pointer_t<decltype(w.data)>>(
                    w.role == "moving_variance" ? rng.uniform(0.5, 2.0) : rng.normal() * 0.7);
        }
    });
}

/// Σ_j c_j z_j at the tap (its pre-activation), per batch row summed.
template <class M>
double explained(const M& m, const Batch<double>& x, const std::string& tap, const Batch<double>& c) {
    const auto tr = m.forward(x);
    const auto& z = tr.pre_activation(tr.index_of(tap));
    return (z.array() * c.replicate(z.rows(), 1).array()).sum();
}

/// Gradient of Σ c ⊙ z_tap w.r.t. the input (random c) against central differences (step 1e-6).
template <class M>
void check_gradient_fd(const M& m, const Batch<double>& x, const std::string& tap, Rng& rng) {
    const auto tr = m.forward(x);
    const Batch<double> c = rng.batch<double>(1, tr.pre_activation(tr.index_of(tap)).cols());
    const auto e = gradient(m).explain(x, target(tap, select::direction<double>(c)));
    Batch<double> fd(x.rows(), x.cols());
    const double h = 1e-6;
    for (Eigen::Index r = 0; r < x.rows(); ++r)
        for (Eigen::Index k = 0; k < x.cols(); ++k) {
            Batch<double> xp = x, xm = x;
            xp(r, k) += h;
            xm(r, k) -= h;
            fd(r, k) = (explained(m, xp, tap, c) - explained(m, xm, tap, c)) / (2 * h);
        }
    INNSPECT_CHECK_CLOSE(e.relevance, fd, 1e-6);
}

}  // namespace innspect::test
