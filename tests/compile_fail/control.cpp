// expect-success
// The control case: a valid model built from every construct the failing cases misuse, so a
// failing case fails for its own reason and not because the harness or the includes are broken.
#include <innspect/innspect.hpp>

using namespace innspect;

using M = Model<float, Input<16, 16, 1>, Conv2D<"conv1", 32, Kernel<1, 16>, Selu>,
                Reshape<"r", Shape<16 * 32>>, Dense<"d1", 16, Selu>, From<"d1", Dense<"d2", 4, Selu>>>;

void use(M& m) { (void)m.layer<"conv1">(); }
