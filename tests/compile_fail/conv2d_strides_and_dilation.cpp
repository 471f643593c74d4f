// expect: Conv2D: Keras allows strides > 1 or a dilation > 1, not both
// Keras rejects strides (2, 2) with dilation_rate (2, 2); so does the declaration.
#include <innspect/innspect.hpp>

using namespace innspect;

using M = Model<float, Input<8, 8, 1>, Conv2D<"conv1", 4, Kernel<3, 3>, Relu, Strides<2, 2>, Padding::same, true, Dilation<2, 2>>>;
M m;
