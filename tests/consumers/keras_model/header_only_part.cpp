// CONSUMER_KERAS_MIXED: a translation unit built header-only (its library links innspect::hdf5 and
// innspect::keras, not innspect::keras_compiled) in the same program as main.cpp, which uses the
// compiled library. Its entry points are the headers' inline ones (inline namespace header_only,
// io/keras_compiled.hpp), main.cpp's the library's: the program links, and each part gets its own.
#include <seed_model.hpp>  // generated: app::Seed90<T>

#include <string>

#include <innspect/io/keras_json.hpp>
#include <innspect/io/keras_model.hpp>

#if defined(INNSPECT_KERAS_COMPILED)
#  error "header_only_part.cpp must be built header-only (without INNSPECT_KERAS_COMPILED)"
#endif

float header_only_prediction(const char* path, std::size_t& loaded_layers) {
    app::Seed90<float> net;
    loaded_layers = innspect::io::load_keras_model(net, path).loaded.size();
    innspect::Batch<float> x = innspect::Batch<float>::Constant(1, 90 * 90, 0.1f);
    return net.forward(x).output("output")(0, 0);
}

std::string header_only_config_name(const std::string& json) {
    return innspect::io::parse_keras_model_config(json, "header_only_part").name;
}
