#pragma once
/// \file
/// Occlusion (Zeiler & Fergus 2014): slide a window of `window_h × window_w` pixels (all
/// channels) with the given strides, fill it with `fill`, and record the drop of the explained
/// score S = Σ_j m_j z_j. A pixel's attribution is the mean drop over the windows covering it.
/// Windows start at 0, stride, 2·stride, ... and are clipped at the border, so every pixel is
/// covered. The units explained are fixed at x (the reconstruction error: E of the occluded input). Attributes to the model input only.

#include <algorithm>
#include <string>
#include <vector>

#include "innspect/analyzers/gradient.hpp"

namespace innspect {

template <class Model>
class Occlusion : public detail::ExplainByName<Occlusion<Model>, Model> {
public:
    using T = typename Model::scalar;
    using detail::ExplainByName<Occlusion, Model>::explain;
    Occlusion(const Model&&, int, int, int, int, double = 0.0) = delete;  // a temporary

    Occlusion(const Model& model, int window_h, int window_w, int stride_h, int stride_w, double fill = 0.0)
        : model_(model), wh_(window_h), ww_(window_w), sh_(stride_h), sw_(stride_w), fill_(fill) {
        if (window_h < 1 || window_w < 1 || stride_h < 1 || stride_w < 1)
            throw value_error("Occlusion: window and strides must be >= 1");
    }

    Explanation<T> explain(const Batch<T>& x, const Target<T>& target, ExplainOptions opt = {}) const {
        if (detail::several_tasks(opt, x.rows(), target)) return detail::explain_in_tasks(*this, x, target, opt);
        if (!target.stop_at.empty())
            throw value_error("Occlusion: attributes to the model input; stop_at ('" + target.stop_at +
                              "') is not supported");
        using In = typename Model::input_shape;
        const int H = In::h, W = In::w, C = In::c;
        const auto trace = model_.forward(x, target.layer);
        const auto rt = detail::resolve(trace, target);
        auto e = detail::start_explanation(trace, rt);
        std::vector<std::pair<int, int>> corners;
        for (int h = 0; h < H; h += sh_)
            for (int w = 0; w < W; w += sw_) corners.emplace_back(h, w);
        e.relevance = Batch<T>::Zero(x.rows(), x.cols());
        Batch<T> count = Batch<T>::Zero(1, x.cols());
        for (const auto& [h0, w0] : corners)
            for (int h = h0; h < std::min(h0 + wh_, H); ++h)
                for (int w = w0; w < std::min(w0 + ww_, W); ++w)
                    count.middleCols((static_cast<Eigen::Index>(h) * W + w) * C, C).array() += T(1);
        constexpr Eigen::Index chunk = 64;  // occluded copies per forward pass: bounds memory
        Trace<T> ot;                        // reused by every chunk
        for (Eigen::Index b = 0; b < x.rows(); ++b) {
            const Target<T> fixed = detail::fixed_at(target, rt, b);
            for (std::size_t start = 0; start < corners.size(); start += chunk) {
                const auto n = static_cast<Eigen::Index>(std::min<std::size_t>(chunk, corners.size() - start));
                Batch<T> occluded = x.row(b).replicate(n, 1);
                for (Eigen::Index k = 0; k < n; ++k) apply_window(occluded, k, corners[start + k], H, W, C);
                model_.forward(occluded, ot, target.layer);
                const Vector<T> s = detail::resolve(ot, fixed).score();
                for (Eigen::Index k = 0; k < n; ++k) {
                    const T drop = rt.score()(b) - s(k);
                    const auto [h0, w0] = corners[start + k];
                    for (int h = h0; h < std::min(h0 + wh_, H); ++h)
                        for (int w = w0; w < std::min(w0 + ww_, W); ++w)
                            e.relevance.row(b).middleCols((static_cast<Eigen::Index>(h) * W + w) * C, C).array() +=
                                drop;
                }
            }
        }
        e.relevance.array().rowwise() /= count.array().row(0);
        return e;
    }

private:
    void apply_window(Batch<T>& m, Eigen::Index row, std::pair<int, int> corner, int H, int W, int C) const {
        for (int h = corner.first; h < std::min(corner.first + wh_, H); ++h)
            for (int w = corner.second; w < std::min(corner.second + ww_, W); ++w)
                m.row(row).middleCols((static_cast<Eigen::Index>(h) * W + w) * C, C).setConstant(T(fill_));
    }

    const Model& model_;
    int wh_, ww_, sh_, sw_;
    double fill_;
};

}  // namespace innspect
