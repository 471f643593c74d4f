// expect: Model: two layers have the same name
// Two layers named "conv1".
#include <innspect/innspect.hpp>

using namespace innspect;

using M = Model<float, Input<16, 16, 1>, Conv2D<"conv1", 8, Kernel<1, 16>, Selu>,
                Conv2D<"conv1", 8, Kernel<16, 1>, Selu>>;
M m;
