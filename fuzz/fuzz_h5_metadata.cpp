// libFuzzer harness: the metadata a Keras HDF5 file declares, read from arbitrary bytes in memory:
// the root attributes (model_config, keras_version, backend), layer_names, every layer group's
// weight_names and every dataset's shape and type, i.e. everything the architecture check
// (keras_config.hpp) gets from the file before it parses model_config as JSON. Seeds: the
// model.save() fixtures, which carry a model_config.
//
// Unlike fuzz_keras_h5 this calls model_config() / keras_version() / backend(), which read
// variable-length strings from HDF5's global heap, so it reaches libhdf5 1.10's known global-heap
// bugs (fuzz/known_libhdf5/); keep it out of fixed-budget CI fuzzing (scripts/fuzz.sh --only).
//
// keras_config.hpp's JSON side is not fuzzed here: it includes the layer headers, which clang 14
// (Debian 12's) cannot compile (floating-point template parameters in activation_functions.hpp).

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "innspect/io/keras_h5.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    innspect::io::ReadLimits limits;
    limits.max_attribute_bytes = std::uint64_t{16} << 20;
    try {
        const auto file = innspect::io::KerasH5File::from_memory(std::span<const unsigned char>(data, size),
                                                                 "fuzz.h5", limits);
        std::size_t total = file.keras_version().size() + file.backend().size();
        if (file.has_model_config()) total += file.model_config().size();
        for (const auto& layer : file.layers()) {
            total += layer.name.size();
            for (const auto& a : layer.weights) total += a.name.size() + a.role.size() + a.shape.size();
        }
        if (total > (std::size_t{64} << 20)) __builtin_trap();  // more than the limits admit
    } catch (const innspect::error&) {
    }
    // Every HDF5 object innspect opened is closed again, whatever the input.
    if (H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL) != 0) __builtin_trap();
    return 0;
}
