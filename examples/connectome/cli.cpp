#include "cli.hpp"

#include <innspect/core/shape.hpp>
#include <innspect/io/npy.hpp>

#include <algorithm>

namespace connectome {

// ---- input ----------------------------------------------------------------------------------

std::string supported_widths_text() {
    std::string s;
    for (const int w : supported_widths) s += (s.empty() ? "W = " : " or W = ") + std::to_string(w);
    return s;
}

InputData read_input(std::string_view option, const std::filesystem::path& path) {
    auto a = innspect::io::read_npy<double>(path);
    const auto& s = a.shape;
    InputData in;
    in.path = path;
    in.file_shape = s;
    std::int64_t w = 0;
    if (s.size() == 2 && s[0] == s[1]) {  // (W, W)
        w = s[0], in.batch = 1;
    } else if (s.size() == 3 && s[2] == 1 && s[0] == s[1]) {  // (W, W, 1)
        w = s[0], in.batch = 1;
    } else if (s.size() == 3 && s[1] == s[2]) {  // (batch, W, W)
        w = s[1], in.batch = s[0];
    } else if (s.size() == 4 && s[3] == 1 && s[1] == s[2]) {  // (batch, W, W, 1)
        w = s[1], in.batch = s[0];
    } else {
        throw usage_error(std::string(option) + ": " + path.string() + " has shape " +
                          innspect::shape_string(s) +
                          "; accepted: (batch, W, W, 1), (batch, W, W), (W, W, 1) or (W, W) with " +
                          supported_widths_text());
    }
    if (std::find(std::begin(supported_widths), std::end(supported_widths), w) == std::end(supported_widths))
        throw usage_error(std::string(option) + ": " + path.string() + " has shape " +
                          innspect::shape_string(s) + ", W = " + std::to_string(w) +
                          "; this program is built for " + supported_widths_text() +
                          " (shape (batch, W, W, 1))");
    if (in.batch == 0)
        throw usage_error(std::string(option) + ": " + path.string() + " holds no sample (batch 0)");
    in.width = static_cast<int>(w);
    in.data = std::move(a.data);
    return in;
}

}  // namespace connectome
