#include <innspect/innspect.hpp>
#include <iostream>
using namespace innspect;

using Net = Model<float, Input<8, 8, 1>, Conv2D<"conv", 4, Kernel<1, 8>, Selu>, Reshape<"flat", Shape<32>>,
                  Dense<"logits", 2, Softmax>>;  // Keras layers and names: weights load by name

int main() {
    Net net;  // io::load_keras_weights(net, "model.h5") fills it; random weights here
    net.layer<"conv">().params().kernel.setRandom();
    net.layer<"logits">().params().kernel.setRandom();
    const Batch<float> x = Batch<float>::Random(1, 64);  // one 8x8x1 sample per row
    const auto e = lrp(net, Epsilon(1e-6)).explain(x, target("logits", select::max()));
    std::cout << e.report.table();  // e.relevance: the 1x64 heatmap of the predicted class
}
