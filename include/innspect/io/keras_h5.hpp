#pragma once
/// \file
/// Loading Keras 2.x HDF5 weight files (`model.save()` and `model.save_weights()`) into innspect
/// models. Optional part: needs the HDF5 C library (`innspect::hdf5` CMake target).
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
#include <filesystem>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "innspect/core/errors.hpp"
#include "innspect/core/weights.hpp"

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
        default: return "HDF5 type class " + std::to_string(static_cast<int>(H5Tget_class(type)));
    }
}

/// Number of elements of a dataspace: 1 for a scalar, 0 for a null dataspace.
inline std::size_t space_size(hid_t space) {
    const hssize_t n = H5Sget_simple_extent_npoints(space);
    return n < 0 ? 0 : static_cast<std::size_t>(n);
}

/// Reads a string attribute (scalar or 1-D; fixed-length or variable-length) as a list. An
/// attribute with no elements of any type gives {}: Keras writes an empty name list as an empty
/// float64 array. Throws io_error for non-empty non-string attributes.
inline std::vector<std::string> read_string_attr(hid_t obj, const char* name, const std::string& where) {
    h5_id attr(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose);
    if (!attr) throw io_error(with_h5_reason(where + ": cannot open attribute '" + name + "'"));
    h5_id type(H5Aget_type(attr.get()), H5Tclose);
    h5_id space(H5Aget_space(attr.get()), H5Sclose);
    if (!type || !space) throw io_error(with_h5_reason(where + ": cannot inspect attribute '" + name + "'"));
    const std::size_t n = space_size(space.get());
    if (n == 0) return {};
    if (H5Tget_class(type.get()) != H5T_STRING)
        throw io_error(where + ": attribute '" + name + "' should hold strings, it holds " +
                       std::to_string(n) + " values of type " + dtype_name(type.get()));

    std::vector<std::string> out;
    out.reserve(n);
    h5_id mem(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_cset(mem.get(), H5Tget_cset(type.get()));
    if (H5Tis_variable_str(type.get()) > 0) {
        H5Tset_size(mem.get(), H5T_VARIABLE);
        std::vector<char*> buf(n, nullptr);
        if (H5Aread(attr.get(), mem.get(), buf.data()) < 0)
            throw io_error(with_h5_reason(where + ": cannot read attribute '" + name + "'"));
        for (char* s : buf) {
            out.emplace_back(s != nullptr ? s : "");
            H5free_memory(s);  // the library allocated each string
        }
    } else {
        const std::size_t width = H5Tget_size(type.get());
        H5Tset_size(mem.get(), width);
        H5Tset_strpad(mem.get(), H5T_STR_NULLPAD);
        std::vector<char> buf(n * width, '\0');
        if (H5Aread(attr.get(), mem.get(), buf.data()) < 0)
            throw io_error(with_h5_reason(where + ": cannot read attribute '" + name + "'"));
        const bool space_padded = H5Tget_strpad(type.get()) == H5T_STR_SPACEPAD;
        for (std::size_t i = 0; i < n; ++i) {
            std::string s(buf.data() + i * width, width);
            s.erase(std::min(s.find('\0'), s.size()));
            if (space_padded) s.erase(s.find_last_not_of(' ') + 1);
            out.push_back(std::move(s));
        }
    }
    return out;
}

inline bool has_attr(hid_t obj, const std::string& name) { return H5Aexists(obj, name.c_str()) > 0; }

/// Keras's load_attributes_from_hdf5_group: `name` itself, or the chunks name0, name1, ...
/// Returns nullopt if neither exists.
inline std::optional<std::vector<std::string>> read_keras_list_attr(hid_t obj, const std::string& name,
                                                                    const std::string& where) {
    if (has_attr(obj, name)) return read_string_attr(obj, name.c_str(), where);
    if (!has_attr(obj, name + "0")) return std::nullopt;
    std::vector<std::string> all;
    for (int chunk = 0; has_attr(obj, name + std::to_string(chunk)); ++chunk) {
        auto part = read_string_attr(obj, (name + std::to_string(chunk)).c_str(), where);
        all.insert(all.end(), part.begin(), part.end());
    }
    return all;
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

}  // namespace detail

/// Which Keras call wrote the file.
enum class KerasLayout {
    save_weights,  ///< model.save_weights(): layer groups at the root, no model_config.
    model_save,    ///< model.save(): layer groups under /model_weights, model_config at the root.
};

/// "model.save_weights()" or "model.save()".
inline std::string_view to_string(KerasLayout layout) {
    return layout == KerasLayout::model_save ? "model.save()" : "model.save_weights()";
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

/// Low-level reader of a Keras 2.x HDF5 weight file. The constructor reads all metadata (layer
/// names, weight names, shapes, dtypes, model_config); values are read on demand.
///
/// The weights root is found as Keras 2.x's load_weights() does: the file root if it carries
/// `layer_names`, otherwise `/model_weights`.
///
/// Throws io_error naming the path if the file is missing, not HDF5, truncated, or not in the
/// Keras 2.x layout (no layer_names; a named layer group or dataset missing). HDF5's own error
/// printing is silenced; its reason is appended to the message.
class KerasH5File {
public:
    explicit KerasH5File(const std::filesystem::path& path) : path_(path) {
        const detail::h5_silence quiet;
        const std::string where = "Keras weight file '" + path_.string() + "'";
        std::error_code ec;
        if (!std::filesystem::exists(path_, ec)) throw io_error(where + ": no such file");
        if (std::filesystem::is_directory(path_, ec)) throw io_error(where + ": is a directory");
        // HDF5's reason tells unreadable / not HDF5 ("file signature not found") / truncated apart.
        file_ = detail::h5_id(H5Fopen(path_.string().c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
        if (!file_) throw io_error(detail::with_h5_reason(where + ": cannot open as HDF5"));

        if (detail::has_attr(file_.get(), "model_config"))
            model_config_ = read_scalar_string(file_.get(), "model_config", where);
        if (detail::has_attr(file_.get(), "keras_version"))
            keras_version_ = read_scalar_string(file_.get(), "keras_version", where);
        if (detail::has_attr(file_.get(), "backend"))
            backend_ = read_scalar_string(file_.get(), "backend", where);

        auto names = detail::read_keras_list_attr(file_.get(), "layer_names", where);
        if (names) {
            root_ = "/";
            layout_ = KerasLayout::save_weights;
        } else if (H5Lexists(file_.get(), "model_weights", H5P_DEFAULT) > 0) {
            root_ = "/model_weights/";
            layout_ = KerasLayout::model_save;
            const detail::h5_id group(H5Gopen2(file_.get(), "model_weights", H5P_DEFAULT), H5Gclose);
            if (!group) throw io_error(detail::with_h5_reason(where + ": cannot open group /model_weights"));
            names = detail::read_keras_list_attr(group.get(), "layer_names", where + ", /model_weights");
            if (keras_version_.empty() && detail::has_attr(group.get(), "keras_version"))
                keras_version_ = read_scalar_string(group.get(), "keras_version", where);
            if (backend_.empty() && detail::has_attr(group.get(), "backend"))
                backend_ = read_scalar_string(group.get(), "backend", where);
        }
        if (!names)
            throw io_error(
                where + ": not a Keras 2.x weight file (no 'layer_names' attribute at / or /model_weights)");

        layers_.reserve(names->size());
        for (auto& name : *names) layers_.push_back(read_layer(std::move(name), where));
    }

    KerasH5File(const KerasH5File&) = delete;
    KerasH5File& operator=(const KerasH5File&) = delete;
    KerasH5File(KerasH5File&&) noexcept = default;
    KerasH5File& operator=(KerasH5File&&) noexcept = default;
    ~KerasH5File() = default;

    /// The path given to the constructor.
    const std::filesystem::path& path() const noexcept { return path_; }
    /// model.save() (weights under /model_weights) or model.save_weights() (weights at /).
    KerasLayout layout() const noexcept { return layout_; }
    /// "/" or "/model_weights/": the group holding the layer groups.
    const std::string& weights_root() const noexcept { return root_; }
    /// True if the root carries `model_config` (model.save() files do; weight-only files do not).
    bool has_model_config() const noexcept { return model_config_.has_value(); }
    /// The model_config JSON string. Throws io_error if the file has none (see has_model_config()).
    const std::string& model_config() const {
        if (!model_config_)
            throw io_error("Keras weight file '" + path_.string() +
                           "': no model_config attribute (written by " + std::string(to_string(layout_)) +
                           ")");
        return *model_config_;
    }
    /// The keras_version attribute ("2.2.4"), or "" if absent.
    const std::string& keras_version() const noexcept { return keras_version_; }
    /// The backend attribute ("tensorflow"), or "" if absent.
    const std::string& backend() const noexcept { return backend_; }
    /// All top-level layer groups, in layer_names order (weightless layers included).
    const std::vector<KerasH5Layer>& layers() const noexcept { return layers_; }
    /// The top-level layer group called `name`, or nullptr.
    const KerasH5Layer* find_layer(std::string_view name) const noexcept {
        for (const auto& l : layers_)
            if (l.name == name) return &l;
        return nullptr;
    }

    /// Reads `array` of `layer` (both from layers()) in C order, converted to T (float or double).
    /// Only float32 and float64 data are accepted: anything else (int32, float16, ...) is more
    /// likely a wrong file than a weight, so it throws io_error naming the layer and the dtype.
    /// Values are not checked here (load_keras_weights() checks finiteness).
    template <class T>
    std::vector<T> read(const KerasH5Layer& layer, const KerasH5Array& array) const {
        static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>,
                      "Keras weights can be read as float or double only.");
        const detail::h5_silence quiet;
        if (array.dtype != "float32" && array.dtype != "float64")
            throw io_error(layer.name + ": " + array.role + " ('" + array.name + "') has dtype " +
                           array.dtype + " in '" + path_.string() +
                           "'; only float32 and float64 weights are supported");
        const std::string dset_path = root_ + layer.name + "/" + array.name;
        const detail::h5_id dset(H5Dopen2(file_.get(), dset_path.c_str(), H5P_DEFAULT), H5Dclose);
        if (!dset)
            throw io_error(
                detail::with_h5_reason("'" + path_.string() + "': cannot open dataset " + dset_path));
        std::vector<T> out(detail::element_count(array.shape));
        const hid_t mem = std::is_same_v<T, float> ? H5T_NATIVE_FLOAT : H5T_NATIVE_DOUBLE;
        if (!out.empty() && H5Dread(dset.get(), mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) < 0)
            throw io_error(
                detail::with_h5_reason("'" + path_.string() + "': cannot read dataset " + dset_path));
        return out;
    }

private:
    static std::string read_scalar_string(hid_t obj, const char* name, const std::string& where) {
        auto v = detail::read_string_attr(obj, name, where);
        if (v.size() != 1)
            throw io_error(where + ": attribute '" + name + "' should be one string, it holds " +
                           std::to_string(v.size()));
        return std::move(v.front());
    }

    KerasH5Layer read_layer(std::string name, const std::string& where) const {
        const std::string group_path = root_ + name;
        const detail::h5_id group(H5Gopen2(file_.get(), group_path.c_str(), H5P_DEFAULT), H5Gclose);
        if (!group)
            throw io_error(detail::with_h5_reason(where + ": layer '" + name +
                                                  "' is listed in layer_names but group " + group_path +
                                                  " is missing"));
        KerasH5Layer layer{std::move(name), {}};
        // Keras treats a missing weight_names as an empty list; so do we.
        const auto weight_names =
            detail::read_keras_list_attr(group.get(), "weight_names", where + ", layer " + layer.name)
                .value_or(std::vector<std::string>{});
        for (const auto& wname : weight_names) {
            const detail::h5_id dset(H5Dopen2(group.get(), wname.c_str(), H5P_DEFAULT), H5Dclose);
            if (!dset)
                throw io_error(detail::with_h5_reason(where + ": layer " + layer.name + " names weight '" +
                                                      wname + "' but dataset " + group_path + "/" + wname +
                                                      " is missing"));
            const detail::h5_id type(H5Dget_type(dset.get()), H5Tclose);
            const detail::h5_id space(H5Dget_space(dset.get()), H5Sclose);
            const int rank = H5Sget_simple_extent_ndims(space.get());
            if (!type || !space || rank < 0)
                throw io_error(
                    detail::with_h5_reason(where + ": cannot inspect dataset " + group_path + "/" + wname));
            std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
            H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
            KerasH5Array a;
            a.name = wname;
            a.role = detail::role_of(wname);
            a.prefix = detail::prefix_of(wname);
            a.shape.assign(dims.begin(), dims.end());
            a.dtype = detail::dtype_name(type.get());
            layer.weights.push_back(std::move(a));
        }
        return layer;
    }

    std::filesystem::path path_;
    detail::h5_id file_;
    KerasLayout layout_ = KerasLayout::save_weights;
    std::string root_ = "/";
    std::optional<std::string> model_config_;
    std::string keras_version_;
    std::string backend_;
    std::vector<KerasH5Layer> layers_;
};

/// What load_keras_weights() did.
struct LoadReport {
    KerasLayout layout = KerasLayout::save_weights;  ///< The file's layout (also the first note).
    std::vector<std::string> loaded;                 ///< C++ layers that received arrays, in model order.
    /// File arrays no C++ layer took (not an error): "dense_9" for a whole layer group,
    /// "model_3/dense_9" for the part of a nested model with no matching C++ layer.
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
    std::vector<cpp_weight> weights;
};

/// The file arrays assigned to one C++ layer and where they came from.
struct file_source {
    const KerasH5Layer* group = nullptr;
    std::vector<const KerasH5Array*> arrays;
    bool nested = false;
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
void stage(const KerasH5File& file, const KerasH5Layer& group, const KerasH5Array& array,
           const std::string& label, std::vector<T>& staged) {
    const auto values = file.read<double>(group, array);  // exact for float32 and float64 files
    staged.resize(values.size());
    for (std::size_t i = 0; i < values.size(); ++i) {
        const double v = values[i];
        const T t = static_cast<T>(v);
        if (!std::isfinite(v) || !std::isfinite(t)) {
            std::ostringstream os;
            os << label << ": " << array.role << " has ";
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

}  // namespace detail

/// Copies the weights of a Keras 2.x HDF5 file into `model` (contract in the file comment).
///
/// Matching, by name (not by position, so extra weightless layers on either side do not matter):
///  1. A top-level file layer group whose name equals a C++ layer name gives all its arrays to
///     that layer, whatever inner group names its weight names carry (real files hold
///     "output/dense_3/kernel:0" inside group "output").
///  2. A top-level group that is not a C++ layer name, whose weight names' first path components
///     name C++ layers, is a nested model (model_2 -> "conv2d_transpose_1/kernel:0"): its arrays
///     are split by that first component.
///  3. Within a layer, arrays go to WeightRefs by role (last component without ":0"). Shapes must
///     be equal as written (Conv2DTranspose kernels are [kh, kw, out, in] on both sides).
///  Arrays in the file that no C++ layer takes are listed in LoadReport::extra, not an error.
///
/// Every check (names, roles, shapes, dtypes, finiteness) passes before any value is written:
/// on an exception the model is unchanged.
///
/// Throws: io_error (unreadable file, dtype other than float32/float64); name_error (a C++ layer
/// with weights absent from the file, a role missing or unexpected, a layer found twice);
/// shape_error (shapes differ); value_error (NaN/Inf, or a float64 value overflowing float).
/// Every message names the layer and both the C++ and the file's value.
template <class Model>
LoadReport load_keras_weights(Model& model, const KerasH5File& file) {
    using detail::join;
    using detail::shape_string;

    // The C++ side, in model order.
    std::vector<detail::cpp_layer> cpp;
    model.for_each_layer([&](auto& layer) {
        detail::cpp_layer l{detail::layer_name(layer), {}};
        for (const auto& ref : layer.weights()) l.weights.push_back(detail::make_cpp_weight(ref));
        cpp.push_back(std::move(l));
    });
    std::map<std::string, std::size_t, std::less<>> cpp_index;
    for (std::size_t i = 0; i < cpp.size(); ++i) {
        if (!cpp_index.emplace(cpp[i].name, i).second && !cpp[i].weights.empty())
            throw name_error(cpp[i].name + ": two C++ layers have this name; Keras layer names are unique");
        for (std::size_t j = 0; j < cpp[i].weights.size(); ++j) {
            const auto& w = cpp[i].weights[j];
            if (w.f32 == nullptr && w.f64 == nullptr && detail::element_count(w.shape) != 0)
                throw value_error(cpp[i].name + ": weight " + w.role + " has no data pointer");
            for (std::size_t k = 0; k < j; ++k)
                if (cpp[i].weights[k].role == w.role)
                    throw name_error(cpp[i].name + ": two C++ weights have role " + w.role);
        }
    }

    LoadReport report;
    report.layout = file.layout();
    report.notes.push_back("layout: " + std::string(to_string(file.layout())) + ", weights under " +
                           file.weights_root() + (file.has_model_config() ? ", model_config present" : ""));

    // The file side: which arrays feed which C++ layer.
    std::map<std::string, detail::file_source, std::less<>> sources;
    auto assign = [&](const std::string& cpp_name, detail::file_source src) {
        const auto [it, fresh] = sources.try_emplace(cpp_name, std::move(src));
        if (!fresh)  // try_emplace left src alone
            throw name_error(cpp_name + ": found twice in '" + file.path().string() + "', in layer group " +
                             it->second.group->name + " and in layer group " + src.group->name);
    };
    std::vector<std::string> file_layers_with_weights;
    for (const auto& group : file.layers()) {
        if (cpp_index.count(group.name) != 0) {
            detail::file_source src{&group, {}, false};
            for (const auto& a : group.weights) src.arrays.push_back(&a);
            assign(group.name, std::move(src));
        }
        if (group.weights.empty()) continue;
        if (cpp_index.count(group.name) != 0) {
            file_layers_with_weights.push_back(group.name);
            continue;
        }
        // Not a C++ layer: a nested model if the first components of its weight names are.
        std::vector<std::string> inner;  // in file order, unique
        for (const auto& a : group.weights) {
            const auto first = detail::first_component_of(a.name);
            if (std::find(inner.begin(), inner.end(), first) == inner.end()) inner.push_back(first);
        }
        const bool nested = std::any_of(inner.begin(), inner.end(), [&](const std::string& first) {
            return cpp_index.count(first) != 0;
        });
        const bool plain = inner.size() == 1 && inner.front() == group.name;
        file_layers_with_weights.push_back(plain ? group.name
                                                 : group.name + " (holding " + join(inner) + ")");
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
            detail::file_source src{&group, {}, true};
            for (const auto& a : group.weights)
                if (detail::first_component_of(a.name) == first) src.arrays.push_back(&a);
            assign(first, std::move(src));
            taken.push_back(first);
        }
        if (!taken.empty())
            report.notes.push_back(group.name + ": nested model, arrays split to " + join(taken));
    }

    // Check everything and stage the values; nothing is written into the model yet.
    const std::string quoted = "'" + file.path().string() + "'";
    const std::string in_file = " in " + quoted;
    for (auto& layer : cpp) {
        const auto found = sources.find(layer.name);
        if (layer.weights.empty()) {
            if (found != sources.end() && !found->second.arrays.empty()) {
                std::vector<std::string> roles;
                for (const auto* a : found->second.arrays) roles.push_back(a->role);
                throw name_error(layer.name + ": the C++ layer takes no weights, the file's layer holds " +
                                 join(roles) + in_file);
            }
            continue;
        }
        std::vector<std::string> cpp_roles;
        for (const auto& w : layer.weights) cpp_roles.push_back(w.role);
        if (found == sources.end())
            throw name_error(layer.name + ": not in file " + quoted + " (C++ weights: " + join(cpp_roles) +
                             "; layers with weights in file: " + join(file_layers_with_weights) + ")");
        const auto& src = found->second;
        const std::string label =
            src.nested ? layer.name + " (in nested model " + src.group->name + ")" : layer.name;

        std::vector<std::string> file_roles;
        for (const auto* a : src.arrays) file_roles.push_back(a->role);
        const std::string both = " (C++: " + join(cpp_roles) + "; file: " + join(file_roles) + ")";
        if (src.arrays.empty())
            throw name_error(label + ": the file's layer holds no weights" + both + in_file);
        for (const auto* a : src.arrays)
            if (std::count(file_roles.begin(), file_roles.end(), a->role) > 1)
                throw name_error(label + ": the file holds role " + a->role + " more than once" + both +
                                 in_file);
        for (const auto& role : file_roles)
            if (std::find(cpp_roles.begin(), cpp_roles.end(), role) == cpp_roles.end())
                throw name_error(label + ": the file holds " + role + ", the C++ layer takes no such weight" +
                                 both + in_file);

        for (auto& w : layer.weights) {
            const auto it = std::find(file_roles.begin(), file_roles.end(), w.role);
            if (it == file_roles.end())
                throw name_error(label + ": " + w.role + " not in file " + quoted + both);
            const KerasH5Array& a = *src.arrays[static_cast<std::size_t>(it - file_roles.begin())];
            if (a.shape != w.shape)
                throw shape_error(label + ": " + w.role + " shape " + shape_string(w.shape) + " in C++, " +
                                  shape_string(a.shape) + " in the file " + quoted);
            if (w.f32 != nullptr)
                detail::stage(file, *src.group, a, label, w.staged_f32);
            else
                detail::stage(file, *src.group, a, label, w.staged_f64);
        }
    }

    // All checks passed: commit.
    for (auto& layer : cpp) {
        if (layer.weights.empty()) continue;
        for (auto& w : layer.weights) {
            if (w.f32 != nullptr) std::copy(w.staged_f32.begin(), w.staged_f32.end(), w.f32);
            if (w.f64 != nullptr) std::copy(w.staged_f64.begin(), w.staged_f64.end(), w.f64);
            report.values += w.f32 != nullptr ? w.staged_f32.size() : w.staged_f64.size();
            ++report.arrays;
        }
        report.loaded.push_back(layer.name);
    }
    return report;
}

/// Opens `path` (see KerasH5File) and loads it into `model` (see the overload above).
template <class Model>
LoadReport load_keras_weights(Model& model, const std::filesystem::path& path) {
    const KerasH5File file(path);
    return load_keras_weights(model, file);
}

}  // namespace innspect::io
