// libFuzzer harness: the Keras model_config JSON parser (io/keras_json.hpp,
// innspect::io::parse_keras_model_config) on arbitrary bytes. Every input must parse or throw an
// innspect::error (io_error); any other exception (nlohmann::json's own, std::out_of_range,
// std::bad_alloc, ...) escaping the parser is a finding, and so is a crash, a hang or a
// sanitizer report. Needs nlohmann-json only (no HDF5, no layer headers, so clang 14 compiles it).
// Seeds (fuzz/make_corpus.sh): the model_config strings of the .h5 fixtures in tests/data, plus
// the hand-written documents of fuzz/seeds/model_config/.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>

#include "innspect/io/keras_json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        const auto cfg = innspect::io::parse_keras_model_config(text, "fuzz");
        // Touch the result: every name and shape the architecture check would read.
        std::size_t total = cfg.class_name.size() + cfg.name.size() + cfg.nested_models.size();
        for (const auto* list : {&cfg.inputs, &cfg.nested_inputs})
            for (const auto& in : *list) total += in.name.size() + in.shape.size() + in.fed_by.size();
        for (const auto& l : cfg.layers) {
            total += l.name.size() + l.class_name.size() + l.nested_in.size() + l.config.size();
            for (const auto& s : l.inputs) total += s.size();
        }
        [[maybe_unused]] static volatile std::size_t sink;  // clang: "set but not used"
        sink = total;
    } catch (const innspect::error&) {
    } catch (const std::exception& e) {
        std::fprintf(stderr, "fuzz_model_config: escaped exception (not innspect::error): %s\n", e.what());
        std::abort();
    } catch (...) {
        std::fprintf(stderr, "fuzz_model_config: escaped non-std exception\n");
        std::abort();
    }
    return 0;
}
