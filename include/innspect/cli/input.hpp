#pragma once
/// \file
/// The input batch of a command (`--input X.npy`): read, checked against the model's input shape,
/// and turned into a Batch of the model's scalar.

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <innspect/cli/options.hpp>
#include <innspect/core/shape.hpp>
#include <innspect/core/tensor.hpp>
#include <innspect/io/npy.hpp>

namespace innspect::cli {

/// An input batch read from an .npy file: `data` holds batch × (features per sample) values,
/// channels-last, one sample after the other.
struct InputData {
    std::filesystem::path path;
    std::vector<std::int64_t> file_shape;
    std::vector<double> data;
    std::int64_t batch = 0;
};

/// (batch, sample shape...).
inline std::vector<std::int64_t> batch_shape(std::int64_t batch, std::vector<std::int64_t> sample) {
    sample.insert(sample.begin(), batch);
    return sample;
}

/// Reads `path` (the value of `option`) as a batch `(batch, *sample_shape)` or one sample
/// `sample_shape`. An unreadable or malformed file throws innspect::io_error (exit 1); any other
/// shape, or a batch of 0 samples, throws usage_error naming the expected and the actual shape.
inline InputData read_input(std::string_view option, const std::filesystem::path& path,
                            std::span<const std::int64_t> sample_shape) {
    auto a = io::read_npy<double>(path);
    const std::vector<std::int64_t> sample(sample_shape.begin(), sample_shape.end());
    InputData in;
    in.path = path;
    in.file_shape = a.shape;
    if (a.shape == sample) {
        in.batch = 1;
    } else if (a.shape.size() == sample.size() + 1 &&
               std::equal(sample.begin(), sample.end(), a.shape.begin() + 1)) {
        in.batch = a.shape[0];
    } else {
        throw usage_error(std::string(option) + ": " + path.string() + " has shape " + shape_string(a.shape) +
                          "; expected " + "(batch, " + shape_string(sample).substr(1) + " or " +
                          shape_string(sample) + " (the model's input shape)");
    }
    if (in.batch == 0)
        throw usage_error(std::string(option) + ": " + path.string() + " holds no sample (batch 0)");
    in.data = std::move(a.data);
    return in;
}

/// The input as a batch of T (one sample per row, channels-last).
template <class T>
Batch<T> to_batch(const InputData& in) {
    const auto batch = static_cast<Eigen::Index>(in.batch);
    Batch<T> x(batch, batch == 0 ? 0 : static_cast<Eigen::Index>(in.data.size()) / batch);
    std::transform(in.data.begin(), in.data.end(), x.data(), [](double v) { return static_cast<T>(v); });
    return x;
}

}  // namespace innspect::cli
