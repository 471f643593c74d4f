#pragma once
/// \file
/// The sign-split rules' products on a plain product z = X·K (a Dense layer, a convolution whose
/// im2col is the identity, a recurrent cell's map), with the kernel row chosen by the sign of each
/// input: a value is either positive or negative, so of the four products x⁺P, x⁻N, x⁺N, x⁻P
/// (rules/rule.hpp, SignSplit) each input's row of the kernels enters two, not four. Row by row,
/// with X (m × k: every sample's rows one after the other), P and N (k × n, row-major):
///
///   forward     z_pos[p] = Σ_i X_pi · (X_pi > 0 ? P_i : N_i)      z_neg[p] = Σ_i X_pi · (X_pi > 0 ? N_i : P_i)
///   transposed  R[p, i]  = X_pi · (X_pi > 0 ? P_i·a_p + N_i·b_p : N_i·a_p + P_i·b_p)
///
/// (a, b the two quotients, b already carrying the sign the rule gives it). Half the multiply-adds
/// of the four products, and each kernel read once per direction. The forward keeps its
/// accumulators in registers (Eigen's packet operations, whatever the instruction set). The
/// transposed comes two ways: row by row, each kernel row a pair of dot products (long rows, one
/// row per sample), or across inputs, a packet of inputs at a time with the row picked by a blend
/// and four rows sharing each kernel load (several rows per sample, short kernel rows: the dot
/// products' horizontal sums would cost more than their multiply-adds). The sums are taken in
/// another order than the four products', so the bits differ from them in the last places.
/// bench/sign_select.sh compares them with the four products on the seed model's shapes for SSE2,
/// AVX2 and AVX-512.

#include <cstdint>
#include <utility>

#include <Eigen/Core>

namespace innspect::detail {

/// The rows at `offset` of P and N in the order v's sign picks: v > 0 P's first, else N's (a zero
/// v adds 0 either way). Without a branch: the signs of a layer's inputs are as good as random,
/// and written as `v > 0 ? P : N` GCC 12 branched — the seed model's α2β1 step at conv1, batch 32
/// (259 200 signs per call), took 137 µs per sample with the branch and 52 without. (A benchmark
/// that repeats one input hides it: the predictor learns the pattern.)
template <class T>
inline void pick_rows(T v, const T* P, const T* N, Eigen::Index offset, const T*& first, const T*& second) {
    const auto p = reinterpret_cast<std::uintptr_t>(P + offset), q = reinterpret_cast<std::uintptr_t>(N + offset);
    const std::uintptr_t swap = (p ^ q) & (std::uintptr_t(0) - static_cast<std::uintptr_t>(v > T(0)));
    first = reinterpret_cast<const T*>(q ^ swap);   // v > 0: p, else q
    second = reinterpret_cast<const T*>(p ^ swap);  // v > 0: q, else p
}

/// Columns [c0, c0 + NP·ps) of row p's forward pair: 2·NP accumulators in registers (NP without
/// the second sum).
template <int NP, bool Both, class T>
void sign_selected_forward_block(const T* xr, Eigen::Index k, const T* P, const T* N, Eigen::Index n, Eigen::Index c0,
                                 T* zp, T* zn) {
    namespace ei = Eigen::internal;
    using Packet = typename ei::packet_traits<T>::type;
    constexpr Eigen::Index ps = ei::packet_traits<T>::size;
    // The packets' loops unrolled by a fold, not left to the optimiser: a loop over an array of
    // accumulators that stays a loop (GCC at -O2) keeps them in memory, at a third of the speed.
    [&]<int... Q>(std::integer_sequence<int, Q...>) {
        Packet a[NP], b[NP];
        ((a[Q] = b[Q] = ei::pset1<Packet>(T(0))), ...);
        for (Eigen::Index i = 0; i < k; ++i) {
            const T v = xr[i];
            const T* same;
            const T* other;
            pick_rows(v, P, N, i * n + c0, same, other);
            const Packet pv = ei::pset1<Packet>(v);
            ((a[Q] = ei::pmadd(pv, ei::ploadu<Packet>(same + Q * ps), a[Q])), ...);
            if constexpr (Both) ((b[Q] = ei::pmadd(pv, ei::ploadu<Packet>(other + Q * ps), b[Q])), ...);
        }
        (ei::pstoreu(zp + c0 + Q * ps, a[Q]), ...);
        if constexpr (Both) (ei::pstoreu(zn + c0 + Q * ps, b[Q]), ...);
    }(std::make_integer_sequence<int, NP>{});
}

template <bool Both, class T>
void sign_selected_forward_rows(const T* x, Eigen::Index m, Eigen::Index k, const T* P, const T* N, Eigen::Index n,
                                T* z_pos, T* z_neg) {
    constexpr Eigen::Index ps = Eigen::internal::packet_traits<T>::size;
    for (Eigen::Index p = 0; p < m; ++p) {
        const T* xr = x + p * k;
        T* zp = z_pos + p * n;
        T* zn = Both ? z_neg + p * n : nullptr;
        Eigen::Index c0 = 0;
        for (; c0 + 4 * ps <= n; c0 += 4 * ps) sign_selected_forward_block<4, Both>(xr, k, P, N, n, c0, zp, zn);
        if (c0 + 2 * ps <= n) {
            sign_selected_forward_block<2, Both>(xr, k, P, N, n, c0, zp, zn);
            c0 += 2 * ps;
        }
        if (c0 + ps <= n) {
            sign_selected_forward_block<1, Both>(xr, k, P, N, n, c0, zp, zn);
            c0 += ps;
        }
        if (c0 == n) continue;
        // The last columns (fewer than a packet), scalar.
        for (Eigen::Index c = c0; c < n; ++c) {
            zp[c] = T(0);
            if constexpr (Both) zn[c] = T(0);
        }
        for (Eigen::Index i = 0; i < k; ++i) {
            const T v = xr[i];
            const T* same;
            const T* other;
            pick_rows(v, P, N, i * n, same, other);
            for (Eigen::Index c = c0; c < n; ++c) {
                zp[c] += v * same[c];
                if constexpr (Both) zn[c] += v * other[c];
            }
        }
    }
}

/// The forward pair above: X (m × k, rows `x` apart by k), P and N (k × n), into z_pos and z_neg
/// (m × n each); z_neg null: z_pos alone (z⁺, whose rule has no negative part).
template <class T>
void sign_selected_forward(const T* x, Eigen::Index m, Eigen::Index k, const T* P, const T* N, Eigen::Index n,
                           T* z_pos, T* z_neg) {
    if (z_neg) sign_selected_forward_rows<true>(x, m, k, P, N, n, z_pos, z_neg);
    else sign_selected_forward_rows<false>(x, m, k, P, N, n, z_pos, z_neg);
}

/// Σ_c u_c a_c (+ w_c b_c with Both) over n values, in packets.
template <bool Both, class T>
T two_dots(const T* u, const T* a, const T* w, const T* b, Eigen::Index n) {
    namespace ei = Eigen::internal;
    using Packet = typename ei::packet_traits<T>::type;
    constexpr Eigen::Index ps = ei::packet_traits<T>::size;
    Packet s0 = ei::pset1<Packet>(T(0)), s1 = s0;
    Eigen::Index c = 0;
    for (; c + 2 * ps <= n; c += 2 * ps) {
        s0 = ei::pmadd(ei::ploadu<Packet>(u + c), ei::ploadu<Packet>(a + c), s0);
        s1 = ei::pmadd(ei::ploadu<Packet>(u + c + ps), ei::ploadu<Packet>(a + c + ps), s1);
        if constexpr (Both) {
            s0 = ei::pmadd(ei::ploadu<Packet>(w + c), ei::ploadu<Packet>(b + c), s0);
            s1 = ei::pmadd(ei::ploadu<Packet>(w + c + ps), ei::ploadu<Packet>(b + c + ps), s1);
        }
    }
    if (c + ps <= n) {
        s0 = ei::pmadd(ei::ploadu<Packet>(u + c), ei::ploadu<Packet>(a + c), s0);
        if constexpr (Both) s1 = ei::pmadd(ei::ploadu<Packet>(w + c), ei::ploadu<Packet>(b + c), s1);
        c += ps;
    }
    T sum = ei::predux(ei::padd(s0, s1));
    for (; c < n; ++c) {
        if constexpr (Both) sum += u[c] * a[c] + w[c] * b[c];
        else sum += u[c] * a[c];
    }
    return sum;
}

/// Inputs [i_begin, k) of every row, each kernel row a pair of dot products.
template <bool Both, class T>
void sign_selected_transposed_rows(const T* x, Eigen::Index m, Eigen::Index k, const T* P, const T* N, Eigen::Index n,
                                   const T* a, const T* b, T* r, Eigen::Index i_begin = 0) {
    for (Eigen::Index p = 0; p < m; ++p) {
        const T* xr = x + p * k;
        const T* ap = a + p * n;
        const T* bp = Both ? b + p * n : nullptr;
        T* rr = r + p * k;
        for (Eigen::Index i = i_begin; i < k; ++i) {
            const T v = xr[i];
            const T* same;
            const T* other;
            pick_rows(v, P, N, i * n, same, other);
            rr[i] = v * two_dots<Both>(same, ap, other, bp, n);  // v = 0: 0 (the quotients are finite)
        }
    }
}

/// The transposed products above, times X: R[p, i] = X_pi · c[p, i], into `r` (m × k), with
/// a, b (m × n) the quotients (b null: the positive part alone, c = row · a_p): one pass over each
/// kernel row, as a pair of dot products. (Rows taken a packet's worth at a time, reduced together
/// by a packet transpose, measured slower on both of the seed model's shapes.)
template <class T>
void sign_selected_transposed(const T* x, Eigen::Index m, Eigen::Index k, const T* P, const T* N, Eigen::Index n,
                              const T* a, const T* b, T* r) {
    if (b) sign_selected_transposed_rows<true>(x, m, k, P, N, n, a, b, r);
    else sign_selected_transposed_rows<false>(x, m, k, P, N, n, a, b, r);
}

/// Inputs [i0, i0 + ps) of RB rows of the transposed products, across inputs: the kernels taken
/// transposed (Pᵀ, Nᵀ: n × k, row c holding every input's weight into output c), so that a packet
/// holds ps inputs and each one's row is chosen by a blend on its sign. The RB rows share every
/// kernel load; each row keeps a's and b's sums apart (2·RB independent chains of multiply-adds),
/// and an element's sums run over c in the same order whatever RB is (a row's bits do not depend
/// on the rows next to it).
template <int RB, bool Both, class T>
void sign_selected_transposed_across_block(const T* x, Eigen::Index k, const T* PT, const T* NT, Eigen::Index n,
                                           const T* a, const T* b, T* r, Eigen::Index i0) {
    namespace ei = Eigen::internal;
    using Packet = typename ei::packet_traits<T>::type;
    [&]<int... R>(std::integer_sequence<int, R...>) {
        const Packet zero = ei::pset1<Packet>(T(0));
        Packet positive[RB], ua[RB], ub[RB];
        ((positive[R] = ei::pcmp_lt(zero, ei::ploadu<Packet>(x + R * k + i0)), ua[R] = ub[R] = zero), ...);
        for (Eigen::Index c = 0; c < n; ++c) {
            const Packet pt = ei::ploadu<Packet>(PT + c * k + i0), nt = ei::ploadu<Packet>(NT + c * k + i0);
            ((ua[R] = ei::pmadd(ei::pset1<Packet>(a[R * n + c]), ei::pselect(positive[R], pt, nt), ua[R])), ...);
            if constexpr (Both)
                ((ub[R] = ei::pmadd(ei::pset1<Packet>(b[R * n + c]), ei::pselect(positive[R], nt, pt), ub[R])), ...);
        }
        (ei::pstoreu(r + R * k + i0, ei::pmul(ei::ploadu<Packet>(x + R * k + i0), ei::padd(ua[R], ub[R]))), ...);
    }(std::make_integer_sequence<int, RB>{});
}

template <bool Both, class T>
void sign_selected_transposed_across_rows(const T* x, Eigen::Index m, Eigen::Index k, const T* P, const T* N,
                                          const T* PT, const T* NT, Eigen::Index n, const T* a, const T* b, T* r) {
    constexpr Eigen::Index ps = Eigen::internal::packet_traits<T>::size;
    const Eigen::Index kv = k - k % ps;
    auto row_b = [&](Eigen::Index p) { return Both ? b + p * n : nullptr; };
    Eigen::Index p = 0;
    for (; p + 4 <= m; p += 4)
        for (Eigen::Index i0 = 0; i0 < kv; i0 += ps)
            sign_selected_transposed_across_block<4, Both>(x + p * k, k, PT, NT, n, a + p * n, row_b(p), r + p * k, i0);
    for (; p < m; ++p)
        for (Eigen::Index i0 = 0; i0 < kv; i0 += ps)
            sign_selected_transposed_across_block<1, Both>(x + p * k, k, PT, NT, n, a + p * n, row_b(p), r + p * k, i0);
    if (kv < k) sign_selected_transposed_rows<Both>(x, m, k, P, N, n, a, b, r, kv);
}

/// sign_selected_transposed, vectorised across inputs instead of along kernel rows: for short
/// rows (few outputs n), where a row's pair of dot products is too short to pay for its horizontal
/// sum. Takes the kernels both ways: P, N (k × n) for the last k mod ps inputs, which go row by
/// row as above, and Pᵀ, Nᵀ (n × k) for the rest. Four rows at a time share each kernel load.
/// b null: the positive part alone.
template <class T>
void sign_selected_transposed_across(const T* x, Eigen::Index m, Eigen::Index k, const T* P, const T* N,
                                     const T* PT, const T* NT, Eigen::Index n, const T* a, const T* b, T* r) {
    if (b) sign_selected_transposed_across_rows<true>(x, m, k, P, N, PT, NT, n, a, b, r);
    else sign_selected_transposed_across_rows<false>(x, m, k, P, N, PT, NT, n, a, b, r);
}

}  // namespace innspect::detail
