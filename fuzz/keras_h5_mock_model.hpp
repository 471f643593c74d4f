#pragma once
// The small fixed model fuzz_keras_h5 loads into, shaped like tests/reference/make_h5_fixtures.py's
// mock file (dense_1 kernel (4,3) bias (3,); act; deconv kernel (2,2,2,3) bias (2,)), every
// weight starting at a sentinel so a partial load shows. Shared with the CTest replay of the
// fuzz regressions (tests/hdf5/fuzz_regressions.cpp).

#include <algorithm>
#include <string_view>
#include <vector>

#include "innspect/core/weights.hpp"

namespace innspect::fuzz {

constexpr float sentinel = -777.0f;

struct Dense {
    std::vector<float> kernel = std::vector<float>(12, sentinel), bias = std::vector<float>(3, sentinel);
    std::string_view name() const { return "dense_1"; }
    std::vector<innspect::WeightRef<float>> weights() {
        return {{"kernel", {4, 3}, kernel.data()}, {"bias", {3}, bias.data()}};
    }
};
struct Act {
    std::string_view name() const { return "act"; }
    std::vector<innspect::WeightRef<float>> weights() { return {}; }
};
struct Deconv {
    std::vector<float> kernel = std::vector<float>(24, sentinel), bias = std::vector<float>(2, sentinel);
    std::string_view name() const { return "deconv"; }
    std::vector<innspect::WeightRef<float>> weights() {
        return {{"kernel", {2, 2, 2, 3}, kernel.data()}, {"bias", {2}, bias.data()}};
    }
};
struct Model {
    Dense dense;
    Act act;
    Deconv deconv;
    template <class F>
    void for_each_layer(F&& f) {
        f(dense);
        f(act);
        f(deconv);
    }
    bool untouched() const {
        const auto all = [](const std::vector<float>& v) {
            return std::all_of(v.begin(), v.end(), [](float x) { return x == sentinel; });
        };
        return all(dense.kernel) && all(dense.bias) && all(deconv.kernel) && all(deconv.bias);
    }
};


}  // namespace innspect::fuzz
