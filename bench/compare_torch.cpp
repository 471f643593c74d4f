// bench-compare-torch: innspect's half of bench/compare_torch.py. LRP-ε on the connectome seed
// model as shipped (examples/connectome/data/seed90.h5), float, one thread, on the held-out
// samples tiled to the batch size; prints the median time per sample of the forward pass and of
// the explanation (which includes its forward pass), each call timed, interleaved call by call;
// writes the relevance of the first call for the script's cross-check against PyTorch. Timed is
// the steady state a user who explains many batches has, as PyTorch's caching allocator gives it:
// the forward pass into a kept trace, the explanation into a kept Explanation (no heap call).
//
//   bench-compare-torch MODEL.h5 X.npy --target recon|logit --batch B --calls N [--out R.npy]

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <innspect/innspect.hpp>
#include <innspect/io/keras_h5.hpp>
#include <innspect/io/npy.hpp>

#include "bench_common.hpp"
#include "connectome/seed_model.hpp"

namespace ins = innspect;
using T = float;
using Net = ins::seed::SeedModel<T, 90>;

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s MODEL.h5 X.npy --target recon|logit --batch B --calls N [--out R.npy]\n", argv[0]);
        return 2;
    }
    std::string which = "recon", out;
    int batch = 32, calls = 50;
    for (int i = 3; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        if (a == "--target") which = argv[i + 1];
        else if (a == "--batch") batch = std::atoi(argv[i + 1]);
        else if (a == "--calls") calls = std::atoi(argv[i + 1]);
        else if (a == "--out") out = argv[i + 1];
        else {
            std::fprintf(stderr, "unknown option %s\n", a.c_str());
            return 2;
        }
    }
    if (which != "recon" && which != "logit") {
        std::fprintf(stderr, "--target must be recon or logit\n");
        return 2;
    }
    // One thread, as PyTorch is run: the bench programs link OpenMP, and Eigen would otherwise
    // spread its GEMMs over every core (which collapses on a loaded machine, bench/README.md).
    Eigen::setNbThreads(1);
    Net net;
    ins::io::load_keras_weights(net, argv[1]);
    const ins::Batch<T> samples = ins::io::to_batch(ins::io::read_npy<T>(argv[2]));
    ins::Batch<T> x(batch, samples.cols());
    for (int b = 0; b < batch; ++b) x.row(b) = samples.row(b % samples.rows());

    const auto target = which == "recon" ? ins::target<T>("autoencoder", ins::select::all<T>())
                                         : ins::target<T>("output", ins::select::max<T>());
    const auto analyzer = ins::lrp(net, ins::Epsilon(0.1));
    if (!out.empty()) ins::io::write_npy(out, analyzer.explain(x, target).relevance, {batch, 90, 90, 1});

    std::vector<double> forward, explain;
    ins::Trace<T> trace;
    ins::Explanation<T> e_kept;
    for (int k = 0; k < calls + 3; ++k) {  // the first 3 calls warm up (caches, buffers)
        auto t0 = innspect_bench::clock_type::now();
        net.forward(x, trace);
        innspect_bench::keep(trace.out.back());
        const double f = innspect_bench::seconds_since(t0);
        t0 = innspect_bench::clock_type::now();
        analyzer.explain(x, target, e_kept);
        innspect_bench::keep(e_kept.relevance);
        const double e = innspect_bench::seconds_since(t0);
        if (k >= 3) {
            forward.push_back(f / batch);
            explain.push_back(e / batch);
        }
    }
    std::sort(forward.begin(), forward.end());
    std::sort(explain.begin(), explain.end());
    std::printf("forward_us_per_sample %.3f\nexplain_us_per_sample %.3f\n",
                1e6 * innspect_bench::quantile(forward, 0.5), 1e6 * innspect_bench::quantile(explain, 0.5));
    return 0;
}
