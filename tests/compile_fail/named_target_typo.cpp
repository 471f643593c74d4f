// expect: explain(x, target<Name>(...)): the model has no layer of this name
// A target named at compile time is checked like Model::layer<"name">.
#include <innspect/innspect.hpp>

using namespace innspect;

using M = Model<float, Input<4>, Dense<"hidden", 3>, Dense<"output", 2>>;
M m;
auto e = gradient(m).explain(Batch<float>::Ones(1, 4), target<"outptu">(select::max()));
