// libFuzzer harness: the .npy reader on arbitrary bytes (read_npy_from_memory, as float and as
// double). Every input must either read or throw an innspect::error; anything else (a crash, a
// sanitizer report, another exception type, a huge allocation) is a finding.

#include <cstddef>
#include <cstdint>
#include <span>

#include "innspect/io/npy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const unsigned char> bytes(data, size);
    innspect::io::ReadLimits limits;
    limits.max_array_bytes = std::uint64_t{64} << 20;
    try {
        const auto a = innspect::io::read_npy_from_memory<float>(bytes, "fuzz.npy", limits);
        if (a.data.size() > bytes.size()) __builtin_trap();  // more values than bytes: impossible
    } catch (const innspect::error&) {
    }
    try {
        (void)innspect::io::read_npy_from_memory<double>(bytes, "fuzz.npy", limits);
    } catch (const innspect::error&) {
    }
    return 0;
}
