// expect: Cropping1D: crops away the whole input
// Cropping (2, 3) of a sequence of 5 steps leaves nothing.
#include <innspect/innspect.hpp>

using namespace innspect;

using M = Model<float, Input<5, 2>, Cropping1D<"crop", 2, 3>>;
M m;
