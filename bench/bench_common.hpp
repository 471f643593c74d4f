#pragma once
/// \file
/// The harness every innspect benchmark shares: a std::chrono timer that runs the cases it
/// compares INTERLEAVED (round r runs case 0, 1, ..., n−1, starting one further each round), so a
/// noisy neighbour or a frequency change hits all of them alike and their ratios stay
/// meaningful; medians and quartiles over many samples; per-round paired ratios; the build and
/// machine description every output starts with; Eigen's GEMM as the reference rate; seeded,
/// realistically scaled random weights; FLOP counts of a model's linear layers.
///
///   round r:  [case (r mod n)] × reps  [case (r+1 mod n)] × reps  ...   one sample per call
///   reps = max(1, slice / estimated time): fast cases give many samples per round, slow ones one.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include <sys/resource.h>
#include <time.h>

#include <Eigen/Core>
#ifdef _OPENMP
#include <omp.h>
#endif

#include <innspect/core/concepts.hpp>
#include <innspect/core/layer_traits.hpp>
#include <innspect/core/tensor.hpp>
#include <innspect/kernels/im2col.hpp>

#include "alloc_counter.hpp"

#ifndef INNSPECT_BENCH_BUILD
#define INNSPECT_BENCH_BUILD "(flags unknown: built outside bench/CMakeLists.txt)"
#endif

namespace innspect_bench {

using innspect::Batch;
using innspect::Matrix;

// ---- keeping results alive ----------------------------------------------------------------------

inline volatile double g_sink = 0;
template <class M>
void keep(const M& m) {
    if (m.size() > 0) g_sink = g_sink + static_cast<double>(m.data()[0]);
}

// ---- statistics ---------------------------------------------------------------------------------

struct Stats {
    double median = 0, p25 = 0, p75 = 0, min = 0, max = 0;
    std::size_t n = 0;
};

inline double quantile(const std::vector<double>& sorted, double q) {
    if (sorted.empty()) return 0;
    const double pos = q * static_cast<double>(sorted.size() - 1);
    const auto lo = static_cast<std::size_t>(pos);
    const std::size_t hi = std::min(lo + 1, sorted.size() - 1);
    return sorted[lo] + (pos - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

inline Stats summarize(std::vector<double> v) {
    Stats s;
    if (v.empty()) return s;
    std::sort(v.begin(), v.end());
    s.n = v.size();
    s.median = quantile(v, 0.5);
    s.p25 = quantile(v, 0.25);
    s.p75 = quantile(v, 0.75);
    s.min = v.front();
    s.max = v.back();
    return s;
}

// ---- the interleaved timer ----------------------------------------------------------------------

using clock_type = std::chrono::steady_clock;

inline double seconds_since(clock_type::time_point t0) {
    return std::chrono::duration<double>(clock_type::now() - t0).count();
}

/// One thing to time. `per` divides every sample (batch size: time per sample).
struct Case {
    Case(std::string n, std::function<void()> f, double per_call = 1)
        : name(std::move(n)), run(std::move(f)), per(per_call) {}
    std::string name;
    std::function<void()> run;
    double per = 1;
    std::vector<double> samples;       ///< wall seconds per call / per
    std::vector<double> cpu_samples;   ///< process CPU seconds (all threads) per call / per
    std::vector<double> round_median;  ///< per round: median of that round's wall samples
    std::vector<double> round_cpu;     ///< per round: median of that round's CPU samples
    Stats stats() const { return summarize(samples); }
    Stats cpu_stats() const { return summarize(cpu_samples); }
};

/// CPU time of the whole process (every thread, user + system), in seconds.
inline double process_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

struct Budget {
    double seconds = 3.0;  ///< wall time aimed at per group of interleaved cases
    int min_rounds = 15;
    int max_rounds = 400;
    double slice = 0.004;  ///< per case and round: repeat fast cases up to about this long
};

/// What reading the two clocks around a call costs on its own (CLOCK_PROCESS_CPUTIME_ID is a
/// system call, ~0.1-1 µs in a VM): subtracted from every CPU sample.
inline double clock_overhead() {
    static const double overhead = [] {
        std::vector<double> v;
        for (int k = 0; k < 201; ++k) {
            const double c0 = process_cpu_seconds();
            const auto t0 = clock_type::now();
            const double t = seconds_since(t0);
            v.push_back(process_cpu_seconds() - c0 - t);
        }
        std::sort(v.begin(), v.end());
        return std::max(0.0, v[v.size() / 2]);
    }();
    return overhead;
}

/// Warms every case up, then runs rounds of all cases interleaved until the budget is spent
/// (at least min_rounds rounds).
inline void run_interleaved(std::vector<Case>& cases, const Budget& b) {
    const std::size_t n = cases.size();
    const double cpu_overhead = clock_overhead();
    std::vector<double> est(n, 0);
    for (std::size_t c = 0; c < n; ++c) {
        cases[c].run();  // first call: caches (W⁺, ...), page faults
        double best = 1e30;
        const auto t_start = clock_type::now();
        for (int k = 0; k < 3 || (k < 50 && seconds_since(t_start) < 0.02); ++k) {
            const auto t0 = clock_type::now();
            cases[c].run();
            best = std::min(best, seconds_since(t0));
        }
        est[c] = best;
    }
    std::vector<int> reps(n);
    double round_time = 0;
    for (std::size_t c = 0; c < n; ++c) {
        reps[c] = std::max(1, static_cast<int>(b.slice / std::max(est[c], 1e-9)));
        round_time += reps[c] * est[c];
    }
    const int rounds = std::clamp(static_cast<int>(b.seconds / std::max(round_time, 1e-9)), b.min_rounds, b.max_rounds);
    std::vector<double> this_round, this_cpu;
    for (int r = 0; r < rounds; ++r)
        for (std::size_t k = 0; k < n; ++k) {
            Case& cs = cases[(k + static_cast<std::size_t>(r)) % n];
            const int reps_c = reps[(k + static_cast<std::size_t>(r)) % n];
            this_round.clear();
            this_cpu.clear();
            for (int j = 0; j < reps_c; ++j) {
                const double c0 = process_cpu_seconds();
                const auto t0 = clock_type::now();
                cs.run();
                const double t = seconds_since(t0) / cs.per;
                const double c = std::max(0.0, process_cpu_seconds() - c0 - cpu_overhead) / cs.per;
                cs.samples.push_back(t);
                cs.cpu_samples.push_back(c);
                this_round.push_back(t);
                this_cpu.push_back(c);
            }
            std::sort(this_round.begin(), this_round.end());
            std::sort(this_cpu.begin(), this_cpu.end());
            cs.round_median.push_back(quantile(this_round, 0.5));
            cs.round_cpu.push_back(quantile(this_cpu, 0.5));
        }
}

/// Per-round ratio a / b of two cases timed in the same rounds (wall, or CPU): median and quartiles.
inline Stats paired_ratio(const Case& a, const Case& b, bool cpu = false) {
    const auto& x = cpu ? a.round_cpu : a.round_median;
    const auto& y = cpu ? b.round_cpu : b.round_median;
    std::vector<double> r;
    for (std::size_t i = 0; i < std::min(x.size(), y.size()); ++i) r.push_back(x[i] / y[i]);
    return summarize(r);
}

/// Heap use and minor page faults of one call (counted outside the timing).
struct HeapUse {
    alloc::Counts heap;
    long page_faults = 0;
};

inline long minor_faults() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return u.ru_minflt;
}

inline HeapUse heap_of(const std::function<void()>& f) {
    HeapUse h;
    const long f0 = minor_faults();
    alloc::start();
    f();
    h.heap = alloc::stop();
    h.page_faults = minor_faults() - f0;
    return h;
}

/// The 1-, 5- and 15-minute load averages: other work on the machine competes for its cores.
inline std::string load_average() {
    double l[3] = {0, 0, 0};
    if (getloadavg(l, 3) != 3) return "unknown";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.2f %.2f %.2f", l[0], l[1], l[2]);
    return buf;
}

// ---- threads ------------------------------------------------------------------------------------

inline bool have_openmp() {
#ifdef _OPENMP
    return true;
#else
    return false;
#endif
}

inline int omp_max_threads() {
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

/// Thread counts to compare: 1, and the machine's cores.
inline std::vector<int> thread_counts() {
    std::vector<int> t{1};
    const int hw = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    if (hw > 1) t.push_back(hw);
    return t;
}

/// How a measurement uses several cores: Eigen's OpenMP threads inside each GEMM, or the batch
/// split into `shards` parts run on that many std::threads with Eigen single-threaded.
struct Threading {
    int eigen_threads = 1;
    int shards = 1;
    std::string label() const {
        if (shards > 1) return std::to_string(shards) + " threads: batch sharding (std::thread per shard, Eigen 1 thread)";
        if (eigen_threads > 1) return std::to_string(eigen_threads) + " threads: Eigen OpenMP (Eigen::setNbThreads(" +
                                      std::to_string(eigen_threads) + "))";
        return "1 thread (Eigen::setNbThreads(1))";
    }
    int threads() const { return std::max(eigen_threads, shards); }
};

/// For each thread count: 1 → single-threaded; t > 1 → Eigen OpenMP (if compiled in) and sharding.
inline std::vector<Threading> threadings(const std::vector<int>& counts) {
    std::vector<Threading> v;
    for (int t : counts) {
        if (t <= 1) {
            v.push_back({1, 1});
            continue;
        }
        if (have_openmp()) v.push_back({t, 1});
        v.push_back({1, t});
    }
    return v;
}

/// Rows [k·n/parts, (k+1)·n/parts) of x for each k.
template <class M>
std::vector<M> split_rows(const M& x, int parts) {
    std::vector<M> out;
    const Eigen::Index n = x.rows();
    for (int k = 0; k < parts; ++k) {
        const Eigen::Index r0 = n * k / parts, r1 = n * (k + 1) / parts;
        out.push_back(x.middleRows(r0, r1 - r0));
    }
    return out;
}

/// Runs f(0), ..., f(n − 1) concurrently: f(0) on the calling thread, the others on new threads.
template <class F>
void run_on_threads(int n, F&& f) {
    std::vector<std::thread> pool;
    for (int k = 1; k < n; ++k) pool.emplace_back([&f, k] { f(k); });
    f(0);
    for (auto& t : pool) t.join();
}

// ---- the header every output starts with ---------------------------------------------------------

inline std::string cpu_model() {
    std::ifstream f("/proc/cpuinfo");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
    return "unknown CPU";
}

inline void print_header(const char* program, const char* what) {
    std::printf("# %s: %s\n", program, what);
    std::printf("# machine  %s, %u hardware threads, load average at start %s\n", cpu_model().c_str(),
                std::thread::hardware_concurrency(), load_average().c_str());
    std::printf("# build    %s\n", INNSPECT_BENCH_BUILD);
    std::printf("# compiler %s, Eigen %d.%d.%d, SIMD: %s%s\n", __VERSION__, EIGEN_WORLD_VERSION, EIGEN_MAJOR_VERSION,
                EIGEN_MINOR_VERSION, Eigen::SimdInstructionSetsInUse(),
#if defined(__OPTIMIZE__) && defined(NDEBUG)
                ""
#else
                "   ** WARNING: not an optimised NDEBUG build, numbers are meaningless **"
#endif
    );
    std::printf("# threads  Eigen's OpenMP threading %s (omp_get_max_threads() = %d, Eigen::nbThreads() = %d).\n",
                have_openmp() ? "compiled in" : "NOT compiled in (no -fopenmp)", omp_max_threads(), Eigen::nbThreads());
    std::printf("#          Library default: innspect sets no thread count, starts no threads and its CMake target\n"
                "#          adds no -fopenmp, so a user's build runs single-threaded; built with -fopenmp, Eigen splits\n"
                "#          each large GEMM over omp_get_max_threads() threads (all cores) unless told otherwise.\n"
                "#          Measured: 1 thread; Eigen OpenMP with t threads; batch sharding over t std::threads.\n");
    std::printf("# timing   std::chrono wall time, cases interleaved round by round, warm-up first; median [p25, p75]\n"
                "#          over all samples; ratios are medians of per-round paired ratios [p25, p75]. \"cpu\" is the\n"
                "#          process CPU time per call (all threads, clock overhead subtracted): with 1 thread it is\n"
                "#          immune to preemption by other processes; with several threads it is approximate for short\n"
                "#          calls (the other threads' time is accounted at scheduler ticks).\n");
}

// ---- random weights and inputs ------------------------------------------------------------------

/// Inputs x_ij ~ U(−1, 1): connectome matrices are correlations.
template <class T>
Batch<T> random_input(Eigen::Index batch, Eigen::Index features, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    Batch<T> x(batch, features);
    for (Eigen::Index i = 0; i < x.size(); ++i) x.data()[i] = static_cast<T>(u(rng));
    return x;
}

/// Inputs one output unit of a linear layer sums over (what keeps activations at unit scale):
/// Dense and Conv2D: the kernel's rows; Conv2DTranspose: input channels × how many patches
/// cover one output pixel.
template <class L>
double effective_fan_in(const L& layer) {
    const auto& k = layer.params().kernel;
    if constexpr (L::keras_class == "Conv2DTranspose") {
        constexpr auto g = L::conv_geometry();
        const double cover = static_cast<double>(g.pixels_out()) * g.kh * g.kw / g.pixels_in();
        return static_cast<double>(k.cols()) * std::max(1.0, cover);
    } else {
        return static_cast<double>(k.rows());
    }
}

/// Kernel entries ~ N(0, 1/fan_in), biases ~ N(0, 0.05²): the scale of a trained network.
template <class Model>
void randomize(Model& model, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> nd(0.0, 1.0);
    model.for_each_layer([&](auto& layer) {
        using L = std::remove_cvref_t<decltype(layer)>;
        if constexpr (innspect::LinearLayer<L>) {
            auto& p = layer.params();
            const double sd = 1.0 / std::sqrt(effective_fan_in(layer));
            for (Eigen::Index i = 0; i < p.kernel.size(); ++i)
                p.kernel.data()[i] = static_cast<typename L::scalar>(sd * nd(rng));
            for (Eigen::Index i = 0; i < p.bias.size(); ++i)
                p.bias.data()[i] = static_cast<typename L::scalar>(0.05 * nd(rng));
        }
    });
}

// ---- what the linear layers compute -------------------------------------------------------------

/// A linear layer's GEMM for one sample: (m × k) · (k × n), m rows per sample.
struct GemmShape {
    long m = 0, k = 0, n = 0;
    bool im2col_identity = true;  ///< no im2col / col2im copy needed (or a Dense)
    long macs() const { return m * k * n; }
};

/// Conv2D: im2col(x) (pixels_out × patch) · K (patch × filters). Conv2DTranspose: x (its input
/// pixels × in_c) · Kᵀ (in_c × patch), then col2im. Dense: x (positions × in) · W (in × units).
template <class L>
GemmShape gemm_shape(const L& layer) {
    const auto& kernel = layer.params().kernel;
    GemmShape s;
    if constexpr (L::keras_class == "Conv2D") {
        constexpr auto g = L::conv_geometry();
        s = {g.pixels_out(), kernel.rows(), kernel.cols(), innspect::detail::im2col_is_identity(g)};
    } else if constexpr (L::keras_class == "Conv2DTranspose") {
        constexpr auto g = L::conv_geometry();
        s = {g.pixels_out(), kernel.cols(), kernel.rows(), innspect::detail::im2col_is_identity(g)};
    } else {
        s = {static_cast<long>(L::input_shape::h) * L::input_shape::w, kernel.rows(), kernel.cols(), true};
    }
    return s;
}

/// Multiply-adds per sample of every linear layer of a model.
template <class Model>
long model_macs(const Model& model) {
    long macs = 0;
    model.for_each_layer([&](const auto& layer) {
        using L = std::remove_cvref_t<decltype(layer)>;
        if constexpr (innspect::LinearLayer<L>) macs += gemm_shape(layer).macs();
    });
    return macs;
}

/// The layers' GEMMs alone, on preallocated buffers, as the layers call Eigen (kernel or its
/// transpose on the right): the rate the model's own shapes allow.
template <class T>
struct ModelGemms {
    struct One {
        Matrix<T> a, c;
        const Matrix<T>* kernel;
        bool transpose;
    };
    std::vector<One> gemms;

    template <class Model>
    ModelGemms(const Model& model, Eigen::Index batch) {
        model.for_each_layer([&](const auto& layer) {
            using L = std::remove_cvref_t<decltype(layer)>;
            if constexpr (innspect::LinearLayer<L>) {
                const GemmShape s = gemm_shape(layer);
                One o;
                o.a = Matrix<T>::Random(batch * s.m, s.k);
                o.c = Matrix<T>::Zero(batch * s.m, s.n);
                o.kernel = &layer.params().kernel;
                o.transpose = L::keras_class == "Conv2DTranspose";
                gemms.push_back(std::move(o));
            }
        });
    }
    void run() {
        for (auto& g : gemms) {
            if (g.transpose)
                g.c.noalias() = g.a * g.kernel->transpose();
            else
                g.c.noalias() = g.a * *g.kernel;
        }
        keep(gemms.back().c);
    }
};

/// A square n × n × n float GEMM on row-major matrices (innspect's Matrix).
template <class T>
struct SquareGemm {
    Matrix<T> a, b, c;
    explicit SquareGemm(Eigen::Index n) : a(Matrix<T>::Random(n, n)), b(Matrix<T>::Random(n, n)), c(n, n) {}
    void run() {
        c.noalias() = a * b;
        keep(c);
    }
    double flops() const { return 2.0 * static_cast<double>(a.rows()) * a.cols() * b.cols(); }
};

// ---- formatting ---------------------------------------------------------------------------------

/// "12.3 µs"-style time with a unit chosen for the value.
inline std::string fmt_time(double s) {
    char buf[32];
    if (s < 1e-6)
        std::snprintf(buf, sizeof buf, "%.0f ns", s * 1e9);
    else if (s < 1e-3)
        std::snprintf(buf, sizeof buf, "%.2f us", s * 1e6);
    else if (s < 1)
        std::snprintf(buf, sizeof buf, "%.2f ms", s * 1e3);
    else
        std::snprintf(buf, sizeof buf, "%.2f s", s);
    return buf;
}

inline std::string fmt_us(double s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", s * 1e6);
    return buf;
}

inline std::string fmt_bytes(double b) {
    char buf[32];
    if (b < 1024)
        std::snprintf(buf, sizeof buf, "%.0f B", b);
    else if (b < 1024.0 * 1024)
        std::snprintf(buf, sizeof buf, "%.1f KiB", b / 1024);
    else
        std::snprintf(buf, sizeof buf, "%.1f MiB", b / 1024 / 1024);
    return buf;
}

// ---- command line -------------------------------------------------------------------------------

struct CommandLine {
    Budget budget;
    std::vector<int> batches;
    std::vector<int> threads = thread_counts();
    bool quick = false;
};

/// --quick (a short smoke run), --seconds S (per group), --batches 1,32, --threads 1,2
inline std::vector<int> parse_list(const char* s) {
    std::vector<int> v;
    std::string str(s);
    std::size_t pos = 0;
    while (pos < str.size()) {
        const std::size_t next = str.find(',', pos);
        v.push_back(std::atoi(str.substr(pos, next - pos).c_str()));
        if (next == std::string::npos) break;
        pos = next + 1;
    }
    return v;
}

inline CommandLine parse_command_line(int argc, char** argv, std::vector<int> default_batches, double seconds) {
    CommandLine cl;
    cl.batches = std::move(default_batches);
    cl.budget.seconds = seconds;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--quick") {
            cl.quick = true;
            cl.budget.seconds = 0.2;
            cl.budget.min_rounds = 5;
        } else if (a == "--seconds" && i + 1 < argc) {
            cl.budget.seconds = std::atof(argv[++i]);
        } else if (a == "--batches" && i + 1 < argc) {
            cl.batches = parse_list(argv[++i]);
        } else if (a == "--threads" && i + 1 < argc) {
            cl.threads = parse_list(argv[++i]);
        } else {
            std::fprintf(stderr, "usage: %s [--quick] [--seconds S per group] [--batches 1,32] [--threads 1,2]\n",
                         argv[0]);
            std::exit(a == "--help" || a == "-h" ? 0 : 2);
        }
    }
    return cl;
}

}  // namespace innspect_bench
