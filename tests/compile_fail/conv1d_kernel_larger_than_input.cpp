// expect: Conv1D: the kernel is larger than its input (valid padding)
// A kernel of 3 taps 3 apart spans 7 steps; the sequence has 6 (valid padding).
#include <innspect/innspect.hpp>

using namespace innspect;

using M = Model<float, Input<6, 2>, Conv1D<"conv1", 4, Kernel<3>, Relu, Strides<1>, Padding::valid, true, Dilation<3>>>;
M m;
