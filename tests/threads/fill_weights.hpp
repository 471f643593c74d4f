#pragma once
// Deterministic weights for the threads tests' models: a linear congruential sequence in
// [-0.5, 0.5), moving variances shifted to stay positive. No <random>: the same values on every
// standard library, so a failure reproduces anywhere.

#include <cstdint>
#include <string_view>

template <class Net>
void fill_weights(Net& net, std::uint32_t seed) {
    std::uint32_t state = seed;
    auto next = [&] {
        state = state * 1664525u + 1013904223u;
        return static_cast<double>(state >> 8) / double(1u << 24) - 0.5;
    };
    net.for_each_layer([&](auto& l) {
        for (auto& w : l.weights()) {
            std::int64_t n = 1;
            for (auto d : w.shape) n *= d;
            for (std::int64_t i = 0; i < n; ++i)
                w.data[i] = w.role == std::string_view("moving_variance") ? 0.6 + next() : next();
        }
    });
}
