// A user's program: the public header and the innspect::innspect target are all it needs.
#include <innspect/innspect.hpp>

#include <cstdio>

#ifdef CONSUMER_WITH_HDF5
#include <hdf5.h>
#include <innspect/io/keras_h5.hpp>
#endif

int main() {
    innspect::Batch<float> batch = innspect::Batch<float>::Zero(2, 3);
    innspect::require_finite(batch, "consumer");
    if (batch.size() != 6) {
        std::puts("unexpected batch size");
        return 1;
    }
#ifdef CONSUMER_WITH_HDF5
    unsigned major = 0, minor = 0, release = 0;
    if (H5get_libversion(&major, &minor, &release) < 0) return 1;
    std::printf("linked HDF5 %u.%u.%u\n", major, minor, release);
#endif
    std::puts("ok");
    return 0;
}
