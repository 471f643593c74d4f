// expect: Concatenate: the inputs must have the same rank and agree on every axis but the concatenation axis
// A U-Net skip of an (8, 8, 4) map and an upsampled (6, 6, 4) one along the channels.
#include <innspect/innspect.hpp>

using namespace innspect;

using M = Model<float, Input<8, 8, 1>, Conv2D<"conv1", 4, Kernel<3, 3>, Relu, Strides<1, 1>, Padding::same>,
                MaxPooling2D<"pool", PoolSize<2, 2>>, Conv2D<"conv2", 4, Kernel<2, 2>, Relu>,
                UpSampling2D<"up", UpSize<2, 2>>, Concatenate<"skip", Inputs<"up", "conv1">>>;
M m;
