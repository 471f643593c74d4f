// The sign-split rules (α-β, z⁺, γ) and z^B on a convolution with 'same' padding and mixed-sign
// inputs, against their definitions written per contribution x_i·w_ij (design.md §4) instead of
// per signed product x±·W±, with one-row batches and with a batch of several rows (their products
// then run stacked: [x⁺; x⁻] as one batch). And the reason the products stay separate: a
// degenerate denominator (z⁻ = 0, so s⁻ = R / 1e-6) must not leak into inputs it does not reach.

#include <doctest/doctest.h>

#include <cmath>
#include <functional>

#include <innspect/innspect.hpp>

#include "support/model_checks.hpp"
#include "support/test_support.hpp"

using namespace innspect;

namespace {

using Net = Model<double, Input<4, 5, 3>, Conv2D<"c", 6, Kernel<3, 3>, Linear, Strides<1, 1>, Padding::same>>;
constexpr int n_in = Net::input_shape::size;
constexpr int n_out = 4 * 5 * 6;
constexpr int channels = 6;

/// The layer as a dense matrix A (inputs × outputs, no bias): A_ij = w_ij where input i reaches
/// output j, 0 where it does not (padding included).
Matrix<double> dense_matrix(const Net& m) {
    const auto& layer = m.layer<"c">();
    return layer.apply(Batch<double>::Identity(n_in, n_in), layer.params().without_bias());
}

double stabilize(double z, double eps) { return z >= 0 ? z + eps : z - eps; }

/// One row's R_in from per-contribution weights: c(i, j) is what input i contributes to the
/// denominator of output j in the part `part` (0 or 1), d(j, part) that denominator's bias,
/// scale(part) the part's factor.
using Contribution = std::function<double(Eigen::Index, Eigen::Index, int)>;
Batch<double> reference_row(const Batch<double>& r, const Contribution& c, const std::function<double(Eigen::Index, int)>& bias,
                            const std::function<double(int)>& scale, int parts, double eps) {
    Batch<double> out = Batch<double>::Zero(1, n_in);
    for (int part = 0; part < parts; ++part)
        for (Eigen::Index j = 0; j < n_out; ++j) {
            double z = bias(j, part);
            for (Eigen::Index i = 0; i < n_in; ++i) z += c(i, j, part);
            const double s = scale(part) * r(0, j) / stabilize(z, eps);
            for (Eigen::Index i = 0; i < n_in; ++i) out(0, i) += c(i, j, part) * s;
        }
    return out;
}

/// α-β: part 0 the positive contributions (x_i w_ij)⁺ with b⁺, part 1 the negative ones with b⁻.
Batch<double> alpha_beta_row(const Matrix<double>& a, const Vector<double>& b, const Batch<double>& x,
                             const Batch<double>& r, double alpha, double beta) {
    return reference_row(
        r,
        [&](Eigen::Index i, Eigen::Index j, int part) {
            const double v = x(0, i) * a(i, j);
            return part == 0 ? std::max(v, 0.0) : std::min(v, 0.0);
        },
        [&](Eigen::Index j, int part) {
            const double v = b(j % channels);
            return part == 0 ? std::max(v, 0.0) : std::min(v, 0.0);
        },
        [&](int part) { return part == 0 ? alpha : -beta; }, beta != 0 ? 2 : 1, 1e-6);
}

/// γ: where z_j > 0 the contributions x_i w_ij + γ(x_i w_ij)⁺ and b + γb⁺, where z_j < 0 the same
/// with ⁻; z_j = 0 takes no part (a random layer has none).
Batch<double> gamma_row(const Matrix<double>& a, const Vector<double>& b, const Batch<double>& x, const Batch<double>& r,
                        double g) {
    Batch<double> z = x * a;
    for (Eigen::Index j = 0; j < n_out; ++j) z(0, j) += b(j % channels);
    return reference_row(
        r,
        [&](Eigen::Index i, Eigen::Index j, int) {
            const double v = x(0, i) * a(i, j);
            return z(0, j) > 0 ? v + g * std::max(v, 0.0) : v + g * std::min(v, 0.0);
        },
        [&](Eigen::Index j, int) {
            const double v = b(j % channels);
            return z(0, j) > 0 ? v + g * std::max(v, 0.0) : v + g * std::min(v, 0.0);
        },
        [&](int) { return 1.0; }, 1, 1e-6);
}

/// z^B: contributions x_i w_ij − l w⁺_ij − h w⁻_ij, no bias.
Batch<double> zbox_row(const Matrix<double>& a, const Batch<double>& x, const Batch<double>& r, double lo, double hi) {
    return reference_row(
        r, [&](Eigen::Index i, Eigen::Index j, int) {
            return x(0, i) * a(i, j) - lo * std::max(a(i, j), 0.0) - hi * std::min(a(i, j), 0.0);
        },
        [](Eigen::Index, int) { return 0.0; }, [](int) { return 1.0; }, 1, 1e-6);
}

/// `rule` on batches of 1 and of 5 rows (R given at the layer) against `reference` row by row.
template <class Rule, class Ref>
void check_rule(const Rule& rule, Ref reference) {
    Net m;
    test::Rng rng(7);
    test::randomize(m, rng);
    const Matrix<double> a = dense_matrix(m);
    const Vector<double>& b = m.layer<"c">().params().bias;
    const Batch<double> x = rng.batch<double>(5, n_in);  // mixed signs
    const Batch<double> r = rng.batch<double>(5, n_out);
    const auto analyzer = lrp(m, rule);
    const auto all = analyzer.explain(x, target<double>("c", select::relevance<double>(r)));
    for (Eigen::Index row = 0; row < x.rows(); ++row) {
        CAPTURE(row);
        const Batch<double> xr = x.row(row), rr = r.row(row);
        const Batch<double> expected = reference(a, b, xr, rr);
        const double scale = std::max(1.0, expected.cwiseAbs().maxCoeff());
        const auto one = analyzer.explain(xr, target<double>("c", select::relevance<double>(rr)));
        CHECK((one.relevance - expected).cwiseAbs().maxCoeff() <= 1e-12 * scale);
        CHECK((Batch<double>(all.relevance.row(row)) - expected).cwiseAbs().maxCoeff() <= 1e-12 * scale);
    }
}

}  // namespace

TEST_SUITE("rules: sign split") {

TEST_CASE("alpha-beta, z-plus, gamma and z-box on a 'same' convolution with mixed-sign inputs: one row and a batch") {
    SUBCASE("alpha2beta1") {
        check_rule(AlphaBeta(2, 1), [](const auto& a, const auto& b, const auto& x, const auto& r) {
            return alpha_beta_row(a, b, x, r, 2, 1);
        });
    }
    SUBCASE("alpha3beta2 without bias") {
        check_rule(AlphaBeta(3, 2, false), [](const auto& a, const auto&, const auto& x, const auto& r) {
            return alpha_beta_row(a, Vector<double>::Zero(channels), x, r, 3, 2);
        });
    }
    SUBCASE("z-plus") {
        check_rule(ZPlus(), [](const auto& a, const auto& b, const auto& x, const auto& r) {
            return alpha_beta_row(a, b, x, r, 1, 0);
        });
    }
    SUBCASE("gamma 0.25") {
        check_rule(Gamma(0.25), [](const auto& a, const auto& b, const auto& x, const auto& r) {
            return gamma_row(a, b, x, r, 0.25);
        });
    }
    SUBCASE("z-box (-3, 2)") {
        check_rule(ZBox(-3, 2), [](const auto& a, const auto&, const auto& x, const auto& r) {
            return zbox_row(a, x, r, -3, 2);
        });
    }
}

TEST_CASE("alpha-beta: a degenerate z- does not leak into inputs it does not reach") {
    // Input<4> → Dense<"d", 2, no bias>, float, x = (1, 2, 1, −1), R = (1, 1).
    //   w = [[0.5, −0.5], [0.25, 0.25], [0.25, −0.25], [0, 0.5]]
    //   unit 0: contributions (0.5, 0.5, 0.25, 0): z⁺_0 = 1.25, z⁻_0 = 0 → s⁻_0 = 1 / 1e-6 = 1e6
    //   unit 1: contributions (−0.5, 0.5, −0.25, −0.5): z⁺_1 = 0.5, z⁻_1 = −1.25
    // s⁻_0 meets only exact zeros (w⁻_i0 = 0 for every i, and x⁻_3 w⁺_30 = −1·0), so its terms are
    // exact 0. With W⁻ replaced by W − W⁺ in the backward, Σ_j w_ij s⁻_j − Σ_j w⁺_ij s⁻_j would
    // subtract sums of size 0.5·1e6 from each other and leave float rounding errors of about 0.03
    // in R_0, R_1, R_2.
    //   R_i = x⁺_i (Σ_j w⁺_ij s⁺_j − Σ_j w⁻_ij s⁻_j) + x⁻_i (Σ_j w⁻_ij s⁺_j − Σ_j w⁺_ij s⁻_j),
    //   s⁺ = 2R / (z⁺ + 1e-6), s⁻ = R / (z⁻ ± 1e-6)
    //   R_0 = 0.5 s⁺_0 + 0.5 s⁻_1,  R_1 = 2·(0.25 s⁺_0 + 0.25 s⁺_1),  R_2 = 0.25 s⁺_0 + 0.25 s⁻_1,
    //   R_3 = −1·(−0.5 s⁻_1) = 0.5 s⁻_1
    // One row runs the products one by one, two rows stacked ([x⁺; x⁻] as one batch).
    Model<float, Input<4>, Dense<"d", 2, Linear, false>> m;
    m.layer<"d">().params().kernel = (Matrix<float>(4, 2) << 0.5f, -0.5f, 0.25f, 0.25f, 0.25f, -0.25f, 0.f, 0.5f).finished();
    const double sp0 = 2 / 1.250001, sp1 = 2 / 0.500001, sn1 = 1 / -1.250001;
    const double expected[4] = {0.5 * sp0 + 0.5 * sn1, 2 * (0.25 * sp0 + 0.25 * sp1), 0.25 * sp0 + 0.25 * sn1, 0.5 * sn1};
    for (int rows : {1, 2}) {
        CAPTURE(rows);
        Batch<float> x(rows, 4), r(rows, 2);
        for (int k = 0; k < rows; ++k) {
            x.row(k) << 1, 2, 1, -1;
            r.row(k) << 1, 1;
        }
        const auto e = lrp(m, AlphaBeta(2, 1)).explain(x, target<float>("d", select::relevance<float>(r)));
        for (int k = 0; k < rows; ++k)
            for (int i = 0; i < 4; ++i) {
                CAPTURE(i);
                CHECK(std::abs(static_cast<double>(e.relevance(k, i)) - expected[i]) <= 1e-5 * std::abs(expected[i]));
            }
    }
}

}  // TEST_SUITE
