// The model innspect_add_keras_model() declared from seed90.h5: loads the file (architecture
// checked) and classifies an input; the classifier ends in a softmax, so its two outputs sum to 1.
#include <seed_model.hpp>  // generated: app::Seed90<T>

#include <cmath>
#include <cstdio>

#include <innspect/io/keras_model.hpp>

#if defined(CONSUMER_KERAS_COMPILED)
#  if !defined(INNSPECT_KERAS_COMPILED)
#    error "innspect::keras_compiled did not define INNSPECT_KERAS_COMPILED"
#  endif
// What the compiled mode saves: io/keras_model.hpp no longer brings the JSON parser.
#  if defined(NLOHMANN_JSON_VERSION_MAJOR)
#    error "with INNSPECT_KERAS_COMPILED, io/keras_model.hpp should not include nlohmann/json.hpp"
#  endif
#endif

int main() {
    app::Seed90<float> net;
    const auto rep = innspect::io::load_keras_model(net, CONSUMER_KERAS_FILE);
    for (const auto& n : rep.notes) std::printf("%s\n", n.c_str());
    innspect::Batch<float> x = innspect::Batch<float>::Constant(1, 90 * 90, 0.1f);
    const auto p = net.forward(x).output("output");
    std::printf("p = (%g, %g)\n", static_cast<double>(p(0, 0)), static_cast<double>(p(0, 1)));
    return std::abs(p.sum() - 1.0f) < 1e-5f ? 0 : 1;
}
