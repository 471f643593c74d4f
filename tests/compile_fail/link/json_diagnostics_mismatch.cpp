// expect: another JSON_DIAGNOSTICS setting
// A translation unit built with another JSON_DIAGNOSTICS setting than innspect::keras_compiled
// (nlohmann::json values then differ in layout between the program and the library, while the
// library's function names stay the same) must not compile: io/keras_json.hpp compares the setting
// with INNSPECT_KERAS_COMPILED_JSON_DIAGNOSTICS, which the library's target records.
#define JSON_DIAGNOSTICS (1 - INNSPECT_KERAS_COMPILED_JSON_DIAGNOSTICS)
#include <innspect/io/keras_json.hpp>

int main() {
    return innspect::io::parse_keras_model_config(R"({"class_name": "Sequential", "config": []})").layers.size() == 0 ? 0 : 1;
}
