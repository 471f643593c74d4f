// The library's own results for the command-line tests of innspect::cli::main<AE>, computed
// through the API (no command-line code): every layer's forward output and two explanations.
//   ae-reference WEIGHTS INPUT.npy OUT_DIR
// writes OUT_DIR/<layer>.npy (forward, double), OUT_DIR/lrp_epsilon_code2.npy (LRP-epsilon 0.01,
// unit 2 of `code`) and OUT_DIR/gradient_dec_out_all.npy (gradient of sum z at dec_out).
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <memory>
#include <vector>

#include <innspect/innspect.hpp>
#include <innspect/io/keras_model.hpp>
#include <innspect/io/npy.hpp>

#include "ae_model.hpp"

int main(int argc, char** argv) {
    if (argc != 4) {
        std::cerr << "usage: ae-reference WEIGHTS INPUT.npy OUT_DIR\n";
        return 2;
    }
    using namespace innspect;
    using M = test::AE<double>;
    const std::filesystem::path out = argv[3];
    std::filesystem::create_directories(out);
    const auto model = std::make_unique<M>();
    io::load_keras_model(*model, argv[1]);
    const auto a = io::read_npy<double>(argv[2]);
    const auto n = static_cast<Eigen::Index>(a.shape.at(0));
    const Batch<double> x = Eigen::Map<const Batch<double>>(a.data.data(), n, M::input_shape::size);
    const auto with_batch = [&](std::vector<std::int64_t> s) {
        s.insert(s.begin(), static_cast<std::int64_t>(n));
        return s;
    };

    const auto trace = model->forward(x);
    for (std::size_t i = 0; i < M::size; ++i) {
        const auto& l = M::layer_infos()[i];
        io::write_npy(out / (std::string(l.name) + ".npy"), trace.out[i], with_batch(l.output_keras_shape()));
    }
    const auto e = lrp(*model, Epsilon(0.01)).explain(x, target<double>("code", select::index<double>(2)));
    io::write_npy(out / "lrp_epsilon_code2.npy", e.relevance, with_batch(e.shape));
    const auto g = gradient(*model).explain(x, target<double>("dec_out", select::all<double>()));
    io::write_npy(out / "gradient_dec_out_all.npy", g.relevance, with_batch(g.shape));
    return 0;
}
