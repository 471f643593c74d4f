// libFuzzer harness: the Keras 3 `.keras` reader on arbitrary bytes (KerasArchive::from_memory:
// libzip from memory, then the config parsed and the model.weights.h5 image opened with HDF5's
// core driver), loaded into the small fixed model of keras_h5_mock_model.hpp (dense_1, act,
// deconv) through the config's plan and without it. Every input must load or throw an
// innspect::error, and a failed load must leave the model untouched.
// Seeds: tests/data/keras3/*.keras (fuzz/make_corpus.sh).

#include <cstddef>
#include <cstdint>
#include <span>

#include "innspect/io/keras_archive.hpp"
#include "innspect/io/keras_json.hpp"  // not keras_model.hpp: the layers need double template arguments, which clang 14 lacks
#include "keras_h5_mock_model.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    innspect::io::ReadLimits limits;
    limits.max_array_bytes = std::uint64_t{64} << 20;
    limits.max_attribute_bytes = std::uint64_t{16} << 20;
    limits.max_member_bytes = std::uint64_t{64} << 20;
    try {
        const auto archive = innspect::io::KerasArchive::from_memory(
            std::span<const unsigned char>(data, size), "fuzz.keras", limits);
        const auto file = archive.weights();
        innspect::fuzz::Model model;
        try {
            const auto config = innspect::io::parse_keras_model_config(archive.config_json(), "fuzz.keras");
            (void)innspect::io::load_keras_weights(model, file, innspect::io::keras3_plan(config));
        } catch (const innspect::error&) {
            if (!model.untouched()) __builtin_trap();  // a partial load
        }
        innspect::fuzz::Model plain;
        try {
            (void)innspect::io::load_keras_weights(plain, file);
        } catch (const innspect::error&) {
            if (!plain.untouched()) __builtin_trap();
        }
    } catch (const innspect::error&) {
    }
    if (H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL) != 0) __builtin_trap();
    return 0;
}
