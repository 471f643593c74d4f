#pragma once
/// \file
/// Keras `PReLU(shared_axes)`: a leaky ReLU whose slope is a weight, one per input value unless
/// axes are shared:
///
///   f(x) = x for x ≥ 0,  α·x otherwise   (Keras: relu(x) − α·relu(−x))
///
/// α ("alpha", Keras's weight name) has the input's Keras shape with every shared axis collapsed
/// to 1: an image (H, W, C) with shared_axes (1, 2) has one α per channel, shape (1, 1, C).
/// Keras's default α is 0 (alpha_initializer "zeros"), which makes a fresh PReLU a ReLU.
///
/// LRP: relevance passes through, as through a fused activation (design.md §5); the rule of the
/// linear layer before it does the work. Gradient: f′ = 1 for x > 0, α otherwise (at x = 0 the
/// LeakyReLU convention, α). Its core is the PReLU itself (the pre-activation is the output), so a
/// PReLU tap explains f(x) whether or not the activation is stripped.

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "innspect/core/errors.hpp"
#include "innspect/core/fixed_string.hpp"
#include "innspect/core/layer_traits.hpp"
#include "innspect/core/scratch.hpp"
#include "innspect/core/shape.hpp"
#include "innspect/core/tensor.hpp"
#include "innspect/core/weights.hpp"
#include "innspect/layers/activation_functions.hpp"
#include "innspect/layers/keras_schema.hpp"

namespace innspect {

namespace detail {
// shared_axes: a list, or null for none (what Keras writes by default). has_fallback states that
// null / absent means the empty list; io/architecture.hpp's reader of shape fields does not read
// it yet (a file's null is then not compared), the weight loader still refuses alpha's shape.
inline constexpr KerasField prelu_fields[] = {{.key = "shared_axes", .type = FieldType::shape, .has_fallback = true}};

}  // namespace detail
/// Keras's PReLU config (alpha_initializer, regularizer and constraint do not change inference).
inline constexpr KerasSchema prelu_schema{"PReLU", detail::prelu_fields, false, {}};

/// The axes a PReLU shares α over: Keras's 1-based non-batch axes, in increasing order
/// (`SharedAxes<1, 2>` on an image: one α per channel). `SharedAxes<>`: none shared.
template <int... Axes>
struct SharedAxes {
    static constexpr std::array<int, sizeof...(Axes)> axes{Axes...};
    static constexpr bool valid() {
        int last = 0;
        for (int a : axes) {
            if (a <= last) return false;
            last = a;
        }
        return true;
    }
    static_assert(valid(), "SharedAxes: list Keras's 1-based axes in increasing order, each once");
    static constexpr bool shares(int axis) {
        for (int a : axes)
            if (a == axis) return true;
        return false;
    }
    static constexpr int largest() { return sizeof...(Axes) == 0 ? 0 : axes[sizeof...(Axes) - 1]; }
};

namespace detail {
template <class S>
inline constexpr bool is_shared_axes = false;
template <int... A>
inline constexpr bool is_shared_axes<SharedAxes<A...>> = true;
}  // namespace detail

/// Keras PReLU with α shared over `Shared` (a `SharedAxes<...>`): `PReLU<"p_re_lu_1">`,
/// `PReLU<"p_re_lu_2", SharedAxes<1, 2>>`.
template <fixed_string Name, class Shared = SharedAxes<>>
struct PReLU {
    static_assert(detail::is_shared_axes<Shared>, "PReLU: the second parameter is a SharedAxes<...> list");
    static constexpr std::string_view name = Name.view();
    static constexpr const KerasSchema& keras = prelu_schema;
    static constexpr std::string_view keras_class = keras.keras_class;
    static void keras_values(KerasValues& v) {
        v.numbers("shared_axes", std::vector<double>(Shared::axes.begin(), Shared::axes.end()));
    }
    using shared_axes = Shared;

    template <ShapeType In>
    static constexpr bool check() {
        static_assert(Shared::largest() <= In::rank, "PReLU: a shared axis is beyond the input's axes (1-based, batch excluded)");
        return true;
    }
    template <ShapeType In>
        requires(check<In>())
    using output_shape_for = In;

    template <class T, ShapeType In>
    class layer {
        static constexpr int R = In::rank;
        /// Keras's shape of one input sample: (c), (w, c) or (h, w, c).
        static constexpr std::array<int, 3> in_dims = R == 1 ? std::array<int, 3>{In::c, 0, 0}
                                                      : R == 2 ? std::array<int, 3>{In::w, In::c, 0}
                                                               : std::array<int, 3>{In::h, In::w, In::c};
        static constexpr std::array<int, 3> alpha_dims = [] {
            std::array<int, 3> d = in_dims;
            for (int a = 0; a < R; ++a)
                if (Shared::shares(a + 1)) d[static_cast<std::size_t>(a)] = 1;
            return d;
        }();
        static constexpr int alpha_size = [] {
            int n = 1;
            for (int a = 0; a < R; ++a) n *= alpha_dims[static_cast<std::size_t>(a)];
            return n;
        }();

    public:
        using scalar = T;
        using activation = Linear;
        using input_shape = In;
        using output_shape = In;
        static constexpr std::string_view name = PReLU::name;
        static constexpr std::string_view keras_class = PReLU::keras_class;
        /// Its core computes f(x): the pre-activation is the output, not the input.
        static constexpr bool pre_is_input = false;
        static constexpr LrpPolicy lrp = LrpPolicy::pass_through;
        static constexpr RuleFamily family = RuleFamily::none;

        layer() : alpha_(Vector<T>::Zero(alpha_size)) {}

        /// α in Keras's C order (alpha_shape()).
        Vector<T>& alpha() { return alpha_; }
        const Vector<T>& alpha() const { return alpha_; }

        /// Keras's shape of α: the input's with the shared axes set to 1.
        static std::vector<std::int64_t> alpha_shape() {
            return std::vector<std::int64_t>(alpha_dims.begin(), alpha_dims.begin() + R);
        }

        /// Keras's one array, "alpha".
        std::vector<WeightRef<T>> weights() { return {{"alpha", alpha_shape(), alpha_.data()}}; }

        /// Throws value_error naming the layer if α holds a NaN or an infinity.
        void check_finite() const { require_finite(alpha_, std::string(name) + ": alpha"); }

        /// out = x where x ≥ 0, α ⊙ x elsewhere (α broadcast over the shared axes).
        void forward(const Batch<T>& x, Batch<T>& pre, Batch<T>& out) const {
            check(x, "input");
            pre.resize(0, 0);
            with_alpha([&](const auto& a) {
                out = (x.array() >= T(0)).select(x.array(), x.array().rowwise() * a.array());
            });
        }

        /// Gradient w.r.t. the input into `out` (its buffer reused): g where x > 0, α ⊙ g elsewhere.
        void backward_into(const Batch<T>& x, const Batch<T>& g, Batch<T>& out) const {
            check(x, "input");
            check(g, "gradient at the output");
            with_alpha([&](const auto& a) {
                out = (x.array() > T(0)).select(g.array(), g.array().rowwise() * a.array());
            });
        }
        Batch<T> backward(const Batch<T>& x, const Batch<T>& g) const {
            Batch<T> out;
            backward_into(x, g, out);
            return out;
        }

    private:
        /// f(a), a = α for every input value (flat, C order; the entry whose shared axes' indices
        /// are 0): α itself when it has an entry per value, else expanded into the thread's scratch
        /// (no allocation in steady state).
        template <class F>
        void with_alpha(F&& f) const {
            if constexpr (alpha_size == In::size) {
                f(alpha_.transpose());
            } else {
                auto m = detail::scratch_matrix<T>(1, In::size);
                auto a = m.row(0);
                for (int k = 0; k < In::size; ++k) {
                    int rest = k, flat = 0, stride = 1;
                    for (int ax = R; ax-- > 0;) {
                        const int idx = rest % in_dims[static_cast<std::size_t>(ax)];
                        rest /= in_dims[static_cast<std::size_t>(ax)];
                        if (!Shared::shares(ax + 1)) flat += idx * stride;
                        stride *= alpha_dims[static_cast<std::size_t>(ax)];
                    }
                    a(k) = alpha_(flat);
                }
                f(a);
            }
        }
        static void check(const Batch<T>& x, const char* what) {
            if (x.cols() != In::size)
                throw shape_error(std::string(name) + ": " + what + " has " + std::to_string(x.cols()) +
                                  " features per sample, expected " + std::to_string(In::size));
        }

        Vector<T> alpha_;
    };
};

}  // namespace innspect
