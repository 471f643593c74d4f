#pragma once
/// \file
/// Keras `Bidirectional(layer, merge_mode)` around an LSTM, GRU or SimpleRNN: the layer reads the
/// sequence forwards, a copy with its own weights reads it backwards (go_backwards flipped), and
/// their outputs are merged. With return_sequences Keras puts the backward layer's outputs back
/// into input order first, so step t holds both directions' state at input step t:
///
///   Bidirectional<"bidirectional", LSTM<"lstm", 8>>                         concat: [h→ | h←]
///   Bidirectional<"bidirectional", LSTM<"lstm", 8>, BidirectionalMerge::sum> sum:    h→ + h←
///
/// LRP: concat hands each direction its slice; sum and ave split each value in proportion to the
/// two contributions, R→ = c→ R / (c→ + c← + ε·sgn₀), ε the rule's (1e-6 when it has none, as the
/// merges'); then each direction runs its own LRP through time with the composite's rule for this
/// layer. Gradient: slices, or g (times ½ for ave) to both. (mul has no LRP rule here.)
///
/// Weights: the forward layer's arrays under roles "forward/kernel", "forward/recurrent_kernel",
/// "forward/bias", the backward layer's under "backward/...", as io/keras_h5.hpp finds them in
/// Keras files (`<layer>/forward_<inner>/...` and `backward_<inner>/...` in Keras 2 and legacy
/// files; `forward_layer/cell/vars/<i>` and `backward_layer/...` in Keras 3 files).

#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "innspect/core/concepts.hpp"
#include "innspect/core/fixed_string.hpp"
#include "innspect/core/layer_traits.hpp"
#include "innspect/core/rule_context.hpp"
#include "innspect/core/shape.hpp"
#include "innspect/core/tensor.hpp"
#include "innspect/core/weights.hpp"
#include "innspect/layers/activation_functions.hpp"
#include "innspect/layers/keras_schema.hpp"
#include "innspect/layers/recurrent.hpp"

namespace innspect {

/// How Bidirectional merges its two directions (Keras's merge_mode).
enum class BidirectionalMerge { concat, sum, ave };

namespace detail {
inline constexpr KerasField bidirectional_fields[] = {
    {.key = "merge_mode", .type = FieldType::text, .has_fallback = true, .text_fallback = "concat"},
    {.key = "layer", .type = FieldType::raw, .wrapped = true},
};

constexpr std::string_view merge_mode_name(BidirectionalMerge m) {
    return m == BidirectionalMerge::concat ? "concat" : m == BidirectionalMerge::sum ? "sum" : "ave";
}

/// "forward/kernel", "backward/bias", ...: roles with static storage.
inline std::string_view direction_role(bool forward, std::string_view role) {
    if (role == "kernel") return forward ? "forward/kernel" : "backward/kernel";
    if (role == "recurrent_kernel") return forward ? "forward/recurrent_kernel" : "backward/recurrent_kernel";
    return forward ? "forward/bias" : "backward/bias";
}

/// A sequence batch (width values per step) with its steps in reverse order.
template <class T>
void reverse_steps(const Batch<T>& m, int width, int steps, Batch<T>& r) {
    r.resize(m.rows(), m.cols());
    for (int t = 0; t < steps; ++t) step_view(r, t, width, steps) = step_view(m, steps - 1 - t, width, steps);
}
}  // namespace detail

/// Keras's Bidirectional config (the wrapped layer: its class and its own fields, as `layer.units`, ...).
inline constexpr KerasSchema bidirectional_schema{"Bidirectional", detail::bidirectional_fields, false, {}};

/// Keras Bidirectional (see the file comment).
template <fixed_string Name, LayerSpec Inner, BidirectionalMerge Mode = BidirectionalMerge::concat>
struct Bidirectional {
    static_assert(requires { typename Inner::reversed; Inner::options; },
                  "Bidirectional: wraps a recurrent layer (LSTM, GRU, SimpleRNN)");
    static constexpr std::string_view name = Name.view();
    static constexpr const KerasSchema& keras = bidirectional_schema;
    static constexpr std::string_view keras_class = keras.keras_class;
    static void keras_values(KerasValues& v) {
        v.text("merge_mode", detail::merge_mode_name(Mode));
        KerasValues inner;
        Inner::keras_values(inner);
        v.wrapped("layer", Inner::keras_class, inner);
    }

    template <ShapeType In>
    using inner_out = typename Inner::template output_shape_for<In>;
    template <ShapeType In>
    using output_shape_for =
        std::conditional_t<Mode != BidirectionalMerge::concat, inner_out<In>,
                           with_channels<inner_out<In>, 2 * inner_out<In>::c>>;

    template <class T, ShapeType In>
    class layer : public detail::ReturningSteps<layer<T, In>, T> {
        using Fwd = typename Inner::template layer<T, In>;
        using Bwd = typename Inner::reversed::template layer<T, In>;
        static constexpr bool seq = Inner::options.return_sequences;
        static constexpr int U = inner_out<In>::c, S = seq ? In::w : 1;

    public:
        using scalar = T;
        using activation = Linear;
        using input_shape = In;
        using output_shape = output_shape_for<In>;
        static constexpr std::string_view name = Bidirectional::name;
        static constexpr std::string_view keras_class = Bidirectional::keras_class;
        static constexpr bool pre_is_input = false;
        static constexpr RuleFamily family = RuleFamily::dense;
        static constexpr LrpPolicy lrp = LrpPolicy::own_rule;
        static constexpr bool lrp_takes_rule = true;
        static constexpr std::string_view lrp_rule_name =
            Mode == BidirectionalMerge::concat ? "each direction its slice, then its own LRP through time"
                                               : "directions in proportion, then each its own LRP through time";

        Fwd& forward_layer() { return fwd_; }
        Bwd& backward_layer() { return bwd_; }
        const Fwd& forward_layer() const { return fwd_; }
        const Bwd& backward_layer() const { return bwd_; }

        std::vector<WeightRef<T>> weights() {
            std::vector<WeightRef<T>> w;
            for (auto r : fwd_.weights()) w.push_back({detail::direction_role(true, r.role), r.shape, r.data});
            for (auto r : bwd_.weights()) w.push_back({detail::direction_role(false, r.role), r.shape, r.data});
            return w;
        }
        void check_finite() const {
            fwd_.check_finite();
            bwd_.check_finite();
        }

        /// Both directions into the thread's buffers (kept: no allocation in steady state), merged
        /// into `out`.
        void forward(const Batch<T>& x, Batch<T>& pre, Batch<T>& out) const {
            Directions& w = detail::thread_workspace<Directions>();
            Batch<T>& f = w.f;
            fwd_.forward(x, pre, f);
            bwd_.forward(x, pre, w.processed);
            pre.resize(0, 0);
            const Batch<T>& b = seq ? w.b : w.processed;  // in input order
            if (seq) detail::reverse_steps(w.processed, U, S, w.b);
            if constexpr (Mode == BidirectionalMerge::concat) {
                out.resize(x.rows(), output_shape::size);
                for (int t = 0; t < S; ++t) {
                    detail::step_view(out, t, 2 * U, S).leftCols(U) = detail::step_view(f, t, U, S);
                    detail::step_view(out, t, 2 * U, S).rightCols(U) = detail::step_view(b, t, U, S);
                }
            } else {
                out = scale() * (f + b);
            }
        }

        /// The gradient: each direction's part of g, back through time, into `gx`; each direction
        /// keeps its workspace in its part of the analyzer's `cache` (no allocation in steady
        /// state). `backward(x, g)` (detail::ReturningSteps) returns it.
        void backward_into(const Batch<T>& x, const Batch<T>& g, ParamCache<T>& cache, Batch<T>& gx) const {
            Parts& w = cache.template workspace<Parts>("bidirectional");
            split(g, w.f, w.processed);
            processing_order(w.processed, w.b);
            fwd_.backward_into(x, w.f, cache.part("forward"), gx);
            bwd_.backward_into(x, w.b, cache.part("backward"), w.in);
            gx += w.in;
        }

        /// Each direction's part of R (concat: its slice; sum, ave: in proportion to its share of
        /// the merged output), then its own LRP through time: the relevance at the input into
        /// `rx`; returns what the biases absorbed. Every buffer is in the analyzer's `cache` (no
        /// allocation in steady state). `lrp_backward(x, R, rule, cache)`
        /// (detail::ReturningSteps) returns an LrpStep.
        template <class Rule>
        double lrp_backward_into(const Batch<T>& x, const Batch<T>& r, const Rule& rule, ParamCache<T>& cache,
                                 Batch<T>& rx) const {
            Parts& w = cache.template workspace<Parts>("bidirectional");
            Batch<T>&rf = w.f, &rb = w.b;
            if constexpr (Mode == BidirectionalMerge::concat) {
                split(r, rf, w.processed);
            } else {
                Batch<T>&f = w.f, &b = w.b, &s = w.s;
                fwd_.forward(x, w.pre, f);
                bwd_.forward(x, w.pre, w.processed);
                in_input_order(w.processed, b);
                w.merged = scale() * (f + b);
                detail::split_factor(r, w.merged, static_cast<T>(detail::split_epsilon(rule)), s);
                rf = scale() * f.cwiseProduct(s);  // f's own entries: no aliasing across entries
                w.processed = scale() * b.cwiseProduct(s);
            }
            processing_order(w.processed, rb);
            double bias = fwd_.lrp_backward_into(x, rf, rule, cache.part("forward"), rx);
            bias += bwd_.lrp_backward_into(x, rb, rule, cache.part("backward"), w.in);
            rx += w.in;
            return bias;
        }

    private:
        static constexpr T scale() { return Mode == BidirectionalMerge::ave ? T(0.5) : T(1); }

        /// The forward pass's buffers: each direction's output, the backward one's also in input order.
        struct Directions {
            Batch<T> f, processed, b;
        };
        /// The backward passes' buffers: what each direction gets at its output (the backward
        /// one's in input order first, then in processing order), the backward one's result, and
        /// the merge's split for sum and ave.
        struct Parts {
            Batch<T> f, processed, b, in, pre, merged, s;
        };

        /// The backward layer's output (processing order) in input order into `out`, and back (the
        /// same reversal).
        static void in_input_order(const Batch<T>& b, Batch<T>& out) {
            if constexpr (seq) detail::reverse_steps(b, U, S, out);
            else out = b;
        }
        static void processing_order(const Batch<T>& b, Batch<T>& out) { in_input_order(b, out); }

        /// What the output holds for each direction (g or R), in input order, into `f` and `b`:
        /// concat's slices, or the whole (times ½ for ave) for sum and ave.
        static void split(const Batch<T>& v, Batch<T>& f, Batch<T>& b) {
            if constexpr (Mode == BidirectionalMerge::concat) {
                f.resize(v.rows(), S * U);
                b.resize(v.rows(), S * U);
                for (int t = 0; t < S; ++t) {
                    detail::step_view(f, t, U, S) = detail::step_view(v, t, 2 * U, S).leftCols(U);
                    detail::step_view(b, t, U, S) = detail::step_view(v, t, 2 * U, S).rightCols(U);
                }
            } else {
                f = scale() * v;
                b = scale() * v;
            }
        }

        Fwd fwd_;
        Bwd bwd_;
    };
};

}  // namespace innspect
