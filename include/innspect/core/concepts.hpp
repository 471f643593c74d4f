#pragma once
/// \file
/// The written contracts. A misuse (a type that is not a layer where a layer is expected, a rule
/// without `relevance`, ...) fails at the call site with the name of the concept it misses, and
/// `Model` checks every layer it binds member by member (`detail::layer_contract`), so a layer
/// that lacks one fails to compile with one sentence naming the member, in the instantiation of
/// that very layer.
///
/// A layer *declaration* (`Dense<"d", 4>`) names the layer, its Keras class and computes its
/// output shape; binding it to a scalar and an input shape (`Spec::layer<T, In>`) gives the layer
/// that owns weights.
///
/// Every bound layer provides
///   - `name`, `keras_class`, `input_shape`, `output_shape`, `activation` (an ActivationFunction),
///     `pre_is_input` (its pre-activation is its input: it computes nothing before the activation)
///   - `lrp` (an LrpPolicy) and `family` (a RuleFamily): its part in LRP, said by the layer itself
///   - `forward(x, pre, out)`: pre = core(x) (left empty when equal to x or out), out = f(pre)
///   - the gradient through its core: `backward_linear(g)` when it does not depend on the input,
///     else `backward(x, g)`
///   - `weights()`: its arrays in Keras's layout; `check_finite()`
/// By its LRP policy it also provides:
///   - linear: `params()` and, for any parameters P of the same shape (the rules substitute W⁺,
///     W⁻, W², ones):
///       `apply(x, P)`            z = x ∗ W (+ b when P has a bias)
///       `apply_transposed(s, P)`  c = s ∗ Wᵀ, the vector-Jacobian product of apply w.r.t. x
///     with ⟨apply(x, P without bias), s⟩ = ⟨x, apply_transposed(s, P)⟩ (tested for every linear
///     layer); and `scale_output_channels(P, k)` (W·diag(k) over output channels), what
///     batch-norm merging needs (canonizers/merge_batch_norm.hpp)
///   - own_rule: `lrp_backward(x, R)` and `lrp_rule_name`; or, a layer with linear maps inside
///     (a recurrent cell), `static constexpr bool lrp_takes_rule = true` and
///     `template <class Rule> LrpStep<T> lrp_backward(x, R, const Rule& rule, ParamCache<T>& cache)`:
///     the analyzer hands it the rule its composite picks for the layer (ε = 1e-6 when none
///     matches), which it runs on its linear maps through `RuleContext` (core/rule_context.hpp)
///   - pass_through: as many output values as input values
/// Every `backward…`, `lrp_backward` and `apply…` that returns a new matrix may have an `_into`
/// form taking the result's buffer after its inputs (`backward_into(x, g, out)`,
/// `lrp_backward_into(x, R, out)` or, with a stabiliser, `lrp_backward_into(x, R, out, eps)`,
/// `apply_into(x, P, out)`, …; a recurrent cell's `backward_into(x, g, cache, out)` and
/// `double lrp_backward_into(x, R, rule, cache, out)`, which returns what the biases absorbed):
/// the analyzers prefer it, so that a repeated explanation allocates nothing (README "Workspaces").

#include <concepts>
#include <string_view>

#include "innspect/core/layer_traits.hpp"
#include "innspect/core/linear_params.hpp"
#include "innspect/core/shape.hpp"
#include "innspect/core/tensor.hpp"

namespace innspect {

/// A layer declaration, before it is bound to a scalar type and an input shape.
template <class S>
concept LayerSpec = requires {
    { S::name } -> std::convertible_to<std::string_view>;
    { S::keras_class } -> std::convertible_to<std::string_view>;
};

/// A layer bound to a scalar type and an input shape.
template <class L>
concept Layer = requires(const L& l, const Batch<typename L::scalar>& x, Batch<typename L::scalar>& y) {
    { L::name } -> std::convertible_to<std::string_view>;
    { L::keras_class } -> std::convertible_to<std::string_view>;
    { L::lrp } -> std::convertible_to<LrpPolicy>;
    { L::family } -> std::convertible_to<RuleFamily>;
    { L::pre_is_input } -> std::convertible_to<bool>;
    requires ShapeType<typename L::input_shape>;
    requires ShapeType<typename L::output_shape>;
    l.forward(x, y, y);
};

/// A layer every LRP rule applies to through apply / apply_transposed.
template <class L>
concept LinearLayer = Layer<L> && L::lrp == LrpPolicy::linear &&
                      requires(const L& l, const Batch<typename L::scalar>& x, const LinearParams<typename L::scalar>& p) {
                          { l.params() } -> std::convertible_to<const LinearParams<typename L::scalar>&>;
                          { l.apply(x, p) } -> std::same_as<Batch<typename L::scalar>>;
                          { l.apply_transposed(x, p) } -> std::same_as<Batch<typename L::scalar>>;
                      };

namespace detail {

/// false, but only once T is known: for static_asserts in templates that must not be used.
template <class T>
inline constexpr bool always_false = false;

template <class L>
concept has_gradient = requires(const L& l, const Batch<typename L::scalar>& x) {
    { l.backward_linear(x) } -> std::same_as<Batch<typename L::scalar>>;
} || requires(const L& l, const Batch<typename L::scalar>& x) {
    { l.backward(x, x) } -> std::same_as<Batch<typename L::scalar>>;
};

template <class L>
concept has_own_rule = requires(const L& l, const Batch<typename L::scalar>& x) {
    { l.lrp_backward(x, x) } -> std::same_as<Batch<typename L::scalar>>;
    { L::lrp_rule_name } -> std::convertible_to<std::string_view>;
} || requires {
    requires L::lrp_takes_rule;
    { L::lrp_rule_name } -> std::convertible_to<std::string_view>;
};

template <class L>
concept has_output_scaling = requires(const LinearParams<typename L::scalar>& p, const Vector<typename L::scalar>& k) {
    { L::scale_output_channels(p, k) } -> std::same_as<LinearParams<typename L::scalar>>;
};

/// Checks one bound layer against the contract above, one static_assert per member, so the
/// compiler names the missing member and (in the instantiation context) the layer.
template <class L>
constexpr bool layer_contract() {
    static_assert(requires { L::name; L::keras_class; }, "a layer must declare its name and keras_class");
    static_assert(requires { { L::lrp } -> std::convertible_to<LrpPolicy>; },
                  "a layer must declare its LRP policy: static constexpr LrpPolicy lrp = ...");
    static_assert(requires { { L::family } -> std::convertible_to<RuleFamily>; },
                  "a layer must declare its rule family: static constexpr RuleFamily family = ...");
    static_assert(requires { typename L::scalar; typename L::activation; L::pre_is_input; },
                  "a layer must declare scalar, activation and pre_is_input");
    static_assert(requires { typename L::input_shape; typename L::output_shape; },
                  "a layer must declare input_shape and output_shape");
    static_assert(requires(const L& l, const Batch<typename L::scalar>& x, Batch<typename L::scalar>& y) { l.forward(x, y, y); },
                  "a layer must provide forward(x, pre, out)");
    static_assert(has_gradient<L>, "a layer must provide backward_linear(g) or backward(x, g) (its gradient)");
    static_assert(requires(L& l, const L& c) { l.weights(); c.check_finite(); },
                  "a layer must provide weights() and check_finite()");
    if constexpr (requires { L::lrp; }) {
        if constexpr (L::lrp == LrpPolicy::linear) {
            static_assert(LinearLayer<L>, "a layer with LrpPolicy::linear must provide params(), apply(x, P) and apply_transposed(s, P)");
            static_assert(has_output_scaling<L>,
                          "a layer with LrpPolicy::linear must provide scale_output_channels(P, k) (batch-norm merging)");
        } else if constexpr (L::lrp == LrpPolicy::own_rule) {
            static_assert(has_own_rule<L>, "a layer with LrpPolicy::own_rule must provide lrp_backward(x, R) and lrp_rule_name");
        } else {
            static_assert(L::input_shape::size == L::output_shape::size,
                          "a layer with LrpPolicy::pass_through must have as many output values as input values");
        }
    }
    return true;
}

}  // namespace detail
}  // namespace innspect
