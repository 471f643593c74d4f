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

#if defined(CONSUMER_KERAS_MIXED)
// header_only_part.cpp, built header-only, and this unit, built against the compiled library, in one
// program: both load the file and parse a config, each with its own set of entry points.
#  include <string>

#  include <innspect/io/keras_json.hpp>

float header_only_prediction(const char* path, std::size_t& loaded_layers);
std::string header_only_config_name(const std::string& json);
#endif

int main() {
    app::Seed90<float> net;
    const auto rep = innspect::io::load_keras_model(net, CONSUMER_KERAS_FILE);
    for (const auto& n : rep.notes) std::printf("%s\n", n.c_str());
    innspect::Batch<float> x = innspect::Batch<float>::Constant(1, 90 * 90, 0.1f);
    const auto p = net.forward(x).output("output");
    std::printf("p = (%g, %g)\n", static_cast<double>(p(0, 0)), static_cast<double>(p(0, 1)));
#if defined(CONSUMER_KERAS_MIXED)
    std::size_t header_only_loaded = 0;
    const float q = header_only_prediction(CONSUMER_KERAS_FILE, header_only_loaded);
    const std::string json = R"({"class_name": "Sequential", "config": {"name": "mixed", "layers": [
        {"class_name": "Dense", "config": {"name": "d", "units": 2, "batch_input_shape": [null, 4]}}]}})";
    const std::string a = innspect::io::parse_keras_model_config(json).name;
    const std::string b = header_only_config_name(json);
    std::printf("mixed: header-only part p0 = %g, %zu layers loaded (compiled: %zu); config names '%s', '%s'\n",
                static_cast<double>(q), header_only_loaded, rep.loaded.size(), a.c_str(), b.c_str());
    if (q != p(0, 0) || header_only_loaded != rep.loaded.size() || a != "mixed" || b != "mixed") return 1;
#endif
    return std::abs(p.sum() - 1.0f) < 1e-5f ? 0 : 1;
}
