// expect: Conv1D needs a sequence input (steps, channels)
// A Conv1D reading an image (rank mismatch).
#include <innspect/innspect.hpp>

using namespace innspect;

using M = Model<float, Input<8, 8, 1>, Conv1D<"conv1", 4, Kernel<3>>>;
M m;
