// expect: Model: a From<...> or Inputs<...> names no layer declared before it
// Add<..., Inputs<"conv1", "conv9">>: one input names a layer that does not exist.
#include <innspect/innspect.hpp>

using namespace innspect;

using M = Model<float, Input<8, 8, 1>, Conv2D<"conv1", 4, Kernel<3, 3>, Relu, Strides<1, 1>, Padding::same>,
                Conv2D<"conv2", 4, Kernel<3, 3>, Relu, Strides<1, 1>, Padding::same>, Add<"add", Inputs<"conv1", "conv9">>>;
M m;
