// expect: Model: a From<...> or Inputs<...> names no layer declared before it
// From<"nope", ...>: the layer reads the output of a layer that does not exist.
#include <innspect/innspect.hpp>

using namespace innspect;

using M = Model<float, Input<16, 16, 1>, Conv2D<"conv1", 8, Kernel<1, 16>, Selu>, Reshape<"r", Shape<128>>,
                Dense<"d1", 16, Selu>, From<"nope", Dense<"d2", 4, Selu>>>;
M m;
