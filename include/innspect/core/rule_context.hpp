#pragma once
/// \file
/// What an LRP rule sees and returns at one linear map: `RuleContext` (the map, its parameters,
/// its input, its pre-activation, a cache of parameter variants), `LrpStep` (the relevance at the
/// input and the bias's share) and `ParamCache`. In core, not in rules/, because a layer whose own
/// rule contains linear maps (a recurrent cell: design.md §5) runs the composite's rule on them
/// without naming any rule (rules/rule.hpp builds the rules on these types).

#include <any>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "innspect/core/linear_params.hpp"
#include "innspect/core/tensor.hpp"

namespace innspect {

/// Result of one rule step at one layer.
template <class T>
struct LrpStep {
    Batch<T> relevance;       ///< at the layer input
    double bias_absorbed = 0; ///< Σ over batch and units of the share the bias took in the denominator
};

/// Modified parameters (W⁺, W⁻, W², ones, ...) of one layer, made once per analyzer and reused
/// across calls: rules ask for them by key.
template <class T>
class ParamCache {
public:
    template <class Make>
    const LinearParams<T>& get(const std::string& key, Make&& make) {
        auto it = params_.find(key);
        if (it == params_.end()) it = params_.emplace(key, std::invoke(std::forward<Make>(make))).first;
        return it->second;
    }
    template <class Make>
    const Batch<T>& get_batch(const std::string& key, Make&& make) {
        auto it = batches_.find(key);
        if (it == batches_.end()) it = batches_.emplace(key, std::invoke(std::forward<Make>(make))).first;
        return it->second;
    }

    /// A cache of its own for one of several linear maps inside a layer (a recurrent cell's
    /// input and recurrent parts), so each map's variants ("w+", ...) are kept apart.
    ParamCache& part(const std::string& key) {
        auto& p = parts_[key];  // a vector of one: a member of the class's own (incomplete) type
        if (p.empty()) p.emplace_back();
        return p.front();
    }

    /// A layer's own workspace of type W under `key`, default-constructed on first use and kept
    /// across calls: buffers sized once per batch shape (a recurrent layer's per-step record)
    /// instead of fresh allocations, which glibc maps and page-faults anew on every call. Its
    /// contents are what the last call left; the layer overwrites them before reading.
    template <class W>
    W& workspace(const std::string& key) {
        std::any& w = workspaces_[key];
        if (!w.has_value()) w.emplace<W>();
        return std::any_cast<W&>(w);
    }

private:
    std::map<std::string, std::vector<ParamCache>> parts_;
    std::map<std::string, LinearParams<T>> params_;
    std::map<std::string, Batch<T>> batches_;
    std::map<std::string, std::any> workspaces_;
};

/// Everything a rule sees at one linear layer: the layer (its apply / apply_transposed), the
/// parameters P it is explained with (its own, or with a batch norm merged in), its input x, its
/// pre-activation z = apply(x, P) with the bias, and a cache for variants of P.
template <class L>
struct RuleContext {
    using T = typename L::scalar;
    const L& layer;
    const LinearParams<T>& params;
    const Batch<T>& x;
    const Batch<T>& z;
    ParamCache<T>& cache;
    bool first_layer;  ///< reads the model input (for bounded-input rules)
};

}  // namespace innspect
