// expect: the analyzer keeps a reference to the model, so it cannot take a temporary
// lrp(Model{}, ...) would keep a reference to a model destroyed at the end of the statement.
#include <innspect/innspect.hpp>

using namespace innspect;

using M = Model<float, Input<4>, Dense<"d", 2>>;
auto analyzer = lrp(M{}, Epsilon());
