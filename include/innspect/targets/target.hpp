#pragma once
/// \file
/// What an explanation explains (design.md §6): a tap (any layer, by its Keras name), a selection
/// of its units, whether the output activation is stripped, and where relevance stops.
///
/// The selection defines, per batch row, a weighting m over the tap's units:
///   LRP:      initial relevance R⁰ = m ⊙ z          (z: the tap's pre-activation, or its output
///   gradient: the scalar explained is Σ_j m_j z_j    when the activation is kept)
/// index(k) / index(h, w, c): m = one-hot;  max(): one-hot at each row's argmax;  all(): m = 1;
/// mask(M): m = M (a region of a reconstruction);  direction(c): m = c, so the concept score
/// s = c·z is explained (concept saliency, arXiv 1910.13140);  relevance(R): R⁰ = R as given
/// (for gradients: m = R).
///
/// reconstruction_error([M]) explains an autoencoder's anomaly score instead of a layer's units:
/// E(x) = Σ_j m_j (x_j − x̂_j)², x̂ the tap's output (activation kept), m = M or ones. With
/// d = m ⊙ (x̂ − x), fixed at x, E = Σ_j d_j x̂_j − Σ_j d_j x_j exactly, so LRP explains
/// E as R = R_net + R_direct: R_net the relevance of s = Σ d ⊙ x̂ through the network (R⁰ = d ⊙ x̂
/// at the tap, as direction(d) with the activation kept) and R_direct = −d ⊙ x, the input's own
/// term. The gradient family differentiates E itself: ∂E/∂x = 2 Jᵀ d − 2 d (J = ∂x̂/∂x).

#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "innspect/core/errors.hpp"
#include "innspect/core/fixed_string.hpp"
#include "innspect/core/layer_info.hpp"
#include "innspect/core/tensor.hpp"

namespace innspect {

/// How a selection weights the tap's units (see the file comment).
enum class SelectionKind { index, max, all, mask, direction, relevance, error };

/// Which units of a tap are explained, and how they are weighted.
template <class T = void>
struct Selection {
    using Kind = SelectionKind;
    Kind kind = Kind::max;
    Eigen::Index flat_index = -1;  ///< index(k)
    int h = -1, w = -1, c = -1;    ///< index(h, w, c)
    Batch<T> values;               ///< mask / direction / relevance / error's mask: one row (broadcast) or one per sample
};

/// A selection without values (index, max, all, the whole reconstruction error) and without a
/// scalar type: what `select::max()` etc. make when no type is given. It becomes the
/// `Selection<T>` of the model it is used with, so one spelling serves float and double models.
template <>
struct Selection<void> {
    using Kind = SelectionKind;
    Kind kind = Kind::max;
    Eigen::Index flat_index = -1;
    int h = -1, w = -1, c = -1;

    template <class T>
    operator Selection<T>() const {  // NOLINT(google-explicit-constructor): the point is to convert silently
        Selection<T> s;
        s.kind = kind;
        s.flat_index = flat_index;
        s.h = h;
        s.w = w;
        s.c = c;
        return s;
    }
};

namespace select {
namespace detail {
template <class T>
Selection<T> make(SelectionKind kind) {
    Selection<T> s;
    s.kind = kind;
    return s;
}
template <class T>
Selection<T> make(SelectionKind kind, Batch<T> values) {
    Selection<T> s;
    s.kind = kind;
    s.values = std::move(values);
    return s;
}
}  // namespace detail

// The selections without values take the scalar type as an optional template argument; without
// it they convert to the model's (`select::max()` for a float or a double model alike).

/// The unit with flat (channels-last) index k.
template <class T = void>
Selection<T> index(Eigen::Index k) {
    auto s = detail::make<T>(SelectionKind::index);
    s.flat_index = k;
    return s;
}
/// The unit at pixel (h, w), channel c of an image-shaped tap.
template <class T = void>
Selection<T> index(int h, int w, int c) {
    auto s = detail::make<T>(SelectionKind::index);
    s.h = h;
    s.w = w;
    s.c = c;
    return s;
}
/// Each sample's largest unit (the predicted class for a classifier).
template <class T = void>
Selection<T> max() {
    return detail::make<T>(SelectionKind::max);
}
/// Every unit, weighted by itself: explains Σ_j z_j (LRP: R⁰ = z).
template <class T = void>
Selection<T> all() {
    return detail::make<T>(SelectionKind::all);
}
/// A weighting of the tap's units, e.g. a 0/1 region of a reconstruction (1 row or one per sample).
template <class T>
Selection<T> mask(Batch<T> m) {
    return detail::make<T>(SelectionKind::mask, std::move(m));
}
/// A concept direction c in the tap's space: explains the concept score c·z.
template <class T>
Selection<T> direction(Batch<T> c) {
    return detail::make<T>(SelectionKind::direction, std::move(c));
}
/// The reconstruction error E = Σ_j (x_j − x̂_j)² of an autoencoder whose tap (the
/// reconstruction) has the input's shape.
template <class T = void>
Selection<T> reconstruction_error() {
    return detail::make<T>(SelectionKind::error);
}
/// The reconstruction error over a region, E = Σ_j m_j (x_j − x̂_j)² (m: 0/1 or weights; one row
/// or one per sample).
template <class T>
Selection<T> reconstruction_error(Batch<T> m) {
    return detail::make<T>(SelectionKind::error, std::move(m));
}
/// Initial relevance given as is (one row or one per sample).
template <class T>
Selection<T> relevance(Batch<T> r) {
    return detail::make<T>(SelectionKind::relevance, std::move(r));
}
}  // namespace select

/// A tap, a selection, the activation policy, and where relevance stops. `Target<void>` (from
/// `target(...)` with a selection without values) converts to the `Target<T>` an analyzer takes.
template <class T = void>
struct Target {
    std::string layer;                  ///< Keras name of the explained layer
    Selection<T> selection = select::max<T>();
    bool strip_activation = true;       ///< explain the pre-activation (logit) rather than f(z)
    std::string stop_at;                ///< empty: the model input; else the layer whose output receives relevance

    template <class U>
        requires(std::is_void_v<T> && !std::is_void_v<U>)
    operator Target<U>() const {  // NOLINT(google-explicit-constructor)
        return Target<U>{layer, selection, strip_activation, stop_at};
    }
};

/// Target `layer` with `sel` (strip the activation, propagate to the input).
template <class T = void>
Target<T> target(std::string layer, Selection<T> sel = select::max<T>()) {
    Target<T> t;
    t.layer = std::move(layer);
    t.selection = std::move(sel);
    return t;
}

/// A target whose layer is named at compile time, `target<"output">(select::index(1))`: an
/// analyzer checks the name against its model when it compiles (as `Model::layer<"name">` does),
/// so a typo does not compile.
template <fixed_string Name, class T>
struct NamedTarget {
    Target<T> target;
};

/// `target<"layer">(sel)`: a target whose layer name the analyzer checks at compile time.
template <fixed_string Name, class T = void>
NamedTarget<Name, T> target(Selection<T> sel = select::max<T>()) {
    return {target<T>(std::string(Name.view()), std::move(sel))};
}

namespace detail {

/// Gives an analyzer `explain(x, target<"name">(...), ...)`, checked against its model at compile
/// time; the analyzer says `using ExplainByName<...>::explain;`.
template <class Derived, class Model>
struct ExplainByName {
    template <fixed_string Name, class S, class... Options>
        requires(std::is_same_v<S, typename Model::scalar> || std::is_void_v<S>)
    auto explain(const Batch<typename Model::scalar>& x, const NamedTarget<Name, S>& t, Options&&... options) const {
        static_assert(Model::has_layer(Name.view()), "explain(x, target<Name>(...)): the model has no layer of this name");
        return static_cast<const Derived&>(*this).explain(x, Target<typename Model::scalar>(t.target),
                                                          std::forward<Options>(options)...);
    }
};

inline std::string describe(const LayerInfo& l) {
    return std::string(l.name) + " " + shape_string(l.output_keras_shape());
}

/// Broadcasts a 1-row selection to the batch, or checks a per-sample one; names the layer on error.
/// Into `m`, kept by the caller (no allocation once it has the batch's size).
template <class T>
void broadcast_rows(const Batch<T>& v, Eigen::Index batch, const LayerInfo& l, const char* what, Batch<T>& m) {
    if (v.cols() != l.out_size)
        throw shape_error(std::string(what) + " for " + describe(l) + ": expected " + std::to_string(l.out_size) +
                          " values per row, got " + std::to_string(v.cols()));
    if (v.rows() == batch) {
        m = v;
        return;
    }
    if (v.rows() == 1) {
        m = v.replicate(batch, 1);
        return;
    }
    throw shape_error(std::string(what) + " for " + describe(l) + ": expected 1 or " + std::to_string(batch) +
                      " rows, got " + std::to_string(v.rows()));
}

/// The weighting m (batch × tap size) of `sel` at a tap whose explained values are `z`, into `m`
/// (kept by the caller: no allocation once it has the batch's size).
template <class T>
void selection_weights(const Selection<T>& sel, const Batch<T>& z, const LayerInfo& l, Batch<T>& m) {
    using K = typename Selection<T>::Kind;
    if (sel.kind == K::all) {
        m.setOnes(z.rows(), z.cols());
        return;
    }
    m.setZero(z.rows(), z.cols());
    switch (sel.kind) {
        case K::index: {
            Eigen::Index k = sel.flat_index;
            if (sel.h >= 0 || sel.w >= 0 || sel.c >= 0) {
                if (l.out_rank != 3 || sel.h < 0 || sel.h >= l.out_h || sel.w < 0 || sel.w >= l.out_w || sel.c < 0 ||
                    sel.c >= l.out_c)
                    throw value_error("index (" + std::to_string(sel.h) + ", " + std::to_string(sel.w) + ", " +
                                      std::to_string(sel.c) + ") is out of range for " + describe(l));
                k = (static_cast<Eigen::Index>(sel.h) * l.out_w + sel.w) * l.out_c + sel.c;
            }
            if (k < 0 || k >= z.cols())
                throw value_error("index " + std::to_string(k) + " is out of range for " + describe(l) + " (0.." +
                                  std::to_string(z.cols() - 1) + ")");
            m.col(k).setOnes();
            break;
        }
        case K::max:
            for (Eigen::Index r = 0; r < z.rows(); ++r) {
                Eigen::Index k;
                z.row(r).maxCoeff(&k);
                m(r, k) = T(1);
            }
            break;
        case K::all: break;  // above
        case K::error:
            if (sel.values.size() == 0) {
                m.setOnes();
                break;
            }
            [[fallthrough]];
        case K::mask:
        case K::direction:
        case K::relevance:
            broadcast_rows(sel.values, z.rows(), l,
                           sel.kind == K::mask        ? "mask"
                           : sel.kind == K::direction ? "direction"
                           : sel.kind == K::error     ? "reconstruction error mask"
                                                      : "relevance",
                           m);
            break;
    }
    if (!all_finite(m)) require_finite(m, "selection at " + std::string(l.name));
}

/// The layers a backward pass from `tap` visits: those the tap depends on (the tap itself
/// included) and, with a stop layer (≥ 0), only those that depend on it (the stop layer itself
/// excluded). Throws name_error if `stop` is not something the tap depends on. Into `on`, with
/// `needed` for the layers the tap depends on (both kept by the caller: no allocation once they
/// have the model's size).
inline void backward_path(std::span<const LayerInfo> layers, int tap, int stop, std::vector<bool>& on,
                          std::vector<bool>& needed) {
    const auto n = static_cast<std::size_t>(tap) + 1;
    on.assign(layers.size(), false);
    needed.assign(n, false);
    needed[n - 1] = true;
    for (std::size_t i = n; i-- > 0;)  // parents come before their readers
        if (needed[i])
            for (int p : layers[i].parents.list())
                if (p >= 0) needed[static_cast<std::size_t>(p)] = true;
    if (stop >= 0 && (stop > tap || !needed[static_cast<std::size_t>(stop)]))
        throw name_error("stop layer '" + std::string(layers[static_cast<std::size_t>(stop)].name) +
                         "' is not on the path from '" + std::string(layers[static_cast<std::size_t>(tap)].name) +
                         "' to the input");
    if (stop == tap) return;
    for (std::size_t i = 0; i < n; ++i) {
        if (!needed[i]) continue;
        if (stop < 0) {
            on[i] = true;
            continue;
        }
        for (int p : layers[i].parents.list())
            if (p == stop || (p > stop && on[static_cast<std::size_t>(p)])) on[i] = true;
    }
}

}  // namespace detail
}  // namespace innspect
