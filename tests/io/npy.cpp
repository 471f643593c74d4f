// Tests of innspect/io/npy.hpp: round trips, numpy-written fixtures (tests/reference/
// make_npy_fixtures.py), byte-identity with np.save, and an io_error for every malformed input.

#include "innspect/io/npy.hpp"

#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace fs = std::filesystem;
using innspect::io::NpyArray;
using innspect::io::read_npy;
using innspect::io::write_npy;
using Shape = std::vector<std::int64_t>;

const fs::path fixture_dir = fs::path(INNSPECT_TEST_DATA_DIR) / "npy";

// The values make_npy_fixtures.py writes into its ramp files: a.flat[k] = 0.5 k - 1.
template <class T>
std::vector<T> ramp(std::size_t n) {
    std::vector<T> v(n);
    for (std::size_t k = 0; k < n; ++k) v[k] = static_cast<T>(0.5 * static_cast<double>(k) - 1.0);
    return v;
}

// A fresh directory, removed at scope exit. Unique per instance, because ctest runs the test cases
// as separate processes that may overlap.
class TempDir {
public:
    TempDir() {
        std::random_device rd;
        path_ = fs::temp_directory_path() / ("innspect_npy_" + std::to_string(rd()) + std::to_string(rd()));
        fs::create_directories(path_);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir() {
        std::error_code ignored;
        fs::remove_all(path_, ignored);
    }
    fs::path operator/(std::string_view name) const { return path_ / name; }

private:
    fs::path path_;
};

std::string read_bytes(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    REQUIRE(in);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const fs::path& p, std::string_view bytes) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    REQUIRE(out.good());
}

// An npy file built by hand: magic, version, header length (2 bytes for major 1, else 4), the
// header text verbatim (no padding added), then the payload.
std::string npy_bytes(std::string_view header, std::string_view payload, unsigned char major = 1) {
    std::string s("\x93NUMPY", 6);
    s += static_cast<char>(major);
    s += '\0';
    const std::size_t len_bytes = major == 1 ? 2 : 4;
    for (std::size_t i = 0; i < len_bytes; ++i) s += static_cast<char>((header.size() >> (8 * i)) & 0xff);
    s += header;
    s += payload;
    return s;
}

std::string f4_payload(std::size_t n) { return std::string(4 * n, '\0'); }

// The message of the io_error that `f` throws; fails the test if it throws nothing or another type.
template <class F>
std::string io_error_message(F&& f) {
    try {
        f();
    } catch (const innspect::io_error& e) {
        return e.what();
    } catch (const std::exception& e) {
        FAIL("expected innspect::io_error, got: " << e.what());
    }
    FAIL("expected innspect::io_error, nothing was thrown");
    return {};
}

// read_npy<float>(p) must throw an io_error naming the file and containing `expected`.
void check_read_fails(const fs::path& p, std::string_view expected) {
    const std::string msg = io_error_message([&] { (void)read_npy<float>(p); });
    INFO("message: " << msg);
    CHECK(msg.find(p.string()) != std::string::npos);
    CHECK(msg.find(expected) != std::string::npos);
    // The double reader shares the code path; it must fail the same way.
    CHECK_THROWS_AS((void)read_npy<double>(p), innspect::io_error);
}

template <class T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
    return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
}

}  // namespace

TEST_CASE_TEMPLATE("npy: write then read round-trips shape and bits for 0-d to 4-d", T, float, double) {
    TempDir dir;
    const std::vector<Shape> shapes = {{}, {5}, {2, 3}, {2, 3, 4}, {2, 1, 3, 2}, {0, 3}, {3, 0}, {0}};
    for (const Shape& shape : shapes) {
        std::size_t n = 1;
        for (auto d : shape) n *= static_cast<std::size_t>(d);
        std::vector<T> data = ramp<T>(n);
        // Non-finite values and -0 must survive bit-exactly: the reader does not judge values.
        if (n >= 4) {
            data[0] = std::numeric_limits<T>::quiet_NaN();
            data[1] = std::numeric_limits<T>::infinity();
            data[2] = -std::numeric_limits<T>::infinity();
            data[3] = static_cast<T>(-0.0);
        }
        const fs::path p = dir / "a.npy";
        write_npy(p, shape, data.data());
        const NpyArray<T> a = read_npy<T>(p);
        CAPTURE(innspect::io::detail::npy_shape_repr(shape));
        CHECK(a.shape == shape);
        CHECK(same_bits(a.data, data));

        // Our output parses back as an npy file: magic, version 1.0, a header whose length
        // aligns the data to 64 bytes and that ends in '\n', then exactly the data.
        const std::string bytes = read_bytes(p);
        REQUIRE(bytes.size() >= 10);
        CHECK(bytes.substr(0, 8) == std::string("\x93NUMPY\x01\x00", 8));
        const std::size_t header_len = static_cast<unsigned char>(bytes[8]) |
                                       (static_cast<std::size_t>(static_cast<unsigned char>(bytes[9])) << 8);
        CHECK((10 + header_len) % 64 == 0);
        REQUIRE(bytes.size() == 10 + header_len + n * sizeof(T));
        CHECK(bytes[10 + header_len - 1] == '\n');
        const std::string header = bytes.substr(10, header_len);
        CHECK(header.find(sizeof(T) == 4 ? "'descr': '<f4'" : "'descr': '<f8'") != std::string::npos);
        CHECK(header.find("'fortran_order': False") != std::string::npos);
        CHECK(header.find("'shape': " + innspect::io::detail::npy_shape_repr(shape)) != std::string::npos);
    }
}

TEST_CASE("npy: a file written as one scalar type reads as the other") {
    TempDir dir;
    const Shape shape = {2, 3};
    const std::vector<float> f = ramp<float>(6);
    write_npy(dir / "f.npy", shape, f.data());
    const NpyArray<double> as_double = read_npy<double>(dir / "f.npy");
    CHECK(as_double.shape == shape);
    CHECK(as_double.data == ramp<double>(6));

    const std::vector<double> d = {0.1, 1.0 / 3.0, -2.5, 1e300, 1e-50, 7.0};
    write_npy(dir / "d.npy", shape, d.data());
    const NpyArray<float> as_float = read_npy<float>(dir / "d.npy");
    REQUIRE(as_float.data.size() == d.size());
    for (std::size_t i = 0; i < d.size(); ++i) CHECK(as_float.data[i] == static_cast<float>(d[i]));
    CHECK(std::isinf(as_float.data[3]));
}

TEST_CASE("npy: reads the arrays numpy wrote, in every supported format version") {
    SUBCASE("ramps of 1 to 4 dimensions, format 1.0") {
        const NpyArray<float> a1 = read_npy<float>(fixture_dir / "f4_1d.npy");
        CHECK(a1.shape == Shape{5});
        CHECK(a1.data == ramp<float>(5));
        const NpyArray<double> a2 = read_npy<double>(fixture_dir / "f8_2d.npy");
        CHECK(a2.shape == Shape{2, 3});
        CHECK(a2.data == ramp<double>(6));
        const NpyArray<float> a3 = read_npy<float>(fixture_dir / "f4_3d.npy");
        CHECK(a3.shape == Shape{2, 3, 4});
        CHECK(a3.data == ramp<float>(24));
        const NpyArray<double> a4 = read_npy<double>(fixture_dir / "f8_4d.npy");
        CHECK(a4.shape == Shape{2, 1, 3, 2});
        CHECK(a4.data == ramp<double>(12));
        // The other scalar type converts: every ramp value is exact in both.
        CHECK(read_npy<double>(fixture_dir / "f4_3d.npy").data == ramp<double>(24));
        CHECK(read_npy<float>(fixture_dir / "f8_4d.npy").data == ramp<float>(12));
    }
    SUBCASE("format 2.0 and 3.0 headers") {
        const NpyArray<double> v2 = read_npy<double>(fixture_dir / "f8_v2.npy");
        CHECK(v2.shape == Shape{2, 3});
        CHECK(v2.data == ramp<double>(6));
        const NpyArray<float> v3 = read_npy<float>(fixture_dir / "f4_v3.npy");
        CHECK(v3.shape == Shape{2, 3});
        CHECK(v3.data == ramp<float>(6));
    }
    SUBCASE("empty and 0-d arrays") {
        const NpyArray<float> e = read_npy<float>(fixture_dir / "f4_empty.npy");
        CHECK(e.shape == Shape{0, 3});
        CHECK(e.data.empty());
        const NpyArray<double> s = read_npy<double>(fixture_dir / "f8_0d.npy");
        CHECK(s.shape.empty());
        CHECK(s.data == std::vector<double>{2.5});
    }
    SUBCASE("non-finite values are returned as stored") {
        const NpyArray<float> a = read_npy<float>(fixture_dir / "f4_nonfinite.npy");
        REQUIRE(a.data.size() == 5);
        CHECK(std::isnan(a.data[0]));
        CHECK(a.data[1] == std::numeric_limits<float>::infinity());
        CHECK(a.data[2] == -std::numeric_limits<float>::infinity());
        CHECK(a.data[3] == 0.0f);
        CHECK(std::signbit(a.data[3]));
        CHECK(a.data[4] == 1.5f);
    }
    SUBCASE("float64 read as float rounds like static_cast, overflowing to +-inf") {
        const std::vector<double> stored = {0.1, 1.0 / 3.0, 1e300, -1e300, 1e-50};
        CHECK(read_npy<double>(fixture_dir / "f8_rounding.npy").data == stored);
        const NpyArray<float> a = read_npy<float>(fixture_dir / "f8_rounding.npy");
        REQUIRE(a.data.size() == stored.size());
        for (std::size_t i = 0; i < stored.size(); ++i) CHECK(a.data[i] == static_cast<float>(stored[i]));
        CHECK(a.data[2] == std::numeric_limits<float>::infinity());
        CHECK(a.data[3] == -std::numeric_limits<float>::infinity());
    }
}

TEST_CASE("npy: our files are byte-identical to np.save's") {
    TempDir dir;
    const auto check_same = [&](const char* fixture, const Shape& shape, const auto& data) {
        CAPTURE(fixture);
        write_npy(dir / fixture, shape, data.data());
        CHECK(read_bytes(dir / fixture) == read_bytes(fixture_dir / fixture));
    };
    check_same("f4_1d.npy", {5}, ramp<float>(5));
    check_same("f8_2d.npy", {2, 3}, ramp<double>(6));
    check_same("f4_3d.npy", {2, 3, 4}, ramp<float>(24));
    check_same("f8_4d.npy", {2, 1, 3, 2}, ramp<double>(12));
    check_same("f4_empty.npy", {0, 3}, std::vector<float>{});
    check_same("f8_0d.npy", {}, std::vector<double>{2.5});
}

TEST_CASE("npy: batches") {
    using innspect::Batch;
    using innspect::io::from_batch;
    using innspect::io::to_batch;
    TempDir dir;

    SUBCASE("a 1-D array is one sample") {
        const Batch<float> b = to_batch(read_npy<float>(fixture_dir / "f4_1d.npy"));
        CHECK(b.rows() == 1);
        CHECK(b.cols() == 5);
        CHECK(b(0, 4) == 1.0f);
    }
    SUBCASE("rows are the first axis, columns the rest in C order") {
        const Batch<double> b = to_batch(read_npy<double>(fixture_dir / "f8_4d.npy"));  // (2, 1, 3, 2)
        REQUIRE(b.rows() == 2);
        REQUIRE(b.cols() == 6);
        for (Eigen::Index r = 0; r < 2; ++r)
            for (Eigen::Index c = 0; c < 6; ++c) CHECK(b(r, c) == 0.5 * static_cast<double>(r * 6 + c) - 1.0);
    }
    SUBCASE("empty batches keep their width") {
        const Batch<float> b = to_batch(read_npy<float>(fixture_dir / "f4_empty.npy"));
        CHECK(b.rows() == 0);
        CHECK(b.cols() == 3);
    }
    SUBCASE("a 0-d array or inconsistent data has no batch form") {
        CHECK_THROWS_AS((void)to_batch(read_npy<double>(fixture_dir / "f8_0d.npy")), innspect::shape_error);
        const NpyArray<float> bad{{2, 3}, std::vector<float>(5)};
        CHECK_THROWS_AS((void)to_batch(bad), innspect::shape_error);
    }
    SUBCASE("write a batch with its full shape, read it back") {
        Batch<float> b(2, 12);
        for (Eigen::Index i = 0; i < b.size(); ++i) b.data()[i] = static_cast<float>(i);
        write_npy(dir / "b.npy", b, {2, 2, 3, 2});
        const NpyArray<float> a = read_npy<float>(dir / "b.npy");
        CHECK(a.shape == Shape{2, 2, 3, 2});
        CHECK(to_batch(a) == b);
        const NpyArray<float> c = from_batch(b, {2, 2, 3, 2});
        CHECK(c.shape == a.shape);
        CHECK(c.data == a.data);
        write_npy(dir / "c.npy", c);
        CHECK(read_bytes(dir / "c.npy") == read_bytes(dir / "b.npy"));
    }
    SUBCASE("a shape that does not match the batch is a shape_error, and no file is written") {
        const Batch<double> b = Batch<double>::Zero(2, 6);
        CHECK_THROWS_AS(write_npy(dir / "x.npy", b, {2, 7}), innspect::shape_error);
        CHECK_THROWS_AS(write_npy(dir / "x.npy", b, {2, -6}), innspect::shape_error);
        CHECK_THROWS_AS((void)from_batch(b, {12, 2}), innspect::shape_error);
        CHECK_THROWS_AS(write_npy(dir / "x.npy", NpyArray<double>{{3}, {1.0, 2.0}}), innspect::shape_error);
        CHECK_FALSE(fs::exists(dir / "x.npy"));
    }
}

TEST_CASE("npy: writing errors") {
    TempDir dir;
    const std::vector<float> v(4);
    CHECK_THROWS_AS(write_npy(dir / "neg.npy", {2, -2}, v.data()), innspect::shape_error);
    const std::int64_t big = std::int64_t{1} << 40;
    CHECK_THROWS_AS(write_npy(dir / "huge.npy", {big, big}, v.data()), innspect::shape_error);
    CHECK_THROWS_AS(write_npy(dir / "null.npy", {4}, static_cast<const float*>(nullptr)),
                    innspect::value_error);
    const fs::path no_dir = dir / "no_such_dir" / "a.npy";
    const std::string msg = io_error_message([&] { write_npy(no_dir, {4}, v.data()); });
    CHECK(msg.find(no_dir.string()) != std::string::npos);
}

TEST_CASE("npy: every malformed input is an io_error naming the file and the problem") {
    TempDir dir;
    // A valid 1.0 file of shape (2, 3), '<f4', cut and edited below.
    const std::string good_header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n";
    const std::string good = npy_bytes(good_header, f4_payload(6));
    write_bytes(dir / "good.npy", good);
    REQUIRE(read_npy<float>(dir / "good.npy").shape == Shape{2, 3});

    const auto bad = [&](std::string_view name, std::string_view bytes, std::string_view expected) {
        CAPTURE(name);
        const fs::path p = dir / name;
        write_bytes(p, bytes);
        check_read_fails(p, expected);
    };

    SUBCASE("missing, unreadable") {
        check_read_fails(dir / "missing.npy", "cannot read");
        fs::create_directories(dir / "a_dir.npy");
        check_read_fails(dir / "a_dir.npy", "cannot read");
    }
    SUBCASE("not an npy file") {
        bad("empty.npy", "", "magic");
        bad("short.npy", "\x93NUM", "magic");
        bad("bad_magic.npy", npy_bytes(good_header, f4_payload(6)).replace(1, 1, "X"), "magic");
        bad("text.npy", "hello, world\n", "magic");
    }
    SUBCASE("truncated preamble or header") {
        bad("no_version.npy", good.substr(0, 7), "truncated");
        bad("no_length.npy", good.substr(0, 9), "truncated");
        bad("v2_no_length.npy", npy_bytes(good_header, "", 2).substr(0, 11), "truncated");
        bad("truncated_header.npy", good.substr(0, 40), "runs past the end");
        // A header length far beyond the file: rejected before anything is allocated.
        bad("huge_header_len.npy", std::string("\x93NUMPY\x02\x00\xff\xff\xff\xff{}", 14),
            "runs past the end");
    }
    SUBCASE("unsupported version") {
        std::string v4 = good;
        v4[6] = '\x04';
        bad("v4.npy", v4, "version 4.0");
        std::string v1_1 = good;
        v1_1[7] = '\x01';
        bad("v1_1.npy", v1_1, "version 1.1");
    }
    SUBCASE("truncated data, trailing bytes") {
        bad("truncated_data.npy", good.substr(0, good.size() - 3), "truncated data");
        bad("no_data.npy", npy_bytes(good_header, ""), "truncated data");
        bad("trailing.npy", good + "xyz", "3 unexpected bytes after the data");
        // A shape with a trillion elements and no data: an io_error, not an allocation attempt.
        bad("huge_shape.npy",
            npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000, 1000000), }", ""),
            "truncated data");
        bad("overflow_shape.npy",
            npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", ""),
            "more elements than fit");
    }
    SUBCASE("Fortran order") {
        bad("fortran.npy",
            npy_bytes("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", f4_payload(6)),
            "fortran_order is True");
        check_read_fails(fixture_dir / "bad_fortran.npy", "fortran_order is True");
    }
    SUBCASE("wrong dtype, named in the message") {
        bad("i8.npy",
            npy_bytes("{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }", std::string(24, '\0')),
            "unsupported dtype '<i8'");
        bad("be.npy", npy_bytes("{'descr': '>f4', 'fortran_order': False, 'shape': (3,), }", f4_payload(3)),
            "unsupported dtype '>f4'");
        bad("f2.npy", npy_bytes("{'descr': '<f2', 'fortran_order': False, 'shape': (2,), }", f4_payload(1)),
            "unsupported dtype '<f2'");
        bad("pipe.npy", npy_bytes("{'descr': '|f4', 'fortran_order': False, 'shape': (1,), }", f4_payload(1)),
            "unsupported dtype '|f4'");
        bad("structured.npy",
            npy_bytes("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", f4_payload(1)),
            "structured");
        check_read_fails(fixture_dir / "bad_i8.npy", "unsupported dtype '<i8'");
        check_read_fails(fixture_dir / "bad_be_f4.npy", "unsupported dtype '>f4'");
    }
    SUBCASE("unparseable header dict") {
        const std::vector<std::pair<std::string, std::string>> headers = {
            {"", "start with '{'"},
            {"not a dict", "start with '{'"},
            {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), ", "quoted key"},
            {"{'descr': '<f4', 'fortran_order': False}", "'shape' is missing"},
            {"{'fortran_order': False, 'shape': (2, 3)}", "'descr' is missing"},
            {"{'descr': '<f4', 'shape': (2, 3)}", "'fortran_order' is missing"},
            {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'extra': 1}",
             "unexpected key 'extra'"},
            {"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}", "appears twice"},
            {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3)}", "non-negative integer"},
            {"{'descr': '<f4', 'fortran_order': False, 'shape': (6)}", "not a tuple"},
            {"{'descr': '<f4', 'fortran_order': False, 'shape': [2, 3]}", "tuple"},
            {"{'descr': '<f4', 'fortran_order': False, 'shape': (2 3)}", "expected ',' or ')'"},
            {"{'descr': '<f4', 'fortran_order': False, 'shape': (,)}", "non-negative integer"},
            {"{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}", "64 bits"},
            {"{'descr': '<f4', 'fortran_order': 0, 'shape': (2, 3)}", "True or False"},
            {"{'descr': '<f4, 'fortran_order': False, 'shape': (2, 3)}", "expected ',' or '}'"},
            {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)", "expected ',' or '}'"},
            {"{'descr': '<f4", "unterminated string"},
            {"{'descr': '<f\\x34', 'fortran_order': False, 'shape': (2, 3)}", "escape"},
            {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)} x", "after the closing '}'"},
            {"{'descr': '<f4' 'fortran_order': False, 'shape': (2, 3)}", "expected ',' or '}'"},
            {"{'descr' '<f4', 'fortran_order': False, 'shape': (2, 3)}", "':'"},
            {std::string("{'descr': '<f4',") + '\0' + " 'fortran_order': False, 'shape': (2, 3)}",
             "quoted key"},
        };
        int i = 0;
        for (const auto& header_and_expected : headers) {
            const std::string& header = header_and_expected.first;
            CAPTURE(header);
            const fs::path p = dir / ("header_" + std::to_string(i++) + ".npy");
            write_bytes(p, npy_bytes(header, f4_payload(6)));
            check_read_fails(p, "malformed header");
            check_read_fails(p, header_and_expected.second);
        }
    }
}

TEST_CASE("npy: tolerated header spellings") {
    TempDir dir;
    // Keys in any order, double quotes, no trailing commas, extra whitespace, Python 2's 'L' suffix,
    // and a 2.0 header: all valid Python literals numpy accepts.
    const std::vector<std::string> headers = {
        "{\"shape\": (2,3), \"fortran_order\": False, \"descr\": \"<f4\"}",
        "  {'descr':'<f4','fortran_order':False,'shape':(2L, 3L)}  \n",
        "{\n 'descr' : '<f4' ,\n 'fortran_order' : False ,\n 'shape' : ( 2 , 3 , ) ,\n}\n",
    };
    for (const std::string& header : headers) {
        CAPTURE(header);
        write_bytes(dir / "a.npy", npy_bytes(header, f4_payload(6)));
        CHECK(read_npy<float>(dir / "a.npy").shape == Shape{2, 3});
        write_bytes(dir / "b.npy", npy_bytes(header, f4_payload(6), 2));
        CHECK(read_npy<float>(dir / "b.npy").shape == Shape{2, 3});
    }
}
