// expect: Model::output_shape_of<Name>: the model has no layer of this name
// M::output_shape_of<"nope"> on a model without a layer "nope".
#include <innspect/innspect.hpp>

using namespace innspect;

using M = Model<float, Input<16, 16, 1>, Conv2D<"conv1", 8, Kernel<1, 16>, Selu>>;

constexpr int n = M::output_shape_of<"nope">::size;
