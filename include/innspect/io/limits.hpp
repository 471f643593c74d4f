#pragma once
/// \file
/// Resource limits for the file readers (npy.hpp, keras_h5.hpp, keras_archive.hpp). A file is data from elsewhere:
/// its header may declare any size, so every reader compares what a file declares with these
/// limits *before* allocating, and refuses with an io_error naming the file, the declared size and
/// the limit. No dependency: included by the optional readers.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace innspect::io {

/// The most a file may make a reader allocate. The defaults admit any realistic model or array
/// (4 GiB for one array) while a 20-byte header cannot ask for terabytes; raise them for
/// bigger inputs, lower them for a service that reads untrusted uploads.
struct ReadLimits {
    /// Bytes of one array (an .npy payload, one HDF5 weight dataset), counted in the larger of the
    /// file's and the requested element type.
    std::uint64_t max_array_bytes = std::uint64_t{4} << 30;
    /// Bytes of one HDF5 attribute (layer_names, weight_names, model_config, ...).
    std::uint64_t max_attribute_bytes = std::uint64_t{64} << 20;
    /// Bytes of an .npy header (numpy itself refuses more than 10000 unless told otherwise).
    std::uint64_t max_header_bytes = std::uint64_t{1} << 20;
    /// Dimensions of one array (numpy 1.x allows 32, HDF5 32).
    std::size_t max_rank = 64;
    /// Accept Keras name lists (layer_names, weight_names) stored as variable-length strings.
    /// Keras writes them as fixed-length strings; variable-length ones are read from HDF5's global
    /// heap, whose decoding in libhdf5 < 1.14.4 crashes on some damaged files
    /// (fuzz/known_libhdf5/), so by default they are refused with an io_error. Set this for
    /// hand-written files (h5py stores a list of Python str that way) from a trusted source.
    bool allow_variable_length_names = false;
    /// Groups a Keras 3 weight file (`layers/<name>/vars`, nested models' `layers/...`) may hold;
    /// the walk over its tree stops with an io_error beyond this.
    std::size_t max_groups = 65536;
    /// Bytes of one member of a `.keras` archive (a zip) read into memory: `config.json`,
    /// `metadata.json`, `model.weights.h5` (whose bytes HDF5 then copies once more).
    std::uint64_t max_member_bytes = std::uint64_t{4} << 30;
    /// Members (files and folders) of a `.keras` archive; Keras writes three plus its assets.
    std::uint64_t max_members = 4096;
    /// Uncompressed / compressed size of one archive member larger than 1 MiB. Keras stores
    /// members uncompressed (ratio 1); deflate cannot exceed about 1032; a member that inflates
    /// more than this is refused as a decompression bomb before it is read.
    std::uint64_t max_compression_ratio = 100;
};

namespace detail {

/// a * b, or nullopt if it overflows 64 bits.
inline std::optional<std::uint64_t> checked_mul(std::uint64_t a, std::uint64_t b) {
    if (a != 0 && b > std::numeric_limits<std::uint64_t>::max() / a) return std::nullopt;
    return a * b;
}

/// product(dims), or nullopt if it overflows 64 bits.
inline std::optional<std::uint64_t> checked_product(std::span<const std::uint64_t> dims) {
    std::uint64_t n = 1;
    for (const std::uint64_t d : dims) {
        const auto next = checked_mul(n, d);
        if (!next) return std::nullopt;
        n = *next;
    }
    return n;
}

/// "1073741824 bytes (1 GiB)"-style size for messages: exact bytes, plus a rounded unit.
inline std::string byte_count_string(std::uint64_t bytes) {
    std::string s = std::to_string(bytes) + " bytes";
    const char* units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    if (bytes >= 1024) {
        double v = static_cast<double>(bytes);
        int u = -1;
        while (v >= 1024 && u < 5) {
            v /= 1024;
            ++u;
        }
        s += " (" + std::to_string(static_cast<std::uint64_t>(v)) + " " + units[u] + ")";
    }
    return s;
}

/// `text` fit for an error message (both readers quote names and headers from the file): bytes
/// outside printable ASCII as \xNN, cut after `max_chars`.
inline std::string printable(std::string_view text, std::size_t max_chars = 200) {
    constexpr char hex[] = "0123456789abcdef";
    std::string s;
    for (std::size_t i = 0; i < text.size() && i < max_chars; ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x20 && c < 0x7f) {
            s += static_cast<char>(c);
        } else {
            s += "\\x";
            s += hex[c >> 4];
            s += hex[c & 0xf];
        }
    }
    if (text.size() > max_chars) s += "...";
    return s;
}

}  // namespace detail

}  // namespace innspect::io
