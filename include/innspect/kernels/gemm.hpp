#pragma once
/// \file
/// dst = lhs · rhs for the layers' products, computed as Eigen computes `dst.noalias() = lhs * rhs`
/// (the same kernels, blocking sizes and small-size / matrix-vector paths, so the same bits) but
/// with the GEMM's packing buffers kept per thread instead of allocated per product. Eigen 3.4
/// allocates them on the heap for every product larger than its stack limit (128 KiB): two
/// allocations, often fresh pages, per layer per pass. Kept, a pass repeated with the same batch
/// size allocates nothing.
///
/// This reaches into Eigen's internals (generic_product_impl's GEMM path), so it is used only
/// with the Eigen version it mirrors, 3.4; otherwise it is `dst.noalias() = lhs * rhs`.
/// `kept_gemm_buffers` says which. With Eigen's OpenMP threads the plan is re-made for the threads
/// (initParallel) and the packed lhs, shared by them, is the calling thread's kept buffer; each
/// thread's packed rhs is Eigen's own, as without this.

#include <type_traits>

#include <Eigen/Core>

#include "innspect/core/tensor.hpp"

namespace innspect::detail {

#if EIGEN_VERSION_AT_LEAST(3, 4, 0) && !EIGEN_VERSION_AT_LEAST(3, 4, 90)
inline constexpr bool kept_gemm_buffers = true;
#else
inline constexpr bool kept_gemm_buffers = false;
#endif

/// The calling thread's packing buffer `Slot` (0: the packed lhs, 1: the packed rhs), aligned as
/// Eigen's own, grown only when a product needs more.
template <class T, int Slot>
T* gemm_buffer(Eigen::Index size) {
    thread_local Vector<T> buffer;
    if (buffer.size() < size) buffer.resize(size);
    return buffer.data();
}

/// Eigen's blocking plan for the product, with the packing buffers pointed at the kept ones
/// (Eigen's allocate/free see them as already there, and free nothing).
template <class Blocking, class T>
struct KeptBlocking : Blocking {
    KeptBlocking(Eigen::Index rows, Eigen::Index cols, Eigen::Index depth) : Blocking(rows, cols, depth, 1, true) {
        keep();
    }
    /// Eigen's OpenMP GEMM re-plans for its threads (hiding Blocking's, as gemm_functor calls it on
    /// this type); Eigen requires the buffers unset then, and sized for the new plan after.
    void initParallel(Eigen::Index rows, Eigen::Index cols, Eigen::Index depth, Eigen::Index threads) {
        this->m_blockA = nullptr;
        this->m_blockB = nullptr;
        Blocking::initParallel(rows, cols, depth, threads);
        keep();
    }
    ~KeptBlocking() {
        this->m_blockA = nullptr;
        this->m_blockB = nullptr;
    }
    KeptBlocking(const KeptBlocking&) = delete;
    KeptBlocking& operator=(const KeptBlocking&) = delete;

private:
    void keep() {
        this->m_blockA = gemm_buffer<T, 0>(this->mc() * this->kc());
        this->m_blockB = gemm_buffer<T, 1>(this->kc() * this->nc());
    }
};

/// dst = lhs · rhs; dst has lhs.rows() × rhs.cols() and does not alias lhs or rhs.
template <class Dst, class Lhs, class Rhs>
void gemm(Dst&& dst, const Lhs& lhs, const Rhs& rhs) {
    if constexpr (!kept_gemm_buffers) {
        dst.noalias() = lhs * rhs;
    } else {
        namespace ei = Eigen::internal;
        using D = std::remove_reference_t<Dst>;
        using T = typename D::Scalar;
        // Eigen's evalTo: tiny products coefficient by coefficient, a vector result by GEMV, an
        // empty one not at all: no blocking there, so Eigen's own code runs them.
        if ((rhs.rows() + dst.rows() + dst.cols()) < EIGEN_GEMM_TO_COEFFBASED_THRESHOLD || dst.rows() <= 1 ||
            dst.cols() <= 1 || lhs.cols() == 0) {
            dst.noalias() = lhs * rhs;
            return;
        }
        dst.setZero();
        using Impl = ei::generic_product_impl<Lhs, Rhs, Eigen::DenseShape, Eigen::DenseShape, Eigen::GemmProduct>;
        using LhsTraits = typename Impl::LhsBlasTraits;
        using RhsTraits = typename Impl::RhsBlasTraits;
        using LhsClean = typename Impl::ActualLhsTypeCleaned;
        using RhsClean = typename Impl::ActualRhsTypeCleaned;
        const auto& l = LhsTraits::extract(lhs);
        const auto& r = RhsTraits::extract(rhs);
        const T alpha = ei::combine_scalar_factors(T(1), lhs, rhs);
        constexpr int order = (D::Flags & Eigen::RowMajorBit) ? Eigen::RowMajor : Eigen::ColMajor;
        using Blocking = ei::gemm_blocking_space<order, T, T, D::MaxRowsAtCompileTime, D::MaxColsAtCompileTime,
                                                 Impl::MaxDepthAtCompileTime>;
        using Gemm = ei::general_matrix_matrix_product<
            Eigen::Index, T, (LhsClean::Flags & Eigen::RowMajorBit) ? Eigen::RowMajor : Eigen::ColMajor,
            bool(LhsTraits::NeedToConjugate), T, (RhsClean::Flags & Eigen::RowMajorBit) ? Eigen::RowMajor : Eigen::ColMajor,
            bool(RhsTraits::NeedToConjugate), order, D::InnerStrideAtCompileTime>;
        using Functor = ei::gemm_functor<T, Eigen::Index, Gemm, LhsClean, RhsClean, D, KeptBlocking<Blocking, T>>;
        KeptBlocking<Blocking, T> blocking(dst.rows(), dst.cols(), l.cols());
        ei::parallelize_gemm<(D::MaxRowsAtCompileTime > 32 || D::MaxRowsAtCompileTime == Eigen::Dynamic)>(
            Functor(l, r, dst, alpha, blocking), lhs.rows(), rhs.cols(), lhs.cols(), bool(D::Flags & Eigen::RowMajorBit));
    }
}

}  // namespace innspect::detail
