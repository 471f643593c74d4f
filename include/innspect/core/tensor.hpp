#pragma once
/// \file
/// Batch storage: one activation batch is a row-major matrix `batch x (H*W*C)`, features in Keras
/// channels-last order (h, w, c). A Dense layer is then one GEMM for the whole batch.
///
///   row b:  [ (0,0,0) (0,0,1) .. (0,0,C-1) (0,1,0) .. (H-1,W-1,C-1) ]

#include <Eigen/Core>

#include <cmath>
#include <sstream>
#include <string>
#include <string_view>

#include "innspect/core/errors.hpp"

namespace innspect {

/// A batch of activations or relevances: one sample per row, features channels-last.
template <class T>
using Batch = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// A dense row-major matrix of parameters (kernels are stored in Keras's C order).
template <class T>
using Matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// A parameter vector (bias, batch-norm statistics).
template <class T>
using Vector = Eigen::Matrix<T, Eigen::Dynamic, 1>;

/// Throws value_error naming `what` and the first non-finite entry, if there is one.
template <class Derived>
void require_finite(const Eigen::DenseBase<Derived>& m, std::string_view what) {
    const auto& d = m.derived();
    for (Eigen::Index r = 0; r < d.rows(); ++r)
        for (Eigen::Index c = 0; c < d.cols(); ++c)
            if (!std::isfinite(static_cast<double>(d(r, c)))) {
                std::ostringstream os;
                os << what << ": non-finite value " << d(r, c) << " at row " << r << ", column " << c;
                throw value_error(os.str());
            }
}

/// True when every entry is finite. One vectorised sum decides in the common case (a NaN or Inf
/// makes the sum non-finite); only a non-finite sum — also reached by finite values that
/// overflow — is followed by the entry-by-entry scan.
template <class Derived>
bool all_finite(const Eigen::DenseBase<Derived>& m) {
    if (std::isfinite(static_cast<double>(m.derived().sum()))) return true;
    return m.derived().allFinite();
}

}  // namespace innspect
