// innspect-sensors: the sequence-autoencoder example (issue 12). Loads the trained LSTM autoencoder
// of data/sensors.h5 with its architecture check, checks its forward pass against the Python
// model's outputs (data/heldout_reference/, written by train/train.py), explains why each held-out
// sample is anomalous — its reconstruction error E = Σ (x − x̂)² — and what one bottleneck unit
// encodes, with several methods, writes heatmaps over time × channels, and measures the share of
// positive relevance in the planted anomaly windows per method.
//
// Choices, fixed before looking at the numbers:
// - LRP-ε with ε = 0.1 (iNNvestigate's default on Dense); the composite puts z⁺ on the LSTM cells'
//   candidate maps and ε (0.1) on the output Dense: the "positive evidence" alternative.
// - Integrated gradients: 32 steps from the zero sequence (every channel at 0, near the signals'
//   mean). Random baseline: the mean over 10 seeded uniform relevances.
// - The bottleneck unit: the encoder unit the planted anomalies move most (mean over the
//   held-out samples of |h(x) − h(clean x)|), one unit for every sample so the heatmaps compare.
//
// Usage: innspect-sensors [--data DIR] [--out DIR]     (exit 1 when a check fails)

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <innspect/evaluation/region_perturbation.hpp>
#include <innspect/evaluation/relevance_mass.hpp>
#include <innspect/innspect.hpp>
#include <innspect/io/keras_model.hpp>
#include <innspect/io/npy.hpp>
#include <nlohmann/json.hpp>
#if __has_include(<stb/stb_image_write.h>) && __has_include(<stb/stb_easy_font.h>)
#include <innspect/io/heatmap.hpp>
#define INNSPECT_SENSORS_PNG 1
#else
#define INNSPECT_SENSORS_PNG 0
#endif

#include "sensors_model.hpp"

namespace {

namespace fs = std::filesystem;
using namespace innspect;
using sensors::channels;
using sensors::steps;
using sensors::units;

constexpr Eigen::Index N = static_cast<Eigen::Index>(steps) * channels;

std::string fmt(double v, const char* f = "%.1f") {
    char buf[64];
    std::snprintf(buf, sizeof buf, f, v);
    return buf;
}

/// (n, 64, 8) as a batch n × 512.
template <class T>
Batch<T> read_sequences(const fs::path& p) {
    const auto a = io::read_npy<T>(p);
    if (a.shape.size() != 3 || a.shape[1] != steps || a.shape[2] != channels)
        throw shape_error(p.string() + " has shape " + shape_string(a.shape) + ", expected (n, 64, 8)");
    return io::to_batch(a);
}

void write_sequences(const fs::path& p, const Batch<float>& r) {
    const std::vector<std::int64_t> shape{r.rows(), steps, channels};
    io::write_npy(p, shape, r.data());
}

double max_abs_difference(const Batch<double>& a, const Batch<double>& b) {
    if (a.rows() != b.rows() || a.cols() != b.cols()) return INFINITY;
    return (a - b).cwiseAbs().maxCoeff();
}

struct Method {
    std::string name;
    Batch<float> relevance;
};

/// Mean share of positive relevance inside the planted windows.
double mass(const Batch<float>& r, const Batch<float>& mask) { return relevance_mass(r, mask).mass.mean(); }

double random_mass(const Batch<float>& mask) {
    double m = 0;
    for (std::uint64_t seed = 0; seed < 10; ++seed) m += mass(random_relevance<float>(mask.rows(), mask.cols(), seed), mask);
    return m / 10;
}

#if INNSPECT_SENSORS_PNG
/// Row b of a batch as a channels × steps picture (time to the right, one row per channel),
/// each value a scale × scale block, planted cells framed in black.
io::Image tile(const Batch<float>& v, Eigen::Index b, const Batch<float>& mask, io::Colormap map) {
    constexpr int scale = 6;
    std::vector<float> t(static_cast<std::size_t>(N));
    for (int s = 0; s < steps; ++s)
        for (int c = 0; c < channels; ++c) t[static_cast<std::size_t>(c * steps + s)] = v(b, s * channels + c);
    io::HeatmapOptions o;
    o.colormap = map;
    o.scale = scale;
    io::Image img = io::heatmap(t.data(), channels, steps, 1, o);
    const auto planted = [&](int c, int s) {
        return c >= 0 && c < channels && s >= 0 && s < steps && mask(b, s * channels + c) != 0;
    };
    for (int c = 0; c < channels; ++c)
        for (int s = 0; s < steps; ++s) {
            if (!planted(c, s)) continue;
            const int x0 = s * scale, y0 = c * scale, x1 = x0 + scale - 1, y1 = y0 + scale - 1;
            for (int k = 0; k < scale; ++k) {
                if (!planted(c - 1, s)) img.at(x0 + k, y0) = {0, 0, 0};
                if (!planted(c + 1, s)) img.at(x0 + k, y1) = {0, 0, 0};
                if (!planted(c, s - 1)) img.at(x0, y0 + k) = {0, 0, 0};
                if (!planted(c, s + 1)) img.at(x1, y0 + k) = {0, 0, 0};
            }
        }
    return img;
}
#endif

int run(const fs::path& data, const fs::path& out) {
    fs::create_directories(out);
    std::ostringstream summary;
    auto say = [&](const std::string& line) {
        std::cout << line << "\n";
        summary << line << "\n";
    };

    // ---- 1. the model, with its architecture check, in float and double
    sensors::SensorsModel<float> net;
    sensors::SensorsModel<double> net64;
    const auto report = io::load_keras_model(net, data / "sensors.h5");
    io::load_keras_model(net64, data / "sensors.h5");
    bool checked = false;
    for (const auto& n : report.notes) {
        say("load: " + n);
        checked = checked || (n.starts_with("architecture: ") && n.find(" match") != std::string::npos);
    }
    if (!checked) {  // load_keras_model throws on a difference; a file without a config only notes it
        std::cerr << "error: " << (data / "sensors.h5").string() << " was not checked against the C++ declaration\n";
        return 1;
    }

    // ---- 2. the forward pass against the Python model's (numpy reference of the exported file)
    const Batch<double> x64 = read_sequences<double>(data / "heldout_x.npy");
    const auto trace64 = net64.forward(x64);
    const double d_rec = max_abs_difference(trace64.output("reconstruction"),
                                            read_sequences<double>(data / "heldout_reference" / "reconstruction.npy"));
    const double d_code = max_abs_difference(trace64.output("encoder"),
                                             io::to_batch(io::read_npy<double>(data / "heldout_reference" / "encoder.npy")));
    const Batch<float> x = x64.cast<float>();
    const auto trace = net.forward(x);
    const double d_float = max_abs_difference(trace.output("reconstruction").cast<double>(), trace64.output("reconstruction"));
    say("forward vs the Python model (numpy reference of the .h5): max |difference| reconstruction " + fmt(d_rec, "%.1e") +
        ", bottleneck " + fmt(d_code, "%.1e") + " (double); float vs double " + fmt(d_float, "%.1e"));
    // The reference ran the same float32 weights in float64: only summation order differs.
    if (!(d_rec <= 1e-9 && d_code <= 1e-9 && d_float <= 1e-4)) {
        std::cerr << "error: the forward pass does not match the Python model's\n";
        return 1;
    }

    // ---- 3. the reconstruction error, planted vs clean
    const Batch<float> clean = read_sequences<float>(data / "heldout_clean.npy");
    const Batch<float> mask = read_sequences<float>(data / "heldout_mask.npy");
    const Batch<float> e_planted =
        (trace.output("reconstruction") - x).array().square().rowwise().sum().matrix();
    const auto trace_clean = net.forward(clean);
    const Batch<float> e_clean =
        (trace_clean.output("reconstruction") - clean).array().square().rowwise().sum().matrix();
    say("reconstruction error E per sample, planted | clean:");
    for (Eigen::Index b = 0; b < x.rows(); ++b)
        say("  sample " + std::to_string(b) + ": " + fmt(e_planted(b), "%.2f") + " | " + fmt(e_clean(b), "%.2f"));

    // ---- 4. why is each sample anomalous: the reconstruction error, explained
    const auto error = target("reconstruction", select::reconstruction_error());
    const auto cells_zplus = composite(entry<ByClass<"LSTM">>(ZPlus()), entry<AnyLayer>(Epsilon(0.1)));
    const auto explain = [&](const Target<float>& t) {
        return std::vector<Method>{
            {"LRP-epsilon (0.1)", lrp(net, Epsilon(0.1)).explain(trace, t).relevance},
            {"LRP composite: z+ in the LSTM cells, epsilon (0.1) at the output", lrp(net, cells_zplus).explain(trace, t).relevance},
            {"gradient x input", input_x_gradient(net).explain(trace, t).relevance},
            {"integrated gradients (32 steps)", IntegratedGradients(net, 32).explain(x, t).relevance},
        };
    };
    std::vector<Method> of_error = explain(error);
    of_error.push_back({"gradient", gradient(net).explain(trace, error).relevance});
    of_error.push_back({"residual map (x - x^)^2", residual_map(net).explain(x, error).relevance});

    // ---- 5. what does a bottleneck unit encode
    const Batch<float> moved = (trace.output("encoder") - trace_clean.output("encoder")).cwiseAbs();
    Eigen::Index unit = 0;
    moved.colwise().mean().maxCoeff(&unit);
    const std::vector<Method> of_unit = explain(target("encoder", select::index<float>(static_cast<int>(unit))));

    // ---- 6. relevance mass in the planted windows
    const double share = relevance_mass(Batch<float>(mask), mask).region_share;
    say("");
    say("share of positive relevance in the planted windows (mean over " + std::to_string(x.rows()) +
        " samples; the windows are " + fmt(100 * share) + " % of the cells):");
    say("  method | reconstruction error E | bottleneck unit " + std::to_string(unit));
    for (const auto& m : of_error) {
        std::string unit_mass = "-";
        for (const auto& u : of_unit)
            if (u.name == m.name) unit_mass = fmt(100 * mass(u.relevance, mask)) + " %";
        say("  " + m.name + " | " + fmt(100 * mass(m.relevance, mask)) + " % | " + unit_mass);
    }
    say("  random relevance (mean of 10) | " + fmt(100 * random_mass(mask)) + " % | " + fmt(100 * random_mass(mask)) + " %");
    // Per sample, so the kinds of anomaly (data/anomalies.json) can be told apart.
    const auto anomalies = nlohmann::json::parse(std::ifstream(data / "anomalies.json"));
    std::string head = "  E, per sample |";
    for (const auto& a : anomalies)
        head += " " + std::to_string(a.at("sample").get<int>()) + " " + a.at("kind").get<std::string>() + " |";
    say("");
    say(head);
    for (const auto& m : of_error) {
        std::string line = "  " + m.name + " |";
        const auto per_sample = relevance_mass(m.relevance, mask).mass;
        for (Eigen::Index b = 0; b < per_sample.size(); ++b) line += " " + fmt(100 * per_sample(b), "%.0f") + " % |";
        say(line);
    }

    // ---- 7. files: every explanation as (n, 64, 8) .npy, heatmaps as PNG
    const auto file_name = [](std::string s) {
        std::string o;
        for (char ch : s) {
            if (ch == ' ' || ch == '(' || ch == ')' || ch == ':' || ch == ',' || ch == '^') {
                if (!o.empty() && o.back() != '_') o += '_';
            } else {
                o += ch;
            }
        }
        while (!o.empty() && o.back() == '_') o.pop_back();
        return o;
    };
    for (const auto& m : of_error) write_sequences(out / ("error__" + file_name(m.name) + ".npy"), m.relevance);
    for (const auto& m : of_unit) write_sequences(out / ("unit__" + file_name(m.name) + ".npy"), m.relevance);
#if INNSPECT_SENSORS_PNG
    const Batch<float> rec = trace.output("reconstruction");
    for (Eigen::Index b = 0; b < x.rows(); ++b) {
        std::vector<io::Image> tiles{tile(x, b, mask, io::Colormap::gray), tile(rec, b, mask, io::Colormap::gray)};
        std::vector<std::string> labels{"input x (channels down, time right; planted window framed)",
                                        "reconstruction x^"};
        for (const auto& m : of_error) {
            if (m.name == "gradient") continue;
            tiles.push_back(tile(m.relevance, b, mask, io::Colormap::bwr));
            labels.push_back(m.name + " of E");
        }
        tiles.push_back(tile(of_unit[0].relevance, b, mask, io::Colormap::bwr));
        labels.push_back(of_unit[0].name + " of bottleneck unit " + std::to_string(unit));
        io::write_png(out / ("sample_" + std::to_string(b) + ".png"), io::grid(tiles, 1, labels));
    }
    say("");
    say("wrote " + std::to_string(x.rows()) + " heatmaps (sample_<i>.png) and the explanations (.npy) to " + out.string());
#else
    say("");
    say("built without the stb headers (libstb-dev): no PNG heatmaps; the explanations (.npy) are in " + out.string());
#endif
    std::ofstream(out / "summary.txt") << summary.str();
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    fs::path data = INNSPECT_SENSORS_DATA_DIR, out = "innspect-sensors-out";
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if ((a == "--data" || a == "--out") && i + 1 < argc) {
            (a == "--data" ? data : out) = argv[++i];
        } else if (a == "--help" || a == "-h") {
            std::cout << "Usage: innspect-sensors [--data DIR] [--out DIR]\n"
                         "Explains the trained LSTM autoencoder of DIR/sensors.h5 (default: the example's data/) on its\n"
                         "held-out samples with planted anomalies; writes heatmaps and summary.txt to --out\n"
                         "(default innspect-sensors-out). Exit 1 when a check fails.\n";
            return 0;
        } else {
            std::cerr << "innspect-sensors: unknown argument '" << a << "' (accepted: --data DIR, --out DIR, --help)\n";
            return 2;
        }
    }
    try {
        return run(data, out);
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
}
