#pragma once
/// \file
/// The method dispatch of `explain`: ExplainRequest's method name and options to an analyzer of
/// the library (gradient family, occlusion, LRP with a rule or a composite preset).

#include <algorithm>
#include <string>
#include <utility>

#include <innspect/cli/options.hpp>
#include <innspect/cli/requests.hpp>
#include <innspect/innspect.hpp>

namespace innspect::cli {

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

/// Explains `x` at target `t` with the method (and its options) of `r`.
template <class Model, class T = typename Model::scalar>
innspect::Explanation<T> explain_with(const Model& m, const Batch<T>& x, const innspect::Target<T>& t,
                                      const ExplainRequest& r) {
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
        // The default patch: a tenth of the input's first axis (W = 90: 9), at least one pixel.
        const int window =
            r.window.value_or(std::max(1, static_cast<int>(Model::input_shape::keras()[0]) / 10));
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

}  // namespace innspect::cli
