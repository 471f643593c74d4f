// npy-compare: compares .npy arrays for the CLI tests, so they need no Python.
//
//   npy-compare ACTUAL EXPECTED [--rtol R] [--atol A] [--max-rel M] [--minus FILE] [--any-shape]
//       passes when every element satisfies |a - e| <= atol + rtol * |e|  (defaults 1e-5, 1e-8)
//       or, with --max-rel, |a - e| <= M * max |e| (error relative to the largest reference value).
//       --minus FILE compares against EXPECTED - FILE; --any-shape only requires equal sizes.
//   npy-compare --shape FILE D0,D1,...    passes when FILE has exactly that shape
//   npy-compare --finite FILE             passes when every value is finite and one is non-zero
//
// Exit codes: 0 pass, 1 fail (with the worst element on stderr), 2 bad command line or file.

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include <innspect/core/errors.hpp>
#include <innspect/core/shape.hpp>
#include <innspect/io/npy.hpp>

namespace {

using innspect::io::NpyArray;
using innspect::io::read_npy;

int usage(const std::string& why) {
    std::cerr << "npy-compare: " << why << "\n"
              << "usage: npy-compare ACTUAL EXPECTED [--rtol R] [--atol A] [--max-rel M] [--minus FILE] "
                 "[--any-shape]\n"
              << "       npy-compare --shape FILE D0,D1,...\n"
              << "       npy-compare --finite FILE\n";
    return 2;
}

std::vector<std::int64_t> parse_dims(const std::string& text) {
    std::vector<std::int64_t> dims;
    std::size_t start = 0;
    while (start <= text.size()) {
        const auto comma = text.find(',', start);
        dims.push_back(std::stoll(text.substr(start, comma - start)));
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return dims;
}

/// The multi-index of flat index i in `shape`, as "(i0, i1, ...)".
std::string index_of(std::size_t i, const std::vector<std::int64_t>& shape) {
    std::vector<std::int64_t> idx(shape.size());
    for (std::size_t d = shape.size(); d-- > 0;) {
        idx[d] = static_cast<std::int64_t>(i % static_cast<std::size_t>(shape[d]));
        i /= static_cast<std::size_t>(shape[d]);
    }
    std::string s = "(";
    for (std::size_t d = 0; d < idx.size(); ++d) s += (d ? ", " : "") + std::to_string(idx[d]);
    return s + ")";
}

int compare(int argc, char** argv) {
    double rtol = 1e-5, atol = 1e-8, max_rel = -1;
    std::string minus;
    bool any_shape = false;
    std::vector<std::string> files;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
            return argv[++i];
        };
        if (a == "--rtol")
            rtol = std::stod(value());
        else if (a == "--atol")
            atol = std::stod(value());
        else if (a == "--max-rel")
            max_rel = std::stod(value());
        else if (a == "--minus")
            minus = value();
        else if (a == "--any-shape")
            any_shape = true;
        else if (a.rfind("--", 0) == 0)
            return usage("unknown option " + a);
        else
            files.push_back(a);
    }
    if (files.size() != 2) return usage("expected two files, ACTUAL and EXPECTED");
    const NpyArray<double> actual = read_npy<double>(files[0]);
    NpyArray<double> expected = read_npy<double>(files[1]);
    if (!minus.empty()) {
        const NpyArray<double> m = read_npy<double>(minus);
        if (m.data.size() != expected.data.size()) {
            std::cerr << "npy-compare: " << minus << " has shape " << innspect::shape_string(m.shape) << ", "
                      << files[1] << " has " << innspect::shape_string(expected.shape) << '\n';
            return 1;
        }
        for (std::size_t i = 0; i < m.data.size(); ++i) expected.data[i] -= m.data[i];
    }
    const bool same_shape = actual.shape == expected.shape;
    if (!(same_shape || (any_shape && actual.data.size() == expected.data.size()))) {
        std::cerr << "npy-compare: FAIL " << files[0] << " has shape " << innspect::shape_string(actual.shape)
                  << ", expected " << innspect::shape_string(expected.shape) << " (" << files[1] << ")\n";
        return 1;
    }
    double scale = 0;
    for (const double e : expected.data) scale = std::max(scale, std::abs(e));
    std::size_t bad = 0, worst = 0;
    double worst_excess = -1, worst_diff = 0;
    for (std::size_t i = 0; i < actual.data.size(); ++i) {
        const double a = actual.data[i], e = expected.data[i];
        const double tol = max_rel >= 0 ? max_rel * scale : atol + rtol * std::abs(e);
        const double diff = std::abs(a - e);
        const double excess = std::isfinite(diff) ? diff - tol : INFINITY;
        if (!(diff <= tol)) ++bad;
        if (excess > worst_excess || i == 0) worst_excess = excess, worst = i, worst_diff = diff;
    }
    const auto& shape = actual.shape;
    if (bad > 0) {
        std::cerr << "npy-compare: FAIL " << files[0] << " vs " << files[1] << ": " << bad << " of "
                  << actual.data.size() << " elements out of tolerance; worst at " << index_of(worst, shape)
                  << ": " << actual.data[worst] << " vs " << expected.data[worst] << " (|diff| " << worst_diff
                  << (max_rel >= 0
                          ? ", allowed " + std::to_string(max_rel * scale) + " = max-rel * max|expected|"
                          : ", allowed atol + rtol*|expected| = " +
                                std::to_string(atol + rtol * std::abs(expected.data[worst])))
                  << ")\n";
        return 1;
    }
    std::cout << "npy-compare: ok " << files[0] << " " << innspect::shape_string(shape) << ", max |diff| "
              << (actual.data.empty() ? 0.0 : worst_diff) << " (max |expected| " << scale << ")\n";
    return 0;
}

int check_shape(const std::string& file, const std::string& dims) {
    const auto a = read_npy<double>(file);
    const auto want = parse_dims(dims);
    if (a.shape != want) {
        std::cerr << "npy-compare: FAIL " << file << " has shape " << innspect::shape_string(a.shape)
                  << ", expected " << innspect::shape_string(want) << '\n';
        return 1;
    }
    std::cout << "npy-compare: ok " << file << " has shape " << innspect::shape_string(a.shape) << '\n';
    return 0;
}

int check_finite(const std::string& file) {
    const auto a = read_npy<double>(file);
    bool nonzero = false;
    for (std::size_t i = 0; i < a.data.size(); ++i) {
        if (!std::isfinite(a.data[i])) {
            std::cerr << "npy-compare: FAIL " << file << ": non-finite value " << a.data[i] << " at "
                      << index_of(i, a.shape) << '\n';
            return 1;
        }
        nonzero = nonzero || a.data[i] != 0;
    }
    if (!nonzero) {
        std::cerr << "npy-compare: FAIL " << file << ": every value is zero\n";
        return 1;
    }
    std::cout << "npy-compare: ok " << file << " is finite and not all zero\n";
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const std::string first = argc > 1 ? argv[1] : "";
        if (first == "--shape")
            return argc == 4 ? check_shape(argv[2], argv[3]) : usage("--shape FILE D0,D1,...");
        if (first == "--finite") return argc == 3 ? check_finite(argv[2]) : usage("--finite FILE");
        return compare(argc, argv);
    } catch (const innspect::error& e) {
        std::cerr << "npy-compare: " << e.what() << '\n';
        return 2;
    } catch (const std::exception& e) {
        return usage(std::string("bad argument: ") + e.what());
    }
}
