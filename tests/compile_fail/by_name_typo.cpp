// expect: Lrp: a ByName<...> entry of the composite names no layer of the model
// A composite entry for a layer name the model does not have would silently never match.
#include <innspect/innspect.hpp>

using namespace innspect;

using M = Model<float, Input<4>, Dense<"hidden", 3>, Dense<"output", 2>>;
M m;
auto analyzer = lrp(m, composite(entry<ByName<"outptu">>(Epsilon(0.1)), entry<AnyLayer>(Epsilon())));
