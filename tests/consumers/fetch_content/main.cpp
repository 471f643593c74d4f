// A user's program: the public header and the innspect::innspect target are all it needs.
#include <innspect/innspect.hpp>

#include <cstdio>

int main() {
    innspect::Batch<float> batch = innspect::Batch<float>::Zero(2, 3);
    innspect::require_finite(batch, "consumer");
    if (batch.size() != 6) {
        std::puts("unexpected batch size");
        return 1;
    }
    std::puts("ok");
    return 0;
}
