#pragma once
/// \file
/// Loading Keras HDF5 weight files (Keras 2.x `model.save()` and `model.save_weights()`, Keras 3
/// `.weights.h5` and legacy `.h5`) into innspect models. Optional part: needs the HDF5 C library
/// (`innspect::hdf5` CMake target).
///
/// What Keras 2.x writes (keras/engine/saving.py, checked against real Keras 2.2.4 files):
///
///   /                                      attrs layer_names, backend, keras_version  (save_weights)
///   /                                      attrs keras_version, backend, model_config (save)
///   /model_weights                         attrs layer_names, backend, keras_version  (save)
///   <root>/<layer>                         attr  weight_names, e.g. ["conv1/kernel:0", "conv1/bias:0"]
///   <root>/<layer>/<weight name>           dataset, float32, Keras shape, C order
///
///   layer_names, weight_names: 1-D fixed-length byte strings (an empty list is an empty float64
///   array); lists too large for an object header are split into name0, name1, ...
///   A nested model (a model used as a layer) is one group whose weight_names name the inner
///   layers: model_2 -> ["conv2d_transpose_1/kernel:0", ...].
///   Keras 3's legacy `.h5` (model.save("m.h5")) is this layout with names without ":0".
///
/// What Keras 3 writes (keras/src/saving/saving_lib.py: `.weights.h5`, and `model.weights.h5`
/// inside a `.keras` archive, io/keras_archive.hpp) stores no names at all:
///
///   /layers/<class>[_<n>]/vars/<i>         dataset: the i-th variable of the layer, build order
///   /layers/<class>[_<n>]/<attr>/.../vars/<i>  the variables of a layer the layer holds as an
///                                          attribute: an RNN's `cell`, Bidirectional's
///                                          `forward_layer` / `backward_layer`, a wrapper's `layer`
///   /layers/<model class>[_<n>]/layers/... a nested model's layers
///   /vars, /optimizer/vars, ...             the model's own and the optimizer's (not read)
///
///   <class> is Keras's snake_case of the layer's class ("conv2d_transpose"), numbered per class
///   inside each model in model.layers order. Keras 2.13-2.14 wrote the same tree under
///   /_layer_checkpoint_dependencies/, each layer with weights using up two numbers.
///
/// The model contract used by load_keras_weights():
///   model.for_each_layer(f)  calls f(layer) for every layer, in model order;
///   layer.name()             std::string_view, the Keras layer name (or a static member
///                            `name`, as innspect's own layers have);
///   layer.weights()          std::vector<innspect::WeightRef<T>>, T = float or double, empty for
///                            weightless layers; each ref points at product(shape) scalars in C
///                            order, exactly Keras's layout (core/weights.hpp).

#include <hdf5.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "innspect/core/errors.hpp"
#include "innspect/core/weights.hpp"
#include "innspect/io/keras3_layer.hpp"
#include "innspect/io/keras_compiled.hpp"
#include "innspect/io/limits.hpp"

namespace innspect::io {

namespace detail {

/// Owns one HDF5 identifier and closes it with the matching H5?close function.
class h5_id {
public:
    using closer = herr_t (*)(hid_t);

    h5_id() = default;
    h5_id(hid_t id, closer close) noexcept : id_(id), close_(close) {}
    h5_id(const h5_id&) = delete;
    h5_id& operator=(const h5_id&) = delete;
    h5_id(h5_id&& other) noexcept : id_(std::exchange(other.id_, H5I_INVALID_HID)), close_(other.close_) {}
    h5_id& operator=(h5_id&& other) noexcept {
        if (this != &other) {
            reset();
            id_ = std::exchange(other.id_, H5I_INVALID_HID);
            close_ = other.close_;
        }
        return *this;
    }
    ~h5_id() { reset(); }

    hid_t get() const noexcept { return id_; }
    explicit operator bool() const noexcept { return id_ >= 0; }

    void reset() noexcept {
        if (id_ >= 0 && close_ != nullptr) close_(id_);
        id_ = H5I_INVALID_HID;
    }

private:
    hid_t id_ = H5I_INVALID_HID;
    closer close_ = nullptr;
};

/// Turns HDF5's automatic error printing off for its lifetime: innspect reports failures as
/// exceptions, and a stack dump on stderr for every probe (e.g. "is this HDF5?") would be noise.
class h5_silence {
public:
    h5_silence() noexcept {
        H5Eget_auto2(H5E_DEFAULT, &func_, &data_);
        H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    }
    h5_silence(const h5_silence&) = delete;
    h5_silence& operator=(const h5_silence&) = delete;
    ~h5_silence() { H5Eset_auto2(H5E_DEFAULT, func_, data_); }

private:
    H5E_auto2_t func_ = nullptr;
    void* data_ = nullptr;
};

/// The most specific message on HDF5's current error stack ("" if none), so that io_error can
/// say *why* (e.g. "truncated file: eof = ...") without HDF5 printing anything itself.
inline std::string h5_last_error() {
    std::string msg;
    auto walk = [](unsigned n, const H5E_error2_t* e, void* out) -> herr_t {
        // Walking upward, n == 0 is the deepest entry: where the failure was detected.
        if (n == 0 && e != nullptr && e->desc != nullptr) *static_cast<std::string*>(out) = e->desc;
        return 0;
    };
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, walk, &msg);
    return msg;
}

inline std::string with_h5_reason(std::string msg) {
    const std::string why = h5_last_error();
    if (!why.empty()) msg += " (HDF5: " + why + ")";
    return msg;
}

/// "(3,3,16,16)", "()" for a scalar.
inline std::string shape_string(const std::vector<std::int64_t>& shape) {
    std::string s = "(";
    for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
    return s + ")";
}

/// The C-order multi-index of flat index `flat` in `shape`, as "(i,j,..)".
inline std::string index_string(std::size_t flat, const std::vector<std::int64_t>& shape) {
    std::vector<std::int64_t> idx(shape.size());
    for (std::size_t d = shape.size(); d-- > 0;) {
        const auto extent = static_cast<std::size_t>(shape[d]);
        idx[d] = static_cast<std::int64_t>(flat % extent);
        flat /= extent;
    }
    return shape_string(idx);
}

inline std::size_t element_count(const std::vector<std::int64_t>& shape) {
    std::size_t n = 1;
    for (auto e : shape) n *= static_cast<std::size_t>(e);
    return n;
}

/// numpy's name for an HDF5 datatype ("float32", "int32", "float16"), for error messages.
inline std::string dtype_name(hid_t type) {
    const auto bits = std::to_string(8 * H5Tget_size(type));
    switch (H5Tget_class(type)) {
        case H5T_FLOAT: return "float" + bits;
        case H5T_INTEGER: return (H5Tget_sign(type) == H5T_SGN_NONE ? "uint" : "int") + bits;
        case H5T_STRING: return "string";
        case H5T_ENUM: return "enum" + bits + " (numpy bool?)";
        case H5T_COMPOUND: return "compound";
        case H5T_ARRAY: return "array";
        case H5T_VLEN: return "variable-length sequence";
        case H5T_OPAQUE: return "opaque";
        case H5T_REFERENCE: return "reference";
        case H5T_BITFIELD: return "bitfield";
        default: return "HDF5 type class " + std::to_string(static_cast<int>(H5Tget_class(type)));
    }
}


/// The byte offset of the first invalid UTF-8 sequence in `s` (overlong forms, surrogates and
/// code points above U+10FFFF are invalid), or npos if `s` is valid UTF-8.
inline std::size_t utf8_error_offset(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t len = 0;
        std::uint32_t cp = 0, min = 0;
        if (c < 0x80) {
            ++i;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            len = 2, cp = c & 0x1fu, min = 0x80;
        } else if ((c & 0xf0) == 0xe0) {
            len = 3, cp = c & 0x0fu, min = 0x800;
        } else if ((c & 0xf8) == 0xf0) {
            len = 4, cp = c & 0x07u, min = 0x10000;
        } else {
            return i;
        }
        if (s.size() - i < len) return i;
        for (std::size_t k = 1; k < len; ++k) {
            const auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xc0) != 0x80) return i;
            cp = (cp << 6) | (cc & 0x3fu);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
        i += len;
    }
    return std::string_view::npos;
}

/// Refuses an HDF5 attribute's string with a NUL inside (C APIs would silently cut it there) or
/// bytes that are not UTF-8 (Keras decodes every name as UTF-8).
inline void check_attr_string(std::string_view s, std::size_t index, std::size_t count, const std::string& what) {
    const std::string which = count == 1 ? std::string() : " entry " + std::to_string(index);
    if (const auto nul = s.find('\0'); nul != std::string_view::npos)
        throw io_error(what + which + " has a NUL byte inside the string, at byte " + std::to_string(nul) + " (\"" +
                       printable(s) + "\"); a name with a NUL in it would be cut there");
    if (const auto bad = utf8_error_offset(s); bad != std::string_view::npos)
        throw io_error(what + which + " is not valid UTF-8 (at byte " + std::to_string(bad) + ": \"" +
                       printable(s) + "\")");
}

/// Reads a string attribute (scalar or 1-D; fixed-length or variable-length) as a list. An
/// attribute with no elements of any type gives {}: Keras writes an empty name list as an empty
/// float64 array. Throws io_error for non-empty non-string attributes, attributes larger than
/// `limits.max_attribute_bytes`, strings with a NUL inside or invalid UTF-8, and HDF5 failures.
///
/// Fixed-length strings are read as the raw bytes of their own type (no conversion, so HDF5
/// cannot cut a string at a NUL before we see it) into a buffer sized from the checked
/// element count x width. Variable-length strings live in HDF5's global heap: they are read
/// only when the file's type says so, with the count bounded first, and only if
/// `allow_variable` (else io_error before anything is read).
inline std::vector<std::string> read_string_attr(hid_t obj, const char* name, const std::string& where,
                                                 const ReadLimits& limits = {}, bool allow_variable = true) {
    const std::string what = where + ": attribute '" + name + "'";
    h5_id attr(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose);
    if (!attr) throw io_error(with_h5_reason(what + ": cannot open"));
    h5_id type(H5Aget_type(attr.get()), H5Tclose);
    h5_id space(H5Aget_space(attr.get()), H5Sclose);
    if (!type || !space) throw io_error(with_h5_reason(what + ": cannot inspect"));
    const H5S_class_t space_class = H5Sget_simple_extent_type(space.get());
    if (space_class == H5S_NULL) return {};
    const int rank = H5Sget_simple_extent_ndims(space.get());
    const hssize_t points = H5Sget_simple_extent_npoints(space.get());
    if (space_class == H5S_NO_CLASS || rank < 0 || points < 0)
        throw io_error(with_h5_reason(what + ": cannot read its dataspace"));
    const auto n = static_cast<std::size_t>(points);
    if (n == 0) return {};
    const H5T_class_t type_class = H5Tget_class(type.get());
    if (type_class != H5T_STRING)
        throw io_error(what + " should hold strings, it holds " + std::to_string(n) + " values of type " +
                       dtype_name(type.get()));
    if (rank > 1)
        throw io_error(what + " should be one string or a list of strings, it has rank " + std::to_string(rank));

    std::vector<std::string> out;
    const htri_t variable = H5Tis_variable_str(type.get());
    if (variable < 0) throw io_error(with_h5_reason(what + ": cannot inspect its string type"));
    if (variable > 0 && !allow_variable)
        throw io_error(what + " is stored as variable-length strings; Keras writes name lists as fixed-length "
                              "strings, so this file was not written by Keras (set "
                              "ReadLimits::allow_variable_length_names to read it anyway)");
    if (variable > 0) {
        if (n > limits.max_attribute_bytes / sizeof(char*))
            throw io_error(what + " declares " + std::to_string(n) + " strings, more than the limit of " +
                           byte_count_string(limits.max_attribute_bytes) + " (ReadLimits::max_attribute_bytes)");
        h5_id mem(H5Tcopy(H5T_C_S1), H5Tclose);
        if (!mem || H5Tset_size(mem.get(), H5T_VARIABLE) < 0 || H5Tset_cset(mem.get(), H5Tget_cset(type.get())) < 0)
            throw io_error(with_h5_reason(what + ": cannot make a memory string type"));
        std::vector<char*> buf(n, nullptr);
        const herr_t status = H5Aread(attr.get(), mem.get(), buf.data());
        // Copy, then free every string the library allocated, before any check can throw.
        std::uint64_t total = 0;
        out.reserve(n);
        for (char* s : buf) {
            if (s != nullptr && status >= 0) {
                total += std::strlen(s);
                if (total <= limits.max_attribute_bytes) out.emplace_back(s);
            }
            H5free_memory(s);
        }
        if (status < 0) throw io_error(with_h5_reason(what + ": cannot read"));
        if (total > limits.max_attribute_bytes)
            throw io_error(what + " holds " + byte_count_string(total) + " of strings, more than the limit of " +
                           byte_count_string(limits.max_attribute_bytes) + " (ReadLimits::max_attribute_bytes)");
        out.resize(n);  // null pointers (unset strings) read as ""
    } else {
        const std::size_t width = H5Tget_size(type.get());
        if (width == 0) throw io_error(with_h5_reason(what + ": cannot read its string width"));
        const auto bytes = checked_mul(n, width);
        if (!bytes || *bytes > limits.max_attribute_bytes)
            throw io_error(what + " declares " + std::to_string(n) + " strings of " + std::to_string(width) +
                           " bytes, more than the limit of " + byte_count_string(limits.max_attribute_bytes) +
                           " (ReadLimits::max_attribute_bytes)");
        h5_id mem(H5Tcopy(type.get()), H5Tclose);  // the file's own type: the raw bytes, no conversion
        if (!mem) throw io_error(with_h5_reason(what + ": cannot copy its string type"));
        std::vector<char> buf(static_cast<std::size_t>(*bytes), '\0');
        if (H5Aread(attr.get(), mem.get(), buf.data()) < 0) throw io_error(with_h5_reason(what + ": cannot read"));
        const H5T_str_t pad = H5Tget_strpad(type.get());
        out.reserve(n);
        for (std::size_t i = 0; i < n; ++i) {
            std::string_view s(buf.data() + i * width, width);
            if (pad == H5T_STR_NULLTERM) {
                s = s.substr(0, s.find('\0'));  // by definition the string ends at its first NUL
            } else {
                // NULLPAD (what numpy / h5py write) or SPACEPAD: only trailing padding is padding.
                const char fill = pad == H5T_STR_SPACEPAD ? ' ' : '\0';
                const std::size_t end = s.find_last_not_of(fill);
                s = s.substr(0, end == std::string_view::npos ? 0 : end + 1);
            }
            out.emplace_back(s);
        }
    }
    for (std::size_t i = 0; i < out.size(); ++i) check_attr_string(out[i], i, out.size(), what);
    return out;
}

/// True if `obj` has an attribute `name`; io_error if HDF5 cannot tell (a damaged object header).
inline bool has_attr(hid_t obj, const std::string& name, const std::string& where) {
    const htri_t e = H5Aexists(obj, name.c_str());
    if (e < 0) throw io_error(with_h5_reason(where + ": cannot look up attribute '" + name + "'"));
    return e > 0;
}

/// Keras's load_attributes_from_hdf5_group: `name` itself, or the chunks name0, name1, ...
/// Returns nullopt if neither exists. Variable-length strings only if
/// ReadLimits::allow_variable_length_names (the weight path never reads HDF5's global heap).
inline std::optional<std::vector<std::string>> read_keras_list_attr(hid_t obj, const std::string& name,
                                                                    const std::string& where,
                                                                    const ReadLimits& limits = {}) {
    const bool vlen = limits.allow_variable_length_names;
    if (has_attr(obj, name, where)) return read_string_attr(obj, name.c_str(), where, limits, vlen);
    if (!has_attr(obj, name + "0", where)) return std::nullopt;
    std::vector<std::string> all;
    std::uint64_t total = 0;
    for (int chunk = 0; has_attr(obj, name + std::to_string(chunk), where); ++chunk) {
        auto part = read_string_attr(obj, (name + std::to_string(chunk)).c_str(), where, limits, vlen);
        for (const auto& s : part) total += s.size();
        if (total > limits.max_attribute_bytes)
            throw io_error(where + ": attributes '" + name + "0', '" + name + "1', ... hold more than the limit of " +
                           byte_count_string(limits.max_attribute_bytes) + " (ReadLimits::max_attribute_bytes)");
        all.insert(all.end(), part.begin(), part.end());
    }
    return all;
}

/// Why `path` cannot name an object inside the group it is looked up in ("" if it can): it must
/// be relative, with no empty, "." or ".." component. HDF5 resolves "/x" from the file's root
/// whatever group it is given, so such a name would reach outside the layer's group.
inline std::string relative_path_problem(std::string_view path) {
    if (path.empty()) return "is empty";
    if (path.front() == '/') return "is an absolute path (starts with '/'): it would be looked up outside its group";
    if (path.find('\0') != std::string_view::npos) return "has a NUL byte inside";
    for (std::size_t start = 0;;) {
        const std::size_t slash = path.find('/', start);
        const std::string_view comp = path.substr(start, slash == std::string_view::npos ? slash : slash - start);
        if (comp.empty()) return "has an empty component ('//' or a trailing '/')";
        if (comp == "." || comp == "..")
            return "has a '" + std::string(comp) + "' component: names must stay inside their group";
        if (slash == std::string_view::npos) return {};
        start = slash + 1;
    }
}

/// For H5Pset_elink_cb: refuse to follow any external link (a link into another file).
inline herr_t refuse_external_link(const char*, const char*, const char*, const char*, unsigned*, hid_t,
                                   void*) {
    return -1;
}

/// A link-access property list that never follows external links (defence in depth: the
/// walker below never asks HDF5 to follow a link that is not a hard link anyway).
inline h5_id no_external_links_access() {
    h5_id lapl(H5Pcreate(H5P_LINK_ACCESS), H5Pclose);
    if (!lapl || H5Pset_elink_cb(lapl.get(), refuse_external_link, nullptr) < 0)
        throw io_error(with_h5_reason("cannot make an HDF5 link access property list"));
    return lapl;
}

enum class h5_kind { group, dataset };

inline std::string h5_kind_name(H5I_type_t t) {
    switch (t) {
        case H5I_GROUP: return "group";
        case H5I_DATASET: return "dataset";
        case H5I_DATATYPE: return "named datatype";
        default: return "HDF5 object of type " + std::to_string(static_cast<int>(t));
    }
}

/// Opens `path` below `parent`, one component at a time: every component must be a hard link
/// (a soft link could point anywhere in the file, an external link into another file), every
/// intermediate object a group and the last one of `kind`. `path` must pass
/// relative_path_problem(). `what` starts every message ("file 'f.h5': layer dense_1: weight").
inline h5_id open_below(hid_t parent, std::string_view path, h5_kind kind, const std::string& what) {
    const std::string named = what + " '" + printable(path) + "'";
    if (const auto problem = relative_path_problem(path); !problem.empty()) throw io_error(named + " " + problem);
    const h5_id lapl = no_external_links_access();
    h5_id current;
    hid_t at = parent;
    for (std::size_t start = 0;;) {
        const std::size_t slash = path.find('/', start);
        const bool last = slash == std::string_view::npos;
        const std::string comp(path.substr(start, last ? slash : slash - start));
        const std::string so_far(path.substr(0, last ? path.size() : slash));
        const std::string step = so_far == path ? named : named + ": '" + printable(so_far) + "'";
        const htri_t exists = H5Lexists(at, comp.c_str(), lapl.get());
        if (exists < 0) throw io_error(with_h5_reason(step + ": cannot look it up"));
        if (exists == 0) throw io_error(step + (so_far == path ? ": no such object" : ": no such group"));
        H5L_info_t info;
        if (H5Lget_info(at, comp.c_str(), &info, lapl.get()) < 0)
            throw io_error(with_h5_reason(step + ": cannot read its link"));
        if (info.type != H5L_TYPE_HARD)
            throw io_error(step + " is " +
                           (info.type == H5L_TYPE_EXTERNAL ? std::string("an external link (into another file)")
                            : info.type == H5L_TYPE_SOFT   ? std::string("a soft link")
                                                           : std::string("a user-defined link")) +
                           "; only objects stored in this file under their own name are read");
        h5_id obj(H5Oopen(at, comp.c_str(), lapl.get()), H5Oclose);
        if (!obj) throw io_error(with_h5_reason(step + ": cannot open"));
        const H5I_type_t type = H5Iget_type(obj.get());
        const H5I_type_t want = last && kind == h5_kind::dataset ? H5I_DATASET : H5I_GROUP;
        if (type != want)
            throw io_error(step + " is a " + h5_kind_name(type) + ", expected a " + h5_kind_name(want));
        current = std::move(obj);
        at = current.get();
        if (last) return current;
        start = slash + 1;
    }
}

/// Refuses a dataset whose values would come from elsewhere: external raw storage (plain files
/// named in the dataset's creation properties) or a virtual dataset (mapped from other datasets,
/// possibly in other files).
inline void check_dataset_storage(hid_t dset, const std::string& what) {
    const h5_id dcpl(H5Dget_create_plist(dset), H5Pclose);
    if (!dcpl) throw io_error(with_h5_reason(what + ": cannot read its creation properties"));
    const int external = H5Pget_external_count(dcpl.get());
    if (external < 0) throw io_error(with_h5_reason(what + ": cannot read its storage properties"));
    if (external > 0) {
        char name[256] = {};
        off_t offset = 0;
        hsize_t size = 0;
        std::string first;
        if (H5Pget_external(dcpl.get(), 0, sizeof name - 1, name, &offset, &size) >= 0)
            first = " (first: '" + printable(std::string_view(name, static_cast<std::size_t>(std::find(name, name + sizeof name, '\0') - name))) + "')";
        throw io_error(what + " keeps its values in " + std::to_string(external) + " external file(s)" + first +
                       "; only datasets stored inside the file are read");
    }
    const H5D_layout_t layout = H5Pget_layout(dcpl.get());
    if (layout < 0) throw io_error(with_h5_reason(what + ": cannot read its storage layout"));
#if H5_VERSION_GE(1, 10, 0)
    if (layout == H5D_VIRTUAL)
        throw io_error(what + " is a virtual dataset (its values are mapped from other datasets or files); "
                              "only datasets stored inside the file are read");
#endif
}

/// "kernel:0" -> "kernel": the role is the last path component without TensorFlow's ":<n>".
inline std::string role_of(std::string_view weight_name) {
    auto last = weight_name.substr(weight_name.rfind('/') + 1);  // npos + 1 == 0
    const auto colon = last.rfind(':');
    if (colon != std::string_view::npos && colon + 1 < last.size() &&
        std::all_of(last.begin() + static_cast<std::ptrdiff_t>(colon) + 1, last.end(),
                    [](char c) { return c >= '0' && c <= '9'; }))
        last = last.substr(0, colon);
    return std::string(last);
}

/// "output/dense_3/kernel:0" -> "output/dense_3"; "kernel:0" -> "".
inline std::string prefix_of(std::string_view weight_name) {
    const auto slash = weight_name.rfind('/');
    return slash == std::string_view::npos ? std::string() : std::string(weight_name.substr(0, slash));
}

/// "conv2d_transpose_1/kernel:0" -> "conv2d_transpose_1"; "kernel:0" -> "".
inline std::string first_component_of(std::string_view weight_name) {
    const auto slash = weight_name.find('/');
    return slash == std::string_view::npos ? std::string() : std::string(weight_name.substr(0, slash));
}

inline std::string join(const std::vector<std::string>& items, std::string_view sep = ", ") {
    std::string s;
    for (std::size_t i = 0; i < items.size(); ++i) s += (i ? std::string(sep) : std::string()) + items[i];
    return s;
}

/// Keras's naming.to_snake_case of a class name, which Keras 3 (and 2.13) use to name a layer's
/// group in a weight file: "Conv2DTranspose" -> "conv2d_transpose", "BatchNormalization" ->
/// "batch_normalization", "Dense" -> "dense". The same three steps as Keras's regular
/// expressions: drop non-word characters; '_' before an upper-case letter that starts a
/// lower-case run (not at the start); '_' between a lower-case and an upper-case letter; lower.
inline std::string keras_snake_case(std::string_view name) {
    const auto upper = [](char c) { return c >= 'A' && c <= 'Z'; };
    const auto lower = [](char c) { return c >= 'a' && c <= 'z'; };
    std::string a;
    for (const char c : name)
        if (upper(c) || lower(c) || (c >= '0' && c <= '9') || c == '_') a += c;
    std::string b;  // (.)([A-Z][a-z]+) -> \1_\2, matches never overlapping
    for (std::size_t i = 0; i < a.size();) {
        if (i + 2 < a.size() && upper(a[i + 1]) && lower(a[i + 2])) {
            std::size_t j = i + 2;
            while (j < a.size() && lower(a[j])) ++j;
            b += a[i];
            b += '_';
            b.append(a, i + 1, j - i - 1);
            i = j;
        } else {
            b += a[i++];
        }
    }
    std::string c;  // ([a-z])([A-Z]) -> \1_\2
    for (std::size_t i = 0; i < b.size();) {
        if (i + 1 < b.size() && lower(b[i]) && upper(b[i + 1])) {
            c += b[i];
            c += '_';
            c += b[i + 1];
            i += 2;
        } else {
            c += b[i++];
        }
    }
    for (char& ch : c)
        if (upper(ch)) ch = static_cast<char>(ch - 'A' + 'a');
    return c;
}

/// The position Keras's de-duplication gave a group name: "dense" -> 0, "dense_3" -> 3 for stem
/// "dense"; nullopt if `group` is not `stem` or `stem_<n>`.
inline std::optional<std::uint64_t> keras_name_index(std::string_view group, std::string_view stem) {
    if (group.substr(0, stem.size()) != stem) return std::nullopt;
    if (group.size() == stem.size()) return 0;
    const std::string_view rest = group.substr(stem.size());
    if (rest.size() < 2 || rest.size() > 10 || rest[0] != '_') return std::nullopt;
    std::uint64_t n = 0;
    for (const char ch : rest.substr(1)) {
        if (ch < '0' || ch > '9') return std::nullopt;
        n = 10 * n + static_cast<std::uint64_t>(ch - '0');
    }
    return n;
}

/// "layers/functional/layers/dense_1" -> {"layers/functional/layers", "dense_1"}.
inline std::pair<std::string, std::string> split_last(std::string_view path) {
    const auto slash = path.rfind('/');
    if (slash == std::string_view::npos) return {std::string(), std::string(path)};
    return {std::string(path.substr(0, slash)), std::string(path.substr(slash + 1))};
}

/// True if the bytes start like a zip archive (a local file header, or an empty archive's end
/// record): a `.keras` file.
inline bool looks_like_zip(std::span<const unsigned char> head) {
    return head.size() >= 4 && head[0] == 'P' && head[1] == 'K' &&
           ((head[2] == 3 && head[3] == 4) || (head[2] == 5 && head[3] == 6));
}

/// The first bytes of a file (fewer if it is shorter; none if it cannot be read).
inline std::vector<unsigned char> file_head(const std::filesystem::path& path, std::size_t n = 8) {
    std::vector<unsigned char> head(n);
    std::FILE* f = std::fopen(path.string().c_str(), "rb");
    if (f == nullptr) return {};
    head.resize(std::fread(head.data(), 1, n, f));
    std::fclose(f);
    return head;
}

}  // namespace detail

/// Which Keras call wrote the file.
enum class KerasLayout {
    save_weights,  ///< Keras 2 (or Keras 3 legacy) model.save_weights(): layer groups at the root, no model_config.
    model_save,    ///< Keras 2 (or Keras 3 legacy `.h5`) model.save(): layer groups under /model_weights,
                   ///< model_config at the root.
    keras3,        ///< Keras 3: `model.weights.h5` of a `.keras` archive or a `.weights.h5` file:
                   ///< `layers/<class name>[_<n>]/vars/<i>`, no names, no config.
    keras2_13,     ///< Keras 2.13-2.14's `.keras` / `.weights.h5`: the same under `_layer_checkpoint_dependencies/`.
};

/// "model.save_weights()", "model.save()", "Keras 3 (.keras / .weights.h5)", "Keras 2.13-2.14 (.keras / .weights.h5)".
inline std::string_view to_string(KerasLayout layout) {
    switch (layout) {
        case KerasLayout::model_save: return "model.save()";
        case KerasLayout::keras3: return "Keras 3 (.keras / .weights.h5)";
        case KerasLayout::keras2_13: return "Keras 2.13-2.14 (.keras / .weights.h5)";
        default: return "model.save_weights()";
    }
}


/// One weight array named in a layer group's `weight_names` (metadata only).
struct KerasH5Array {
    std::string name;                 ///< As in weight_names: "conv1/kernel:0", "output/dense_3/kernel:0".
    std::string role;                 ///< Last component without ":0": "kernel", "bias", "moving_mean".
    std::string prefix;               ///< Components before the role: "conv1", "output/dense_3", or "".
    std::vector<std::int64_t> shape;  ///< Keras shape; {} for a scalar.
    std::string dtype;                ///< numpy name of the stored type: "float32", "float64", "int32", ...
};

/// One top-level layer group, in `layer_names` order. `weights` is empty for weightless layers;
/// for a nested model it holds all inner layers' arrays (their prefixes name the inner layers).
struct KerasH5Layer {
    std::string name;
    std::vector<KerasH5Array> weights;
};

/// Low-level reader of a Keras 2.x HDF5 weight file. The constructor reads the metadata the
/// weights need (layer names, weight names, shapes, dtypes) and keeps every weight dataset open;
/// values are read on demand, always from the dataset whose shape and type were checked.
///
/// The root's variable-length string attributes (model_config, keras_version, backend) are read
/// only when their accessor is first called (once, thread-safe; a failed read throws io_error and
/// is tried again on the next call). Constructing the reader and load_keras_weights() never read
/// them: their values live in HDF5's global heap, whose decoding in libhdf5 < 1.14.4 has known
/// crash/hang bugs on damaged files (fuzz/known_libhdf5/). The constructor only checks whether
/// model_config exists (has_model_config()), which reads the object header, not the heap.
///
/// The weights root is found as Keras 2.x's load_weights() does: the file root if it carries
/// `layer_names`, otherwise `/model_weights`.
///
/// Files are treated as untrusted. Layer names and weight names are looked up one path component
/// at a time below their group: an absolute name ("/x/kernel:0"), an empty, "." or ".." component,
/// a soft or external link, an object of the wrong kind (a dataset where a group belongs or the
/// reverse), external raw storage and virtual datasets are all refused. Attributes are bounded by
/// ReadLimits::max_attribute_bytes and must be UTF-8 without NUL bytes inside.
///
/// Throws io_error naming the path if the file is missing, not HDF5, truncated, or not in the
/// Keras 2.x layout (no layer_names; a named layer group or dataset missing), or breaks any rule
/// above. HDF5's own error printing is silenced; its reason is appended to the message.
class KerasH5File {
public:
    explicit KerasH5File(const std::filesystem::path& path, const ReadLimits& limits = {})
        : path_(path), limits_(limits) {
        const detail::h5_silence quiet;
        const std::string where = "Keras weight file '" + path_.string() + "'";
        std::error_code ec;
        if (!std::filesystem::exists(path_, ec)) throw io_error(where + ": no such file");
        if (std::filesystem::is_directory(path_, ec)) throw io_error(where + ": is a directory");
        // HDF5's reason tells unreadable / not HDF5 ("file signature not found") / truncated apart.
        if (detail::looks_like_zip(detail::file_head(path_)))
            throw io_error(where + ": is a zip archive (a Keras 3 .keras file?), not HDF5: load it with "
                                   "io::load_keras_model() or read it with io::KerasArchive (innspect/io/keras_archive.hpp)");
        file_ = detail::h5_id(H5Fopen(path_.string().c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
        if (!file_) throw io_error(detail::with_h5_reason(where + ": cannot open as HDF5"));
        read_metadata(where);
    }

    /// Reads a Keras weight file from memory (HDF5's core driver; the bytes are copied), e.g. a
    /// file received over the network. `name` stands for the path in messages and path().
    static KerasH5File from_memory(std::span<const unsigned char> image, const std::string& name = "<memory>",
                                   const ReadLimits& limits = {}) {
        KerasH5File f(name, limits, memory_tag{});
        const detail::h5_silence quiet;
        const std::string where = "Keras weight file '" + name + "'";
        if (image.empty()) throw io_error(where + ": cannot open as HDF5 (the image is empty)");
        if (detail::looks_like_zip(image))
            throw io_error(where + ": is a zip archive (a Keras 3 .keras file?), not HDF5: read it with "
                                   "io::KerasArchive::from_memory (innspect/io/keras_archive.hpp)");
        const detail::h5_id fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
        if (!fapl || H5Pset_fapl_core(fapl.get(), 64 * 1024, 0) < 0 ||
            H5Pset_file_image(fapl.get(), const_cast<unsigned char*>(image.data()), image.size()) < 0)
            throw io_error(detail::with_h5_reason(where + ": cannot set up an in-memory HDF5 file"));
        f.file_ = detail::h5_id(H5Fopen(name.c_str(), H5F_ACC_RDONLY, fapl.get()), H5Fclose);
        if (!f.file_) throw io_error(detail::with_h5_reason(where + ": cannot open as HDF5"));
        f.read_metadata(where);
        return f;
    }

    KerasH5File(const KerasH5File&) = delete;
    KerasH5File& operator=(const KerasH5File&) = delete;
    KerasH5File(KerasH5File&&) noexcept = default;
    KerasH5File& operator=(KerasH5File&&) noexcept = default;
    ~KerasH5File() = default;

    /// The path given to the constructor.
    const std::filesystem::path& path() const noexcept { return path_; }
    /// The limits given to the constructor.
    const ReadLimits& limits() const noexcept { return limits_; }
    /// model.save() (weights under /model_weights) or model.save_weights() (weights at /).
    KerasLayout layout() const noexcept { return layout_; }
    /// "/" or "/model_weights/": the group holding the layer groups ("/" for the Keras 3 layouts).
    const std::string& weights_root() const noexcept { return root_; }
    /// Keras 3 and 2.13 layouts: the nested models' groups (those holding a `layers/` group of
    /// their own), e.g. "layers/functional", in name order. Empty for the Keras 2 layouts.
    const std::vector<std::string>& keras3_models() const noexcept { return keras3_models_; }
    /// Keras 3 and 2.13 layouts: "layers" or "_layer_checkpoint_dependencies", the name of every
    /// model's group of layers; "" for the Keras 2 layouts.
    const std::string& keras3_dir() const noexcept { return keras3_dir_; }
    /// True if the root carries `model_config` (model.save() files do; weight-only files do not).
    /// Checked by the constructor without reading the value.
    bool has_model_config() const noexcept { return has_model_config_; }
    /// The model_config JSON string, read from the file on the first call. Throws io_error if the
    /// file has none (see has_model_config()) or the attribute cannot be read (wrong type, NUL
    /// byte, not UTF-8, larger than ReadLimits::max_attribute_bytes, damaged file).
    const std::string& model_config() const {
        if (!has_model_config_)
            throw io_error("Keras weight file '" + path_.string() +
                           "': no model_config attribute (written by " + std::string(to_string(layout_)) +
                           ")");
        return lazy_root_attr(lazy_->model_config, "model_config");
    }
    /// The keras_version attribute ("2.2.4") of / (else of /model_weights), or "" if absent. Read
    /// on the first call; throws io_error if it cannot be read.
    const std::string& keras_version() const { return lazy_root_attr(lazy_->keras_version, "keras_version"); }
    /// The backend attribute ("tensorflow") of / (else of /model_weights), or "" if absent. Read
    /// on the first call; throws io_error if it cannot be read.
    const std::string& backend() const { return lazy_root_attr(lazy_->backend, "backend"); }
    /// All top-level layer groups, in layer_names order (weightless layers included). Keras 3 and
    /// 2.13 layouts: every group holding a non-empty `vars` group, named by its path
    /// ("layers/dense_1", "layers/functional/layers/conv2d"), its arrays "vars/0", "vars/1", ...
    /// with an empty role (Keras 3 stores no names: load_keras_weights() gives the roles), in
    /// path order.
    const std::vector<KerasH5Layer>& layers() const noexcept { return layers_; }
    /// The top-level layer group called `name`, or nullptr.
    const KerasH5Layer* find_layer(std::string_view name) const noexcept {
        for (const auto& l : layers_)
            if (l.name == name) return &l;
        return nullptr;
    }

    /// Reads `array` of `layer` (both from layers(), or equal by name to one there) in C order,
    /// converted to T (float or double). The values come from the dataset opened, checked and kept
    /// by the constructor, never from a path looked up again, and the number of values read is
    /// checked against the buffer. Only float32 and float64 data are accepted: anything else
    /// (int32, float16, strings, compounds) is more likely a wrong file than a weight, so it throws
    /// io_error naming the layer and the dtype; so does an array larger than
    /// ReadLimits::max_array_bytes. Values are not checked here (load_keras_weights() checks finiteness).
    template <class T>
    std::vector<T> read(const KerasH5Layer& layer, const KerasH5Array& array) const {
        static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>,
                      "Keras weights can be read as float or double only.");
        const detail::h5_silence quiet;
        const auto [li, ai] = locate(layer, array);
        const KerasH5Layer& l = layers_[li];
        const KerasH5Array& a = l.weights[ai];
        const hid_t dset = datasets_[li][ai].get();
        const std::string what = "'" + path_.string() + "': layer " + l.name + ", weight '" + a.name + "'";
        if (a.dtype != "float32" && a.dtype != "float64")
            throw io_error(l.name + ": " + a.role + " ('" + a.name + "') has dtype " + a.dtype + " in '" +
                           path_.string() + "'; only float32 and float64 weights are supported");
        // The type and extent of the very dataset read (not of a name looked up again).
        const detail::h5_id type(H5Dget_type(dset), H5Tclose);
        const detail::h5_id space(H5Dget_space(dset), H5Sclose);
        if (!type || !space) throw io_error(detail::with_h5_reason(what + ": cannot inspect the dataset"));
        const std::size_t file_size = H5Tget_size(type.get());
        if (H5Tget_class(type.get()) != H5T_FLOAT || (file_size != 4 && file_size != 8))
            throw io_error(what + ": the dataset's type is " + detail::dtype_name(type.get()) +
                           ", not float32 or float64");
        const hssize_t points = H5Sget_simple_extent_npoints(space.get());
        const auto count = checked_count(a.shape);
        if (points < 0 || !count || static_cast<std::uint64_t>(points) != *count)
            throw io_error(what + ": the dataset holds " + std::to_string(points) + " values, its shape " +
                           detail::shape_string(a.shape) + " says " +
                           (count ? std::to_string(*count) : std::string("more than 2^64")));
        const auto bytes = detail::checked_mul(*count, std::max(sizeof(T), file_size));
        if (!bytes || *bytes > limits_.max_array_bytes)
            throw io_error(what + ": shape " + detail::shape_string(a.shape) + " needs " +
                           (bytes ? detail::byte_count_string(*bytes) : std::string("more than 2^64 bytes")) +
                           ", more than the limit of " + detail::byte_count_string(limits_.max_array_bytes) +
                           " (ReadLimits::max_array_bytes)");
        std::vector<T> out;
        try {
            out.resize(static_cast<std::size_t>(*count));
        } catch (const std::bad_alloc&) {
            throw io_error(what + ": cannot allocate " + detail::byte_count_string(*bytes));
        }
        if (out.empty()) return out;
        // The memory side says how many values fit; HDF5 refuses a file selection of another size.
        const hsize_t n = out.size();
        const detail::h5_id mem_space(H5Screate_simple(1, &n, nullptr), H5Sclose);
        const hid_t mem = std::is_same_v<T, float> ? H5T_NATIVE_FLOAT : H5T_NATIVE_DOUBLE;
        if (!mem_space || H5Dread(dset, mem, mem_space.get(), H5S_ALL, H5P_DEFAULT, out.data()) < 0)
            throw io_error(detail::with_h5_reason(what + ": cannot read the dataset"));
        return out;
    }

private:
    struct memory_tag {};

    /// One root attribute read on first use. Heap-allocated (see lazy_) so that the reader stays
    /// movable and references returned by the accessors stay valid across moves.
    struct LazyString {
        std::once_flag once;
        std::string value;
    };
    struct LazyAttrs {
        LazyString model_config, keras_version, backend;
    };

    /// The value of `slot`, reading attribute `name` of / (if empty or absent there, of
    /// /model_weights for model.save() files, as Keras writes keras_version and backend to both)
    /// on the first successful call. std::call_once: concurrent const callers read it once.
    const std::string& lazy_root_attr(LazyString& slot, const char* name) const {
        if (!lazy_ || !file_) throw io_error("Keras weight file '" + path_.string() + "': the reader was moved from");
        std::call_once(slot.once, [&] { slot.value = read_root_attr(name); });
        return slot.value;
    }

    std::string read_root_attr(const char* name) const {
        const detail::h5_silence quiet;
        const std::string where = "Keras weight file '" + path_.string() + "'";
        const detail::h5_id root(H5Gopen2(file_.get(), "/", H5P_DEFAULT), H5Gclose);
        if (!root) throw io_error(detail::with_h5_reason(where + ": cannot open the root group"));
        std::string value;
        if (detail::has_attr(root.get(), name, where)) value = read_scalar_string(root.get(), name, where);
        if (value.empty() && layout_ == KerasLayout::model_save && std::string_view(name) != "model_config") {
            const detail::h5_id weights_group =
                detail::open_below(root.get(), "model_weights", detail::h5_kind::group, where + ": weights group");
            const std::string in_group = where + ", /model_weights";
            if (detail::has_attr(weights_group.get(), name, in_group))
                value = read_scalar_string(weights_group.get(), name, in_group);
        }
        return value;
    }
    KerasH5File(std::filesystem::path path, const ReadLimits& limits, memory_tag)
        : path_(std::move(path)), limits_(limits) {}

    /// product(shape) of a shape read from the file (non-negative by construction), checked.
    static std::optional<std::uint64_t> checked_count(const std::vector<std::int64_t>& shape) {
        std::vector<std::uint64_t> dims;
        for (const auto d : shape) {
            if (d < 0) return std::nullopt;
            dims.push_back(static_cast<std::uint64_t>(d));
        }
        return detail::checked_product(dims);
    }

    /// Index of (layer, array) in layers_: the same objects, or else the same names.
    std::pair<std::size_t, std::size_t> locate(const KerasH5Layer& layer, const KerasH5Array& array) const {
        for (std::size_t i = 0; i < layers_.size(); ++i)
            if (&layers_[i] == &layer)
                for (std::size_t j = 0; j < layers_[i].weights.size(); ++j)
                    if (&layers_[i].weights[j] == &array) return {i, j};
        for (std::size_t i = 0; i < layers_.size(); ++i)
            if (layers_[i].name == layer.name)
                for (std::size_t j = 0; j < layers_[i].weights.size(); ++j)
                    if (layers_[i].weights[j].name == array.name) return {i, j};
        throw io_error("'" + path_.string() + "': layer " + detail::printable(layer.name) + " has no weight '" +
                       detail::printable(array.name) + "' in this file");
    }

    void read_metadata(const std::string& where) {
        const detail::h5_id root(H5Gopen2(file_.get(), "/", H5P_DEFAULT), H5Gclose);
        if (!root) throw io_error(detail::with_h5_reason(where + ": cannot open the root group"));
        // model_config, keras_version and backend are read lazily (see lazy_root_attr()).
        has_model_config_ = detail::has_attr(root.get(), "model_config", where);

        auto names = detail::read_keras_list_attr(root.get(), "layer_names", where, limits_);
        detail::h5_id weights_group;
        if (names) {
            root_ = "/";
            layout_ = KerasLayout::save_weights;
        } else {
            const htri_t has_weights = H5Lexists(root.get(), "model_weights", H5P_DEFAULT);
            if (has_weights < 0) throw io_error(detail::with_h5_reason(where + ": cannot look up /model_weights"));
            if (has_weights > 0) {
                root_ = "/model_weights/";
                layout_ = KerasLayout::model_save;
                weights_group = detail::open_below(root.get(), "model_weights", detail::h5_kind::group,
                                                   where + ": weights group");
                const std::string in_group = where + ", /model_weights";
                names = detail::read_keras_list_attr(weights_group.get(), "layer_names", in_group, limits_);
            }
        }
        if (!names) {
            for (const char* dir : {"layers", "_layer_checkpoint_dependencies"}) {
                const htri_t e = H5Lexists(root.get(), dir, H5P_DEFAULT);
                if (e < 0) throw io_error(detail::with_h5_reason(where + ": cannot look up /" + dir));
                if (e == 0) continue;
                keras3_dir_ = dir;
                layout_ = keras3_dir_ == "layers" ? KerasLayout::keras3 : KerasLayout::keras2_13;
                std::size_t groups = 0;
                read_keras3_model(root.get(), "", 0, groups, where);
                std::sort(layers_order_.begin(), layers_order_.end());
                std::vector<KerasH5Layer> layers;
                std::vector<std::vector<detail::h5_id>> datasets;
                for (const auto& [path, i] : layers_order_) {
                    layers.push_back(std::move(layers_[i]));
                    datasets.push_back(std::move(datasets_[i]));
                }
                layers_ = std::move(layers);
                datasets_ = std::move(datasets);
                layers_order_.clear();
                std::sort(keras3_models_.begin(), keras3_models_.end());
                return;
            }
            throw io_error(where + ": not a Keras 2.x weight file (no 'layer_names' attribute at / or /model_weights) "
                                   "nor a Keras 3 one (no /layers or /_layer_checkpoint_dependencies group)");
        }

        const hid_t group = weights_group ? weights_group.get() : root.get();
        layers_.reserve(names->size());
        datasets_.reserve(names->size());
        for (auto& name : *names) read_layer(group, std::move(name), where);
    }

    /// The names of the links in `group`, in name order; every one a hard link with a clean name.
    std::vector<std::string> child_names(hid_t group, const std::string& what, std::size_t& groups) const {
        struct state {
            std::vector<std::string> names;
            std::string bad;
            std::size_t budget;
        } st{{}, {}, limits_.max_groups - std::min(groups, limits_.max_groups)};
        auto cb = [](hid_t, const char* name, const H5L_info_t* info, void* data) -> herr_t {
            auto& s = *static_cast<state*>(data);
            if (info->type != H5L_TYPE_HARD) {
                s.bad = "'" + detail::printable(name) + "' is a " +
                        (info->type == H5L_TYPE_SOFT ? "soft" : info->type == H5L_TYPE_EXTERNAL ? "external" : "user-defined") +
                        " link; only objects stored in this file under their own name are read";
                return 1;
            }
            if (s.names.size() >= s.budget) {
                s.bad = "the file holds more groups than the limit (ReadLimits::max_groups)";
                return 1;
            }
            s.names.emplace_back(name);
            return 0;
        };
        hsize_t idx = 0;
        if (H5Literate(group, H5_INDEX_NAME, H5_ITER_INC, &idx, cb, &st) < 0)
            throw io_error(detail::with_h5_reason(what + ": cannot list its members"));
        if (!st.bad.empty()) throw io_error(what + ": " + st.bad);
        groups += st.names.size();
        for (const auto& n : st.names) {
            detail::check_attr_string(n, 0, 1, what + ": member name");
            if (const auto problem = detail::relative_path_problem(n); !problem.empty() || n.find('/') != std::string::npos)
                throw io_error(what + ": member name '" + detail::printable(n) + "' " +
                               (problem.empty() ? std::string("holds a '/'") : problem));
        }
        return st.names;
    }

    /// Keras 3 / 2.13: the layer groups below `model` (the root or a nested model's group, at
    /// `prefix`): `<dir>/<name>/vars/<i>` datasets, and nested models `<dir>/<name>/<dir>/...`.
    void read_keras3_model(hid_t model, const std::string& prefix, int depth, std::size_t& groups,
                           const std::string& where) {
        if (depth > 32)
            throw io_error(where + ": nested models deeper than 32 levels at '" + detail::printable(prefix) + "'");
        const std::string dir_path = prefix + keras3_dir_;
        const detail::h5_id dir = detail::open_below(model, keras3_dir_, detail::h5_kind::group, where + ": group");
        for (const auto& name : child_names(dir.get(), where + ": group '" + dir_path + "'", groups)) {
            const std::string path = dir_path + "/" + name;
            const detail::h5_id layer = detail::open_below(dir.get(), name, detail::h5_kind::group, where + ": group '" + dir_path + "': member");
            const htri_t has_vars = H5Lexists(layer.get(), "vars", H5P_DEFAULT);
            const htri_t has_dir = H5Lexists(layer.get(), keras3_dir_.c_str(), H5P_DEFAULT);
            if (has_vars < 0 || has_dir < 0) throw io_error(detail::with_h5_reason(where + ": group '" + path + "': cannot look it up"));
            // A layer (not a nested model) may hold layers as attributes, each under its own group.
            read_keras3_layer(layer.get(), path, has_dir == 0, groups, where);
            if (has_dir > 0) {
                keras3_models_.push_back(path);
                read_keras3_model(layer.get(), path + "/", depth + 1, groups, where);
            }
        }
    }

    /// One Keras 3 layer group at `path`: its own `vars/<i>` and, with `sub_objects`, those of the
    /// layers it holds as attributes (saving_lib walks them into groups named after the attribute:
    /// a recurrent layer's `cell`, Bidirectional's `forward_layer` / `backward_layer`, a wrapper's
    /// `layer`), as one KerasH5Layer whose arrays are named by their path below the layer:
    /// "vars/0", "cell/vars/2", "forward_layer/cell/vars/1". Nothing is kept for a group without
    /// arrays.
    void read_keras3_layer(hid_t layer_group, const std::string& path, bool sub_objects, std::size_t& groups,
                           const std::string& where) {
        KerasH5Layer layer{path, {}};
        std::vector<detail::h5_id> handles;
        read_keras3_vars(layer_group, path, "", sub_objects ? 0 : -1, groups, where, layer, handles);
        if (layer.weights.empty()) return;
        layers_order_.emplace_back(path, layers_.size());
        layers_.push_back(std::move(layer));
        datasets_.push_back(std::move(handles));
    }

    /// The datasets `0`, `1`, ... of `<path>/<sub>vars` (nothing else may be there), appended to
    /// `layer`; then, when `depth` ≥ 0, every other member of the group as a held layer
    /// (`<sub><member>/`), at most 8 levels deep.
    void read_keras3_vars(hid_t group, const std::string& path, const std::string& sub, int depth, std::size_t& groups,
                          const std::string& where, KerasH5Layer& layer, std::vector<detail::h5_id>& handles) {
        const std::string here = path + "/" + sub;  // ends with '/'
        const htri_t has_vars = H5Lexists(group, "vars", H5P_DEFAULT);
        if (has_vars < 0) throw io_error(detail::with_h5_reason(where + ": group '" + here + "': cannot look it up"));
        if (has_vars > 0) {
            const std::string vars_path = here + "vars";
            const detail::h5_id vars = detail::open_below(group, "vars", detail::h5_kind::group, where + ": group '" + here + "':");
            const auto names = child_names(vars.get(), where + ": group '" + vars_path + "'", groups);
            std::vector<std::string> expected;
            for (std::size_t i = 0; i < names.size(); ++i) expected.push_back(std::to_string(i));
            std::vector<std::string> sorted = expected;
            std::sort(sorted.begin(), sorted.end());  // name order, as listed: "0", "1", "10", "11", "2", ...
            if (names != sorted)
                throw io_error(where + ": group '" + vars_path + "' holds " + detail::join(names) +
                               "; Keras 3 names a layer's arrays 0, 1, 2, ...");
            for (const auto& n : expected) {
                KerasH5Array a = describe_dataset(vars.get(), n, where + ": group '" + vars_path + "': weight",
                                                  where + ": layer group " + path + ": weight '" + sub + "vars/" + n + "'",
                                                  handles);
                a.name = sub + "vars/" + n;
                a.role.clear();
                a.prefix = path;
                layer.weights.push_back(std::move(a));
            }
        }
        if (depth < 0) return;
        for (const auto& member : child_names(group, where + ": group '" + here + "'", groups)) {
            if (member == "vars" || member == keras3_dir_) continue;
            if (depth >= 8)
                throw io_error(where + ": group '" + here + member + "': layers held by layers deeper than 8 levels");
            const detail::h5_id held =
                detail::open_below(group, member, detail::h5_kind::group, where + ": group '" + here + "': member");
            read_keras3_vars(held.get(), path, sub + member + "/", depth + 1, groups, where, layer, handles);
        }
    }

    std::string read_scalar_string(hid_t obj, const char* name, const std::string& where) const {
        auto v = detail::read_string_attr(obj, name, where, limits_);
        if (v.size() != 1)
            throw io_error(where + ": attribute '" + name + "' should be one string, it holds " +
                           std::to_string(v.size()));
        return std::move(v.front());
    }

    /// Opens dataset `wname` below `group` (see open_below), checks its storage, rank and size, keeps
    /// it open in `handles` and describes it (name, role and prefix from `wname`).
    KerasH5Array describe_dataset(hid_t group, const std::string& wname, const std::string& what,
                                  const std::string& dset_what, std::vector<detail::h5_id>& handles) const {
        detail::h5_id dset = detail::open_below(group, wname, detail::h5_kind::dataset, what);
        detail::check_dataset_storage(dset.get(), dset_what);
        const detail::h5_id type(H5Dget_type(dset.get()), H5Tclose);
        const detail::h5_id space(H5Dget_space(dset.get()), H5Sclose);
        if (!type || !space) throw io_error(detail::with_h5_reason(dset_what + ": cannot inspect the dataset"));
        const H5S_class_t space_class = H5Sget_simple_extent_type(space.get());
        const int rank = H5Sget_simple_extent_ndims(space.get());
        if (space_class == H5S_NO_CLASS || rank < 0)
            throw io_error(detail::with_h5_reason(dset_what + ": cannot read its dataspace"));
        if (space_class == H5S_NULL)
            throw io_error(dset_what + " has a null dataspace (no values at all, not even a scalar)");
        if (static_cast<std::size_t>(rank) > limits_.max_rank)
            throw io_error(dset_what + " has rank " + std::to_string(rank) + ", more than the limit of " +
                           std::to_string(limits_.max_rank) + " (ReadLimits::max_rank)");
        std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
        if (rank > 0 && H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr) < 0)
            throw io_error(detail::with_h5_reason(dset_what + ": cannot read its dimensions"));
        std::vector<std::uint64_t> udims(dims.begin(), dims.end());
        const auto count = detail::checked_product(udims);
        if (!count || std::any_of(dims.begin(), dims.end(), [](hsize_t d) {
                return d > static_cast<hsize_t>(std::numeric_limits<std::int64_t>::max());
            }))
            throw io_error(dset_what + " declares a shape whose size does not fit in 64 bits");
        KerasH5Array a;
        a.name = wname;
        a.role = detail::role_of(wname);
        a.prefix = detail::prefix_of(wname);
        a.shape.assign(dims.begin(), dims.end());
        a.dtype = detail::dtype_name(type.get());
        handles.push_back(std::move(dset));
        return a;
    }

    void read_layer(hid_t weights_group, std::string name, const std::string& where) {
        const std::string group_path = root_ + name;
        const std::string layer_what = where + ": layer group";
        if (const auto problem = detail::relative_path_problem(name); !problem.empty())
            throw io_error(layer_what + " '" + detail::printable(name) + "' (from layer_names) " + problem);
        if (name.find('/') == std::string::npos && H5Lexists(weights_group, name.c_str(), H5P_DEFAULT) == 0)
            throw io_error(where + ": layer '" + detail::printable(name) + "' is listed in layer_names but group " +
                           detail::printable(group_path) + " is missing");
        const detail::h5_id group = detail::open_below(weights_group, name, detail::h5_kind::group, layer_what);
        KerasH5Layer layer{std::move(name), {}};
        const std::string layer_where = where + ", layer " + detail::printable(layer.name);
        // Keras treats a missing weight_names as an empty list; so do we.
        const auto weight_names = detail::read_keras_list_attr(group.get(), "weight_names", layer_where, limits_)
                                      .value_or(std::vector<std::string>{});
        std::vector<detail::h5_id> handles;
        for (const auto& wname : weight_names) {
            const std::string what = where + ": layer " + detail::printable(layer.name) + ": weight";
            const std::string dset_what = what + " '" + detail::printable(wname) + "' (" +
                                          detail::printable(group_path) + "/" + detail::printable(wname) + ")";
            layer.weights.push_back(describe_dataset(group.get(), wname, what, dset_what, handles));
        }
        layers_.push_back(std::move(layer));
        datasets_.push_back(std::move(handles));
    }

    std::filesystem::path path_;
    ReadLimits limits_;
    detail::h5_id file_;
    KerasLayout layout_ = KerasLayout::save_weights;
    std::string root_ = "/";
    bool has_model_config_ = false;
    /// The lazily read root attributes (null only in a moved-from reader).
    std::unique_ptr<LazyAttrs> lazy_ = std::make_unique<LazyAttrs>();
    std::vector<KerasH5Layer> layers_;
    /// datasets_[i][j]: the open dataset of layers_[i].weights[j] (declared after file_, so closed first).
    std::vector<std::vector<detail::h5_id>> datasets_;
    std::string keras3_dir_;
    std::vector<std::string> keras3_models_;
    std::vector<std::pair<std::string, std::size_t>> layers_order_;  ///< while reading a Keras 3 tree
};

/// What load_keras_weights() did.
struct LoadReport {
    KerasLayout layout = KerasLayout::save_weights;  ///< The file's layout (also the first note).
    std::vector<std::string> loaded;                 ///< C++ layers that received arrays, in model order.
    /// File arrays no C++ layer took (not an error): "dense_9" for a whole layer group,
    /// "model_3/dense_9" for the part of a nested model with no matching C++ layer, the group's
    /// path ("layers/dense_2") in the Keras 3 layouts.
    std::vector<std::string> extra;
    std::vector<std::string> notes;  ///< Human-readable: layout found, nested models split.
    std::size_t arrays = 0;          ///< Arrays copied.
    std::size_t values = 0;          ///< Scalars copied.
};

namespace detail {

/// One C++ WeightRef, type-erased to float/double, with its staged values.
struct cpp_weight {
    std::string role;
    std::vector<std::int64_t> shape;
    float* f32 = nullptr;
    double* f64 = nullptr;
    std::vector<float> staged_f32;
    std::vector<double> staged_f64;
};

struct cpp_layer {
    std::string name;
    std::string keras_class;  ///< "" if the layer does not say
    std::vector<cpp_weight> weights;
};

/// The file arrays assigned to one C++ layer and where they came from; roles[i] is the role of
/// arrays[i] (its name's last component in Keras 2 files; given by the class in Keras 3 files).
struct file_source {
    const KerasH5Layer* group = nullptr;
    std::vector<const KerasH5Array*> arrays;
    std::vector<std::string> roles;
    std::string where;  ///< appended to the layer's name in messages: " (in nested model m)", " (group layers/dense)"
};

/// The Keras name of a layer: `layer.name()` or, as innspect's bound layers spell it, a static
/// `name` member convertible to std::string_view.
template <class Layer>
std::string layer_name(const Layer& layer) {
    if constexpr (requires { std::string_view(layer.name()); })
        return std::string(std::string_view(layer.name()));
    else {
        static_assert(
            requires { std::string_view(Layer::name); },
            "load_keras_weights: a layer must have name() or a static name member.");
        return std::string(std::string_view(Layer::name));
    }
}

/// The Keras class of a layer (innspect's layers: the static `keras_class`), or "".
template <class Layer>
std::string layer_keras_class(const Layer&) {
    if constexpr (requires { std::string_view(Layer::keras_class); })
        return std::string(std::string_view(Layer::keras_class));
    else
        return {};
}

template <class T>
cpp_weight make_cpp_weight(const WeightRef<T>& ref) {
    static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>,
                  "load_keras_weights() fills WeightRef<float> or WeightRef<double> only.");
    cpp_weight w;
    w.role = std::string(ref.role);
    w.shape = ref.shape;
    if constexpr (std::is_same_v<T, float>)
        w.f32 = ref.data;
    else
        w.f64 = ref.data;
    return w;
}

/// Reads one array, checks every value is finite and representable in T, stages it.
template <class T>
void stage(const KerasH5File& file, const KerasH5Layer& group, const KerasH5Array& array, const std::string& role,
           const std::string& label, std::vector<T>& staged) {
    const auto values = file.read<double>(group, array);  // exact for float32 and float64 files
    staged.resize(values.size());
    for (std::size_t i = 0; i < values.size(); ++i) {
        const double v = values[i];
        const T t = static_cast<T>(v);
        if (!std::isfinite(v) || !std::isfinite(t)) {
            std::ostringstream os;
            os << label << ": " << role << " has ";
            if (std::isfinite(v))
                os << "value " << v << ", too large for float,";
            else
                os << "non-finite value " << v;
            os << " at index " << i << " " << index_string(i, array.shape) << " of shape "
               << shape_string(array.shape) << " in '" << file.path().string() << "'";
            throw value_error(os.str());
        }
        staged[i] = t;
    }
}

/// The C++ side of a load, in model order, with its own consistency checked (unique names among
/// layers with weights, unique roles, data pointers).
template <class Model>
std::vector<cpp_layer> collect_cpp_layers(Model& model) {
    std::vector<cpp_layer> cpp;
    model.for_each_layer([&](auto& layer) {
        cpp_layer l{layer_name(layer), layer_keras_class(layer), {}};
        for (const auto& ref : layer.weights()) l.weights.push_back(make_cpp_weight(ref));
        cpp.push_back(std::move(l));
    });
    std::map<std::string, std::size_t, std::less<>> seen;
    for (std::size_t i = 0; i < cpp.size(); ++i) {
        if (!seen.emplace(cpp[i].name, i).second && !cpp[i].weights.empty())
            throw name_error(cpp[i].name + ": two C++ layers have this name; Keras layer names are unique");
        for (std::size_t j = 0; j < cpp[i].weights.size(); ++j) {
            const auto& w = cpp[i].weights[j];
            if (w.f32 == nullptr && w.f64 == nullptr && element_count(w.shape) != 0)
                throw value_error(cpp[i].name + ": weight " + w.role + " has no data pointer");
            for (std::size_t k = 0; k < j; ++k)
                if (cpp[i].weights[k].role == w.role)
                    throw name_error(cpp[i].name + ": two C++ weights have role " + w.role);
        }
    }
    return cpp;
}

using source_map = std::map<std::string, file_source, std::less<>>;

/// Keras 2 layouts: which arrays feed which C++ layer (see load_keras_weights()).
inline void keras2_sources(const KerasH5File& file, const std::map<std::string, std::size_t, std::less<>>& cpp_index,
                           source_map& sources, std::vector<std::string>& with_weights, LoadReport& report) {
    auto assign = [&](const std::string& cpp_name, file_source src) {
        const auto [it, fresh] = sources.try_emplace(cpp_name, std::move(src));
        if (!fresh)  // try_emplace left src alone
            throw name_error(cpp_name + ": found twice in '" + file.path().string() + "', in layer group " +
                             it->second.group->name + " and in layer group " + src.group->name);
    };
    // Bidirectional's arrays are named "<layer>/forward_<inner>/.../kernel:0" and
    // "<layer>/backward_<inner>/...": the direction is part of the role.
    auto roles_of = [](const file_source& src) {
        std::vector<std::string> r;
        for (const auto* a : src.arrays) {
            std::string direction;
            const std::string_view p = a->prefix;
            for (std::size_t slash = p.find('/'); slash != std::string_view::npos; slash = p.find('/', slash + 1)) {
                const auto comp = p.substr(slash + 1);
                if (comp.starts_with("forward_")) direction = "forward/";
                if (comp.starts_with("backward_")) direction = "backward/";
            }
            r.push_back(direction + a->role);
        }
        return r;
    };
    for (const auto& group : file.layers()) {
        if (cpp_index.count(group.name) != 0) {
            file_source src{&group, {}, {}, {}};
            for (const auto& a : group.weights) src.arrays.push_back(&a);
            src.roles = roles_of(src);
            assign(group.name, std::move(src));
        }
        if (group.weights.empty()) continue;
        if (cpp_index.count(group.name) != 0) {
            with_weights.push_back(group.name);
            continue;
        }
        // Not a C++ layer: a nested model if the first components of its weight names are.
        std::vector<std::string> inner;  // in file order, unique
        for (const auto& a : group.weights) {
            const auto first = first_component_of(a.name);
            if (std::find(inner.begin(), inner.end(), first) == inner.end()) inner.push_back(first);
        }
        const bool nested = std::any_of(inner.begin(), inner.end(), [&](const std::string& first) {
            return cpp_index.count(first) != 0;
        });
        const bool plain = inner.size() == 1 && inner.front() == group.name;
        with_weights.push_back(plain ? group.name : group.name + " (holding " + join(inner) + ")");
        if (!nested) {
            report.extra.push_back(group.name);
            continue;
        }
        std::vector<std::string> taken;
        for (const auto& first : inner) {
            if (first.empty() || cpp_index.count(first) == 0) {
                report.extra.push_back(first.empty() ? group.name : group.name + "/" + first);
                continue;
            }
            file_source src{&group, {}, {}, " (in nested model " + group.name + ")"};
            for (const auto& a : group.weights)
                if (first_component_of(a.name) == first) src.arrays.push_back(&a);
            src.roles = roles_of(src);
            assign(first, std::move(src));
            taken.push_back(first);
        }
        if (!taken.empty()) report.notes.push_back(group.name + ": nested model, arrays split to " + join(taken));
    }
}

/// The C++ role of the Keras 3 array `name` ("vars/1", "cell/vars/1", "forward_layer/cell/vars/0"):
/// vars/<i> of a layer, or of a layer it holds that is not a direction (a recurrent layer's
/// `cell`, a wrapper's `layer`), is the i-th of `plan_roles` (Keras's order by class) or else of
/// the C++ layer's weights; a Bidirectional's `forward_layer/...` and `backward_layer/...` are the
/// i-th of the C++ weights under "forward/" and "backward/". Unmatched: the name itself (then the
/// load names it as a weight the C++ layer does not take).
inline std::string keras3_role(const std::string& name, const std::vector<std::string>& plan_roles,
                               const std::vector<cpp_weight>& cpp_weights) {
    const auto vars = name.rfind("vars/");
    const std::string sub = name.substr(0, vars);
    std::size_t index = 0;
    for (const char ch : std::string_view(name).substr(vars + 5)) index = index * 10 + static_cast<std::size_t>(ch - '0');
    std::string direction;
    if (sub.starts_with("forward_layer/")) direction = "forward/";
    if (sub.starts_with("backward_layer/")) direction = "backward/";
    if (direction.empty()) {
        if (!plan_roles.empty()) return index < plan_roles.size() ? plan_roles[index] : name;
        return index < cpp_weights.size() ? cpp_weights[index].role : name;
    }
    for (const auto& w : cpp_weights)
        if (w.role.starts_with(direction) && index-- == 0) return w.role;
    return name;
}

/// Keras 3 / 2.13 layouts: the layers of `members` (one model, in its order) matched with the
/// groups below `dir` ("layers", "layers/functional/layers") by class, in Keras's numbering order.
inline void keras3_sources(const KerasH5File& file, const std::vector<Keras3Layer>& members, const std::string& dir,
                           const std::map<std::string, std::size_t, std::less<>>& cpp_index,
                           const std::vector<cpp_layer>& cpp, source_map& sources, LoadReport& report) {
    const std::string quoted = "'" + file.path().string() + "'";
    std::vector<std::string> stems;  // in order of first appearance
    for (const auto& m : members) {
        const auto stem = keras_snake_case(m.keras_class);
        if (!stem.empty() && std::find(stems.begin(), stems.end(), stem) == stems.end()) stems.push_back(stem);
    }
    auto numbered = [&](const std::vector<std::string>& paths, const std::string& stem) {
        std::vector<std::pair<std::uint64_t, std::string>> out;
        for (const auto& p : paths) {
            const auto [parent, name] = split_last(p);
            if (parent != dir) continue;
            if (const auto n = keras_name_index(name, stem)) out.emplace_back(*n, p);
        }
        std::sort(out.begin(), out.end());
        return out;
    };
    std::vector<std::string> layer_paths;
    for (const auto& g : file.layers()) layer_paths.push_back(g.name);
    for (const auto& stem : stems) {
        std::vector<const Keras3Layer*> of_class;
        for (const auto& m : members)
            if (keras_snake_case(m.keras_class) == stem) of_class.push_back(&m);
        const bool models = !of_class.front()->layers.empty() || of_class.front()->keras_class == "Functional" ||
                            of_class.front()->keras_class == "Sequential" || of_class.front()->keras_class == "Model";
        const auto groups = numbered(models ? file.keras3_models() : layer_paths, stem);
        for (std::size_t k = 0; k < groups.size(); ++k) {
            const std::string& path = groups[k].second;
            if (k >= of_class.size()) continue;  // more groups of this class than layers: extra
            const Keras3Layer& m = *of_class[k];
            if (models) {
                keras3_sources(file, m.layers, path + "/" + file.keras3_dir(), cpp_index, cpp, sources, report);
                report.notes.push_back(path + ": nested model " + m.name);
                continue;
            }
            const auto ci = cpp_index.find(m.name);
            if (ci == cpp_index.end()) continue;  // not a C++ layer (of this part): extra
            const KerasH5Layer* group = file.find_layer(path);
            file_source src{group, {}, {}, " (group " + path + ")"};
            for (const auto& a : group->weights) {
                src.arrays.push_back(&a);
                src.roles.push_back(keras3_role(a.name, m.roles, cpp[ci->second].weights));
            }
            if (!sources.try_emplace(m.name, std::move(src)).second)
                throw name_error(m.name + ": found twice in " + quoted + " (group " + path + ")");
        }
    }
}

/// Checks the file's arrays for cpp[begin, end) and stages their values; writes nothing.
/// `plan`: Keras 3 layouts, the model's layers by class (from its config); nullptr: Keras 2
/// layouts, or Keras 3 without a config (then the C++ layers are the plan, one flat model).
inline namespace INNSPECT_KERAS_MODE_NS {
INNSPECT_KERAS_INLINE void stage_file(std::vector<cpp_layer>& cpp, std::size_t begin, std::size_t end,
                                      const KerasH5File& file, const std::vector<Keras3Layer>* plan, LoadReport& report);
}  // inline namespace INNSPECT_KERAS_MODE_NS

/// Writes the staged values of cpp[begin, end) into the model: all of them, or (on bad_alloc)
/// none.
inline namespace INNSPECT_KERAS_MODE_NS {
INNSPECT_KERAS_INLINE void commit(std::vector<cpp_layer>& cpp, std::size_t begin, std::size_t end, LoadReport& report);
}  // inline namespace INNSPECT_KERAS_MODE_NS

#if INNSPECT_KERAS_DEFINITIONS
inline namespace INNSPECT_KERAS_MODE_NS {
INNSPECT_KERAS_INLINE void stage_file(std::vector<cpp_layer>& cpp, std::size_t begin, std::size_t end,
                                      const KerasH5File& file, const std::vector<Keras3Layer>* plan, LoadReport& report) {
    std::map<std::string, std::size_t, std::less<>> cpp_index;
    for (std::size_t i = begin; i < end; ++i) cpp_index.emplace(cpp[i].name, i);

    report.layout = file.layout();
    const bool keras3 = file.layout() == KerasLayout::keras3 || file.layout() == KerasLayout::keras2_13;
    report.notes.push_back("layout: " + std::string(to_string(file.layout())) + ", weights under " +
                           (keras3 ? "/" + file.keras3_dir() + "/" : file.weights_root()) +
                           (file.has_model_config() ? ", model_config present" : ""));

    source_map sources;
    std::vector<std::string> with_weights;
    if (keras3) {
        std::vector<Keras3Layer> from_cpp;
        if (plan == nullptr) {
            for (std::size_t i = begin; i < end; ++i)
                if (!cpp[i].weights.empty()) from_cpp.push_back({cpp[i].name, cpp[i].keras_class, {}, {}});
            report.notes.push_back("Keras 3 groups matched to the C++ layers by class, in model order (no config)");
        }
        keras3_sources(file, plan != nullptr ? *plan : from_cpp, file.keras3_dir(), cpp_index, cpp, sources, report);
        for (const auto& g : file.layers()) {
            with_weights.push_back(g.name);
            bool used = false;
            for (const auto& [name, src] : sources) used = used || src.group == &g;
            if (!used) report.extra.push_back(g.name);
        }
    } else {
        keras2_sources(file, cpp_index, sources, with_weights, report);
    }

    // Check everything and stage the values; nothing is written into the model yet.
    const std::string quoted = "'" + file.path().string() + "'";
    const std::string in_file = " in " + quoted;
    for (std::size_t i = begin; i < end; ++i) {
        auto& layer = cpp[i];
        const auto found = sources.find(layer.name);
        if (layer.weights.empty()) {
            if (found != sources.end() && !found->second.arrays.empty())
                throw name_error(layer.name + ": the C++ layer takes no weights, the file's layer holds " +
                                 join(found->second.roles) + in_file);
            continue;
        }
        std::vector<std::string> cpp_roles;
        for (const auto& w : layer.weights) cpp_roles.push_back(w.role);
        if (found == sources.end())
            throw name_error(layer.name + ": not in file " + quoted + " (C++ weights: " + join(cpp_roles) +
                             "; layers with weights in file: " + join(with_weights) + ")");
        const auto& src = found->second;
        const std::string label = layer.name + src.where;
        const auto& file_roles = src.roles;
        const std::string both = " (C++: " + join(cpp_roles) + "; file: " + join(file_roles) + ")";
        if (src.arrays.empty()) throw name_error(label + ": the file's layer holds no weights" + both + in_file);
        for (const auto& role : file_roles)
            if (std::count(file_roles.begin(), file_roles.end(), role) > 1)
                throw name_error(label + ": the file holds role " + role + " more than once" + both + in_file);
        for (const auto& role : file_roles)
            if (std::find(cpp_roles.begin(), cpp_roles.end(), role) == cpp_roles.end())
                throw name_error(label + ": the file holds " + role + ", the C++ layer takes no such weight" + both +
                                 in_file);

        for (auto& w : layer.weights) {
            const auto it = std::find(file_roles.begin(), file_roles.end(), w.role);
            if (it == file_roles.end()) throw name_error(label + ": " + w.role + " not in file " + quoted + both);
            const KerasH5Array& a = *src.arrays[static_cast<std::size_t>(it - file_roles.begin())];
            if (a.shape != w.shape)
                throw shape_error(label + ": " + w.role + " shape " + shape_string(w.shape) + " in C++, " +
                                  shape_string(a.shape) + " in the file " + quoted);
            if (w.f32 != nullptr)
                stage(file, *src.group, a, w.role, label, w.staged_f32);
            else
                stage(file, *src.group, a, w.role, label, w.staged_f64);
        }
    }
}
}  // inline namespace INNSPECT_KERAS_MODE_NS

inline namespace INNSPECT_KERAS_MODE_NS {
INNSPECT_KERAS_INLINE void commit(std::vector<cpp_layer>& cpp, std::size_t begin, std::size_t end, LoadReport& report) {
    // Whatever can throw (the names' strings, the report's room for them: bad_alloc) happens
    // before the first weight is written, so the model gets every staged array or none.
    std::vector<std::string> names;
    for (std::size_t i = begin; i < end; ++i)
        if (!cpp[i].weights.empty()) names.push_back(cpp[i].name);
    report.loaded.reserve(report.loaded.size() + names.size());
    for (std::size_t i = begin; i < end; ++i) {
        for (auto& w : cpp[i].weights) {
            if (w.f32 != nullptr) std::copy(w.staged_f32.begin(), w.staged_f32.end(), w.f32);
            if (w.f64 != nullptr) std::copy(w.staged_f64.begin(), w.staged_f64.end(), w.f64);
            report.values += w.f32 != nullptr ? w.staged_f32.size() : w.staged_f64.size();
            ++report.arrays;
        }
    }
    for (auto& name : names) report.loaded.push_back(std::move(name));  // reserved: no throw
}
}  // inline namespace INNSPECT_KERAS_MODE_NS
#endif

}  // namespace detail

inline namespace INNSPECT_KERAS_MODE_NS {  // the templates call the mode's entry points
/// Copies the weights of a Keras HDF5 weight file into `model` (contract in the file comment).
///
/// Keras 2 layouts (and Keras 3's legacy `.h5`), matching by name (not by position, so extra
/// weightless layers on either side do not matter):
///  1. A top-level file layer group whose name equals a C++ layer name gives all its arrays to
///     that layer, whatever inner group names its weight names carry (real files hold
///     "output/dense_3/kernel:0" inside group "output").
///  2. A top-level group that is not a C++ layer name, whose weight names' first path components
///     name C++ layers, is a nested model (model_2 -> "conv2d_transpose_1/kernel:0"): its arrays
///     are split by that first component.
///  3. Within a layer, arrays go to WeightRefs by role (last component without ":0"; with
///     "forward/" or "backward/" in front when a component after the first starts with
///     "forward_" or "backward_": Bidirectional's two layers). Shapes must be equal as written
///     (Conv2DTranspose kernels are [kh, kw, out, in] on both sides).
///
/// Keras 3 layouts (`.weights.h5`, a `.keras` archive's `model.weights.h5`; Keras 2.13-2.14), which
/// store no layer or weight names: the n-th group of a class (`layers/dense`, `layers/dense_1`, ...
/// in Keras's numbering order) holds the n-th C++ layer of that Keras class in model order, and
/// `vars/0`, `vars/1`, ... are the C++ layer's weights in its order (Keras's order: kernel, bias;
/// gamma, beta, moving_mean, moving_variance; an LSTM's `cell/vars/0..2`: kernel,
/// recurrent_kernel, bias; Bidirectional's `forward_layer/...` and `backward_layer/...` the
/// C++ weights under "forward/" and "backward/", each in its order). With the model's config (io::load_keras_model on a
/// `.keras` file) the config says the order and the nested models; without it the C++ model is
/// taken as one flat model in Keras's layer order, and nested models cannot be matched.
///
/// Arrays in the file that no C++ layer takes are listed in LoadReport::extra, not an error.
/// Every check (names, roles, shapes, dtypes, finiteness) passes before any value is written:
/// on an exception the model is unchanged.
///
/// Throws: io_error (unreadable file, dtype other than float32/float64); name_error (a C++ layer
/// with weights absent from the file, a role missing or unexpected, a layer found twice);
/// shape_error (shapes differ); value_error (NaN/Inf, or a float64 value overflowing float).
/// Every message names the layer and both the C++ and the file's value.
template <class Model>
LoadReport load_keras_weights(Model& model, const KerasH5File& file) {
    auto cpp = detail::collect_cpp_layers(model);
    LoadReport report;
    detail::stage_file(cpp, 0, cpp.size(), file, nullptr, report);
    detail::commit(cpp, 0, cpp.size(), report);
    return report;
}

/// The same for a Keras 3 layout file whose layers are described by `plan` (from the model's
/// config: io::keras3_plan() in innspect/io/keras_json.hpp); a Keras 2 layout ignores it.
template <class Model>
LoadReport load_keras_weights(Model& model, const KerasH5File& file, const std::vector<Keras3Layer>& plan) {
    auto cpp = detail::collect_cpp_layers(model);
    LoadReport report;
    detail::stage_file(cpp, 0, cpp.size(), file, &plan, report);
    detail::commit(cpp, 0, cpp.size(), report);
    return report;
}

/// Opens `path` (see KerasH5File) and loads it into `model` (see the overload above).
/// `limits` bounds what the file may make the loader allocate (see ReadLimits).
template <class Model>
LoadReport load_keras_weights(Model& model, const std::filesystem::path& path, const ReadLimits& limits = {}) {
    const KerasH5File file(path, limits);
    return load_keras_weights(model, file);
}

}  // inline namespace INNSPECT_KERAS_MODE_NS
}  // namespace innspect::io
