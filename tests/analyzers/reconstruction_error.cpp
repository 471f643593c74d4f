// The reconstruction-error target (issue 11): E(x) = Σ_j m_j (x_j − x̂_j)². Checked by hand
// (R_direct, the residual map, E itself), by conservation with zero biases and ε → 0 (Σ R = E to
// 1e-10 in double) on the seed model and on a DAG, by central differences of E for the gradient
// family, by completeness for integrated gradients, and on bad input.

#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include <innspect/innspect.hpp>

#include "support/seed_model.hpp"
#include "support/test_support.hpp"

using namespace innspect;
namespace t = innspect::test;

namespace {

template <class M>
void randomize(M& m, std::uint64_t seed, bool biases) {
    t::Rng rng(seed);
    m.for_each_layer([&](auto& l) {
        for (auto& w : l.weights()) {
            std::int64_t n = 1;
            for (auto d : w.shape) n *= d;
            const double scale =
                w.role == "bias" ? (biases ? 0.1 : 0.0) : 1.0 / std::sqrt(static_cast<double>(n / w.shape.back()));
            for (std::int64_t i = 0; i < n; ++i) w.data[i] = static_cast<typename M::scalar>(scale * rng.normal());
        }
    });
}

/// A small U-Net-like autoencoder: a skip connection (Concatenate) and a residual Add.
using UNet = Model<double, Input<4, 4, 1>, Conv2D<"enc1", 3, Kernel<3, 3>, Relu, Strides<1, 1>, Padding::same>,
                   MaxPooling2D<"pool1", PoolSize<2, 2>>,
                   Conv2D<"bottleneck", 4, Kernel<3, 3>, Relu, Strides<1, 1>, Padding::same>,
                   UpSampling2D<"up1", UpSize<2, 2>>, Concatenate<"skip", Inputs<"up1", "enc1">>,
                   Conv2D<"dec1", 3, Kernel<3, 3>, Relu, Strides<1, 1>, Padding::same>,
                   Add<"residual", Inputs<"dec1", "enc1">>, Conv2D<"reconstruction", 1, Kernel<1, 1>, Tanh>>;

/// E per sample computed directly from a forward pass.
template <class M>
Vector<double> error_of(const M& m, const Batch<double>& x, const std::string& tap, const Batch<double>& mask) {
    const Batch<double> r = m.forward(x).output(tap) - x;
    Vector<double> e(x.rows());
    for (Eigen::Index b = 0; b < x.rows(); ++b)
        e(b) = (mask.rows() == 0 ? r.row(b).squaredNorm() : (mask.row(0).array() * r.row(b).array().square()).sum());
    return e;
}

template <class M>
Batch<double> numeric_gradient(const M& m, const Batch<double>& x, const std::string& tap, const Batch<double>& mask) {
    Batch<double> g(x.rows(), x.cols());
    for (Eigen::Index b = 0; b < x.rows(); ++b)
        for (Eigen::Index j = 0; j < x.cols(); ++j) {
            Batch<double> p = x.row(b), q = x.row(b);
            p(0, j) += 1e-6;
            q(0, j) -= 1e-6;
            g(b, j) = (error_of(m, p, tap, mask)(0) - error_of(m, q, tap, mask)(0)) / 2e-6;
        }
    return g;
}

}  // namespace

TEST_CASE("reconstruction error: E, R_direct and the residual map by hand") {
    // A 2-value "autoencoder": x̂ = x W, W = [[1, 0.5], [0, 2]], no bias.
    using M = Model<double, Input<2>, Dense<"rec", 2, Linear, false>>;
    M m;
    m.layer<"rec">().params().kernel << 1, 0.5, 0, 2;
    const Batch<double> x = t::rows({{1, 2}});
    // x̂ = (1, 4.5); x − x̂ = (0, −2.5); d = x̂ − x = (0, 2.5); E = 6.25.
    const auto e = lrp(m, Epsilon{0.0}).explain(x, target("rec", select::reconstruction_error<double>()));
    CHECK(e.score(0) == doctest::Approx(6.25).epsilon(1e-15));
    // R⁰ = d ⊙ x̂ = (0, 11.25); R_net at the input: x_i Σ_j w_ij R_j / x̂_j = (1·0.5·2.5, 2·2·2.5) = (1.25, 10);
    // R_direct = −d ⊙ x = (0, −5); R = (1.25, 5), Σ = 6.25 = E.
    CHECK(t::close(e.relevance, t::rows({{1.25, 5}}), 1e-15).ok);
    CHECK(e.report.has_direct);
    CHECK(e.report.direct == doctest::Approx(-5));
    CHECK(e.report.table().find("reconstruction error E") != std::string::npos);
    // Residual map: (x − x̂)² = (0, 6.25).
    CHECK(t::close(residual_map(m).explain(x, target("rec", select::reconstruction_error<double>())).relevance,
                   t::rows({{0, 6.25}}), 1e-15)
              .ok);
    // With a mask on the second value only, the same; on the first only, E = 0 and R = 0.
    const auto first = lrp(m, Epsilon{0.0}).explain(x, target("rec", select::reconstruction_error<double>(t::rows({{1, 0}}))));
    CHECK(first.score(0) == 0);
    CHECK(first.relevance.cwiseAbs().maxCoeff() == 0);
    // Gradient: ∂E/∂x = 2Jᵀd − 2d, J = Wᵀ: Jᵀd = W d = (1.25, 5); 2(1.25, 5) − 2(0, 2.5) = (2.5, 5).
    const auto g = gradient(m).explain(x, target("rec", select::reconstruction_error<double>()));
    CHECK(t::close(g.relevance, t::rows({{2.5, 5}}), 1e-15).ok);
    CHECK(t::close(input_x_gradient(m).explain(x, target("rec", select::reconstruction_error<double>())).relevance,
                   t::rows({{2.5, 10}}), 1e-15)
              .ok);
}

TEST_CASE("reconstruction error: sum R = E with zero biases and epsilon -> 0") {
    t::Rng rng(17);
    SUBCASE("the seed model (tanh reconstruction)") {
        t::Seed16<double> m;
        randomize(m, 3, false);
        const Batch<double> x = rng.batch<double>(3, 256) * 0.5;
        Batch<double> mask = Batch<double>::Zero(1, 256);
        mask.middleCols(32, 64).setOnes();
        for (const Batch<double>& mk : {Batch<double>(), mask}) {
            const auto tg = target("autoencoder", mk.size() ? select::reconstruction_error<double>(mk)
                                                            : select::reconstruction_error<double>());
            const auto e = lrp(m, Epsilon{1e-13}).explain(x, tg);
            const Vector<double> E = error_of(m, x, "autoencoder", mk);
            CHECK(t::close(e.score, E, 1e-12).ok);
            CHECK(t::close(e.relevance.rowwise().sum(), E, 1e-10).ok);
            CHECK(std::abs(e.report.initial + e.report.direct - E.sum()) <= 1e-10 * E.sum());
        }
    }
    SUBCASE("a DAG: skip connection and residual") {
        UNet m;
        randomize(m, 5, false);
        const Batch<double> x = rng.batch<double>(2, 16);
        const auto e = lrp(m, Epsilon{1e-13}).explain(x, target("reconstruction", select::reconstruction_error<double>()));
        const Vector<double> E = error_of(m, x, "reconstruction", {});
        CHECK(t::close(e.relevance.rowwise().sum(), E, 1e-10).ok);
        // The relevance of the error for the bottleneck's units: R_net there plus, through the
        // skip connection around it, the rest; the direct term stays at the input.
        auto at_code = target("reconstruction", select::reconstruction_error<double>());
        at_code.stop_at = "bottleneck";
        const auto c = lrp(m, Epsilon{1e-13}).explain(x, at_code);
        CHECK(c.shape == std::vector<std::int64_t>{2, 2, 4});
        CHECK(std::abs(c.report.final + c.report.bypassed + c.report.direct - E.sum()) <= 1e-10 * E.sum());
    }
}

TEST_CASE("reconstruction error: the gradient family differentiates E") {
    t::Rng rng(23);
    UNet m;
    randomize(m, 8, true);
    const Batch<double> x = rng.batch<double>(2, 16);
    Batch<double> mask = Batch<double>::Zero(1, 16);
    mask.leftCols(6).setOnes();
    for (const Batch<double>& mk : {Batch<double>(), mask}) {
        const auto tg = target("reconstruction", mk.size() ? select::reconstruction_error<double>(mk)
                                                           : select::reconstruction_error<double>());
        const auto g = gradient(m).explain(x, tg);
        CHECK(t::close(g.relevance, numeric_gradient(m, x, "reconstruction", mk), 1e-6).ok);
        // Integrated gradients of E from the zero baseline: Σ A ≈ E(x) − E(0) (completeness; the
        // right-end Riemann sum converges as 1/n).
        const auto ig = IntegratedGradients(m, 2048).explain(x, tg);
        const Vector<double> gap = error_of(m, x, "reconstruction", mk) -
                                   error_of(m, Batch<double>::Zero(2, 16), "reconstruction", mk);
        CHECK(t::close(ig.relevance.rowwise().sum(), gap, 5e-3).ok);
    }
    // Occlusion: the drop of E when a window is occluded (E of the occluded input itself).
    const auto occ = Occlusion(m, 4, 4, 4, 4, 0.0).explain(x, target("reconstruction", select::reconstruction_error<double>()));
    const Vector<double> drop =
        error_of(m, x, "reconstruction", {}) - error_of(m, Batch<double>::Zero(2, 16), "reconstruction", {});
    CHECK(t::close(occ.relevance.col(0), drop, 1e-12).ok);
}

TEST_CASE("reconstruction error: bad input names the shapes") {
    t::Seed16<double> m;
    randomize(m, 1, true);
    const Batch<double> x = Batch<double>::Constant(2, 256, 0.1);
    CHECK_THROWS_WITH_AS(lrp(m, Epsilon{}).explain(x, target("output", select::reconstruction_error<double>())),
                         "reconstruction error at output (2,): the reconstruction must have the input's shape (16, 16, 1), "
                         "it has (2,)",
                         shape_error);
    CHECK_THROWS_WITH_AS(
        gradient(m).explain(x, target("autoencoder", select::reconstruction_error<double>(Batch<double>::Ones(1, 10)))),
        "reconstruction error mask for autoencoder (16, 16, 1): expected 256 values per row, got 10", shape_error);
    Batch<double> bad = x;
    bad(1, 7) = std::nan("");
    CHECK_THROWS_AS(lrp(m, Epsilon{}).explain(bad, target("autoencoder", select::reconstruction_error<double>())),
                    value_error);
    CHECK_THROWS_AS(residual_map(m).explain(x, target("autoencoder", select::all<double>())), value_error);
}
