// The sign-split rules (α-β, z⁺, γ) and z^B on a convolution with 'same' padding and mixed-sign
// inputs, against their definitions written per contribution x_i·w_ij (design.md §4) instead of
// per signed product x±·W±, with one-row batches and with a batch of several rows (their products
// then run stacked: [x⁺; x⁻] as one batch); and on the layers whose product is a plain X·K (a
// Dense layer, a convolution that sees its whole input width), where α-β, z⁺ and γ run the
// products with each kernel row chosen by its input's sign (kernels/sign_select.hpp), at any batch
// size: row by row for one row per sample, across inputs for four or more. And the reason the
// products stay separate: a degenerate denominator (z⁻ = 0, so s⁻ = R / 1e-6) must not leak into
// inputs it does not reach.

#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <type_traits>
#include <utility>

#include <innspect/innspect.hpp>

#include "support/model_checks.hpp"
#include "support/test_support.hpp"

using namespace innspect;

namespace {

using Net = Model<double, Input<4, 5, 3>, Conv2D<"c", 6, Kernel<3, 3>, Linear, Strides<1, 1>, Padding::same>>;
/// Plain products X·K: a convolution over the whole width (im2col the identity: 4 rows of 15
/// values a sample), a Dense layer (one row), a Dense layer on 4 × 5 positions.
using WideConv = Model<double, Input<4, 5, 3>, Conv2D<"c", 37, Kernel<1, 5>>>;
/// 5 rows of 21 values: four rows go as a block, the fifth alone, and 21 inputs leave a tail
/// after whole packets (for any packet size up to 16); the transposed half runs across inputs.
using WideConv5 = Model<double, Input<5, 7, 3>, Conv2D<"c", 9, Kernel<1, 7>>>;
using DenseNet = Model<double, Input<40>, Dense<"c", 70>>;
using DenseOnPositions = Model<double, Input<4, 5, 3>, Dense<"c", 6>>;

template <class M>
constexpr Eigen::Index plain_rows = detail::plain_rows_of<std::remove_cvref_t<decltype(std::declval<M>().template layer<"c">())>>();
static_assert(plain_rows<Net> == 0, "a 'same' convolution's product is not plain: its α-β runs the four products");
static_assert(plain_rows<WideConv> == 4 && plain_rows<WideConv5> == 5 && plain_rows<DenseNet> == 1 && plain_rows<DenseOnPositions> == 20,
              "these layers' products are plain: their α-β takes the sign-selected kernel rows");
static_assert(detail::plain_rows_of<std::remove_cvref_t<decltype(std::declval<Model<float, Input<4>, Dense<"d", 2, Linear, false>>>().template layer<"d">())>>() == 1);

/// The layer as a dense matrix A (inputs × outputs, no bias): A_ij = w_ij where input i reaches
/// output j, 0 where it does not (padding included).
template <class M>
Matrix<double> dense_matrix(const M& m) {
    const auto& layer = m.template layer<"c">();
    const int n_in = M::input_shape::size;
    return layer.apply(Batch<double>::Identity(n_in, n_in), layer.params().without_bias());
}

double stabilize(double z, double eps) { return z >= 0 ? z + eps : z - eps; }

/// One row's R_in from per-contribution weights: c(i, j) is what input i contributes to the
/// denominator of output j in the part `part` (0 or 1), d(j, part) that denominator's bias,
/// scale(part) the part's factor.
using Contribution = std::function<double(Eigen::Index, Eigen::Index, int)>;
Batch<double> reference_row(Eigen::Index n_in, const Batch<double>& r, const Contribution& c,
                            const std::function<double(Eigen::Index, int)>& bias, const std::function<double(int)>& scale,
                            int parts, double eps) {
    const Eigen::Index n_out = r.cols();
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
        a.rows(), r,
        [&](Eigen::Index i, Eigen::Index j, int part) {
            const double v = x(0, i) * a(i, j);
            return part == 0 ? std::max(v, 0.0) : std::min(v, 0.0);
        },
        [&](Eigen::Index j, int part) {
            const double v = b(j % b.size());
            return part == 0 ? std::max(v, 0.0) : std::min(v, 0.0);
        },
        [&](int part) { return part == 0 ? alpha : -beta; }, beta != 0 ? 2 : 1, 1e-6);
}

/// γ: where z_j > 0 the contributions x_i w_ij + γ(x_i w_ij)⁺ and b + γb⁺, where z_j < 0 the same
/// with ⁻; z_j = 0 takes no part (a random layer has none).
Batch<double> gamma_row(const Matrix<double>& a, const Vector<double>& b, const Batch<double>& x, const Batch<double>& r,
                        double g) {
    Batch<double> z = x * a;
    for (Eigen::Index j = 0; j < z.cols(); ++j) z(0, j) += b(j % b.size());
    return reference_row(
        a.rows(), r,
        [&](Eigen::Index i, Eigen::Index j, int) {
            const double v = x(0, i) * a(i, j);
            return z(0, j) > 0 ? v + g * std::max(v, 0.0) : v + g * std::min(v, 0.0);
        },
        [&](Eigen::Index j, int) {
            const double v = b(j % b.size());
            return z(0, j) > 0 ? v + g * std::max(v, 0.0) : v + g * std::min(v, 0.0);
        },
        [&](int) { return 1.0; }, 1, 1e-6);
}

/// z^B: contributions x_i w_ij − l w⁺_ij − h w⁻_ij, no bias.
Batch<double> zbox_row(const Matrix<double>& a, const Batch<double>& x, const Batch<double>& r, double lo, double hi) {
    return reference_row(
        a.rows(), r, [&](Eigen::Index i, Eigen::Index j, int) {
            return x(0, i) * a(i, j) - lo * std::max(a(i, j), 0.0) - hi * std::min(a(i, j), 0.0);
        },
        [](Eigen::Index, int) { return 0.0; }, [](int) { return 1.0; }, 1, 1e-6);
}

/// `rule` on batches of 1 and of 5 rows (R given at the layer) against `reference` row by row,
/// on the model M (one linear layer "c"). Some inputs are exactly 0 (they take no part).
template <class Rule, class Ref, class M = Net>
void check_rule(const Rule& rule, Ref reference, M m = {}) {
    constexpr int n_in = M::input_shape::size;
    test::Rng rng(7);
    test::randomize(m, rng);
    const Matrix<double> a = dense_matrix(m);
    const Eigen::Index n_out = a.cols();
    const Vector<double>& b = m.template layer<"c">().params().bias;
    Batch<double> x = rng.batch<double>(5, n_in);  // mixed signs
    for (Eigen::Index i = 0; i < x.size(); i += 7) x.data()[i] = 0;
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
            return alpha_beta_row(a, Vector<double>::Zero(1), x, r, 3, 2);
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

TEST_CASE("alpha-beta, z-plus and gamma where the product is a plain X·K: one row selects kernel rows by sign") {
    auto all_rules = [](auto m) {
        check_rule(AlphaBeta(2, 1), [](const auto& a, const auto& b, const auto& x, const auto& r) {
            return alpha_beta_row(a, b, x, r, 2, 1);
        }, m);
        check_rule(AlphaBeta(3, 2, false), [](const auto& a, const auto&, const auto& x, const auto& r) {
            return alpha_beta_row(a, Vector<double>::Zero(1), x, r, 3, 2);
        }, m);
        check_rule(ZPlus(), [](const auto& a, const auto& b, const auto& x, const auto& r) {
            return alpha_beta_row(a, b, x, r, 1, 0);
        }, m);
        check_rule(Gamma(0.25), [](const auto& a, const auto& b, const auto& x, const auto& r) {
            return gamma_row(a, b, x, r, 0.25);
        }, m);
    };
    SUBCASE("a convolution over the whole width (4 rows of 15 values, 37 filters: a partial block)") { all_rules(WideConv{}); }
    SUBCASE("a convolution over the whole width on 5 rows of 21 values (a block of four rows and one, a tail of inputs)") {
        all_rules(WideConv5{});
    }
    SUBCASE("a Dense layer, 40 -> 70") { all_rules(DenseNet{}); }
    SUBCASE("a Dense layer on 4 x 5 positions, 3 -> 6") { all_rules(DenseOnPositions{}); }
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
    // A Dense layer's product is plain: one row and two alike select each kernel row by its
    // input's sign, and each sum still has only its own terms.
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
