// expect: Reshape: the target shape holds a different number of values than the input
// Reshape of 16 features to 3x3x1 = 9 values.
#include <innspect/innspect.hpp>

using namespace innspect;

using M =
    Model<float, Input<16, 16, 1>, Conv2D<"conv1", 16, Kernel<16, 16>, Selu>, Reshape<"r", Shape<3, 3, 1>>>;
M m;
