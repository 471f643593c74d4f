#pragma once
/// \file
/// Comparing innspect's explanations with a reference's fixtures (tests/reference/): arrays
/// against their scale, and the conservation report as the reference script wrote it (one JSON
/// key per line, one layer a line). Shared by seed_reference.cpp and graph_reference.cpp.

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <innspect/innspect.hpp>

namespace innspect::test {

namespace fs = std::filesystem;

/// max |a − e| ≤ rtol · max |e|; returns the measured ratio.
template <class A, class E>
double check_close(const A& actual, const E& expected, double rtol) {
    REQUIRE(actual.rows() == expected.rows());
    REQUIRE(actual.cols() == expected.cols());
    double scale = 0, worst = -1;
    Eigen::Index wr = 0, wc = 0;
    for (Eigen::Index r = 0; r < expected.rows(); ++r)
        for (Eigen::Index c = 0; c < expected.cols(); ++c) scale = std::max(scale, std::abs(double(expected(r, c))));
    for (Eigen::Index r = 0; r < expected.rows(); ++r)
        for (Eigen::Index c = 0; c < expected.cols(); ++c) {
            double d = std::abs(double(actual(r, c)) - double(expected(r, c)));
            if (std::isnan(d)) d = INFINITY;
            if (d > worst) worst = d, wr = r, wc = c;
        }
    std::ostringstream os;
    os.precision(17);
    os << "worst at (" << wr << ", " << wc << "): actual " << double(actual(wr, wc)) << ", expected "
       << double(expected(wr, wc)) << "; max |diff| / max |expected| = " << worst / scale << " (rtol " << rtol
       << ", max |expected| = " << scale << ")";
    INFO(os.str());
    CHECK(worst <= rtol * scale);
    if (std::getenv("INNSPECT_REFERENCE_VERBOSE")) MESSAGE(os.str());
    return worst / scale;
}

struct RefLayer {
    std::string layer;
    double sum_out = 0, sum_in = 0, bias_absorbed = 0, abs_out = 0, abs_in = 0;
};
struct RefReport {
    double initial = 0, final = 0, bypassed = 0;
    std::vector<double> initial_per_sample;
    std::vector<RefLayer> layers;
};

inline double number_after(const std::string& line, const std::string& key) {
    const auto k = line.find("\"" + key + "\":");
    REQUIRE_MESSAGE(k != std::string::npos, "no key " << key << " in: " << line);
    return std::strtod(line.c_str() + k + key.size() + 3, nullptr);
}
inline std::string string_after(const std::string& line, const std::string& key) {
    const auto k = line.find("\"" + key + "\": \"");
    REQUIRE(k != std::string::npos);
    const auto b = k + key.size() + 5;
    return line.substr(b, line.find('"', b) - b);
}

inline RefReport read_report(const fs::path& p) {
    std::ifstream in(p);
    REQUIRE_MESSAGE(in.good(), "cannot read " << p.string());
    RefReport r;
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind(" \"initial\":", 0) == 0) r.initial = number_after(line, "initial");
        else if (line.rfind(" \"final\":", 0) == 0) r.final = number_after(line, "final");
        else if (line.rfind(" \"bypassed\":", 0) == 0) r.bypassed = number_after(line, "bypassed");
        else if (line.rfind(" \"initial_per_sample\":", 0) == 0) {
            std::istringstream vs(line.substr(line.find('[') + 1));
            double v;
            char sep;
            while (vs >> v) {
                r.initial_per_sample.push_back(v);
                if (!(vs >> sep) || sep != ',') break;
            }
        }
        else if (line.find("{\"layer\":") != std::string::npos) {
            RefLayer l;
            l.layer = string_after(line, "layer");
            l.sum_out = number_after(line, "sum_out");
            l.sum_in = number_after(line, "sum_in");
            l.bias_absorbed = number_after(line, "bias_absorbed");
            l.abs_out = number_after(line, "abs_out");
            l.abs_in = number_after(line, "abs_in");
            r.layers.push_back(l);
        }
    }
    REQUIRE(!r.layers.empty());
    return r;
}

/// The report layer by layer, in the reference's visiting order (readers before what they read).
inline void check_report(const ConservationReport& got, const RefReport& ref, double rtol) {
    CHECK(std::abs(got.initial - ref.initial) <= rtol * ref.layers.front().abs_out);
    // Σ R at the end against its own scale; with a stop layer a skip connection goes around, what
    // reaches it may be much smaller than what was explained, so against the larger of the two.
    const double end_scale = ref.bypassed != 0 ? std::max(ref.layers.back().abs_in, ref.layers.front().abs_out)
                                               : ref.layers.back().abs_in;
    CHECK(std::abs(got.final - ref.final) <= rtol * end_scale);
    CHECK(std::abs(got.bypassed - ref.bypassed) <= rtol * ref.layers.front().abs_out);
    REQUIRE(got.layers.size() == ref.layers.size());
    for (std::size_t i = 0; i < ref.layers.size(); ++i) {
        const auto& g = got.layers[i];
        const auto& e = ref.layers[i];
        const double s = e.abs_out + e.abs_in;
        INFO("layer " << e.layer << " (" << g.rule << "): sum out " << g.relevance_out << " vs " << e.sum_out
                      << ", sum in " << g.relevance_in << " vs " << e.sum_in << ", bias " << g.bias_absorbed << " vs "
                      << e.bias_absorbed);
        CHECK(g.layer == e.layer);
        CHECK(std::abs(g.relevance_out - e.sum_out) <= rtol * s);
        CHECK(std::abs(g.relevance_in - e.sum_in) <= rtol * s);
        CHECK(std::abs(g.bias_absorbed - e.bias_absorbed) <= rtol * s);
        CHECK(std::abs(g.stabilizer_lost - (e.sum_out - e.sum_in - e.bias_absorbed)) <= 3 * rtol * s);
    }
}

}  // namespace innspect::test
