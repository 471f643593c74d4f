// libFuzzer harness: the Keras HDF5 weight loader on arbitrary bytes, opened in memory
// (KerasH5File::from_memory, HDF5's core driver), loaded into the small fixed model of
// tests/reference/make_h5_fixtures.py (dense_1 kernel (4,3) bias (3,); act; deconv kernel
// (2,2,2,3) bias (2,)), then every array of the file read directly as float. Every input must
// load or throw an innspect::error, and a failed load must leave the model untouched.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "innspect/io/keras_h5.hpp"
#include "keras_h5_mock_model.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    innspect::io::ReadLimits limits;
    limits.max_array_bytes = std::uint64_t{64} << 20;
    limits.max_attribute_bytes = std::uint64_t{16} << 20;
    try {
        const auto file = innspect::io::KerasH5File::from_memory(std::span<const unsigned char>(data, size),
                                                                 "fuzz.h5", limits);
        innspect::fuzz::Model model;
        try {
            (void)innspect::io::load_keras_weights(model, file);
        } catch (const innspect::error&) {
            if (!model.untouched()) __builtin_trap();  // a partial load
        }
        for (const auto& layer : file.layers())
            for (const auto& array : layer.weights) {
                try {
                    (void)file.read<float>(layer, array);
                } catch (const innspect::error&) {
                }
            }
    } catch (const innspect::error&) {
    }
    // Every HDF5 object innspect opened is closed again, whatever the input.
    if (H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL) != 0) __builtin_trap();
    return 0;
}
