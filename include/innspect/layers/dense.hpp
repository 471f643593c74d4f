#pragma once
/// \file
/// Keras `Dense(units, activation, use_bias)`: z = x W + b on the last axis, kernel [in, units].

#include <Eigen/Core>

#include "innspect/core/fixed_string.hpp"
#include "innspect/core/shape.hpp"
#include "innspect/kernels/gemm.hpp"
#include "innspect/layers/activation_functions.hpp"
#include "innspect/layers/keras_schema.hpp"
#include "innspect/layers/linear_base.hpp"

namespace innspect {

namespace detail {
inline constexpr KerasField dense_fields[] = {
    {.key = "units"},
    {.key = "activation", .type = FieldType::activation, .has_fallback = true, .text_fallback = "linear"},
    {.key = "use_bias", .type = FieldType::boolean, .has_fallback = true, .fallback = {1}},
};
}  // namespace detail
/// Keras's Dense config.
inline constexpr KerasSchema dense_schema{"Dense", detail::dense_fields, false, {}};

/// Keras Dense. On an image input (h, w, c) it acts on the channel axis, as Keras does.
/// `apply(x, P)` = x·W (+ b); `apply_transposed(s, P)` = s·Wᵀ.
template <fixed_string Name, int Units, ActivationFunction Act = Linear, bool UseBias = true>
struct Dense {
    static_assert(Units > 0, "Dense: units must be positive");
    static constexpr std::string_view name = Name.view();
    static constexpr const KerasSchema& keras = dense_schema;
    static constexpr std::string_view keras_class = keras.keras_class;
    static void keras_values(KerasValues& v) {
        v.numbers("units", {Units});
        v.activation<Act>();
        v.boolean("use_bias", UseBias);
    }

    template <ShapeType In>
    using output_shape_for = with_channels<In, Units>;

    template <class T, ShapeType In>
    class layer : public detail::LinearLayerBase<layer<T, In>, T, Act> {
        using base = detail::LinearLayerBase<layer<T, In>, T, Act>;
        static constexpr int positions = In::h * In::w;  // rows the GEMM sees per sample

    public:
        /// apply(x, P) = X·K (+ b), a sample's x read as `positions` rows (LayerProducts, rules/rule.hpp).
        static constexpr Eigen::Index plain_rows = positions;
        static constexpr std::string_view name = Dense::name;
        static constexpr std::string_view keras_class = Dense::keras_class;
        static constexpr RuleFamily family = RuleFamily::dense;
        static constexpr bool use_bias = UseBias;
        static constexpr int units = Units;
        using input_shape = In;
        using output_shape = output_shape_for<In>;

        layer() : base(In::c, Units, Units, UseBias) {}

        static std::vector<std::int64_t> kernel_shape() { return {In::c, Units}; }

        void apply_into(const Batch<T>& x, const LinearParams<T>& p, Batch<T>& z) const {
            base::check_input(x, In::size, "input");
            z.resize(x.rows(), output_shape::size);
            Eigen::Map<const Matrix<T>> xm(x.data(), x.rows() * positions, In::c);
            Eigen::Map<Matrix<T>> zm(z.data(), x.rows() * positions, Units);
            detail::gemm(zm, xm, p.kernel);
            if (p.has_bias) zm.rowwise() += p.bias.transpose();
        }

        void apply_transposed_into(const Batch<T>& s, const LinearParams<T>& p, Batch<T>& c) const {
            base::check_input(s, output_shape::size, "relevance/gradient at the output");
            c.resize(s.rows(), In::size);
            Eigen::Map<const Matrix<T>> sm(s.data(), s.rows() * positions, Units);
            Eigen::Map<Matrix<T>> cm(c.data(), s.rows() * positions, In::c);
            detail::gemm(cm, sm, p.kernel.transpose());
        }
    };
};

}  // namespace innspect
