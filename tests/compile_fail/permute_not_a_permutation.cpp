// expect: Permute: dims must be a permutation of 1..rank
// Permute dims (1, 1): axis 1 twice, axis 2 never.
#include <innspect/innspect.hpp>

using namespace innspect;

using M = Model<float, Input<4, 3>, Permute<"p", 1, 1>>;
M m;
