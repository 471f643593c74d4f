// expect: Conv2D: the kernel is larger than its input (valid padding)
// A 1x17 kernel on a 16x16 input (valid padding).
#include <innspect/innspect.hpp>

using namespace innspect;

using M = Model<float, Input<16, 16, 1>, Conv2D<"conv1", 32, Kernel<1, 17>, Selu>>;
M m;
