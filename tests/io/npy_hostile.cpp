// Hostile .npy files (issue 9): every file written by tests/reference/make_hostile_files.py (NPY
// table) is refused with an io_error naming the file and the problem, before any allocation the
// header alone could size; ReadLimits bound what a well-formed file may make the reader allocate;
// read_npy_from_memory behaves as read_npy on the same bytes.

#include <doctest/doctest.h>

#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "innspect/io/npy.hpp"

namespace {

namespace fs = std::filesystem;
using innspect::io::read_npy;
using innspect::io::read_npy_from_memory;
using innspect::io::ReadLimits;

fs::path hostile(std::string_view name) { return fs::path(INNSPECT_TEST_DATA_DIR) / "hostile" / name; }
fs::path npy_fixture(std::string_view name) { return fs::path(INNSPECT_TEST_DATA_DIR) / "npy" / name; }

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

std::vector<unsigned char> bytes_of(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The io_error message of reading `path` as T; any other exception type, or none, fails the test.
template <class T>
std::string read_error(const fs::path& path, const ReadLimits& limits = {}) {
    try {
        (void)read_npy<T>(path, limits);
        FAIL("no exception for ", path.string());
    } catch (const innspect::io_error& e) {
        return e.what();
    } catch (const std::exception& e) {
        FAIL("wrong exception type for ", path.string(), ": ", e.what());
    }
    return {};
}

}  // namespace

TEST_CASE("npy hostile files: every one is an io_error naming the file and the problem, from disk and memory") {
    const std::vector<std::pair<const char*, std::string_view>> cases = {
        {"npy_overflow_shape.npy", "shape (4294967296, 4294967296, 16) has more elements than fit in 64 bits"},
        {"npy_huge_shape.npy", "truncated data: shape (1099511627776,) of '<f8' needs 1099511627776 x 8 bytes"},
        {"npy_huge_dim.npy", "a dimension in 'shape' does not fit in 64 bits"},
        {"npy_too_many_dims.npy", "shape has 100 dimensions, more than the limit of 64 (ReadLimits::max_rank)"},
        {"npy_negative_dim.npy", "expected a non-negative integer in 'shape'"},
        {"npy_float_dim.npy", "expected ',' or ')' in 'shape'"},
        {"npy_truncated_data.npy", "truncated data: shape (2, 3) of '<f4' needs 6 x 4 bytes after the header, the file has 23"},
        {"npy_trailing_data.npy", "1 unexpected bytes after the data"},
        {"npy_header_past_end.npy", "truncated: the header length 2147483647 runs past the end of the file"},
        {"npy_no_header_end.npy", "truncated: the header length 64 runs past the end of the file"},
        {"npy_int32.npy", "unsupported dtype '<i4'"},
        {"npy_bool.npy", "unsupported dtype '|b1'"},
        {"npy_complex.npy", "unsupported dtype '<c8'"},
        {"npy_big_endian.npy", "unsupported dtype '>f8'"},
        {"npy_object.npy", "unsupported dtype '|O'"},
        {"npy_structured.npy", "'descr' is not a plain type string"},
        {"npy_fortran.npy", "fortran_order is True"},
        {"npy_non_ascii_header.npy", "unsupported dtype '<f4\\xff'"},
        {"npy_nul_in_header.npy", "unsupported dtype '<f4\\x00'"},
        {"npy_bad_version.npy", "unsupported npy format version 7.0"},
        {"npy_not_npy.npy", "not an npy file"},
    };
    for (const auto& [file, phrase] : cases) {
        CAPTURE(file);
        for (const std::string& msg : {read_error<float>(hostile(file)), read_error<double>(hostile(file))}) {
            CAPTURE(msg);
            CHECK(contains(msg, std::string("read_npy: '") + hostile(file).string() + "': "));
            CHECK(contains(msg, phrase));
        }
        const auto bytes = bytes_of(hostile(file));
        const std::string name = std::string("memory:") + file;
        std::string msg;
        try {
            (void)read_npy_from_memory<float>(bytes, name);
        } catch (const innspect::io_error& e) {
            msg = e.what();
        }
        CAPTURE(msg);
        CHECK(contains(msg, "read_npy: '" + name + "': "));
        CHECK(contains(msg, phrase));
    }
}

TEST_CASE("npy ReadLimits: header bytes, rank and array bytes (counted as the requested type)") {
    // f8_2d.npy: shape (2, 3) float64 (tests/reference/make_npy_fixtures.py), a 128-byte header.
    const auto path = npy_fixture("f8_2d.npy");
    REQUIRE(read_npy<double>(path).data.size() == 6);

    ReadLimits header;
    header.max_header_bytes = 100;
    CHECK(contains(read_error<double>(path, header),
                   "the header length 118 is more than the limit of 100 bytes (ReadLimits::max_header_bytes)"));

    ReadLimits rank;
    rank.max_rank = 1;
    CHECK(contains(read_error<double>(path, rank), "shape has 2 dimensions, more than the limit of 1"));

    ReadLimits array;
    array.max_array_bytes = 47;  // 6 values x 8 bytes = 48
    CHECK(contains(read_error<double>(path, array), "shape (2, 3) of '<f8' needs 48 bytes in memory, more than "
                                                    "the limit of 47 bytes (ReadLimits::max_array_bytes)"));
    array.max_array_bytes = 48;
    CHECK(read_npy<double>(path, array).data.size() == 6);

    // f4_1d.npy: 5 float32 values; read as double they take 8 bytes each.
    const auto f4 = npy_fixture("f4_1d.npy");
    REQUIRE(read_npy<float>(f4).data.size() == 5);
    ReadLimits forty;
    forty.max_array_bytes = 39;
    CHECK(contains(read_error<double>(f4, forty), "needs 40 bytes in memory"));
    CHECK(read_npy<float>(f4, forty).data.size() == 5);  // 20 bytes as float
}

TEST_CASE("read_npy_from_memory reads the same arrays as read_npy") {
    for (const char* file : {"f4_1d.npy", "f8_2d.npy", "f4_3d.npy", "f8_0d.npy", "f4_empty.npy", "f8_v2.npy", "f4_v3.npy"}) {
        CAPTURE(file);
        const auto from_disk = read_npy<double>(npy_fixture(file));
        const auto from_memory = read_npy_from_memory<double>(bytes_of(npy_fixture(file)));
        CHECK(from_memory.shape == from_disk.shape);
        CHECK(from_memory.data == from_disk.data);
    }
    CHECK_THROWS_WITH_AS(read_npy_from_memory<float>({}), doctest::Contains("read_npy: '<memory>': not an npy file"),
                         innspect::io_error);
}
