// `innspect-connectome demo` (demo.hpp): explains the trained W = 90 seed model on its held-out
// samples, writes heatmaps and summary.txt, and measures the explanations (relevance mass in the
// known block, MoRF / AOPC). Choices, decided before looking at the numbers and kept fixed:
//
// - Heatmap LRP: LRP-epsilon (eps = 0.1) on every layer. The seed model is shallow (input -> conv1
//   -> conv2 -> dense1 -> logits: four linear layers on the class path) and has SELU activations
//   and signed inputs (correlations in [-1, 1]); the rules that favour positive contributions
//   (z+, alpha-beta, gamma) were designed for ReLU networks on non-negative activations, and the
//   noise that motivates them comes from depth, which this model does not have. Epsilon keeps the
//   sign of the evidence (a negative correlation that speaks against the class shows as blue)
//   and conserves relevance up to the bias and eps; eps = 0.1 (iNNvestigate's default on Dense)
//   only damps units with |z| << 0.1. The comparison table also lists alpha2beta1, the Zennit
//   composites epsilon_plus and epsilon_gamma_box(-1, 1), gradient and input x gradient, so the
//   choice can be checked against the alternatives.
// - Latent unit: the conv2 unit (pre-activation) whose output correlates most positively with the
//   class over the concept sets (12 class-1 + 12 class-0 samples, not the held-out ones): one unit
//   for every sample, so the heatmaps compare, and the unit most tied to what the classifier does.
// - MoRF: 5 x 5 patches (they tile the block exactly: rows 20-34 and cols 50-64 are 3 x 3 patches,
//   the block and its mirror 18 patches), 20 steps (a perfect ranking perturbs all 18 block
//   patches), noise uniform in mean +- sqrt(3) sd of the held-out off-diagonal cells (the data's
//   own mean and spread; uniform [-1, 1] has ~4x the data's sd and would put every perturbed
//   patch far outside the data), seed 0. Random baseline: mean over 10 seeded orderings.

#include "demo.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <numeric>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <innspect/evaluation/region_perturbation.hpp>
#include <innspect/evaluation/relevance_mass.hpp>
#include <innspect/innspect.hpp>
#include <innspect/io/keras_h5.hpp>
#include <innspect/io/npy.hpp>
// Optional parts, as in the library: PNG heatmaps need stb (libstb-dev), the architecture check
// nlohmann-json; without them the demo writes no PNGs / loads the weights unchecked, and says so.
#if __has_include(<stb/stb_image_write.h>) && __has_include(<stb/stb_easy_font.h>)
#include <innspect/io/heatmap.hpp>
#define INNSPECT_DEMO_PNG 1
#else
#define INNSPECT_DEMO_PNG 0
#endif
#include <innspect/io/keras_model.hpp>

#include "concept.hpp"
#include "seed_model.hpp"

namespace connectome {
namespace {

namespace fs = std::filesystem;
using innspect::Batch;

constexpr int W = 90;
constexpr Eigen::Index N = static_cast<Eigen::Index>(W) * W;
constexpr int block_rows[2] = {20, 35}, block_cols[2] = {50, 65};  // data/block.json (+ mirror)
// The planted anomaly of section 5 (+ mirror): off the class block and off the diagonal band.
constexpr int anomaly_rows[2] = {60, 70}, anomaly_cols[2] = {5, 15};

/// Rows [r0, r1) x columns [c0, c1) of the matrix, and its mirror.
struct Region {
    int r0, r1, c0, c1;
};
constexpr Region class_block{block_rows[0], block_rows[1], block_cols[0], block_cols[1]};
constexpr Region planted_block{anomaly_rows[0], anomaly_rows[1], anomaly_cols[0], anomaly_cols[1]};

__attribute__((format(printf, 1, 2))) std::string fmt(const char* f, ...) {
    char buf[512];
    va_list args;
    va_start(args, f);
    std::vsnprintf(buf, sizeof buf, f, args);
    va_end(args);
    return buf;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void progress(const std::string& line) { std::cerr << line << std::endl; }

// ---- data -----------------------------------------------------------------------------------

constexpr const char* data_files[] = {"seed90.h5",      "heldout_x.npy",    "heldout_y.npy",
                                      "block_mask.npy", "concept_with.npy", "concept_without.npy"};

void check_data_dir(const fs::path& dir) {
    const std::string hint =
        " (--data DIR: the directory with seed90.h5, heldout_x.npy, ...; in the repository "
        "examples/connectome/data)";
    if (!fs::is_directory(dir))
        throw innspect::io_error("data directory '" + dir.string() + "' does not exist" + hint);
    for (const char* f : data_files)
        if (!fs::exists(dir / f))
            throw innspect::io_error("data directory '" + dir.string() + "' has no " + f + hint);
}

/// (n, 90, 90, 1) or (n, 90, 90) as a batch n x 8100.
template <class T>
Batch<T> read_matrices(const fs::path& p) {
    auto a = innspect::io::read_npy<T>(p);
    const auto& s = a.shape;
    if (!((s.size() == 4 && s[1] == W && s[2] == W && s[3] == 1) ||
          (s.size() == 3 && s[1] == W && s[2] == W)))
        throw innspect::shape_error(p.string() + " has shape " + innspect::shape_string(s) +
                                    ", expected (n, 90, 90, 1)");
    return Eigen::Map<const Batch<T>>(a.data.data(), static_cast<Eigen::Index>(s[0]), N);
}

// ---- pictures -------------------------------------------------------------------------------
#if INNSPECT_DEMO_PNG

/// A 1-pixel black frame just outside a block and its mirror on a 90 x 90 tile at `scale`.
void outline_block(innspect::io::Image& img, int scale, const Region& g) {
    auto frame = [&](int r0, int r1, int c0, int c1) {
        const int y0 = r0 * scale - 1, y1 = r1 * scale, x0 = c0 * scale - 1, x1 = c1 * scale;
        for (int x = x0; x <= x1; ++x)
            for (int y : {y0, y1})
                if (x >= 0 && x < img.width && y >= 0 && y < img.height) img.at(x, y) = {0, 0, 0};
        for (int y = y0; y <= y1; ++y)
            for (int x : {x0, x1})
                if (x >= 0 && x < img.width && y >= 0 && y < img.height) img.at(x, y) = {0, 0, 0};
    };
    frame(g.r0, g.r1, g.c0, g.c1);
    frame(g.c0, g.c1, g.r0, g.r1);
}

template <class T>
innspect::io::Image tile(const Batch<T>& r, Eigen::Index row, int scale, double percentile = 99.5,
                         const Region& outline = class_block) {
    innspect::io::HeatmapOptions o;
    o.colormap = innspect::io::Colormap::bwr;
    o.scale = scale;
    o.percentile = percentile;
    auto img = innspect::io::heatmap(r, row, W, W, 1, o);
    // Colours on a grid of `levels` steps per channel: invisible, and the PNGs shrink ~3x.
    constexpr int levels = 8;
    for (auto& p : img.pixels)
        for (auto* ch : {&p.r, &p.g, &p.b})
            *ch = static_cast<std::uint8_t>(std::min(255, (*ch + levels / 2) / levels * levels));
    outline_block(img, scale, outline);
    return img;
}
#endif

// ---- explanations ---------------------------------------------------------------------------

template <class T>
struct Method {
    std::string name;
    std::function<Batch<T>(const Batch<T>&, const innspect::Target<T>&)> explain;
};

/// Indices of the k largest values of v, largest first.
template <class V>
std::vector<int> top_k(const V& v, int k) {
    std::vector<int> idx(static_cast<std::size_t>(v.size()));
    std::iota(idx.begin(), idx.end(), 0);
    k = std::min<int>(k, static_cast<int>(idx.size()));
    std::partial_sort(idx.begin(), idx.begin() + k, idx.end(), [&](int a, int b) { return v(a) > v(b); });
    idx.resize(static_cast<std::size_t>(k));
    return idx;
}

/// The class relevance summed over 5 x 5 patches (as MoRF ranks them): of the first 18 patches
/// (as many as the block and its mirror cover), how many are block patches and how many lie on
/// the diagonal band (patch row = patch column).
template <class T>
std::pair<int, int> first_patches(const Batch<T>& rel, Eigen::Index row, const Batch<T>& block) {
    constexpr int P = 5, G = W / P;
    Eigen::VectorXd score = Eigen::VectorXd::Zero(G * G);
    for (int a = 0; a < W; ++a)
        for (int b = 0; b < W; ++b) score((a / P) * G + b / P) += static_cast<double>(rel(row, a * W + b));
    auto in_block = [&](int p) { return block(0, (p / G) * P * W + (p % G) * P) != T(0); };
    int block_patches = 0;
    for (int p = 0; p < G * G; ++p) block_patches += in_block(p);
    int hits = 0, diagonal = 0;
    for (int p : top_k(score, block_patches)) hits += in_block(p), diagonal += p / G == p % G;
    return {hits, diagonal};
}
}  // namespace

template <class T>
int run_demo(const DemoRequest& r) {
    using namespace innspect;
    using M = seed::SeedModel<T, W>;
    const auto t0 = std::chrono::steady_clock::now();
    const fs::path& dir = r.data_dir;
    check_data_dir(dir);
    std::ostringstream out;  // the summary: printed and written to summary.txt

    // ---- 1. model and data
    progress(fmt("[demo] loading %s", (dir / "seed90.h5").string().c_str()));
    const auto model = std::make_unique<M>();
    const auto load = io::load_keras_model(*model, dir / "seed90.h5");
    const Batch<T> x_all = read_matrices<T>(dir / "heldout_x.npy");
    const auto y_file = io::read_npy<T>(dir / "heldout_y.npy");
    if (static_cast<Eigen::Index>(y_file.data.size()) != x_all.rows())
        throw shape_error("heldout_y.npy has " + std::to_string(y_file.data.size()) +
                          " labels, heldout_x.npy " + std::to_string(x_all.rows()) + " samples");
    const Eigen::Index n = r.samples == 0 ? x_all.rows() : r.samples;
    if (n > x_all.rows())
        throw usage_error("--samples: " + std::to_string(n) + " is more than the " +
                          std::to_string(x_all.rows()) + " held-out samples (accepted: 1.." +
                          std::to_string(x_all.rows()) + ")");
    const Batch<T> x = x_all.topRows(n);
    std::vector<int> y(static_cast<std::size_t>(n));
    for (Eigen::Index i = 0; i < n; ++i)
        y[static_cast<std::size_t>(i)] = y_file.data[static_cast<std::size_t>(i)] > T(0.5);
    const auto mask_file = io::read_npy<T>(dir / "block_mask.npy");
    if (mask_file.data.size() != static_cast<std::size_t>(N))
        throw shape_error("block_mask.npy has " + std::to_string(mask_file.data.size()) +
                          " values, expected 90 x 90");
    const Batch<T> block = Eigen::Map<const Batch<T>>(mask_file.data.data(), 1, N);
    const Batch<T> with = read_matrices<T>(dir / "concept_with.npy");
    const Batch<T> without = read_matrices<T>(dir / "concept_without.npy");

    const auto trace = model->forward(x);
    const Batch<T>& prob = trace.output("output");
    const Batch<T>& logit = trace.pre_activation(M::index_of("output"));
    std::vector<int> pred(static_cast<std::size_t>(n));
    int correct = 0;
    for (Eigen::Index i = 0; i < n; ++i) {
        pred[static_cast<std::size_t>(i)] = prob(i, 1) > prob(i, 0) ? 1 : 0;
        correct += pred[static_cast<std::size_t>(i)] == y[static_cast<std::size_t>(i)];
    }

    out << "innspect-connectome demo: the trained W = 90 seed model on " << n << " held-out sample(s)\n"
        << "data: " << fs::absolute(dir).lexically_normal().string()
        << "  precision: " << (sizeof(T) == 4 ? "float" : "double") << '\n';
    for (const auto& note : load.notes) out << "  load: " << note << '\n';
    out << "\n1. Predictions (class 1 = block present)\n"
        << "  sample  true  pred  P(class 1)  logit0   logit1\n";
    for (Eigen::Index i = 0; i < n; ++i) {
        const auto u = static_cast<std::size_t>(i);
        out << fmt("  %6ld  %4d  %4d  %10.3f  %7.3f  %7.3f%s\n", static_cast<long>(i), y[u], pred[u],
                   static_cast<double>(prob(i, 1)), static_cast<double>(logit(i, 0)),
                   static_cast<double>(logit(i, 1)), pred[u] == y[u] ? "" : "   <- wrong");
    }
    out << fmt("  accuracy %d/%ld\n", correct, static_cast<long>(n));

    // ---- the latent unit and the concept direction (from the concept sets, not the held-out samples)
    const int conv2 = M::index_of("conv2");
    Batch<T> latent_sets(with.rows() + without.rows(), 64);
    latent_sets << model->forward(with).output(conv2), model->forward(without).output(conv2);
    Eigen::Matrix<double, Eigen::Dynamic, 1> cls(latent_sets.rows());
    for (Eigen::Index i = 0; i < cls.size(); ++i) cls(i) = i < with.rows() ? 1.0 : 0.0;
    Eigen::Matrix<double, Eigen::Dynamic, 1> corr(64);
    for (int k = 0; k < 64; ++k) {
        const Eigen::Matrix<double, Eigen::Dynamic, 1> v = latent_sets.col(k).template cast<double>();
        const auto a = (v.array() - v.mean()).matrix();
        const auto b = (cls.array() - cls.mean()).matrix();
        const double den = a.norm() * b.norm();
        corr(k) = den > 0 ? a.dot(b) / den : 0.0;
    }
    const int unit = top_k(corr, 1)[0];
    const Batch<T> c = concept_vector(*model, with, without, "dropout2");

    // ---- 2. explanations
    const auto lrp_eps = lrp(*model, Epsilon(0.1));
    auto explain = [&](const Target<T>& t) { return lrp_eps.explain(x, t); };
    Target<T> t_class = target<T>("output", select::max<T>());
    Target<T> t_latent = target<T>("conv2", select::index<T>(static_cast<Eigen::Index>(unit)));
    Target<T> t_recon = target<T>("autoencoder", select::all<T>());
    Target<T> t_region = target<T>("autoencoder", select::mask<T>(block));
    Target<T> t_region_latent = t_region;
    t_region_latent.stop_at = "conv2";
    Target<T> t_concept = target<T>("dropout2", select::direction<T>(c));

    struct Step {
        const char* what;
        const Target<T>* target;
    };
    const Step steps[] = {{"class logit (output, max)", &t_class},
                          {"latent unit (conv2)", &t_latent},
                          {"reconstruction (autoencoder, all)", &t_recon},
                          {"block region of the reconstruction (autoencoder, mask)", &t_region},
                          {"block region, stopped at the latent code (conv2)", &t_region_latent},
                          {"concept direction (dropout2, direction)", &t_concept}};
    std::vector<Explanation<T>> e;
    for (std::size_t s = 0; s < std::size(steps); ++s) {
        progress(fmt("[%zu/%zu] LRP-epsilon: %s, %ld sample(s) ...", s + 1, std::size(steps), steps[s].what,
                     static_cast<long>(n)));
        e.push_back(explain(*steps[s].target));
    }
    const auto& e_class = e[0];
    const auto& e_region_latent = e[4];
    const auto& e_concept = e[5];

    // ---- 3. heatmaps
    fs::create_directories(r.out_dir);
    std::vector<std::string> written;
#if INNSPECT_DEMO_PNG
    const int scale = 3;
    for (Eigen::Index i = 0; i < n; ++i) {
        const auto u = static_cast<std::size_t>(i);
        progress(fmt("[%ld/%ld] heatmaps of sample %ld ...", static_cast<long>(i + 1), static_cast<long>(n),
                     static_cast<long>(i)));
        const std::vector<io::Image> tiles = {tile(x, i, scale, 98.0),        tile(e[0].relevance, i, scale),
                                              tile(e[1].relevance, i, scale), tile(e[2].relevance, i, scale),
                                              tile(e[3].relevance, i, scale), tile(e[5].relevance, i, scale)};
        const std::vector<std::string> labels = {
            fmt("input #%ld  y=%d  P(1)=%.2f", static_cast<long>(i), y[u], static_cast<double>(prob(i, 1))),
            fmt("class %d logit", pred[u]),
            fmt("latent unit %d (conv2)", unit),
            "reconstruction (all)",
            "block of the reconstruction",
            "concept (class 1 - class 0)"};
        const fs::path p = r.out_dir / fmt("sample_%ld.png", static_cast<long>(i));
        io::write_png(p, io::grid(tiles, 3, labels));
        written.push_back(p.filename().string());
    }
#else
    progress("[demo] built without the stb headers (libstb-dev): no PNG heatmaps");
#endif

    // ---- 4. relevance mass in the known block, and 5. AOPC, for several methods
    const auto lrp_ab = lrp(*model, AlphaBeta(2, 1));
    const auto lrp_eplus = lrp(*model, presets::epsilon_plus());
    const auto lrp_egb = lrp(*model, presets::epsilon_gamma_box(-1, 1));
    const auto grad = gradient(*model);
    const auto ixg = input_x_gradient(*model);
    const std::vector<Method<T>> methods = {
        {"LRP-epsilon (0.1) [heatmaps]",
         [&](const Batch<T>&, const Target<T>&) { return e_class.relevance; }},
        {"LRP-alpha2beta1",
         [&](const Batch<T>& a, const Target<T>& t) { return lrp_ab.explain(a, t).relevance; }},
        {"LRP epsilon_plus",
         [&](const Batch<T>& a, const Target<T>& t) { return lrp_eplus.explain(a, t).relevance; }},
        {"LRP epsilon_gamma_box(-1,1)",
         [&](const Batch<T>& a, const Target<T>& t) { return lrp_egb.explain(a, t).relevance; }},
        {"gradient", [&](const Batch<T>& a, const Target<T>& t) { return grad.explain(a, t).relevance; }},
        {"input x gradient",
         [&](const Batch<T>& a, const Target<T>& t) { return ixg.explain(a, t).relevance; }},
    };

    // Perturbation noise: the held-out off-diagonal cells' mean +- sqrt(3) sd (same mean and sd).
    double sum = 0, sum2 = 0;
    long cells = 0;
    for (Eigen::Index i = 0; i < x_all.rows(); ++i)
        for (int a = 0; a < W; ++a)
            for (int b = 0; b < W; ++b)
                if (a != b) {
                    const double v = static_cast<double>(x_all(i, a * W + b));
                    sum += v, sum2 += v * v, ++cells;
                }
    const double mean = sum / static_cast<double>(cells);
    const double sd = std::sqrt(std::max(0.0, sum2 / static_cast<double>(cells) - mean * mean));
    PerturbationOptions po;
    po.patch_h = po.patch_w = 5;
    po.steps = 20;
    po.uniform_noise = true;
    po.low = mean - std::sqrt(3.0) * sd;
    po.high = mean + std::sqrt(3.0) * sd;
    po.seed = 0;
    constexpr int random_runs = 10;

    struct Row {
        std::string name;
        Vector<double> mass, aopc, block_first, diag_first;
        double aopc_lo = 0, aopc_hi = 0;  // random: range of the mean AOPC over the runs
    };
    auto measure = [&](std::string name, const Batch<T>& rel) {
        Row row{std::move(name), relevance_mass(rel, block).mass.template cast<double>(),
                morf(*model, x, rel, t_class, po).aopc.template cast<double>(), Vector<double>(n),
                Vector<double>(n)};
        for (Eigen::Index i = 0; i < n; ++i) {
            const auto [b, d] = first_patches(rel, i, block);
            row.block_first(i) = b, row.diag_first(i) = d;
        }
        return row;
    };
    std::vector<Row> rows;
    for (std::size_t m = 0; m < methods.size(); ++m) {
        progress(fmt("[%zu/%zu] AOPC (MoRF, 5x5 patches, 20 steps): %s ...", m + 1, methods.size() + 1,
                     methods[m].name.c_str()));
        rows.push_back(measure(methods[m].name, methods[m].explain(x, t_class)));
    }
    {
        progress(fmt("[%zu/%zu] AOPC: random baseline (%d orderings) ...", methods.size() + 1,
                     methods.size() + 1, random_runs));
        Row rr{fmt("random (mean of %d)", random_runs),
               Vector<double>::Zero(n),
               Vector<double>::Zero(n),
               Vector<double>::Zero(n),
               Vector<double>::Zero(n),
               1e300,
               -1e300};
        for (int s = 0; s < random_runs; ++s) {
            const Row one = measure("", random_relevance<T>(n, N, static_cast<std::uint64_t>(1000 + s)));
            rr.mass += one.mass / random_runs;
            rr.aopc += one.aopc / random_runs;
            rr.block_first += one.block_first / random_runs;
            rr.diag_first += one.diag_first / random_runs;
            rr.aopc_lo = std::min(rr.aopc_lo, one.aopc.mean());
            rr.aopc_hi = std::max(rr.aopc_hi, one.aopc.mean());
        }
        rows.push_back(std::move(rr));
    }
    const double share = relevance_mass(e_class.relevance, block).region_share;
    auto mean_where = [&](const Vector<double>& v, int want) {  // over samples predicted `want` (-1: all)
        double s = 0;
        int k = 0;
        for (Eigen::Index i = 0; i < n; ++i)
            if (want < 0 || pred[static_cast<std::size_t>(i)] == want) s += v(i), ++k;
        return k ? s / k : std::nan("");
    };

    // ---- summary
    out << "\n2. Explanations (LRP-epsilon, eps 0.1, every layer; heatmaps: bwr, red = for, blue = against)\n"
        << "  (a) class logit: output, max (the predicted class's logit, softmax stripped)\n"
        << fmt("      conservation: sum R at the input = %.0f%% of the explained logits (the rest: biases, "
               "eps)\n",
               100 * e_class.report.final / e_class.report.initial)
        << fmt("  (b) latent unit %d: its conv2 pre-activation. Of the 64 latent units, its output "
               "correlates\n"
               "      most with the class on the concept sets (r = %+.2f; 12 class-1 + 12 class-0 samples)\n",
               unit, corr(unit))
        << "  (c) reconstruction: autoencoder, all (the sum of the pre-tanh reconstruction)\n"
        << "  (d) block region: autoencoder, mask = block_mask.npy (450 cells): S = sum of the region's "
           "pre-tanh\n"
        << fmt("  (e) concept: c = mean latent(concept_with) - mean latent(concept_without) on dropout2\n"
               "      (conv2's output), |c| = %.2f; explains the concept score c.latent\n",
               static_cast<double>(c.norm()));
    out << "\n  (d) stopped at the latent code: the 5 conv2 units with the largest |R| for the block region\n"
        << "      (signed LRP relevance at conv2's output and its share of sum |R|; S = the explained\n"
        << "      region score, sum R = what reaches conv2)\n";
    for (Eigen::Index i = 0; i < n; ++i) {
        const Vector<double> rl = e_region_latent.relevance.row(i).transpose().template cast<double>();
        const double total = rl.cwiseAbs().sum();
        std::string line = fmt("  sample %ld (S %+6.1f, sum R %+7.1f):", static_cast<long>(i),
                               static_cast<double>(e_region_latent.score(i)), rl.sum());
        for (int k : top_k(rl.cwiseAbs(), 5))
            line +=
                fmt("  %2d %+.2f (%2.0f%%)", k, rl(k), 100.0 * std::abs(rl(k)) / (total > 0 ? total : 1.0));
        out << line << '\n';
    }
    {
        // Each sample's |R| as a share of its sum |R| (so no sample dominates), averaged.
        Vector<double> mean_abs = Vector<double>::Zero(64);
        for (Eigen::Index i = 0; i < n; ++i) {
            const Vector<double> a =
                e_region_latent.relevance.row(i).transpose().template cast<double>().cwiseAbs();
            if (a.sum() > 0) mean_abs += a / a.sum() / static_cast<double>(n);
        }
        std::string line = "  largest mean share over the samples:";
        for (int k : top_k(mean_abs, 5)) line += fmt(" %d", k);
        out << line
            << fmt("   (the latent unit of (b), %d, ranks %d of 64)\n", unit,
                   1 + static_cast<int>((mean_abs.array() > mean_abs(unit)).count()));
    }
    out << "  concept score c.latent per sample:";
    for (Eigen::Index i = 0; i < n; ++i) out << fmt(" %+.1f", static_cast<double>(e_concept.score(i)));
    out << '\n';

    const Vector<double>& mass = rows[0].mass;
    out << fmt("\n3. Does LRP find the block? Share of the positive class-logit relevance (LRP-epsilon) "
               "inside\n"
               "   the known block and its mirror (relevance mass) vs the block's share of the matrix, "
               "%.1f%%\n",
               100 * share)
        << "  sample  true  pred  block mass  (x the block's share)\n";
    for (Eigen::Index i = 0; i < n; ++i)
        out << fmt("  %6ld  %4d  %4d  %9.1f%%  (%.1fx)\n", static_cast<long>(i),
                   y[static_cast<std::size_t>(i)], pred[static_cast<std::size_t>(i)], 100 * mass(i),
                   mass(i) / share);
    out << fmt(
        "  block share: mean %.1f%% = %.1fx the block's %.1f%% of the matrix (predicted class 1: %.1f%%,\n"
        "  predicted class 0: %.1f%%)\n",
        100 * mean_where(mass, -1), mean_where(mass, -1) / share, 100 * share, 100 * mean_where(mass, 1),
        100 * mean_where(mass, 0));

    out << fmt("\n4. AOPC, MoRF on the class logit (output, max): 5x5 patches (324, the block and mirror are "
               "18),\n"
               "   20 steps, a patch is replaced by uniform noise in [%.3f, %.3f] (held-out off-diagonal\n"
               "   mean %.3f +- sqrt(3) sd, sd %.3f), seed 0. Higher AOPC = the ranking finds what the "
               "logit\n"
               "   depends on sooner. Block mass: as in 3. First 18: of the 18 patches ranked first, how "
               "many\n"
               "   are block patches / lie on the diagonal band (18 patches, within-network correlations).\n",
               po.low, po.high, mean, sd)
        << "  method                          AOPC   pred 1   pred 0   block mass   first 18: block  "
           "diagonal\n";
    for (const auto& row : rows)
        out << fmt("  %-29s %6.3f   %6.3f   %6.3f   %9.1f%%   %15.1f  %8.1f\n", row.name.c_str(),
                   mean_where(row.aopc, -1), mean_where(row.aopc, 1), mean_where(row.aopc, 0),
                   100 * mean_where(row.mass, -1), mean_where(row.block_first, -1),
                   mean_where(row.diag_first, -1));
    out << fmt("  (random: the mean AOPC of each of the %d orderings lies in [%.3f, %.3f])\n", random_runs,
               rows.back().aopc_lo, rows.back().aopc_hi);
    out << "  AOPC per sample:             ";
    for (Eigen::Index i = 0; i < n; ++i) out << fmt("  %5ld", static_cast<long>(i));
    out << '\n';
    for (const auto& row : rows) {
        out << fmt("  %-29s", row.name.c_str());
        for (Eigen::Index i = 0; i < n; ++i) out << fmt("  %5.2f", row.aopc(i));
        out << '\n';
    }

    // ---- 5. anomalies: which inputs make a sample's reconstruction error high?
    // The held-out samples with a planted anomaly: the cells of planted_block (and mirror) shifted
    // by +4 sd of the held-out off-diagonal cells, clipped to 1 (correlations). Ranked by the
    // reconstruction error E = sum (x - x_hat)^2 against the same samples without it; explained by
    // E's relevance / attribution per method; measured by the share of positive relevance in the
    // planted cells and by MoRF on E itself (the same patches and noise as in 4.).
    Batch<T> planted = Batch<T>::Zero(1, N);
    for (int a = planted_block.r0; a < planted_block.r1; ++a)
        for (int b = planted_block.c0; b < planted_block.c1; ++b) planted(0, a * W + b) = planted(0, b * W + a) = T(1);
    Batch<T> xa = x;
    for (Eigen::Index i = 0; i < n; ++i)
        for (Eigen::Index k = 0; k < N; ++k)
            if (planted(0, k) != T(0)) xa(i, k) = std::min(T(1), xa(i, k) + T(4 * sd));
    const Target<T> t_err = target<T>("autoencoder", select::reconstruction_error<T>());
    const auto residual = residual_map(*model);
    const auto r_clean = residual.explain(x, t_err), r_anom = residual.explain(xa, t_err);
    double auc = 0;
    for (Eigen::Index i = 0; i < n; ++i)
        for (Eigen::Index j = 0; j < n; ++j)
            auc += r_anom.score(i) > r_clean.score(j) ? 1.0 : r_anom.score(i) == r_clean.score(j) ? 0.5 : 0.0;
    auc /= static_cast<double>(n * n);
    progress("[anomalies] LRP-epsilon of the reconstruction error ...");
    const auto e_err = lrp_eps.explain(xa, t_err);
    const std::vector<Method<T>> err_methods = {
        {"LRP-epsilon (0.1) of E", [&](const Batch<T>&, const Target<T>&) { return e_err.relevance; }},
        {"LRP epsilon_plus of E",
         [&](const Batch<T>& a, const Target<T>& t) { return lrp_eplus.explain(a, t).relevance; }},
        {"input x gradient of E", [&](const Batch<T>& a, const Target<T>& t) { return ixg.explain(a, t).relevance; }},
        {"integrated gradients of E (32)",
         [&](const Batch<T>& a, const Target<T>& t) { return IntegratedGradients<M>(*model, 32).explain(a, t).relevance; }},
        {"residual map (x - x_hat)^2", [&](const Batch<T>&, const Target<T>&) { return r_anom.relevance; }},
    };
    struct ErrRow {
        std::string name;
        Vector<double> mass, aopc;
    };
    std::vector<ErrRow> err_rows;
    for (std::size_t m = 0; m < err_methods.size(); ++m) {
        progress(fmt("[anomalies %zu/%zu] %s, AOPC on E ...", m + 1, err_methods.size() + 1, err_methods[m].name.c_str()));
        const Batch<T> rel = err_methods[m].explain(xa, t_err);
        err_rows.push_back({err_methods[m].name, relevance_mass(rel, planted).mass.template cast<double>(),
                            morf(*model, xa, rel, t_err, po).aopc.template cast<double>()});
    }
    {
        progress(fmt("[anomalies %zu/%zu] random baseline (%d orderings) ...", err_methods.size() + 1,
                     err_methods.size() + 1, random_runs));
        ErrRow rr{fmt("random (mean of %d)", random_runs), Vector<double>::Zero(n), Vector<double>::Zero(n)};
        for (int s = 0; s < random_runs; ++s) {
            const Batch<T> rel = random_relevance<T>(n, N, static_cast<std::uint64_t>(2000 + s));
            rr.mass += relevance_mass(rel, planted).mass.template cast<double>() / random_runs;
            rr.aopc += morf(*model, xa, rel, t_err, po).aopc.template cast<double>() / random_runs;
        }
        err_rows.push_back(std::move(rr));
    }
    const double planted_share = relevance_mass(e_err.relevance, planted).region_share;
    out << fmt("\n5. Anomalies: the %ld sample(s) with rows %d-%d x cols %d-%d (+ mirror, %.1f%% of the matrix) "
               "shifted by\n"
               "   +4 sd = %+.3f (clipped to 1). Reconstruction error E = sum (x - x_hat)^2: clean mean %.1f, "
               "planted mean %.1f;\n"
               "   P(E of a planted sample > E of a clean one) = %.2f. Target autoencoder:error; mass = share of "
               "positive\n"
               "   relevance in the planted cells; AOPC = MoRF on E (patches and noise as in 4.; higher = the "
               "ranking\n"
               "   finds what raises E sooner).\n",
               static_cast<long>(n), planted_block.r0, planted_block.r1 - 1, planted_block.c0, planted_block.c1 - 1,
               100 * planted_share, 4 * sd, static_cast<double>(r_clean.score.mean()),
               static_cast<double>(r_anom.score.mean()), auc)
        << "  method                            planted mass   AOPC on E\n";
    for (const auto& row : err_rows)
        out << fmt("  %-33s %11.1f%%   %9.2f\n", row.name.c_str(), 100 * row.mass.mean(), row.aopc.mean());
    out << fmt("  LRP conservation: sum R = %.1f%% of E (the network's part %+.1f, the input's own term %+.1f; "
               "the rest: biases, eps)\n",
               100 * e_err.report.final / static_cast<double>(r_anom.score.sum()), e_err.report.initial,
               e_err.report.direct);
#if INNSPECT_DEMO_PNG
    {
        const Batch<T> recon = model->forward(xa).output("autoencoder");
        for (Eigen::Index i = 0; i < n; ++i) {
            const std::vector<io::Image> tiles = {tile(xa, i, scale, 98.0, planted_block), tile(recon, i, scale, 98.0, planted_block),
                                                  tile(r_anom.relevance, i, scale, 99.5, planted_block),
                                                  tile(e_err.relevance, i, scale, 99.5, planted_block)};
            const std::vector<std::string> labels = {
                fmt("input #%ld + anomaly", static_cast<long>(i)), "reconstruction",
                fmt("residual map, E = %.0f", static_cast<double>(r_anom.score(i))), "LRP-epsilon of E"};
            const fs::path p = r.out_dir / fmt("anomaly_%ld.png", static_cast<long>(i));
            io::write_png(p, io::grid(tiles, 4, labels));
            written.push_back(p.filename().string());
        }
    }
#endif

    // ---- overview of the class heatmaps
#if INNSPECT_DEMO_PNG
    {
        std::vector<io::Image> tiles;
        std::vector<std::string> labels;
        for (Eigen::Index i = 0; i < n; ++i) {
            tiles.push_back(tile(e_class.relevance, i, 2));
            labels.push_back(fmt("#%ld y=%d P(1)=%.2f blk %.0f%%", static_cast<long>(i),
                                 y[static_cast<std::size_t>(i)], static_cast<double>(prob(i, 1)),
                                 100 * mass(i)));
        }
        const fs::path p = r.out_dir / "class_overview.png";
        io::write_png(p, io::grid(tiles, 4, labels));
        written.push_back(p.filename().string());
    }
#endif
    out << "\nFiles in " << r.out_dir.string() << ": ";
    if (written.empty())
        out << "summary.txt (no PNGs: built without the stb headers, libstb-dev)\n";
    else
        out << fmt("sample_0.png .. sample_%ld.png, class_overview.png, summary.txt\n",
                   static_cast<long>(n - 1))
            << "  sample_<i>.png: input, class logit, latent unit (top row); reconstruction, block region, "
               "concept\n"
            << "  class_overview.png: the class-logit heatmaps of all samples (blk: block mass, as in 3.)\n"
            << "  anomaly_<i>.png: sample i with the planted anomaly (outlined): input, reconstruction, residual "
               "map,\n  LRP-epsilon relevance of the reconstruction error\n"
            << "  LRP-epsilon; bwr, symmetric around 0, |R| at the 99.5th percentile = full colour (input: "
               "98th);\n"
            << "  the block and its mirror are outlined\n";
    out << fmt("Runtime: %.1f s\n", seconds_since(t0));

    const std::string text = out.str();
    std::cout << text << std::flush;
    const fs::path summary = r.out_dir / "summary.txt";
    std::ofstream f(summary);
    f << text;
    if (!f) throw io_error("cannot write '" + summary.string() + "'");
    progress("[demo] wrote " + r.out_dir.string() + "/ (" + std::to_string(written.size()) +
             " PNGs, summary.txt)");
    return 0;
}

template int run_demo<float>(const DemoRequest&);
template int run_demo<double>(const DemoRequest&);

}  // namespace connectome
