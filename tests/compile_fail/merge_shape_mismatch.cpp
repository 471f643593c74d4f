// expect: Add / Subtract / Average / Maximum: every input must have the same shape
// A residual Add of a (8, 8, 4) and a (6, 6, 4) feature map ("valid" padding shrank one branch).
#include <innspect/innspect.hpp>

using namespace innspect;

using M = Model<float, Input<8, 8, 1>, Conv2D<"conv1", 4, Kernel<3, 3>, Relu, Strides<1, 1>, Padding::same>,
                Conv2D<"conv2", 4, Kernel<3, 3>, Relu>, Add<"add", Inputs<"conv1", "conv2">>>;
M m;
