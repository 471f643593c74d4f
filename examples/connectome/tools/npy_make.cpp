// npy-make: makes small .npy inputs for the CLI tests, so they need no Python.
//
//   npy-make reshape IN OUT D0,D1,...     the same values (C order) with another shape
//   npy-make slice IN OUT BEGIN END       samples BEGIN..END-1 along the first axis
//   npy-make fill OUT D0,D1,... VALUE     an array of one value
//
// Values are written as float64. Exit codes: 0 done, 2 bad command line or file.

#include <cstdint>
#include <iostream>
#include <string>
#include <vector>

#include <innspect/core/errors.hpp>
#include <innspect/io/npy.hpp>

namespace {

using innspect::io::NpyArray;

std::vector<std::int64_t> parse_dims(const std::string& text) {
    std::vector<std::int64_t> dims;
    std::size_t start = 0;
    while (start <= text.size()) {
        const auto comma = text.find(',', start);
        dims.push_back(std::stoll(text.substr(start, comma - start)));
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return dims;
}

int usage(const std::string& why) {
    std::cerr << "npy-make: " << why << "\n"
              << "usage: npy-make reshape IN OUT D0,D1,...\n"
              << "       npy-make slice IN OUT BEGIN END\n"
              << "       npy-make fill OUT D0,D1,... VALUE\n";
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const std::vector<std::string> a(argv + 1, argv + argc);
        if (a.size() == 4 && a[0] == "reshape") {
            auto in = innspect::io::read_npy<double>(a[1]);
            in.shape = parse_dims(a[3]);
            innspect::io::write_npy(a[2], in);  // checks that the sizes agree
            return 0;
        }
        if (a.size() == 5 && a[0] == "slice") {
            const auto in = innspect::io::read_npy<double>(a[1]);
            const auto begin = std::stoll(a[3]), end = std::stoll(a[4]);
            if (in.shape.empty() || begin < 0 || end < begin || end > in.shape[0])
                return usage("slice " + a[3] + " " + a[4] + " is out of range for " + a[1]);
            const auto row = static_cast<std::int64_t>(in.data.size()) / (in.shape[0] ? in.shape[0] : 1);
            NpyArray<double> out;
            out.shape = in.shape;
            out.shape[0] = end - begin;
            out.data.assign(in.data.begin() + begin * row, in.data.begin() + end * row);
            innspect::io::write_npy(a[2], out);
            return 0;
        }
        if (a.size() == 4 && a[0] == "fill") {
            NpyArray<double> out;
            out.shape = parse_dims(a[2]);
            std::size_t n = 1;
            for (const auto d : out.shape) n *= static_cast<std::size_t>(d);
            out.data.assign(n, std::stod(a[3]));
            innspect::io::write_npy(a[1], out);
            return 0;
        }
        return usage(a.empty() ? "a command is required" : "bad command line");
    } catch (const innspect::error& e) {
        std::cerr << "npy-make: " << e.what() << '\n';
        return 2;
    } catch (const std::exception& e) {
        return usage(std::string("bad argument: ") + e.what());
    }
}
