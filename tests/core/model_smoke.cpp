#include <doctest/doctest.h>

#include <innspect/innspect.hpp>

using namespace innspect;

TEST_CASE("smoke") {
    using M = Model<double, Input<4, 4, 1>, Conv2D<"c", 2, Kernel<1, 4>, Selu>, Flatten<"f">, Dense<"d", 3>,
                    From<"f", Dense<"e", 2, Softmax>>>;
    M m;
    m.layer<"d">().params().kernel.setOnes();
    Batch<double> x = Batch<double>::Ones(2, 16);
    auto t = m.forward(x);
    CHECK(t.out.size() == 4);
    CHECK(t.output("e").cols() == 2);
}
