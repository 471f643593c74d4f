// The sign-selected products of α-β / z⁺ / γ on a plain product X·K (kernels/sign_select.hpp)
// against the four separate products they replace (x⁺P, x⁻N, x⁺N, x⁻P forward; a·Pᵀ, a·Nᵀ,
// b·Nᵀ, b·Pᵀ transposed, as Eigen products), on the seed model's shapes at batch 1: conv2
// (1 × 2 880 → 64), conv1 (90 positions × 90 → 32), dense1 (64 → 64), and conv1's positions
// with 64 and 16 filters. The transposed half both ways: row by row ("sel. tr.") and across
// inputs ("across", which the library takes for four or more rows per sample). Float, one thread;
// median over rounds of 50 calls each, the five cases interleaved round by round. Built for three
// instruction sets by bench/sign_select.sh (the library's code depends on the packet size).

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <vector>

#include <Eigen/Core>

#include <innspect/kernels/sign_select.hpp>

namespace {

using Rows = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

double micros_per_call(auto&& f) {
    const auto a = std::chrono::steady_clock::now();
    for (int i = 0; i < 50; ++i) f();
    return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - a).count() / 50;
}

}  // namespace

int main() {
    namespace kernels = innspect::detail;
    std::printf("# bench-sign-select: us per call, median of 21 rounds (packet: %d floats)\n",
                int(Eigen::internal::packet_traits<float>::size));
    std::printf("%-28s %10s %10s %10s %10s %10s %12s\n", "shape (m x k -> n)", "sel. fwd", "4 fwd", "sel. tr.", "across",
                "4 tr.", "max |diff|");
    for (const auto& [m, k, n] : std::vector<std::array<Eigen::Index, 3>>{{1, 2880, 64}, {90, 90, 32}, {1, 64, 64}, {90, 90, 64}, {90, 90, 16}}) {
        const Rows x = Rows::Random(m, k), P = Rows::Random(k, n).cwiseMax(0), N = Rows::Random(k, n).cwiseMin(0);
        const Rows a = Rows::Random(m, n), b = Rows::Random(m, n);
        const Rows xp = x.cwiseMax(0), xn = x.cwiseMin(0), PT = P.transpose(), NT = N.transpose();
        Rows zp(m, n), zn(m, n), r(m, k), r2(m, k), z1(m, n), z2(m, n), z3(m, n), z4(m, n), c1(m, k), c2(m, k), c3(m, k), c4(m, k);
        std::array<std::vector<double>, 5> t;
        for (int round = 0; round < 21; ++round) {
            t[0].push_back(micros_per_call([&] { kernels::sign_selected_forward(x.data(), m, k, P.data(), N.data(), n, zp.data(), zn.data()); }));
            t[1].push_back(micros_per_call([&] {
                z1.noalias() = xp * P;
                z2.noalias() = xn * N;
                z3.noalias() = xp * N;
                z4.noalias() = xn * P;
            }));
            t[2].push_back(micros_per_call([&] { kernels::sign_selected_transposed(x.data(), m, k, P.data(), N.data(), n, a.data(), b.data(), r.data()); }));
            t[4].push_back(micros_per_call([&] {
                kernels::sign_selected_transposed_across(x.data(), m, k, P.data(), N.data(), PT.data(), NT.data(), n,
                                                         a.data(), b.data(), r2.data());
            }));
            t[3].push_back(micros_per_call([&] {
                c1.noalias() = a * P.transpose();
                c2.noalias() = a * N.transpose();
                c3.noalias() = b * N.transpose();
                c4.noalias() = b * P.transpose();
            }));
        }
        // The same values both ways: z_pos = x⁺P + x⁻N, R = x⁺ ⊙ (aPᵀ + bNᵀ) + x⁻ ⊙ (aNᵀ + bPᵀ).
        const Rows r4 = xp.cwiseProduct(c1 + c3) + xn.cwiseProduct(c2 + c4);
        const double diff = std::max({double((zp - (z1 + z2)).cwiseAbs().maxCoeff()),
                                      double((zn - (z3 + z4)).cwiseAbs().maxCoeff()), double((r - r4).cwiseAbs().maxCoeff()),
                                      double((r2 - r4).cwiseAbs().maxCoeff())});
        for (auto& v : t) std::sort(v.begin(), v.end());
        char shape[64];
        std::snprintf(shape, sizeof shape, "%ld x %ld -> %ld", long(m), long(k), long(n));
        std::printf("%-28s %10.2f %10.2f %10.2f %10.2f %10.2f %12.2g\n", shape, t[0][10], t[1][10], t[2][10], t[4][10],
                    t[3][10], diff);
    }
}
