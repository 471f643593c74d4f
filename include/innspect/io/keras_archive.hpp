#pragma once
/// \file
/// Reading Keras 3 `.keras` archives (`model.save("m.keras")`, also Keras 2.13-2.14). Optional
/// part: needs libzip (Debian's `libzip-dev`) and the HDF5 C library (the `innspect::keras3`
/// CMake target); io/keras_model.hpp loads such a file into a model with its architecture checked.
///
/// What Keras writes (keras/src/saving/saving_lib.py), a zip of stored (uncompressed) members:
///
///   metadata.json       {"keras_version": "3.x", "date_saved": ...}
///   config.json         the model's serialized config: {"module": "keras", "class_name":
///                       "Functional" | "Sequential", "config": {"name", "layers": [...], ...}, ...}
///   model.weights.h5    HDF5: layers/<class name>[_<n>]/vars/<i>  (see io/keras_h5.hpp,
///                       KerasLayout::keras3; Keras 2.13-2.14: _layer_checkpoint_dependencies/...)
///   assets/...          (preprocessing layers' files; not read)
///
/// Everything is read into memory, never extracted to disk: the weights through HDF5's in-memory
/// file image (KerasH5File::from_memory). Archives are treated as hostile: member names are
/// normalised ('\' -> '/', a leading "./" dropped: archives made on Windows) and an absolute name,
/// a drive letter or a ".." component anywhere in the archive is refused, as is a wanted member
/// present twice; the number of members, a member's size and its compression ratio are bounded
/// by io::ReadLimits before anything is inflated; encrypted members are refused; libzip checks
/// the archive's consistency and every member's CRC. Every problem is an io_error naming the
/// archive and the member.

#include <zip.h>

#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory>
#include <new>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "innspect/core/errors.hpp"
#include "innspect/io/keras_h5.hpp"
#include "innspect/io/limits.hpp"

namespace innspect::io {

namespace detail {

struct zip_closer {
    void operator()(zip_t* z) const noexcept { zip_discard(z); }  // read-only: nothing to write back
};
struct zip_file_closer {
    void operator()(zip_file_t* f) const noexcept { zip_fclose(f); }
};

inline std::string zip_error_text(int code) {
    zip_error_t e;
    zip_error_init_with_code(&e, code);
    std::string s = zip_error_strerror(&e);
    zip_error_fini(&e);
    return s;
}

inline std::string zip_error_text(zip_error_t* e) {
    return e != nullptr ? zip_error_strerror(e) : "unknown error";
}

/// A member name as Keras would look it up: '\' as '/', leading "./" dropped.
inline std::string normalize_member_name(std::string_view raw) {
    std::string s(raw);
    for (char& c : s)
        if (c == '\\') c = '/';
    while (s.rfind("./", 0) == 0) s.erase(0, 2);
    return s;
}

/// Why a (normalised) member name is a path trick ("" if it is not).
inline std::string member_name_problem(std::string_view name) {
    if (name.empty()) return "has an empty name";
    if (name.front() == '/') return "is an absolute path";
    if (name.size() >= 2 && name[1] == ':') return "starts with a drive letter";
    for (std::size_t start = 0;;) {
        const std::size_t slash = name.find('/', start);
        const std::string_view comp =
            name.substr(start, slash == std::string_view::npos ? slash : slash - start);
        if (comp == "..") return "has a '..' component";
        if (slash == std::string_view::npos) return {};
        start = slash + 1;
    }
}

}  // namespace detail

/// The members of a Keras `.keras` archive that innspect reads, read into memory (see the file
/// comment for what is checked). The archive is closed when the constructor returns.
class KerasArchive {
public:
    /// Reads the archive at `path`. Throws io_error naming the file (and the member) if it is
    /// missing, not a zip, truncated or inconsistent, breaks a limit or a rule above, or lacks
    /// `config.json` or `model.weights.h5`.
    explicit KerasArchive(const std::filesystem::path& path, const ReadLimits& limits = {})
        : path_(path), limits_(limits) {
        const std::string where = where_text();
        std::error_code ec;
        if (!std::filesystem::exists(path_, ec)) throw io_error(where + ": no such file");
        if (std::filesystem::is_directory(path_, ec))
            throw io_error(where + ": is a directory (Keras 3 saves a model to one .keras file)");
        int code = 0;
        std::unique_ptr<zip_t, detail::zip_closer> z(
            zip_open(path_.string().c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &code));
        if (!z)
            throw io_error(where + ": cannot open as a zip archive (libzip: " + detail::zip_error_text(code) +
                           ")");
        read(z.get(), where);
    }

    /// Reads an archive from memory (e.g. received over the network); `name` stands for the path
    /// in messages and path().
    static KerasArchive from_memory(std::span<const unsigned char> bytes,
                                    const std::string& name = "<memory>", const ReadLimits& limits = {}) {
        KerasArchive a(name, limits, memory_tag{});
        const std::string where = a.where_text();
        if (bytes.empty()) throw io_error(where + ": cannot open as a zip archive (no bytes)");
        zip_error_t err;
        zip_error_init(&err);
        zip_source_t* src = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &err);
        if (src == nullptr) {
            const std::string why = detail::zip_error_text(&err);
            zip_error_fini(&err);
            throw io_error(where + ": cannot read (libzip: " + why + ")");
        }
        std::unique_ptr<zip_t, detail::zip_closer> z(
            zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &err));
        if (!z) {
            zip_source_free(src);  // still ours when the open failed
            const std::string why = detail::zip_error_text(&err);
            zip_error_fini(&err);
            throw io_error(where + ": cannot open as a zip archive (libzip: " + why + ")");
        }
        zip_error_fini(&err);
        a.read(z.get(), where);
        return a;
    }

    /// The path given to the constructor (or the name given to from_memory()).
    const std::filesystem::path& path() const noexcept { return path_; }
    /// Every member's name, normalised ('\' -> '/', no leading "./"), in archive order.
    const std::vector<std::string>& members() const noexcept { return members_; }
    /// config.json: the model's config (parse it with io::parse_keras_model_config()).
    const std::string& config_json() const noexcept { return config_; }
    /// metadata.json ("" if the archive has none): {"keras_version": ..., "date_saved": ...}.
    const std::string& metadata_json() const noexcept { return metadata_; }
    /// The bytes of model.weights.h5.
    const std::vector<unsigned char>& weights_image() const noexcept { return weights_; }
    /// "'m.keras' member model.weights.h5": how messages name the weights.
    std::string weights_name() const { return path_.string() + ":model.weights.h5"; }
    /// Opens model.weights.h5 from memory (KerasH5File::from_memory, same limits); its path() is
    /// weights_name().
    KerasH5File weights() const { return KerasH5File::from_memory(weights_, weights_name(), limits_); }

private:
    struct memory_tag {};
    KerasArchive(std::filesystem::path path, const ReadLimits& limits, memory_tag)
        : path_(std::move(path)), limits_(limits) {}

    std::string where_text() const { return "Keras archive '" + path_.string() + "'"; }

    void read(zip_t* z, const std::string& where) {
        const zip_int64_t n = zip_get_num_entries(z, 0);
        if (n < 0) throw io_error(where + ": cannot count its members");
        if (static_cast<std::uint64_t>(n) > limits_.max_members)
            throw io_error(where + ": holds " + std::to_string(n) + " members, more than the limit of " +
                           std::to_string(limits_.max_members) + " (ReadLimits::max_members)");
        zip_int64_t config = -1, metadata = -1, weights = -1;
        for (zip_int64_t i = 0; i < n; ++i) {
            const char* raw = zip_get_name(z, static_cast<zip_uint64_t>(i), ZIP_FL_ENC_RAW);
            if (raw == nullptr)
                throw io_error(where + ": cannot read the name of member " + std::to_string(i));
            const std::string name = detail::normalize_member_name(raw);
            const std::string shown = "member '" + detail::printable(raw) + "'";
            if (const auto problem = detail::member_name_problem(name); !problem.empty())
                throw io_error(where + ": " + shown + " " + problem + "; a Keras archive holds no such path");
            for (const auto& [want, slot] : {std::pair<const char*, zip_int64_t*>{"config.json", &config},
                                             {"metadata.json", &metadata},
                                             {"model.weights.h5", &weights}})
                if (name == want) {
                    if (*slot >= 0)
                        throw io_error(where + ": holds " + want + " twice (members " +
                                       std::to_string(*slot) + " and " + std::to_string(i) +
                                       ", names compared with '\\' as '/')");
                    *slot = i;
                }
            members_.push_back(name);
        }
        const auto has = [&](std::string_view m) {
            for (const auto& x : members_)
                if (x == m) return true;
            return false;
        };
        if (config < 0)
            throw io_error(where + ": no config.json in the archive (members: " + detail::join(members_) +
                           "); not a Keras .keras file");
        if (weights < 0) {
            if (has("model.weights.npz"))
                throw io_error(
                    where +
                    ": its weights are in model.weights.npz (Keras's numpy store), which innspect does "
                    "not read; save the model with the default HDF5 weights");
            if (has("model.weights.json"))
                throw io_error(
                    where + ": its weights are sharded (model.weights.json), which innspect does not read");
            throw io_error(where +
                           ": no model.weights.h5 in the archive (members: " + detail::join(members_) + ")");
        }
        const auto text = [](const std::vector<unsigned char>& v) { return std::string(v.begin(), v.end()); };
        config_ = text(read_member(z, config, "config.json", where));
        if (metadata >= 0) metadata_ = text(read_member(z, metadata, "metadata.json", where));
        weights_ = read_member(z, weights, "model.weights.h5", where);  // read once, no copy
    }

    std::vector<unsigned char> read_member(zip_t* z, zip_int64_t index, const char* name,
                                           const std::string& where) const {
        const std::string what = where + ": member " + name;
        zip_stat_t st;
        zip_stat_init(&st);
        if (zip_stat_index(z, static_cast<zip_uint64_t>(index), 0, &st) != 0)
            throw io_error(
                what + ": cannot read its header (libzip: " + detail::zip_error_text(zip_get_error(z)) + ")");
        if ((st.valid & ZIP_STAT_SIZE) == 0 || (st.valid & ZIP_STAT_COMP_SIZE) == 0)
            throw io_error(what + ": its header states no size");
        if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) != 0 && st.encryption_method != ZIP_EM_NONE)
            throw io_error(what + " is encrypted; Keras does not encrypt its archives");
        if (st.size > limits_.max_member_bytes ||
            st.size > std::uint64_t{std::numeric_limits<std::size_t>::max() / 2})
            throw io_error(what + " declares " + detail::byte_count_string(st.size) +
                           ", more than the limit of " + detail::byte_count_string(limits_.max_member_bytes) +
                           " (ReadLimits::max_member_bytes)");
        constexpr std::uint64_t ratio_floor = std::uint64_t{1} << 20;
        if (st.size > ratio_floor &&
            (st.comp_size == 0 || st.size / st.comp_size > limits_.max_compression_ratio))
            throw io_error(what + " declares " + detail::byte_count_string(st.size) + " from " +
                           detail::byte_count_string(st.comp_size) +
                           " compressed, a ratio above the limit of " +
                           std::to_string(limits_.max_compression_ratio) +
                           " (ReadLimits::max_compression_ratio): a decompression bomb");
        std::unique_ptr<zip_file_t, detail::zip_file_closer> f(
            zip_fopen_index(z, static_cast<zip_uint64_t>(index), 0));
        if (!f)
            throw io_error(what + ": cannot open (libzip: " + detail::zip_error_text(zip_get_error(z)) + ")");
        std::vector<unsigned char> out;
        try {
            out.resize(static_cast<std::size_t>(st.size));
        } catch (const std::bad_alloc&) {
            throw io_error(what + ": cannot allocate " + detail::byte_count_string(st.size));
        }
        std::size_t got = 0;
        while (got < out.size()) {
            const zip_int64_t r = zip_fread(f.get(), out.data() + got, out.size() - got);
            if (r < 0)
                throw io_error(what + ": cannot read (libzip: " +
                               detail::zip_error_text(zip_file_get_error(f.get())) + ")");
            if (r == 0) break;
            got += static_cast<std::size_t>(r);
        }
        char extra = 0;
        const zip_int64_t more =
            got == out.size() ? zip_fread(f.get(), &extra, 1) : 0;  // the end: libzip checks the CRC
        if (more < 0)
            throw io_error(
                what + ": cannot read (libzip: " + detail::zip_error_text(zip_file_get_error(f.get())) + ")");
        if (got != out.size() || more > 0)
            throw io_error(what + ": holds " + (more > 0 ? "more" : std::to_string(got)) +
                           " bytes, its header says " + std::to_string(st.size));
        if (const int rc = zip_fclose(f.release()); rc != 0)
            throw io_error(what + ": cannot read (libzip: " + detail::zip_error_text(rc) + ")");
        return out;
    }

    std::filesystem::path path_;
    ReadLimits limits_;
    std::vector<std::string> members_;
    std::string config_, metadata_;
    std::vector<unsigned char> weights_;
};

}  // namespace innspect::io
