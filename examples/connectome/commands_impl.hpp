#pragma once
/// \file
/// Definitions of the subcommands declared in commands.hpp, for any scalar T and width W. Included
/// only by the seed_<W>_<T>.cpp files, which instantiate them (INNSPECT_CONNECTOME_INSTANTIATE).

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <innspect/innspect.hpp>
#include <innspect/io/keras_model.hpp>
#include <innspect/io/npy.hpp>

#include "cli.hpp"
#include "commands.hpp"
#include "concept.hpp"
#include "seed_model.hpp"

namespace connectome {

using innspect::Batch;
using innspect::LayerInfo;

namespace detail {

/// The input as a batch of T (one sample per row, channels-last).
template <class T>
Batch<T> to_batch(const InputData& in) {
    Batch<T> x(in.batch, static_cast<Eigen::Index>(in.width) * in.width);
    std::transform(in.data.begin(), in.data.end(), x.data(), [](double v) { return static_cast<T>(v); });
    return x;
}

/// (batch, sample shape...).
inline std::vector<std::int64_t> batch_shape(Eigen::Index batch, std::vector<std::int64_t> sample) {
    sample.insert(sample.begin(), static_cast<std::int64_t>(batch));
    return sample;
}

inline std::string join_strings(const std::vector<std::string>& items) {
    std::string s;
    for (const auto& i : items) s += (s.empty() ? "" : ", ") + i;
    return s;
}

inline std::string describe(const LayerInfo& l) {
    return std::string(l.name) + " " + innspect::shape_string(l.output_keras_shape());
}

/// Index of the layer called `name`, or a usage_error naming `option` and every layer.
inline int layer_index(std::span<const LayerInfo> layers, const std::string& name, std::string_view option) {
    std::vector<std::string> names;
    for (std::size_t i = 0; i < layers.size(); ++i) {
        if (layers[i].name == name) return static_cast<int>(i);
        names.push_back(std::string(layers[i].name));
    }
    throw usage_error(std::string(option) + ": the seed model has no layer '" + name +
                      "' (accepted: " + join_strings(names) + ")");
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
        (ancestors.empty() ? "none, " + tap_name + " reads the input" : join_strings(ancestors)) + ")");
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
            const char* kind = s.kind == K::mask ? "mask" : s.kind == K::direction ? "direction" : "error mask";
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

/// Loads a Keras file: its architecture checked against the seed model first when the file has a
/// model_config (a mismatch is an innspect::architecture_error naming layer and field, exit 1),
/// then the weights; the loader's notes and the file's unused arrays go to stderr.
template <class Model>
void load_weights(Model& model, const std::filesystem::path& path) {
    const auto report = innspect::io::load_keras_model(model, path);
    for (const auto& note : report.notes)
        std::cerr << program_name << ": " << path.string() << ": " << note << '\n';
    if (!report.extra.empty())
        std::cerr << program_name << ": " << path.string()
                  << ": arrays the seed model does not use (ignored): " << join_strings(report.extra) << '\n';
}

/// z^B bounds: --low / --high, by default the input's minimum / maximum (over the whole batch).
template <class T>
std::pair<double, double> box_bounds(const Batch<T>& x, const ExplainRequest& r) {
    const double low = r.low ? *r.low : static_cast<double>(x.minCoeff());
    const double high = r.high ? *r.high : static_cast<double>(x.maxCoeff());
    if (low > high)
        throw usage_error("--low " + std::to_string(low) + (r.low ? "" : " (the input's minimum)") +
                          " is above --high " + std::to_string(high) +
                          (r.high ? "" : " (the input's maximum)") + " (accepted: low <= high)");
    return {low, high};
}

template <class Model, class T = typename Model::scalar>
innspect::Explanation<T> explain_with(const Model& m, const Batch<T>& x, const innspect::Target<T>& t,
                                      const ExplainRequest& r, int width) {
    using namespace innspect;
    const std::string& me = r.method;
    if (me == "gradient") return gradient(m).explain(x, t);
    if (me == "residual") return residual_map(m).explain(x, t);
    if (me == "input_x_gradient") return input_x_gradient(m).explain(x, t);
    if (me == "guided_backprop") return guided_backprop(m).explain(x, t);
    if (me == "deconvnet") return deconvnet(m).explain(x, t);
    if (me == "integrated_gradients") return IntegratedGradients<Model>(m, r.steps).explain(x, t);
    if (me == "smoothgrad") return SmoothGrad<Model>(m, r.samples, r.noise_level, r.seed).explain(x, t);
    if (me == "occlusion") {
        const int window = r.window.value_or(std::max(1, width / 10));
        const int stride = r.stride.value_or(window);
        return Occlusion<Model>(m, window, window, stride, stride, r.fill).explain(x, t);
    }
    const double eps = r.epsilon.value_or(1e-6);
    if (me == "lrp.z") return lrp(m, ZRule{r.bias}).explain(x, t);
    if (me == "lrp.epsilon") return lrp(m, Epsilon(eps, r.bias)).explain(x, t);
    if (me == "lrp.alpha_beta") return lrp(m, AlphaBeta(r.alpha, r.beta, r.bias)).explain(x, t);
    if (me == "lrp.zplus") return lrp(m, ZPlus(r.bias)).explain(x, t);
    if (me == "lrp.gamma") return lrp(m, Gamma(r.gamma, r.bias)).explain(x, t);
    if (me == "lrp.flat") return lrp(m, Flat{}).explain(x, t);
    if (me == "lrp.wsquare") return lrp(m, WSquare{}).explain(x, t);
    if (me == "lrp.zbox") {
        const auto [low, high] = box_bounds(x, r);
        return lrp(m, ZBox(low, high)).explain(x, t);
    }
    if (me == "lrp.composite") {
        const std::string& c = r.composite;
        // iNNvestigate's presets default to epsilon 0.1, Zennit's to 1e-6; --epsilon overrides both.
        const double eps_a = r.epsilon.value_or(0.1);
        if (c == "sequential_preset_a") return lrp(m, presets::sequential_preset_a(eps_a)).explain(x, t);
        if (c == "sequential_preset_b") return lrp(m, presets::sequential_preset_b(eps_a)).explain(x, t);
        if (c == "sequential_preset_a_flat")
            return lrp(m, presets::sequential_preset_a_flat(eps_a)).explain(x, t);
        if (c == "sequential_preset_b_flat")
            return lrp(m, presets::sequential_preset_b_flat(eps_a)).explain(x, t);
        if (c == "epsilon_plus") return lrp(m, presets::epsilon_plus(eps)).explain(x, t);
        if (c == "epsilon_alpha2_beta1") return lrp(m, presets::epsilon_alpha2_beta1(eps)).explain(x, t);
        if (c == "epsilon_plus_flat") return lrp(m, presets::epsilon_plus_flat(eps)).explain(x, t);
        if (c == "epsilon_gamma_box") {
            const auto [low, high] = box_bounds(x, r);
            return lrp(m, presets::epsilon_gamma_box(low, high, r.gamma, eps)).explain(x, t);
        }
        throw usage_error("--composite: '" + c + "' is not accepted (accepted: " + join(composite_names) +
                          ")");
    }
    throw usage_error("--method: '" + me + "' is not accepted");
}

}  // namespace detail

template <class T, int W>
int run_predict(const PredictRequest& r, const InputData& input) {
    using M = innspect::seed::SeedModel<T, W>;
    const auto model = std::make_unique<M>();
    detail::load_weights(*model, r.weights);
    const auto trace = model->forward(detail::to_batch<T>(input));
    std::filesystem::create_directories(r.out_dir);
    for (std::size_t i = 0; i < M::size; ++i) {
        const LayerInfo& l = M::layer_infos()[i];
        innspect::io::write_npy(r.out_dir / (std::string(l.name) + ".npy"), trace.out[i],
                                detail::batch_shape(trace.batch(), l.output_keras_shape()));
    }
    std::cerr << program_name << ": wrote " << M::size << " layer outputs (batch " << trace.batch() << ") to "
              << r.out_dir.string() << '\n';
    return 0;
}

template <class T, int W>
int run_explain(const ExplainRequest& r, const InputData& input) {
    using M = innspect::seed::SeedModel<T, W>;
    const auto& layers = M::layer_infos();
    // Every check of the command line against the model comes before the weights are read.
    const int tap = detail::layer_index(layers, r.tap, "--target");
    if (!r.stop_at.empty())
        detail::check_stop(layers, tap, detail::layer_index(layers, r.stop_at, "--stop-at"));
    const Batch<T> x = detail::to_batch<T>(input);
    innspect::Target<T> target = innspect::target<T>(
        r.tap, detail::make_selection<T>(r.selection, layers[static_cast<std::size_t>(tap)], x.rows()));
    target.strip_activation = !r.keep_activation;
    target.stop_at = r.stop_at;

    const auto model = std::make_unique<M>();
    detail::load_weights(*model, r.weights);
    const auto e = detail::explain_with(*model, x, target, r, W);
    if (r.report) std::cout << e.report.table() << std::flush;
    const auto shape = detail::batch_shape(e.relevance.rows(), e.shape);
    innspect::io::write_npy(r.out, e.relevance, shape);
    std::cerr << program_name << ": wrote " << r.out.string() << ' ' << innspect::shape_string(shape)
              << " (relevance at " << e.at << ")\n";
    return 0;
}

template <class T, int W>
int run_concept(const ConceptRequest& r, const InputData& with, const InputData& without) {
    using M = innspect::seed::SeedModel<T, W>;
    const int i = detail::layer_index(M::layer_infos(), r.layer, "--layer");
    const auto model = std::make_unique<M>();
    detail::load_weights(*model, r.weights);
    const Batch<T> c = innspect::concept_vector(*model, detail::to_batch<T>(with),
                                                detail::to_batch<T>(without), r.layer, r.pre_activation);
    innspect::io::write_npy(r.out, c, {std::int64_t{1}, static_cast<std::int64_t>(c.cols())});
    std::cerr << program_name << ": wrote " << r.out.string() << " (1, " << c.cols() << "): mean "
              << (r.pre_activation ? "pre-activation" : "output") << " of "
              << detail::describe(M::layer_infos()[static_cast<std::size_t>(i)]) << " over " << with.batch
              << " sample(s) minus over " << without.batch << " sample(s), |c| = " << c.norm() << '\n';
    return 0;
}

}  // namespace connectome

/// Instantiates the subcommands for scalar T and width W (one translation unit each).
#define INNSPECT_CONNECTOME_INSTANTIATE(T, W)                                                  \
    namespace connectome {                                                                     \
    template int run_predict<T, W>(const PredictRequest&, const InputData&);                   \
    template int run_explain<T, W>(const ExplainRequest&, const InputData&);                   \
    template int run_concept<T, W>(const ConceptRequest&, const InputData&, const InputData&); \
    }
