#pragma once
/// \file
/// The backward walk every analyzer shares: resolve the target at the tap, then visit the layers
/// the tap depends on (down to the input, or to the stop layer) in reverse declaration order, each
/// in two steps: activation (output → pre-activation), then core (pre-activation → input). On a
/// graph that branches, what a layer hands back is split among the layers it read (a merge's
/// joined input by the inputs' sizes) and added to what they already hold; since every reader
/// comes after what it reads, a layer is visited only when all its readers have given their part,
/// and the sums are taken in one fixed order (readers in reverse declaration order).

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>
#include <utility>

#include "innspect/analyzers/explanation.hpp"
#include "innspect/analyzers/tasks.hpp"
#include "innspect/core/rule_context.hpp"
#include "innspect/core/trace.hpp"
#include "innspect/targets/target.hpp"

namespace innspect::detail {

/// Gradient through a layer's core (pre-activation → input), into `out` (kept by the caller).
/// Layers whose Jacobian depends on their input (max pooling) provide `backward(x, g)`; the others
/// `backward_linear(g)`; either with an `_into` form (`backward_into(x, g, out)`,
/// `backward_linear_into(g, out)`) that writes into `out` without allocating, preferred.
/// A layer that re-runs its forward pass (a recurrent cell) also takes the analyzer's `cache` for
/// it, when there is one, to keep its buffers across calls (`backward_into(x, g, cache, out)`).
template <class L, class T>
void core_vjp(const L& layer, const Batch<T>& x, const Batch<T>& g, ParamCache<T>* cache, Batch<T>& out) {
    if constexpr (requires { layer.backward_into(x, g, *cache, out); }) {
        if (cache) {
            layer.backward_into(x, g, *cache, out);
            return;
        }
    }
    if constexpr (requires { layer.backward_into(x, g, out); })
        layer.backward_into(x, g, out);
    else if constexpr (requires { layer.backward(x, g); })
        out = layer.backward(x, g);
    else if constexpr (requires { layer.backward_linear_into(g, out); })
        layer.backward_linear_into(g, out);
    else
        out = layer.backward_linear(g);
}

/// Keras shape of what the walk ends at: the model input or the stop layer's output, into `s`
/// (its capacity reused).
inline void end_shape(std::span<const LayerInfo> layers, int stop, std::vector<std::int64_t>& s) {
    s.clear();
    if (stop >= 0) return layers[static_cast<std::size_t>(stop)].output_keras_shape(s);
    for (const auto& l : layers)
        if (l.parent < 0) return l.input_keras_shape(s);  // a merge's first shape is its first input's
}
inline std::vector<std::int64_t> end_shape(std::span<const LayerInfo> layers, int stop) {
    std::vector<std::int64_t> s;
    end_shape(layers, stop, s);
    return s;
}

/// A target bound to a trace.
template <class T>
struct ResolvedTarget {
    int tap = -1;
    int stop = -1;
    Batch<T> weights;    ///< m, batch × tap size (the error target: d = m ⊙ (x̂ − x))
    Batch<T> explained;  ///< z (activation stripped) or a
    bool seed_at_pre = true;
    bool given_relevance = false;
    bool unit_weights = false;  ///< m = 1 everywhere (select::all): R⁰ = z and the score Σ z, no product
    bool error = false;  ///< the reconstruction error E (targets/target.hpp)
    Batch<T> input;      ///< the error target: x, the model input
    std::vector<std::int64_t> input_shape, tap_shape;  ///< the error target's shape check (kept: no allocation)

    /// Σ_j m_j z_j per row; the error target: E = Σ d ⊙ x̂ − Σ d ⊙ x. Into `s`.
    void score(Vector<T>& s) const {
        if (unit_weights) s = explained.rowwise().sum();  // 1·z = z exactly: the same bits
        else s = weights.cwiseProduct(explained).rowwise().sum();
        if (error) s -= weights.cwiseProduct(input).rowwise().sum();
    }
    Vector<T> score() const {
        Vector<T> s;
        score(s);
        return s;
    }
    /// R⁰ = m ⊙ z, or R as given. Into `r`.
    void initial_relevance(Batch<T>& r) const {
        if (given_relevance || unit_weights) r = given_relevance ? weights : explained;
        else r = weights.cwiseProduct(explained);
    }
    Batch<T> initial_relevance() const {
        Batch<T> r;
        initial_relevance(r);
        return r;
    }
    /// The same, exchanging buffers with z when R⁰ = z (select::all: the whole reconstruction, a
    /// whole layer) and r has z's size (from the previous call into a kept explanation): no copy
    /// of the tap's output. `explained` then holds r's old values until the next resolve refills
    /// it (same size: no allocation), so score() comes first.
    void take_initial_relevance(Batch<T>& r) {
        if (unit_weights && !given_relevance && r.rows() == explained.rows() && r.cols() == explained.cols())
            r.swap(explained);
        else
            initial_relevance(r);
    }
    /// The error target's input term of LRP, R_direct = −d ⊙ x (an expression: no matrix of its own).
    auto direct_relevance() const { return -weights.cwiseProduct(input); }
    /// Where the error target's gradient starts, ∂E/∂x̂ = 2d (other targets start at m, `weights`).
    auto error_gradient_seed() const { return T(2) * weights; }
    /// The error target's input term of the gradient, ∂E/∂x with x̂ held fixed: −2d.
    auto direct_gradient() const { return T(-2) * weights; }
};

/// `t` bound to `trace`, into `r` (its buffers reused: no allocation once they have the batch's
/// size, except for the reconstruction-error target's shape check).
template <class T>
void resolve(const Trace<T>& trace, const Target<T>& t, ResolvedTarget<T>& r) {
    r.tap = trace.index_of(t.layer);
    r.stop = t.stop_at.empty() ? -1 : trace.index_of(t.stop_at);
    const LayerInfo& tap = trace.layers[static_cast<std::size_t>(r.tap)];
    r.error = t.selection.kind == Selection<T>::Kind::error;
    r.unit_weights = t.selection.kind == Selection<T>::Kind::all;
    if (r.error) {
        // E compares the reconstruction with the input: the tap must have the input's shape.
        end_shape(trace.layers, -1, r.input_shape);
        tap.output_keras_shape(r.tap_shape);
        if (r.input_shape != r.tap_shape)
            throw shape_error("reconstruction error at " + describe(tap) + ": the reconstruction must have the input's shape " +
                              shape_string(r.input_shape) + ", it has " + shape_string(r.tap_shape));
        r.seed_at_pre = false;  // E is of the output x̂, activation kept
        r.given_relevance = false;
        r.explained = trace.output(r.tap);
        r.input = trace.input;
        selection_weights(t.selection, r.explained, tap, r.weights);
        r.weights.array() *= (r.explained - trace.input).array();
        return;
    }
    r.seed_at_pre = t.strip_activation;
    r.explained = t.strip_activation ? trace.pre_activation(r.tap) : trace.output(r.tap);
    selection_weights(t.selection, r.explained, tap, r.weights);
    r.given_relevance = t.selection.kind == Selection<T>::Kind::relevance;
}
template <class T>
ResolvedTarget<T> resolve(const Trace<T>& trace, const Target<T>& t) {
    ResolvedTarget<T> r;
    resolve(trace, t, r);
    return r;
}

/// The target of sample b with its units fixed as they were at x (for methods that run the model
/// on other inputs: integrated gradients, SmoothGrad, occlusion). The reconstruction error stays
/// a function of the input it is evaluated at (its mask row kept).
template <class T>
Target<T> fixed_at(const Target<T>& t, const ResolvedTarget<T>& rt, Eigen::Index b) {
    Target<T> f = t;
    if (rt.error) {
        if (t.selection.values.rows() > 1) f.selection.values = t.selection.values.row(b);
    } else {
        f.selection = select::relevance<T>(rt.weights.row(b));
    }
    return f;
}

/// What a walk left out: with a stop layer, the sum of what reached the input through branches
/// that do not pass the stop layer (a skip connection around it).
struct WalkExtras {
    double bypassed = 0;
};

/// The walk's buffers, kept across walks by an analyzer's workspace (fresh for a one-off walk):
/// once they have the batch's sizes, a walk allocates none of its own.
template <class T>
struct WalkBuffers {
    std::vector<bool> path, needed;  ///< the layers visited (backward_path) and its scratch
    std::vector<Batch<T>> at;        ///< at[i]: the sum of what layer i's readers handed back so far
    std::vector<char> holds;         ///< holds[i]: at[i] has received a part in this walk
    std::vector<Batch<T>> in;        ///< in[i]: what layer i's core step hands back at its input
    Batch<T> means;                  ///< the means of groups of rows (backpropagate's `per`)
};

/// The walk's bookkeeping, apart from the layers (one instantiation per scalar type, not per
/// layer): what has reached each layer's output so far, and where what a layer hands back goes.
template <class T>
struct BackwardState {
    const Trace<T>& trace;
    const ResolvedTarget<T>& rt;
    WalkBuffers<T>& w;
    Batch<T>& end;  ///< what reached the input or the stop layer (the caller's result)
    bool holds_end;
    WalkExtras* extras;

    /// Splits `u` (at layer i's input; a merge's joined inputs) among the layers i read and adds
    /// each part to what that layer holds. Not inlined into every layer's step: compile time.
    /// When all of `u` goes to one place that holds nothing yet and has u's size (from the previous
    /// walk), the two buffers are swapped instead of copied: the walk does not read u again, and
    /// both keep their sizes, so a repeated walk still allocates nothing.
    [[gnu::noinline]] void hand_back(std::size_t i, Batch<T>& u) {
        if (trace.layers[i].parents.count == 1) {
            const int p = trace.layers[i].parents.index[0];
            const auto k = static_cast<std::size_t>(p);
            const bool to_end = p == rt.stop, to_layer = !to_end && p >= 0 && w.path[k];
            Batch<T>* dst = to_end ? &end : to_layer ? &w.at[k] : nullptr;
            const bool held = to_end ? holds_end : to_layer && w.holds[k];
            if (dst && !held && dst->rows() == u.rows() && dst->cols() == u.cols()) {
                dst->swap(u);
                if (to_end) holds_end = true;
                else w.holds[k] = 1;
                return;
            }
        }
        Eigen::Index offset = 0;
        for (int p : trace.layers[i].parents.list()) {
            const Eigen::Index cols = p < 0 ? trace.input.cols() : trace.out[static_cast<std::size_t>(p)].cols();
            const auto part = u.middleCols(offset, cols);
            offset += cols;
            const auto k = static_cast<std::size_t>(p);
            if (p == rt.stop) add(end, holds_end, part);
            else if (p >= 0 && w.path[k]) add(w.at[k], w.holds[k], part);
            else if (extras) extras->bypassed += static_cast<double>(part.sum());  // around the stop layer
        }
    }
    /// Zeros at the end when nothing reached it.
    void finish() {
        if (!holds_end)
            end.setZero(trace.batch(), rt.stop < 0 ? trace.input.cols() : trace.out[static_cast<std::size_t>(rt.stop)].cols());
    }

private:
    template <class Flag, class Part>
    static void add(Batch<T>& dst, Flag& holds, const Part& part) {
        if (!holds) dst = part;
        else dst += part;
        holds = 1;
    }
};

/// What an analyzer keeps between calls to explain without allocating in steady state: the forward
/// trace, the resolved target and the walk's buffers. Buffers, not state: every call overwrites
/// what it reads, so a copy of an analyzer (ExplainOptions::threads gives each kept worker one)
/// starts with an empty workspace of its own. One analyzer per thread (README, "caches and threads").
template <class T>
struct Workspace {
    Trace<T> trace;
    ResolvedTarget<T> rt;
    WalkBuffers<T> walk;
    Batch<T> direct;  ///< the reconstruction-error target's input term

    Workspace() = default;
    Workspace(const Workspace&) {}
    Workspace& operator=(const Workspace&) { return *this; }
};

/// Records `v` as the relevance at layer `name` in `keep`'s k-th entry (reusing its buffers).
template <class T>
void keep_layer(std::vector<LayerRelevance<T>>& keep, std::size_t& k, std::string_view name, const Batch<T>& v) {
    if (k == keep.size()) keep.emplace_back();
    keep[k].layer.assign(name);
    keep[k].relevance = v;
    ++k;
}

/// Walks from `rt.tap` back to the input or `rt.stop` (see backward_path), starting from `seed` at
/// the tap. `activation(I, layer, v)` maps v at a layer's output to its pre-activation, in place
/// (skipped at the tap when the seed is the pre-activation); `core(I, layer, v, out)` maps v at the
/// pre-activation to the layer's input (for a merge: its joined inputs), into `out` (v is not read
/// afterwards: a step that passes it on unchanged may swap it into `out`). The sum of
/// what reached the end goes into `result`. `keep`, when given, receives every visited layer's
/// relevance (its entries reused, resized to the walk's). Buffers come from `w`: kept by the
/// caller, a repeated walk with the same batch size allocates nothing of its own.
template <class Model, class T, class Seed, class ActivationStep, class CoreStep>
void walk_backward(const Model& model, const Trace<T>& trace, const ResolvedTarget<T>& rt, WalkBuffers<T>& w,
                   const Seed& seed, ActivationStep&& activation, CoreStep&& core,
                   std::type_identity_t<std::vector<LayerRelevance<T>>*> keep, Batch<T>& result,
                   WalkExtras* extras = nullptr) {
    std::size_t kept = 0;
    if (rt.tap == rt.stop) {
        result = seed;
        if (keep) {
            keep_layer(*keep, kept, trace.layers[static_cast<std::size_t>(rt.tap)].name, result);
            keep->resize(kept);
        }
        return;
    }
    backward_path(trace.layers, rt.tap, rt.stop, w.path, w.needed);
    w.at.resize(Model::size);
    w.in.resize(Model::size);
    w.holds.assign(Model::size, 0);
    BackwardState<T> st{trace, rt, w, result, false, extras};
    w.at[static_cast<std::size_t>(rt.tap)] = seed;
    w.holds[static_cast<std::size_t>(rt.tap)] = 1;
    model.for_each_backward([&](auto index, const auto& layer) {
        constexpr std::size_t i = decltype(index)::value;
        if (!w.path[i]) return;
        Batch<T>& u = w.at[i];
        if (!w.holds[i]) u.resize(0, 0);  // nothing reached it: empty, as a fresh walk would have it
        // The record is taken at the layer's output (for the tap with its activation stripped:
        // the seed at the pre-activation), where stop_at would return it.
        if (keep) keep_layer(*keep, kept, layer.name, u);
        if (!(static_cast<int>(i) == rt.tap && rt.seed_at_pre)) activation(index, layer, u);
        core(index, layer, u, w.in[i]);  // u is not read again: a core step may take its buffer
        st.hand_back(i, w.in[i]);
    });
    if (keep) keep->resize(kept);
    st.finish();
}

/// The `explain` overloads LRP and the gradient analyzers share, around the one each writes:
/// `explain(trace, target, out, opt)`, the explanation from an existing forward pass into `out`
/// (which also runs the batch in tasks when `opt` asks). Holds the model and the analyzer's
/// workspace.
template <class Derived, class Model>
class ExplainInto : public ExplainByName<Derived, Model> {
public:
    using T = typename Model::scalar;
    using ExplainByName<Derived, Model>::explain;

    /// Forward pass on x, then the explanation of `target` (in tasks of rows, on threads, as `opt`
    /// asks).
    Explanation<T> explain(const Batch<T>& x, const Target<T>& target, ExplainOptions opt = {}) const {
        Explanation<T> e;
        explain(x, target, e, opt);
        return e;
    }

    /// The same into `out`, an existing explanation whose buffers are reused (or exchanged with
    /// the analyzer's own of the same size: `out.relevance.data()` is not stable across calls): the
    /// forward trace and the backward walk's and rules' temporaries are the analyzer's own, kept
    /// across calls, so after a first call with a batch size, a repeated call (same target) makes no heap
    /// allocation, and it gives what `explain(x, target, opt)` returns, bit for bit. Every field of
    /// `out` is overwritten. Like every analyzer, one analyzer serves one thread at a time. In tasks
    /// (`opt.threads` > 1 or `rows_per_task`) the analyzer keeps its workers (TaskCrew in
    /// analyzers/tasks.hpp): no heap call either once every worker's tasks have the sizes of the
    /// previous call's (always for the default split, one task a thread).
    void explain(const Batch<T>& x, const Target<T>& target, Explanation<T>& out, ExplainOptions opt = {}) const {
        if (several_tasks(opt, x.rows(), target)) {
            crew_.explain(self(), x, x.rows(), target, out, opt);
            return;
        }
        model_.forward(x, ws_.trace, target.layer);
        self().explain(ws_.trace, target, out, opt);
    }

    /// Rows [begin, begin + n) of x explained alone, into `out`: one task of `rows_per_task`, what
    /// `explain(x.middleRows(begin, n), target, out)` gives, without a copy of the rows of its own
    /// (they go straight into the kept trace, whose input the forward pass then reads in place).
    void explain_task(const Batch<T>& x, Eigen::Index begin, Eigen::Index n, const Target<T>& target,
                      Explanation<T>& out, ExplainOptions opt = {}) const {
        ws_.trace.input = x.middleRows(begin, n);
        model_.forward(ws_.trace.input, ws_.trace, target.layer);  // assigns its input to itself
        self().explain(ws_.trace, target, out, one_task(opt));
    }

    /// The explanation of `target` from an existing forward pass.
    Explanation<T> explain(const Trace<T>& trace, const Target<T>& target, ExplainOptions opt = {}) const {
        Explanation<T> e;
        self().explain(trace, target, e, opt);
        return e;
    }

protected:
    explicit ExplainInto(const Model& model) : model_(model) {}

    /// `explain(trace, target, out, opt)` in tasks, with the kept workers (the analyzers' trace
    /// overloads call this when `several_tasks`).
    void explain_tasks(const Trace<T>& trace, const Target<T>& target, Explanation<T>& out, const ExplainOptions& opt) const {
        crew_.explain(self(), trace, trace.batch(), target, out, opt);
    }

    const Model& model_;
    mutable Workspace<T> ws_;  ///< the forward trace and the walk's buffers, kept across calls
    mutable TaskCrew<Derived, T> crew_;  ///< the workers for explaining in tasks, kept across calls

private:
    const Derived& self() const { return static_cast<const Derived&>(*this); }
};

}  // namespace innspect::detail
