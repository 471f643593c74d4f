// expect-success
// The control case: a valid model built from every construct the failing cases misuse, so a
// failing case fails for its own reason and not because the harness or the includes are broken.
#include <innspect/innspect.hpp>

using namespace innspect;

using M = Model<float, Input<16, 16, 1>, Conv2D<"conv1", 32, Kernel<1, 16>, Selu>,
                Reshape<"r", Shape<16 * 32>>, Dense<"d1", 16, Selu>, From<"d1", Dense<"d2", 4, Selu>>>;

void use(M& m) { (void)m.layer<"conv1">(); }

// The same constructs used correctly: an analyzer on a model that outlives it, a composite entry
// naming a layer of the model, a target named at compile time.
void explain(const M& m) {
    auto a = lrp(m, composite(entry<ByName<"d2">>(Epsilon(0.1)), entry<AnyLayer>(Epsilon())));
    (void)a.explain(Batch<float>::Ones(1, 256), target<"d2">(select::max()));
    (void)gradient(m).explain(Batch<float>::Ones(1, 256), target<"d1">(select::all()));
}
