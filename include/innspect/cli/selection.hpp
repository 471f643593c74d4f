#pragma once
/// \file
/// A command line checked against the model: layer names (--target, --stop-at), whether --stop-at
/// lies between the target and the input, and the unit selection of `--target LAYER:SEL` as an
/// innspect::Selection (index ranges, mask / direction file sizes). Every failure is a
/// usage_error (exit 2) naming the option, the layer and what it accepts.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <innspect/cli/input.hpp>
#include <innspect/cli/options.hpp>
#include <innspect/cli/requests.hpp>
#include <innspect/core/layer_info.hpp>
#include <innspect/core/shape.hpp>
#include <innspect/core/tensor.hpp>
#include <innspect/io/npy.hpp>
#include <innspect/targets/target.hpp>

namespace innspect::cli {

namespace detail {

inline std::string join_strings(const std::vector<std::string>& items) {
    std::string s;
    for (const auto& i : items) s += (s.empty() ? "" : ", ") + i;
    return s;
}

}  // namespace detail

/// "autoencoder (16, 16, 1)": a layer as messages name it.
inline std::string describe(const LayerInfo& l) {
    return std::string(l.name) + " " + innspect::shape_string(l.output_keras_shape());
}

/// Index of the layer called `name`, or a usage_error naming `option` and every layer.
inline int layer_index(const Context& ctx, std::span<const LayerInfo> layers, const std::string& name,
                       std::string_view option) {
    std::vector<std::string> names;
    for (std::size_t i = 0; i < layers.size(); ++i) {
        if (layers[i].name == name) return static_cast<int>(i);
        names.push_back(std::string(layers[i].name));
    }
    throw usage_error(std::string(option) + ": " + std::string(ctx.model) + " has no layer '" + name +
                      "' (accepted: " + detail::join_strings(names) + ")");
}

/// usage_error unless `stop` lies on the path from `tap` to the input.
inline void check_stop(std::span<const LayerInfo> layers, int tap, int stop) {
    std::vector<std::string> ancestors;
    for (int p = layers[static_cast<std::size_t>(tap)].parent; p >= 0;
         p = layers[static_cast<std::size_t>(p)].parent) {
        if (p == stop) return;
        ancestors.push_back(std::string(layers[static_cast<std::size_t>(p)].name));
    }
    const std::string tap_name(layers[static_cast<std::size_t>(tap)].name);
    throw usage_error(
        "--stop-at: '" + std::string(layers[static_cast<std::size_t>(stop)].name) +
        "' is not on the path from '" + tap_name + "' to the input (accepted: " +
        (ancestors.empty() ? "none, " + tap_name + " reads the input" : detail::join_strings(ancestors)) +
        ")");
}

/// The selection of --target at the layer `tap`, for a batch of `batch` samples.
template <class T>
innspect::Selection<T> make_selection(const SelectionSpec& s, const LayerInfo& tap, Eigen::Index batch) {
    namespace select = innspect::select;
    using K = SelectionSpec::Kind;
    switch (s.kind) {
        case K::max: return select::max<T>();
        case K::all: return select::all<T>();
        case K::index:
            if (s.index >= tap.out_size)
                throw usage_error("--target: index " + std::to_string(s.index) + " is out of range for " +
                                  describe(tap) + " (accepted: 0.." + std::to_string(tap.out_size - 1) + ")");
            return select::index<T>(static_cast<Eigen::Index>(s.index));
        case K::index_hwc:
            if (tap.out_rank != 3)
                throw usage_error("--target: index:H,W,C needs an image-shaped layer, " + describe(tap) +
                                  " is a vector (accepted: index:K, K in 0.." +
                                  std::to_string(tap.out_size - 1) + ")");
            if (s.h >= tap.out_h || s.w >= tap.out_w || s.c >= tap.out_c)
                throw usage_error("--target: index " + std::to_string(s.h) + "," + std::to_string(s.w) + "," +
                                  std::to_string(s.c) + " is out of range for " + describe(tap) +
                                  " (accepted: H in 0.." + std::to_string(tap.out_h - 1) + ", W in 0.." +
                                  std::to_string(tap.out_w - 1) + ", C in 0.." +
                                  std::to_string(tap.out_c - 1) + ")");
            return select::index<T>(s.h, s.w, s.c);
        case K::error:
            if (s.file.empty()) return select::reconstruction_error<T>();
            [[fallthrough]];
        case K::mask:
        case K::direction: {
            const char* kind = s.kind == K::mask        ? "mask"
                               : s.kind == K::direction ? "direction"
                                                        : "error mask";
            auto a = innspect::io::read_npy<T>(s.file);
            const auto n = static_cast<std::size_t>(tap.out_size);
            const auto b = static_cast<std::size_t>(batch);
            Eigen::Index rows = 0;
            if (a.data.size() == n)
                rows = 1;
            else if (a.data.size() == b * n && !a.shape.empty() && a.shape[0] == batch)
                rows = batch;
            else
                throw usage_error(std::string("--target: ") + kind + " file " + s.file.string() +
                                  " has shape " + innspect::shape_string(a.shape) + "; for " + describe(tap) +
                                  " accepted: " + std::to_string(n) + " values, e.g. " +
                                  innspect::shape_string(batch_shape(1, tap.output_keras_shape())) +
                                  ", or one row per sample, " +
                                  innspect::shape_string(batch_shape(batch, tap.output_keras_shape())));
            Batch<T> m = Eigen::Map<const Batch<T>>(a.data.data(), rows, tap.out_size);
            if (!m.allFinite())
                throw usage_error(std::string("--target: ") + kind + " file " + s.file.string() +
                                  " holds a non-finite value");
            if (s.kind == K::error) return select::reconstruction_error<T>(std::move(m));
            return s.kind == K::mask ? select::mask<T>(std::move(m)) : select::direction<T>(std::move(m));
        }
    }
    throw usage_error("--target: unknown selection");
}

}  // namespace innspect::cli
