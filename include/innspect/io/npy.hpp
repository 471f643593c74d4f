#pragma once
/// \file
/// NumPy `.npy` files holding float32 or float64 arrays: read (format 1.0, 2.0, 3.0) and write (1.0).
///
/// File layout (every multi-byte integer little-endian):
///
///   offset 0        "\x93NUMPY"   6-byte magic string
///          6        major minor   1 byte each; 1.0, 2.0 or 3.0
///          8        header_len    uint16 in 1.0, uint32 in 2.0 / 3.0
///          10 | 12  header        header_len bytes: a Python dict literal, space padded, '\n' last:
///                                 {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
///          then     data          product(shape) items, C order (last index fastest), no padding
///
/// What the reader accepts, and why:
/// - dtype '<f4' or '<f8' only (little-endian float32 / float64), converted to the requested scalar;
///   '<f8' read as float rounds to nearest (beyond float's range: +-inf). Anything else ('<i8', '>f4',
///   '<f2', structured dtypes) is an io_error naming the dtype, so a wrong export fails loudly
///   instead of being reinterpreted.
/// - C order only: fortran_order True is an io_error (save np.ascontiguousarray(a) instead).
/// - Non-finite values (NaN, +-inf) are returned as stored: the reader checks the container, not
///   the numbers. Callers that need finite data check it (innspect::require_finite).
/// - The file must end exactly where the data ends: trailing bytes are an io_error, because a
///   payload longer than the shape says means the header and the data disagree (a wrong shape,
///   or two files concatenated), and silently dropping data would hide that.
/// - Every malformed or truncated input (bad magic, unknown version, header running past the end,
///   an unparseable header dict, missing or unknown keys, data shorter or longer than the shape)
///   is an io_error naming the file and what is wrong. Sizes are checked against the file size
///   before anything is allocated, so a corrupt shape cannot trigger a huge allocation.
/// - 0-d arrays (shape ()) read and write as one value with an empty shape.

#include <Eigen/Core>

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <istream>
#include <limits>
#include <new>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include "innspect/core/errors.hpp"
#include "innspect/core/tensor.hpp"
#include "innspect/io/limits.hpp"

namespace innspect::io {

/// An n-dimensional array as stored in an .npy file: `data[i]` is the element at the C-order
/// (row-major, last index fastest) flat index i; `data.size() == product(shape)`.
template <class T>
struct NpyArray {
    std::vector<std::int64_t> shape;
    std::vector<T> data;
};

namespace detail {

// The reader reinterprets the file's bits as float / double, which is only right when the
// compiler's floating-point types are the IEEE 754 formats numpy writes.
static_assert(std::numeric_limits<float>::is_iec559 && std::numeric_limits<double>::is_iec559,
              "innspect's npy support needs IEEE 754 float and double, the formats numpy writes.");

inline constexpr std::string_view npy_magic{"\x93NUMPY", 6};

template <class T>
inline constexpr bool is_npy_scalar = std::is_same_v<T, float> || std::is_same_v<T, double>;

template <class T>
inline constexpr std::string_view npy_descr = sizeof(T) == 4 ? "<f4" : "<f8";

[[noreturn]] inline void npy_fail(std::string_view function, const std::filesystem::path& path,
                                  const std::string& what) {
    throw io_error(std::string(function) + ": '" + path.string() + "': " + what);
}

/// product(shape), or nullopt if a dimension is negative or the product overflows int64.
inline std::optional<std::int64_t> npy_element_count(std::span<const std::int64_t> shape) {
    std::int64_t n = 1;
    for (const std::int64_t d : shape) {
        if (d < 0) return std::nullopt;
        if (d != 0 && n > std::numeric_limits<std::int64_t>::max() / d) return std::nullopt;
        n *= d;
    }
    return n;
}

/// The shape as Python's repr of a tuple: "()", "(5,)", "(2, 3)".
inline std::string npy_shape_repr(std::span<const std::int64_t> shape) {
    std::string s = "(";
    for (std::size_t i = 0; i < shape.size(); ++i) {
        if (i != 0) s += ", ";
        s += std::to_string(shape[i]);
    }
    if (shape.size() == 1) s += ',';
    s += ')';
    return s;
}


template <class U>
U load_le(const unsigned char* p) {
    U v = 0;
    for (std::size_t i = 0; i < sizeof(U); ++i) v |= static_cast<U>(p[i]) << (8 * i);
    return v;
}

template <class U>
void store_le(U v, unsigned char* p) {
    for (std::size_t i = 0; i < sizeof(U); ++i) p[i] = static_cast<unsigned char>(v >> (8 * i));
}

template <class F>
using npy_bits = std::conditional_t<sizeof(F) == 4, std::uint32_t, std::uint64_t>;

/// Reads exactly n bytes; false on a short read.
inline bool npy_read_exact(std::istream& in, void* dst, std::size_t n) {
    if (n == 0) return true;
    in.read(static_cast<char*>(dst), static_cast<std::streamsize>(n));
    return in.gcount() == static_cast<std::streamsize>(n);
}

/// Bytes in memory read front to back, for read_npy_from_memory.
struct npy_memory_source {
    std::span<const unsigned char> bytes;
    std::size_t pos = 0;
};

/// Reads exactly n bytes from memory; false if fewer are left.
inline bool npy_read_exact(npy_memory_source& in, void* dst, std::size_t n) {
    if (n > in.bytes.size() - in.pos) return false;
    if (n != 0) std::memcpy(dst, in.bytes.data() + in.pos, n);
    in.pos += n;
    return true;
}

/// The parsed header dict.
struct NpyHeader {
    std::string descr;
    bool fortran_order = false;
    std::vector<std::int64_t> shape;
};

/// Parses the header dict numpy writes: exactly the keys 'descr' (a type string), 'fortran_order'
/// (True / False) and 'shape' (a tuple of non-negative ints), in any order, with Python's optional
/// trailing commas and whitespace. A hand-written parser rather than a general Python-literal one:
/// the grammar is this small, and every deviation gets a precise message.
class NpyHeaderParser {
public:
    NpyHeaderParser(std::string_view text, const std::filesystem::path& path) : text_(text), path_(path) {}

    NpyHeader parse() {
        NpyHeader h;
        bool have_descr = false, have_fortran = false, have_shape = false;
        skip_space();
        expect('{', "the header to start with '{'");
        skip_space();
        while (!at('}')) {
            const std::string key = parse_string("a quoted key");
            skip_space();
            expect(':', "':' after the key");
            skip_space();
            if (key == "descr") {
                mark_seen(have_descr, key);
                if (!at('\'') && !at('"'))
                    fail(
                        "'descr' is not a plain type string such as '<f4' (structured and sub-array "
                        "dtypes are not supported)");
                h.descr = parse_string("a type string");
            } else if (key == "fortran_order") {
                mark_seen(have_fortran, key);
                h.fortran_order = parse_bool();
            } else if (key == "shape") {
                mark_seen(have_shape, key);
                h.shape = parse_shape();
            } else {
                fail("unexpected key '" + printable(key) +
                     "' (expected exactly 'descr', 'fortran_order' and 'shape')");
            }
            skip_space();
            if (at(',')) {
                ++pos_;
                skip_space();
            } else if (!at('}')) {
                fail("expected ',' or '}' after the value of '" + key + "'");
            }
        }
        ++pos_;  // the '}'
        skip_space();
        if (pos_ != text_.size()) fail("unexpected characters after the closing '}'");
        if (!have_descr) fail("the key 'descr' is missing");
        if (!have_fortran) fail("the key 'fortran_order' is missing");
        if (!have_shape) fail("the key 'shape' is missing");
        return h;
    }

private:
    [[noreturn]] void fail(const std::string& what) const {
        npy_fail("read_npy", path_,
                 "malformed header: " + what + " (at character " + std::to_string(pos_) + " of \"" +
                     printable(without_padding()) + "\")");
    }

    // The header without numpy's trailing spaces and '\n', which only clutter a message.
    std::string_view without_padding() const {
        const std::size_t end = text_.find_last_not_of(" \n");
        return end == std::string_view::npos ? text_.substr(0, 0) : text_.substr(0, end + 1);
    }

    bool at(char c) const { return pos_ < text_.size() && text_[pos_] == c; }

    bool starts_with(std::string_view word) const { return text_.substr(pos_).starts_with(word); }

    void skip_space() {
        while (pos_ < text_.size() &&
               (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r'))
            ++pos_;
    }

    void expect(char c, std::string_view what) {
        if (!at(c)) fail("expected " + std::string(what));
        ++pos_;
    }

    void mark_seen(bool& seen, const std::string& key) const {
        if (seen) fail("the key '" + key + "' appears twice");
        seen = true;
    }

    std::string parse_string(std::string_view what) {
        if (!at('\'') && !at('"')) fail("expected " + std::string(what));
        const char quote = text_[pos_++];
        const std::size_t end = text_.find(quote, pos_);
        if (end == std::string_view::npos) fail("unterminated string");
        const std::string_view s = text_.substr(pos_, end - pos_);
        // numpy never writes escapes in these strings; refusing them beats decoding them wrongly.
        if (s.find('\\') != std::string_view::npos) fail("escape sequences in strings are not supported");
        pos_ = end + 1;
        return std::string(s);
    }

    bool parse_bool() {
        if (starts_with("True")) {
            pos_ += 4;
            return true;
        }
        if (starts_with("False")) {
            pos_ += 5;
            return false;
        }
        fail("'fortran_order' must be True or False");
    }

    std::vector<std::int64_t> parse_shape() {
        expect('(', "'shape' to be a tuple such as (2, 3)");
        std::vector<std::int64_t> dims;
        bool trailing_comma = false;
        skip_space();
        while (!at(')')) {
            dims.push_back(parse_dim());
            skip_space();
            trailing_comma = at(',');
            if (trailing_comma) {
                ++pos_;
                skip_space();
            } else if (!at(')')) {
                fail("expected ',' or ')' in 'shape'");
            }
        }
        ++pos_;  // the ')'
        // In Python "(3)" is the int 3, not a tuple; numpy rejects it, so do we.
        if (dims.size() == 1 && !trailing_comma) fail("'shape' (n) is not a tuple; a 1-D shape is (n,)");
        return dims;
    }

    std::int64_t parse_dim() {
        if (pos_ >= text_.size() || text_[pos_] < '0' || text_[pos_] > '9')
            fail("expected a non-negative integer in 'shape'");
        std::int64_t v = 0;
        while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
            const int digit = text_[pos_] - '0';
            if (v > (std::numeric_limits<std::int64_t>::max() - digit) / 10)
                fail("a dimension in 'shape' does not fit in 64 bits");
            v = v * 10 + digit;
            ++pos_;
        }
        if (at('L')) ++pos_;  // Python 2's long suffix, found in old 1.0 / 2.0 files (numpy drops it too)
        return v;
    }

    std::string_view text_;
    const std::filesystem::path& path_;
    std::size_t pos_ = 0;
};

/// Reads `out.size()` items of the file type `File` (float or double, little-endian) into `out`.
template <class File, class T, class Source>
bool npy_read_items(Source& in, std::span<T> out) {
    if constexpr (std::is_same_v<File, T> && std::endian::native == std::endian::little) {
        // Same type, same byte order: the bytes are the values.
        return npy_read_exact(in, out.data(), out.size_bytes());
    } else {
        constexpr std::size_t chunk = 8192;
        std::vector<unsigned char> buf(std::min(out.size(), chunk) * sizeof(File));
        for (std::size_t i = 0; i < out.size();) {
            const std::size_t n = std::min(chunk, out.size() - i);
            if (!npy_read_exact(in, buf.data(), n * sizeof(File))) return false;
            for (std::size_t k = 0; k < n; ++k)
                out[i + k] = static_cast<T>(
                    std::bit_cast<File>(load_le<npy_bits<File>>(buf.data() + k * sizeof(File))));
            i += n;
        }
        return true;
    }
}

/// Writes `data[0..n)` as little-endian items of T.
template <class T>
void npy_write_items(std::ostream& out, const T* data, std::size_t n) {
    if (n == 0) return;
    if constexpr (std::endian::native == std::endian::little) {
        out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(n * sizeof(T)));
    } else {
        constexpr std::size_t chunk = 8192;
        std::vector<unsigned char> buf(std::min(n, chunk) * sizeof(T));
        for (std::size_t i = 0; i < n && out;) {
            const std::size_t m = std::min(chunk, n - i);
            for (std::size_t k = 0; k < m; ++k)
                store_le(std::bit_cast<npy_bits<T>>(data[i + k]), buf.data() + k * sizeof(T));
            out.write(reinterpret_cast<const char*>(buf.data()), static_cast<std::streamsize>(m * sizeof(T)));
            i += m;
        }
    }
}

/// The magic string, version 1.0, header length and header for a C-order array: byte for byte what
/// np.save writes, so files from either side are interchangeable (the tests compare them).
inline std::string npy_preamble_v1(std::string_view descr, std::span<const std::int64_t> shape,
                                   const std::filesystem::path& path) {
    std::string dict = "{'descr': '" + std::string(descr) +
                       "', 'fortran_order': False, 'shape': " + npy_shape_repr(shape) + ", }";
    // numpy leaves room for shape[0] to grow to 21 digits, so the header can be rewritten in place
    // when rows are appended; copying that keeps our files identical to np.save's.
    if (!shape.empty()) dict.append(21 - std::min<std::size_t>(21, std::to_string(shape[0]).size()), ' ');
    // Pad with spaces and a final '\n' so the data starts at a multiple of 64 bytes (numpy's
    // ARRAY_ALIGN). Like numpy, an already aligned header still gets a full 64 bytes of padding.
    const std::size_t unpadded = npy_magic.size() + 2 + 2 + dict.size() + 1;
    const std::size_t pad = 64 - unpadded % 64;
    const std::size_t header_len = dict.size() + pad + 1;
    if (header_len > 0xffff)
        npy_fail("write_npy", path,
                 "the header for shape with " + std::to_string(shape.size()) +
                     " dimensions is longer than format 1.0 allows (65535 bytes)");
    std::string s(npy_magic);
    s += '\x01';
    s += '\x00';
    unsigned char len[2];
    store_le(static_cast<std::uint16_t>(header_len), len);
    s.append(reinterpret_cast<const char*>(len), 2);
    s += dict;
    s.append(pad, ' ');
    s += '\n';
    return s;
}

inline void npy_require_shape(std::string_view function, std::span<const std::int64_t> shape,
                              std::size_t size, std::string_view what) {
    const auto count = npy_element_count(shape);
    if (!count || static_cast<std::uint64_t>(*count) != size)
        throw shape_error(std::string(function) + ": shape " + npy_shape_repr(shape) + " needs " +
                          (count ? std::to_string(*count) : std::string("an invalid number of")) +
                          " values, " + std::string(what) + " holds " + std::to_string(size));
}

/// The reader behind read_npy and read_npy_from_memory: `in` holds exactly `file_size` bytes.
template <class T, class Source>
NpyArray<T> npy_read(Source& in, std::uintmax_t file_size, const std::filesystem::path& path,
                     const ReadLimits& limits) {
    const auto fail = [&](const std::string& what) { npy_fail("read_npy", path, what); };
    unsigned char pre[12] = {};
    const std::size_t head = static_cast<std::size_t>(std::min<std::uintmax_t>(file_size, 8));
    if (!npy_read_exact(in, pre, head)) fail("read error in the preamble");
    if (head < npy_magic.size() ||
        std::memcmp(pre, npy_magic.data(), npy_magic.size()) != 0)
        fail("not an npy file: it does not start with the magic string \"\\x93NUMPY\" (found \"" +
             printable(std::string_view(reinterpret_cast<const char*>(pre), head)) + "\")");
    if (head < 8) fail("truncated: the file ends inside the format version");
    const int major = pre[6], minor = pre[7];
    if ((major != 1 && major != 2 && major != 3) || minor != 0)
        fail("unsupported npy format version " + std::to_string(major) + "." + std::to_string(minor) +
             " (expected 1.0, 2.0 or 3.0)");

    // 1.0 stores the header length in 2 bytes, 2.0 and 3.0 in 4 (3.0 only adds UTF-8 in the header,
    // which the ASCII grammar here does not need).
    const std::size_t len_bytes = major == 1 ? 2 : 4;
    const std::size_t preamble = 8 + len_bytes;
    if (file_size < preamble) fail("truncated: the file ends inside the header length");
    if (!npy_read_exact(in, pre + 8, len_bytes)) fail("read error in the header length");
    const std::uint64_t header_len =
        major == 1 ? load_le<std::uint16_t>(pre + 8) : load_le<std::uint32_t>(pre + 8);
    if (header_len > file_size - preamble)
        fail("truncated: the header length " + std::to_string(header_len) +
             " runs past the end of the file (" + std::to_string(file_size) + " bytes)");
    if (header_len > limits.max_header_bytes)
        fail("the header length " + std::to_string(header_len) + " is more than the limit of " +
             byte_count_string(limits.max_header_bytes) + " (ReadLimits::max_header_bytes)");
    std::string header(static_cast<std::size_t>(header_len), '\0');
    if (!npy_read_exact(in, header.data(), header.size())) fail("read error in the header");

    NpyHeader h = NpyHeaderParser(header, path).parse();
    std::size_t itemsize = 0;
    if (h.descr == "<f4")
        itemsize = 4;
    else if (h.descr == "<f8")
        itemsize = 8;
    else
        fail("unsupported dtype '" + printable(h.descr) +
             "' (expected '<f4' or '<f8', little-endian float32 or float64; convert with a.astype('<f4'))");
    if (h.fortran_order)
        fail("fortran_order is True, expected a C-order array (save np.ascontiguousarray(a) instead)");

    if (h.shape.size() > limits.max_rank)
        fail("shape has " + std::to_string(h.shape.size()) + " dimensions, more than the limit of " +
             std::to_string(limits.max_rank) + " (ReadLimits::max_rank)");
    const auto count = npy_element_count(h.shape);
    if (!count) fail("shape " + npy_shape_repr(h.shape) + " has more elements than fit in 64 bits");
    const std::uintmax_t available = file_size - preamble - header_len;
    const auto n = static_cast<std::uint64_t>(*count);
    const std::string needs = "shape " + npy_shape_repr(h.shape) + " of '" + h.descr + "' needs ";
    // Compare before multiplying, so a huge shape can neither overflow nor allocate.
    if (n > available / itemsize)
        fail("truncated data: " + needs + std::to_string(n) + " x " + std::to_string(itemsize) +
             " bytes after the header, the file has " + std::to_string(available));
    if (n * itemsize != available)
        fail(std::to_string(available - n * itemsize) + " unexpected bytes after the data (" + needs +
             std::to_string(n * itemsize) + " bytes, the file has " + std::to_string(available) + ")");

    // The file does hold that many bytes; the limit bounds what it may make us allocate (as T).
    const std::uint64_t bytes = n * std::max<std::uint64_t>(itemsize, sizeof(T));
    if (bytes > limits.max_array_bytes || n > std::numeric_limits<std::size_t>::max() / sizeof(T))
        fail(needs + byte_count_string(bytes) + " in memory, more than the limit of " +
             byte_count_string(limits.max_array_bytes) + " (ReadLimits::max_array_bytes)");

    NpyArray<T> a;
    a.shape = std::move(h.shape);
    try {
        a.data.resize(static_cast<std::size_t>(n));
    } catch (const std::bad_alloc&) {
        fail("cannot allocate " + byte_count_string(bytes) + " for shape " + npy_shape_repr(a.shape));
    }
    const bool ok = itemsize == 4 ? npy_read_items<float>(in, std::span<T>(a.data))
                                  : npy_read_items<double>(in, std::span<T>(a.data));
    if (!ok) fail("read error in the data (did the file change while being read?)");
    return a;
}

}  // namespace detail

/// Reads an .npy file of dtype '<f4' or '<f8' (format 1.0, 2.0 or 3.0, C order) as an array of T
/// (float or double); file values are converted with static_cast<T>.
/// Non-finite values are returned unchanged: check them if they matter (innspect::require_finite).
/// Throws io_error, naming `path` and the problem, if the file cannot be read, is not an .npy file,
/// is truncated or has bytes after the data, has a malformed header, is Fortran-ordered, or holds
/// another dtype (the message names the dtype found), or declares more than `limits` allow (a
/// header longer than max_header_bytes, more than max_rank dimensions, an array of more than
/// max_array_bytes as T). Every size is checked against the file size and the limits before
/// anything is allocated.
template <class T>
NpyArray<T> read_npy(const std::filesystem::path& path, const ReadLimits& limits = {}) {
    static_assert(detail::is_npy_scalar<T>, "read_npy<T> reads into float or double only.");
    const auto fail = [&](const std::string& what) { detail::npy_fail("read_npy", path, what); };

    std::error_code ec;
    const std::uintmax_t file_size = std::filesystem::file_size(path, ec);
    if (ec) fail("cannot read the file: " + ec.message());
    std::ifstream in(path, std::ios::binary);
    if (!in) fail("cannot open the file for reading");
    return detail::npy_read<T>(in, file_size, path, limits);
}

/// read_npy of an .npy file's bytes in memory; `name` stands for the path in messages.
template <class T>
NpyArray<T> read_npy_from_memory(std::span<const unsigned char> bytes, const std::string& name = "<memory>",
                                 const ReadLimits& limits = {}) {
    static_assert(detail::is_npy_scalar<T>, "read_npy_from_memory<T> reads into float or double only.");
    detail::npy_memory_source in{bytes, 0};
    return detail::npy_read<T>(in, bytes.size(), std::filesystem::path(name), limits);
}

/// Writes `data` (product(shape) values of float or double, C order) as an .npy file of dtype
/// '<f4' (float) or '<f8' (double), format 1.0, byte-identical to np.save of the same array.
/// Requires: `data` points at product(shape) values (may be null when that product is 0).
/// Throws shape_error if a dimension is negative or the product overflows; io_error, naming `path`,
/// if the file cannot be written (a partly written file is removed).
template <class T>
void write_npy(const std::filesystem::path& path, std::span<const std::int64_t> shape, const T* data) {
    static_assert(detail::is_npy_scalar<T>, "write_npy writes float or double only.");
    const auto count = detail::npy_element_count(shape);
    if (!count || static_cast<std::uint64_t>(*count) > std::numeric_limits<std::size_t>::max() / sizeof(T))
        throw shape_error("write_npy: '" + path.string() + "': shape " + detail::npy_shape_repr(shape) +
                          " has a negative dimension or too many elements");
    const auto n = static_cast<std::size_t>(*count);
    if (n != 0 && data == nullptr)
        throw value_error("write_npy: '" + path.string() + "': data is null, expected " + std::to_string(n) +
                          " values for shape " + detail::npy_shape_repr(shape));
    const std::string preamble = detail::npy_preamble_v1(detail::npy_descr<T>, shape, path);

    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) detail::npy_fail("write_npy", path, "cannot open the file for writing");
    out.write(preamble.data(), static_cast<std::streamsize>(preamble.size()));
    detail::npy_write_items(out, data, n);
    out.close();
    if (!out) {
        std::error_code ignored;
        std::filesystem::remove(path, ignored);  // a truncated .npy is worse than none
        detail::npy_fail("write_npy", path, "write failed (disk full?)");
    }
}

/// write_npy with the shape as a braced list: `write_npy(path, {2, 3}, data)`.
template <class T>
void write_npy(const std::filesystem::path& path, std::initializer_list<std::int64_t> shape, const T* data) {
    write_npy(path, std::span<const std::int64_t>(shape.begin(), shape.size()), data);
}

/// Writes `a`; throws shape_error if a.data.size() != product(a.shape).
template <class T>
void write_npy(const std::filesystem::path& path, const NpyArray<T>& a) {
    detail::npy_require_shape("write_npy", a.shape, a.data.size(), "the array's data");
    write_npy(path, std::span<const std::int64_t>(a.shape), a.data.data());
}

/// The array as a batch: rows = shape[0], cols = product(shape[1:]) (a sample's features in C order,
/// which for (n, h, w, c) is Keras's channels-last order). A 1-D array of n values is one sample: 1 x n.
/// Throws shape_error for a 0-d array (no batch axis) or if data.size() != product(shape).
template <class T>
Batch<T> to_batch(const NpyArray<T>& a) {
    if (a.shape.empty())
        throw shape_error("to_batch: a 0-d array has no batch axis, expected 1 or more dimensions");
    detail::npy_require_shape("to_batch", a.shape, a.data.size(), "the array's data");
    Eigen::Index rows = 1, cols = 0;
    if (a.shape.size() == 1) {
        cols = static_cast<Eigen::Index>(a.shape[0]);
    } else {
        rows = static_cast<Eigen::Index>(a.shape[0]);
        // product(shape[1:]) fits: it is at most product(shape) unless shape[0] == 0, and then it is
        // checked on its own.
        const auto rest = detail::npy_element_count(std::span<const std::int64_t>(a.shape).subspan(1));
        if (!rest)
            throw shape_error("to_batch: shape " + detail::npy_shape_repr(a.shape) +
                              " has more features per sample than fit in 64 bits");
        cols = static_cast<Eigen::Index>(*rest);
    }
    Batch<T> b(rows, cols);
    std::copy(a.data.begin(), a.data.end(), b.data());
    return b;
}

/// The batch as an array of the given shape (e.g. {n, h, w, c}); the inverse of to_batch.
/// Throws shape_error if product(shape) != b.size().
template <class T>
NpyArray<T> from_batch(const Batch<T>& b, std::span<const std::int64_t> shape) {
    detail::npy_require_shape("from_batch", shape, static_cast<std::size_t>(b.size()), "the batch");
    return NpyArray<T>{std::vector<std::int64_t>(shape.begin(), shape.end()),
                       std::vector<T>(b.data(), b.data() + b.size())};
}

/// from_batch with the shape as a braced list: `from_batch(b, {n, 90, 90, 1})`.
template <class T>
NpyArray<T> from_batch(const Batch<T>& b, std::initializer_list<std::int64_t> shape) {
    return from_batch(b, std::span<const std::int64_t>(shape.begin(), shape.size()));
}

/// Writes a batch as an .npy array of the given shape (e.g. {n, h, w, c}); the rows are the first
/// axis and the row-major storage is already C order, so nothing is copied.
/// Throws shape_error, before touching the file, if product(shape) != b.size(); else as write_npy.
template <class T>
void write_npy(const std::filesystem::path& path, const Batch<T>& b, std::span<const std::int64_t> shape) {
    detail::npy_require_shape("write_npy", shape, static_cast<std::size_t>(b.size()), "the batch");
    write_npy(path, shape, b.data());
}

/// write_npy of a batch with the shape as a braced list: `write_npy(path, b, {n, 90, 90, 1})`.
template <class T>
void write_npy(const std::filesystem::path& path, const Batch<T>& b,
               std::initializer_list<std::int64_t> shape) {
    write_npy(path, b, std::span<const std::int64_t>(shape.begin(), shape.size()));
}

}  // namespace innspect::io
