// Tests of innspect/evaluation/relevance_mass.hpp: hand cases of
//   mass = Σ_{i∈M} max(R_i, 0) / Σ_i max(R_i, 0)   (0 when no relevance is positive),
//   region_share = |M| / N,
// a region shared by the batch or one per sample, and the shape / value errors.

#include "innspect/evaluation/relevance_mass.hpp"

#include <doctest/doctest.h>

#include <limits>

#include "support/test_support.hpp"

using namespace innspect;
using innspect::test::rows;

TEST_CASE("relevance mass by hand") {
    SUBCASE("share of the positive relevance inside the region") {
        // positive relevance 1 + 3 + 4 = 8; inside (columns 0 and 2): 1 + 3 = 4 → 0.5; |M| / N = 2 / 4
        const auto r = relevance_mass(rows({{1, -2, 3, 4}}), rows({{1, 0, 1, 0}}));
        REQUIRE(r.mass.size() == 1);
        CHECK(r.mass(0) == 0.5);
        CHECK(r.region_share == 0.5);
    }
    SUBCASE("negative relevance is ignored, inside the region and out") {
        // positive: 2 + 6 = 8; inside (columns 1, 2): max(-100, 0) + 6 = 6 → 0.75
        const auto r = relevance_mass(rows({{2, -100, 6, 0}}), rows({{0, 1, 1, 0}}));
        CHECK(r.mass(0) == 0.75);
        // a large negative value outside the region does not lower the total either
        CHECK(relevance_mass(rows({{2, -100, 6, 0}}), rows({{1, 0, 0, 0}})).mass(0) == 0.25);
    }
    SUBCASE("no positive relevance gives 0") {
        const auto r = relevance_mass(rows({{-1, -2, 0, 0}}), rows({{1, 1, 0, 0}}));
        CHECK(r.mass(0) == 0);
        CHECK(relevance_mass(rows({{0, 0, 0}}), rows({{1, 1, 1}})).mass(0) == 0);
    }
    SUBCASE("all of it inside, none of it inside, an empty and a full region") {
        CHECK(relevance_mass(rows({{0, 5, -1, 3}}), rows({{0, 1, 0, 1}})).mass(0) == 1);
        CHECK(relevance_mass(rows({{0, 5, -1, 3}}), rows({{1, 0, 1, 0}})).mass(0) == 0);
        const auto none = relevance_mass(rows({{1, 2, 3, 4}}), rows({{0, 0, 0, 0}}));
        CHECK(none.mass(0) == 0);
        CHECK(none.region_share == 0);
        const auto all = relevance_mass(rows({{1, 2, 3, 4}}), rows({{1, 1, 1, 1}}));
        CHECK(all.mass(0) == 1);
        CHECK(all.region_share == 1);
    }
    SUBCASE("any nonzero entry marks the region") {
        // region entries 0.5 and -3 count; positive 1 + 2 + 5 = 8; inside 1 + 5 = 6
        const auto r = relevance_mass(rows({{1, 2, 5, -4, 0}}), rows({{0.5, 0, -3, 0, 0}}));
        CHECK(r.mass(0) == 0.75);
        CHECK(r.region_share == 0.4);
    }
}

TEST_CASE("relevance mass over a batch: one region for all, or one per sample") {
    const Batch<double> relevance = rows({{1, 1, 1, 1},  //
                                          {4, 0, 0, 4},  //
                                          {-1, -1, -1, -1}});
    SUBCASE("a 1-row region is shared") {
        // region columns 0, 1: sample 0: 2 / 4; sample 1: 4 / 8; sample 2: no positive relevance → 0
        const auto r = relevance_mass(relevance, rows({{1, 1, 0, 0}}));
        REQUIRE(r.mass.size() == 3);
        CHECK(r.mass(0) == 0.5);
        CHECK(r.mass(1) == 0.5);
        CHECK(r.mass(2) == 0);
        CHECK(r.region_share == 0.5);
    }
    SUBCASE("one region per sample") {
        // sample 0 region {3}: 1 / 4; sample 1 region {1, 2, 3}: 4 / 8; sample 2 region {0}: 0
        const auto r = relevance_mass(relevance, rows({{0, 0, 0, 1}, {0, 1, 1, 1}, {1, 0, 0, 0}}));
        REQUIRE(r.mass.size() == 3);
        CHECK(r.mass(0) == 0.25);
        CHECK(r.mass(1) == 0.5);
        CHECK(r.mass(2) == 0);
        // the uniform baseline of the batch: the mean of the samples' shares (1/4 + 3/4 + 1/4) / 3
        CHECK(r.region_share == doctest::Approx(5.0 / 12).epsilon(1e-15));
    }
    SUBCASE("float") {
        const Batch<float> rf = relevance.cast<float>();
        const auto r = relevance_mass(rf, Batch<float>(rows<float>({{0, 0, 1, 1}})));
        CHECK(r.mass(0) == 0.5f);
        CHECK(r.mass(1) == 0.5f);
        CHECK(r.mass(2) == 0.0f);
    }
}

TEST_CASE("relevance mass errors") {
    const Batch<double> r = rows({{1, 2, 3}, {4, 5, 6}});
    CHECK_THROWS_WITH_AS(relevance_mass(r, rows({{1, 0}})),
                         doctest::Contains("region is 1 x 2, relevance is 2 x 3"), shape_error);
    CHECK_THROWS_AS(relevance_mass(r, rows({{1, 0, 0, 0}})), shape_error);
    CHECK_THROWS_AS(relevance_mass(r, rows({{1, 0, 0}, {0, 1, 0}, {0, 0, 1}})), shape_error);  // 3 rows for 2
    CHECK_THROWS_AS(relevance_mass(rows({{1, 2, 3}, {4, 5, 6}, {7, 8, 9}}), rows({{1, 0, 0}, {0, 1, 0}})),
                    shape_error);
    Batch<double> bad = r;
    bad(1, 2) = std::numeric_limits<double>::quiet_NaN();
    CHECK_THROWS_WITH_AS(relevance_mass(bad, rows({{1, 0, 0}})), doctest::Contains("row 1, column 2"),
                         value_error);
    bad(1, 2) = -std::numeric_limits<double>::infinity();
    CHECK_THROWS_AS(relevance_mass(bad, rows({{1, 0, 0}})), value_error);
}
