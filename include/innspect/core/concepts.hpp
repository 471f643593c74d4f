#pragma once
/// \file
/// The written contracts. A misuse (a type that is not a layer where a layer is expected, a rule
/// without `relevance`, ...) fails at the call site with the name of the concept it misses.
///
/// A layer *declaration* (`Dense<"d", 4>`) names the layer and computes its output shape; binding
/// it to a scalar and an input shape (`Spec::layer<T, In>`) gives the layer that owns weights.
///
/// Every bound layer provides
///   - `name`, `kind`, `input_shape`, `output_shape`, `activation` (an ActivationFunction),
///     `pre_is_input` (its pre-activation is its input: it computes nothing before the activation)
///   - `forward(x, pre, out)`: pre = core(x) (left empty when equal to x or out), out = f(pre)
///   - `backward_linear(g)`: the vector-Jacobian product of core (identity for pass-through layers)
///   - `weights()`: its arrays in Keras's layout; `check_finite()`
/// A *linear* layer (Dense, Conv2D, Conv2DTranspose) also provides, for any parameters P of the
/// same shape as its own (the rules substitute W⁺, W⁻, W², ones):
///   - `apply(x, P)`           z = x ∗ W (+ b when P has a bias)
///   - `apply_transposed(s, P)` c = s ∗ Wᵀ, the vector-Jacobian product of apply w.r.t. x
/// with ⟨apply(x, P without bias), s⟩ = ⟨x, apply_transposed(s, P)⟩ (tested for every linear layer).

#include <concepts>
#include <string_view>

#include "innspect/core/layer_kind.hpp"
#include "innspect/core/linear_params.hpp"
#include "innspect/core/shape.hpp"
#include "innspect/core/tensor.hpp"

namespace innspect {

/// A layer declaration, before it is bound to a scalar type and an input shape.
template <class S>
concept LayerSpec = requires {
    { S::name } -> std::convertible_to<std::string_view>;
    { S::kind } -> std::convertible_to<LayerKind>;
};

/// A layer bound to a scalar type and an input shape.
template <class L>
concept Layer = requires(const L& l, const Batch<typename L::scalar>& x, Batch<typename L::scalar>& y) {
    { L::name } -> std::convertible_to<std::string_view>;
    { L::kind } -> std::convertible_to<LayerKind>;
    { L::pre_is_input } -> std::convertible_to<bool>;
    requires ShapeType<typename L::input_shape>;
    requires ShapeType<typename L::output_shape>;
    l.forward(x, y, y);
    { l.backward_linear(x) } -> std::same_as<Batch<typename L::scalar>>;
};

/// A layer every LRP rule applies to through apply / apply_transposed.
template <class L>
concept LinearLayer = Layer<L> && requires(const L& l, const Batch<typename L::scalar>& x,
                                            const LinearParams<typename L::scalar>& p) {
    { l.params() } -> std::convertible_to<const LinearParams<typename L::scalar>&>;
    { l.apply(x, p) } -> std::same_as<Batch<typename L::scalar>>;
    { l.apply_transposed(x, p) } -> std::same_as<Batch<typename L::scalar>>;
};

}  // namespace innspect
