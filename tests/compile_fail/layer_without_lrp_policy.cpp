// expect: a layer must declare its LRP policy
// A hand-written layer that says nothing about how relevance crosses it must not compile: no
// gradient is ever used as an LRP rule by accident.
#include <innspect/innspect.hpp>

using namespace innspect;

struct Doubler {
    static constexpr std::string_view name = "doubler";
    static constexpr std::string_view keras_class = "Doubler";
    template <ShapeType In>
    using output_shape_for = In;
    template <class T, ShapeType In>
    struct layer {
        using scalar = T;
        using activation = Linear;
        using input_shape = In;
        using output_shape = In;
        static constexpr std::string_view name = "doubler";
        static constexpr std::string_view keras_class = "Doubler";
        static constexpr RuleFamily family = RuleFamily::none;
        static constexpr bool pre_is_input = false;
        void forward(const Batch<T>& x, Batch<T>& pre, Batch<T>& out) const {
            pre.resize(0, 0);
            out = 2 * x;
        }
        Batch<T> backward_linear(const Batch<T>& g) const { return 2 * g; }
        std::vector<WeightRef<T>> weights() { return {}; }
        void check_finite() const {}
    };
};

using M = Model<float, Input<4>, Dense<"d", 4>, Doubler>;
M m;
