// Compile-time benchmark program 1 (bench/compile_time.sh): the seed model of design.md §7 at
// W = 90 in float, explained with three analyzers (LRP-ε, the EpsilonAlpha2Beta1 composite preset,
// input × gradient), each on one input. It only has to compile; it also links and runs.
//
// The model is declared here, as a copy of examples/connectome/seed_model.hpp (SeedModel<float, 90>),
// rather than included from examples/, so that this file depends on the library's include/ only:
// `bench/compile_time.sh --ref OLD` compiles it against an older include/ unchanged.

#include <cstdio>
#include <random>

#include <innspect/innspect.hpp>

namespace ins = innspect;

namespace {

constexpr int W = 90;
using T = float;

using SeedModel = ins::Model<T, ins::Input<W, W, 1>,                                        //
                             ins::Conv2D<"conv1", 32, ins::Kernel<1, W>, ins::Selu>,          //
                             ins::SpatialDropout2D<"dropout1", 0.2>,                        //
                             ins::Conv2D<"conv2", 64, ins::Kernel<W, 1>, ins::Selu>,          //
                             ins::Dropout<"dropout2", 0.2>,                                 //
                             ins::Reshape<"reshape1", ins::Shape<64>>,                      //
                             ins::Dense<"dense1", 64, ins::Selu>,                           //
                             ins::Dense<"output", 2, ins::Softmax>,                         //
                             ins::From<"output", ins::Dense<"dense2", 64, ins::Selu>>,      //
                             ins::Reshape<"reshape2", ins::Shape<1, 1, 64>>,                //
                             ins::Conv2DTranspose<"conv3", 64, ins::Kernel<1, 1>, ins::Selu>,  //
                             ins::Conv2DTranspose<"conv4", 32, ins::Kernel<W, 1>, ins::Selu>,  //
                             ins::Conv2DTranspose<"autoencoder", 1, ins::Kernel<1, W>, ins::Tanh>>;

}  // namespace

int main() {
    SeedModel model;
    std::mt19937 rng(7);
    std::normal_distribution<double> nd(0.0, 0.05);
    model.for_each_layer([&](auto& layer) {
        if constexpr (ins::LinearLayer<std::remove_cvref_t<decltype(layer)>>) {
            auto& p = layer.params();
            for (Eigen::Index i = 0; i < p.kernel.size(); ++i) p.kernel.data()[i] = static_cast<T>(nd(rng));
            for (Eigen::Index i = 0; i < p.bias.size(); ++i) p.bias.data()[i] = static_cast<T>(nd(rng));
        }
    });
    const ins::Batch<T> x = ins::Batch<T>::Random(1, W * W);
    const auto logit = ins::target<T>("output", ins::select::max<T>());

    const auto eps = ins::lrp(model, ins::Epsilon(0.1)).explain(x, logit);
    const auto ab = ins::lrp(model, ins::presets::epsilon_alpha2_beta1()).explain(x, logit);
    const auto ixg = ins::input_x_gradient(model).explain(x, logit);

    std::printf("sum of relevance: LRP-epsilon %g, epsilon_alpha2_beta1 %g, input x gradient %g\n",
                static_cast<double>(eps.relevance.sum()), static_cast<double>(ab.relevance.sum()),
                static_cast<double>(ixg.relevance.sum()));
    return 0;
}
