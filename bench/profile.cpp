// bench-profile: where the time of the seed model's forward pass and explanations goes.
//
//   bench-profile layers [--batch B] [--seconds S]   per-layer breakdown, single thread: each
//        layer's forward split into GEMM / bias+allocation / activation, each backward step of
//        LRP-epsilon, LRP-alpha-beta and the gradient split into GEMM / elementwise / overhead.
//        All pieces of one table are timed interleaved (see bench_common.hpp).
//   bench-profile allocator   page faults per call and what they cost, each workload in a fresh
//        process, with glibc's defaults and with mallopt(no trim, no mmap)
//   bench-profile loop WHAT B SECONDS   runs one workload for a profiler, e.g.
//        valgrind --tool=callgrind bench-profile loop eps-recon 32 0
//        perf record -g bench-profile loop forward 256 5
//        WHAT: forward eps-logit eps-latent eps-recon ab-logit grad-logit ig-logit

#include <cstdio>
#include <cstdlib>
#include <malloc.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include <innspect/analyzers/backward.hpp>
#include <innspect/analyzers/gradient.hpp>
#include <innspect/analyzers/integrated_gradients.hpp>
#include <innspect/analyzers/lrp.hpp>
#include <innspect/rules/alpha_beta.hpp>
#include <innspect/rules/epsilon.hpp>
#include <innspect/targets/target.hpp>

#include "bench_common.hpp"
#include "seed_model.hpp"

using namespace innspect_bench;
namespace ins = innspect;

namespace {

constexpr int W = 90;
using T = float;
using Net = SeedModel<T, W>;

struct Workloads {
    const Net& model;
    ins::Target<T> logit = ins::target<T>("output", ins::select::max<T>());
    ins::Target<T> latent = ins::target<T>("conv2", ins::select::index<T>(0));
    ins::Target<T> recon = ins::target<T>("autoencoder", ins::select::all<T>());
    decltype(ins::lrp(std::declval<const Net&>(), ins::Epsilon(0.1))) eps;
    decltype(ins::lrp(std::declval<const Net&>(), ins::AlphaBeta(2, 1))) ab;
    ins::GradientAnalyzer<Net> grad;
    ins::IntegratedGradients<Net> ig;

    explicit Workloads(const Net& m)
        : model(m), eps(ins::lrp(m, ins::Epsilon(0.1))), ab(ins::lrp(m, ins::AlphaBeta(2, 1))), grad(m), ig(m, 32) {}

    std::function<void(const Batch<T>&)> get(const std::string& what) {
        if (what == "forward") return [this](const Batch<T>& x) { keep(model.forward(x).out.back()); };
        if (what == "eps-logit") return [this](const Batch<T>& x) { keep(eps.explain(x, logit).relevance); };
        if (what == "eps-latent") return [this](const Batch<T>& x) { keep(eps.explain(x, latent).relevance); };
        if (what == "eps-recon") return [this](const Batch<T>& x) { keep(eps.explain(x, recon).relevance); };
        if (what == "ab-logit") return [this](const Batch<T>& x) { keep(ab.explain(x, logit).relevance); };
        if (what == "grad-logit") return [this](const Batch<T>& x) { keep(grad.explain(x, logit).relevance); };
        if (what == "ig-logit") return [this](const Batch<T>& x) { keep(ig.explain(x, logit).relevance); };
        return nullptr;
    }
};

int loop(int argc, char** argv) {
    if (argc < 5) {
        std::fprintf(stderr, "usage: bench-profile loop WHAT BATCH SECONDS (0: one call after one warm-up)\n");
        return 2;
    }
    Eigen::setNbThreads(1);
    Net model;
    randomize(model, 42);
    Workloads w(model);
    const auto f = w.get(argv[2]);
    if (!f) {
        std::fprintf(stderr, "bench-profile loop: unknown workload %s\n", argv[2]);
        return 2;
    }
    const Batch<T> x = random_input<T>(std::atoi(argv[3]), Net::input_shape::size, 7);
    const double seconds = std::atof(argv[4]);
    f(x);  // warm-up: caches of modified weights
    long calls = 0;
    const auto t0 = clock_type::now();
    do {
        f(x);
        ++calls;
    } while (seconds_since(t0) < seconds);
    std::printf("%s batch %s: %ld calls, %.2f us/sample\n", argv[2], argv[3], calls,
                seconds_since(t0) / static_cast<double>(calls) / static_cast<double>(x.rows()) * 1e6);
    return 0;
}

// ---- per-layer breakdown ------------------------------------------------------------------------

/// A table of pieces timed interleaved; printed with each piece's share of a reference total.
struct Table {
    std::string title;
    std::vector<Case> cases;
    std::vector<int> indent;
    int total = -1;  ///< index of the reference case

    void add(const std::string& name, std::function<void()> f, double per, int level = 1) {
        cases.emplace_back(name, std::move(f), per);
        indent.push_back(level);
    }
    void run_and_print(const Budget& b) {
        run_interleaved(cases, b);
        std::printf("\n## %s\n", title.c_str());
        std::printf("  %-58s %10s %10s %8s\n", "piece", "cpu us", "wall us", "% total");
        const double ref = total >= 0 ? cases[static_cast<std::size_t>(total)].cpu_stats().median : 0;
        for (std::size_t i = 0; i < cases.size(); ++i) {
            const double c = cases[i].cpu_stats().median, w = cases[i].stats().median;
            const std::string name = std::string(static_cast<std::size_t>(2 * indent[i]), ' ') + cases[i].name;
            std::printf("  %-58s %10.2f %10.2f %7.1f%%\n", name.c_str(), c * 1e6, w * 1e6,
                        ref > 0 ? 100 * c / ref : 0.0);
        }
        std::printf("  (per sample; cpu = process CPU time, the robust number on a busy machine)\n");
    }
};

/// The GEMM of a linear layer's forward (or transposed) op alone, on preallocated buffers.
template <class L>
struct LayerGemm {
    Matrix<T> a, c;
    const Matrix<T>* kernel;
    bool transpose;
    LayerGemm(const L& layer, Eigen::Index batch, bool backward) {
        const GemmShape s = gemm_shape(layer);
        const bool conv_t = L::keras_class == "Conv2DTranspose";
        // Forward: (m·B × k)·(k × n); backward: (m·B × n)·(n × k), i.e. the kernel transposed the other way.
        a = Matrix<T>::Random(batch * s.m, backward ? s.n : s.k);
        c = Matrix<T>::Zero(batch * s.m, backward ? s.k : s.n);
        kernel = &layer.params().kernel;
        transpose = conv_t != backward;
    }
    void run() {
        if (transpose)
            c.noalias() = a * kernel->transpose();
        else
            c.noalias() = a * *kernel;
        keep(c);
    }
};

void forward_table(const Net& model, const Batch<T>& x, const Budget& b) {
    Table tb;
    const double per = static_cast<double>(x.rows());
    tb.title = "forward, batch " + std::to_string(x.rows()) + ", 1 thread: per layer";
    const ins::Trace<T> trace = model.forward(x);
    tb.add("model.forward (total)", [&] { keep(model.forward(x).out.back()); }, per, 0);
    tb.total = 0;
    tb.add("trace: copy of the input + finiteness check", [&] {
        Batch<T> c = x;
        keep(c);
        g_sink = g_sink + static_cast<double>(ins::all_finite(x));
    }, per);
    model.for_each_indexed([&](auto index, const auto& layer) {
        using L = std::remove_cvref_t<decltype(layer)>;
        [[maybe_unused]] constexpr int i = static_cast<int>(decltype(index)::value);
        const std::string name(L::name);
        const Batch<T>& in = trace.input_of(i);
        tb.add(name + ": layer.forward", [&layer, &in] {
            Batch<T> pre, out;
            layer.forward(in, pre, out);
            keep(out);
        }, per);
        if constexpr (ins::LinearLayer<L>) {
            auto g = std::make_shared<LayerGemm<L>>(layer, x.rows(), false);
            const GemmShape s = gemm_shape(layer);
            char gname[96];
            std::snprintf(gname, sizeof gname, "GEMM alone (%ldB x %ld x %ld)", s.m, s.k, s.n);
            tb.add(gname, [g] { g->run(); }, per, 2);
            tb.add("apply = GEMM + bias + new z", [&layer, &in] { keep(layer.apply(in, layer.params())); }, per, 2);
            if constexpr (!L::activation::is_identity)
                tb.add(std::string("activation ") + std::string(L::activation::name) + " into new out",
                       [&trace] {
                           Batch<T> out;
                           L::activation::forward(trace.pre[i], out, L::output_shape::c);
                           keep(out);
                       },
                       per, 2);
        }
    });
    tb.run_and_print(b);
}

/// Per-layer backward steps of one analyzer, replaying what it does layer by layer.
template <class Rule>
void lrp_table(const Net& model, const Batch<T>& x, const ins::Target<T>& target, const std::string& title,
               const Rule& rule, const Budget& b, bool alpha_beta) {
    Table tb;
    const double per = static_cast<double>(x.rows());
    tb.title = title + ", batch " + std::to_string(x.rows()) + ", 1 thread: per backward step";
    const auto analyzer = ins::lrp(model, rule);
    const ins::Trace<T> trace = model.forward(x);
    tb.add("explain(x, target) (total, with its forward)", [&] { keep(analyzer.explain(x, target).relevance); }, per,
           0);
    tb.total = 0;
    tb.add("model.forward", [&] { keep(model.forward(x).out.back()); }, per);
    tb.add("explain(trace, target) (backward only)", [&] { keep(analyzer.explain(trace, target).relevance); }, per);
    tb.add("resolve target (selection, R0, score)", [&] {
        const auto rt = ins::detail::resolve(trace, target);
        keep(rt.initial_relevance());
        keep(rt.score());
    }, per, 2);
    // Relevance at every layer's output, to replay each step on real inputs.
    ins::ExplainOptions keep_layers;
    keep_layers.keep_layers = true;
    const auto full = analyzer.explain(trace, target, keep_layers);
    std::map<std::string, const Batch<T>*> rel;
    for (const auto& l : full.layers) rel[l.layer] = &l.relevance;
    auto caches = std::make_shared<std::array<ins::ParamCache<T>, Net::size>>();
    model.for_each_indexed([&](auto index, const auto& layer) {
        using L = std::remove_cvref_t<decltype(layer)>;
        [[maybe_unused]] constexpr int i = static_cast<int>(decltype(index)::value);
        const std::string name(L::name);
        const auto it = rel.find(name);
        if (it == rel.end()) return;
        const Batch<T>& r = *it->second;
        if constexpr (ins::LinearLayer<L>) {
            const Batch<T>& in = trace.input_of(i);
            const Batch<T>& z = trace.pre_activation(i);
            auto ctx = std::make_shared<ins::RuleContext<L>>(
                ins::RuleContext<L>{layer, layer.params(), in, z, (*caches)[static_cast<std::size_t>(i)], Net::layer_infos()[i].parent < 0});
            tb.add(name + ": rule " + rule.name(), [ctx, &rule, &r] { keep(rule.relevance(*ctx, r).relevance); }, per, 2);
            const int n_gemm = alpha_beta ? 4 : 1;
            auto gf = std::make_shared<LayerGemm<L>>(layer, x.rows(), false);
            auto gb = std::make_shared<LayerGemm<L>>(layer, x.rows(), true);
            if (alpha_beta)
                tb.add("4 forward GEMMs alone (z+ z- parts)", [gf] {
                    for (int k = 0; k < 4; ++k) gf->run();
                }, per, 3);
            tb.add(std::to_string(n_gemm) + " transposed GEMM(s) alone", [gb, n_gemm] {
                for (int k = 0; k < n_gemm; ++k) gb->run();
            }, per, 3);
            if (!alpha_beta) {
                tb.add("s = R / stabilize(z) (elementwise, new)", [&r, &z] {
                    keep(Batch<T>(r.cwiseQuotient(ins::detail::stabilize(z, T(0.1)))));
                }, per, 3);
                tb.add("x (.) c (elementwise, new)", [&in, &r] {
                    (void)r;
                    keep(Batch<T>(in.cwiseProduct(in)));
                }, per, 3);
            } else {
                tb.add("x+ / x- split + minCoeff (new)", [&in] {
                    const Batch<T> xp = in.cwiseMax(T(0));
                    const Batch<T> xn = in.cwiseMin(T(0));
                    g_sink = g_sink + static_cast<double>(xn.minCoeff()) + static_cast<double>(xp(0, 0));
                }, per, 3);
            }
            tb.add("analyzer: 2 sums (report + finiteness check)", [&in, &r] {
                g_sink = g_sink + static_cast<double>(r.sum()) + static_cast<double>(in.sum());
            }, per, 3);
        } else {
            tb.add(name + ": pass-through (copy)", [&layer, &r] { keep(layer.backward_linear(r)); }, per, 2);
        }
    });
    tb.run_and_print(b);
}

void gradient_table(const Net& model, const Batch<T>& x, const ins::Target<T>& target, const Budget& b) {
    Table tb;
    const double per = static_cast<double>(x.rows());
    tb.title = "gradient to the logit, batch " + std::to_string(x.rows()) + ", 1 thread: per backward step";
    const auto analyzer = ins::gradient(model);
    const ins::Trace<T> trace = model.forward(x);
    tb.add("explain(x, target) (total, with its forward)", [&] { keep(analyzer.explain(x, target).relevance); }, per,
           0);
    tb.total = 0;
    tb.add("model.forward", [&] { keep(model.forward(x).out.back()); }, per);
    tb.add("explain(trace, target) (backward only)", [&] { keep(analyzer.explain(trace, target).relevance); }, per);
    ins::ExplainOptions keep_layers;
    keep_layers.keep_layers = true;
    const auto full = analyzer.explain(trace, target, keep_layers);
    std::map<std::string, const Batch<T>*> rel;
    for (const auto& l : full.layers) rel[l.layer] = &l.relevance;
    model.for_each_indexed([&](auto index, const auto& layer) {
        using L = std::remove_cvref_t<decltype(layer)>;
        [[maybe_unused]] constexpr int i = static_cast<int>(decltype(index)::value);
        const std::string name(L::name);
        const auto it = rel.find(name);
        if (it == rel.end()) return;
        const Batch<T>& g = *it->second;
        if constexpr (ins::LinearLayer<L>) {
            tb.add(name + ": transposed op (apply_transposed)", [&layer, &g] { keep(layer.backward_linear(g)); }, per, 2);
            auto gb = std::make_shared<LayerGemm<L>>(layer, x.rows(), true);
            tb.add("GEMM alone", [gb] { gb->run(); }, per, 3);
            if constexpr (!L::activation::is_identity)
                tb.add(std::string("activation vjp ") + std::string(L::activation::name), [&trace, &g] {
                    Batch<T> gg = g;
                    L::activation::vjp(trace.pre_activation(i), trace.output(i), gg, L::output_shape::c);
                    keep(gg);
                }, per, 3);
        } else {
            tb.add(name + ": pass-through (copy)", [&layer, &g] { keep(layer.backward_linear(g)); }, per, 2);
        }
    });
    tb.run_and_print(b);
}

}  // namespace

// ---- prototypes of proposed fixes (bench code only: the library is unchanged) --------------------

namespace innspect_bench_profile_detail {

/// z ≥ 0 ? z + ε : z − ε, with a packet path (Eigen 3.4's `select` has none: it runs scalar).
template <class S>
struct stabilize_op {
    S eps;
    S operator()(const S& z) const { return z >= S(0) ? z + eps : z - eps; }
    template <class P>
    P packetOp(const P& z) const {
        namespace ei = Eigen::internal;
        const P e = ei::pset1<P>(eps);
        return ei::pselect(ei::pcmp_lt(z, ei::pzero(z)), ei::psub(z, e), ei::padd(z, e));
    }
};

/// SELU: z > 0 ? s·z : s·α·(eᶻ − 1), vectorised with Eigen's pexpm1.
template <class S>
struct selu_op {
    S operator()(const S& z) const {
        return z > S(0) ? S(ins::Selu::scale) * z : S(ins::Selu::scale * ins::Selu::alpha) * std::expm1(z);
    }
    template <class P>
    P packetOp(const P& z) const {
        namespace ei = Eigen::internal;
        const P pos = ei::pmul(ei::pset1<P>(S(ins::Selu::scale)), z);
        const P neg = ei::pmul(ei::pset1<P>(S(ins::Selu::scale * ins::Selu::alpha)), ei::pexpm1(z));
        return ei::pselect(ei::pcmp_lt(ei::pzero(z), z), pos, neg);
    }
};

/// SELU with eᶻ − 1 from pexp, one pass with a packet select (the library's float path since
/// d6c5720 computes the same with Eigen's select over two vectorised branches) (cheaper than Eigen's generic pexpm1 = exp + log + div; absolute
/// error ~1e-7 near 0).
template <class S>
struct selu_exp_op {
    S operator()(const S& z) const {
        return z > S(0) ? S(ins::Selu::scale) * z : S(ins::Selu::scale * ins::Selu::alpha) * (std::exp(z) - S(1));
    }
    template <class P>
    P packetOp(const P& z) const {
        namespace ei = Eigen::internal;
        const P pos = ei::pmul(ei::pset1<P>(S(ins::Selu::scale)), z);
        const P e = ei::psub(ei::pexp(ei::pmin(z, ei::pzero(z))), ei::pset1<P>(S(1)));
        return ei::pselect(ei::pcmp_lt(ei::pzero(z), z), pos, ei::pmul(ei::pset1<P>(S(ins::Selu::scale * ins::Selu::alpha)), e));
    }
};

/// SELU's derivative from z and a: z > 0 ? s : a + s·α, vectorised.
template <class S>
struct selu_grad_op {
    S operator()(const S& z, const S& a) const {
        return z > S(0) ? S(ins::Selu::scale) : a + S(ins::Selu::scale * ins::Selu::alpha);
    }
    template <class P>
    P packetOp(const P& z, const P& a) const {
        namespace ei = Eigen::internal;
        return ei::pselect(ei::pcmp_lt(ei::pzero(z), z), ei::pset1<P>(S(ins::Selu::scale)),
                           ei::padd(a, ei::pset1<P>(S(ins::Selu::scale * ins::Selu::alpha))));
    }
};

}  // namespace innspect_bench_profile_detail

namespace Eigen::internal {
template <class S>
struct functor_traits<innspect_bench_profile_detail::stabilize_op<S>> {
    enum { Cost = 3, PacketAccess = true };
};
template <class S>
struct functor_traits<innspect_bench_profile_detail::selu_op<S>> {
    enum { Cost = 40, PacketAccess = true };
};
template <class S>
struct functor_traits<innspect_bench_profile_detail::selu_exp_op<S>> {
    enum { Cost = 20, PacketAccess = true };
};
template <class S>
struct functor_traits<innspect_bench_profile_detail::selu_grad_op<S>> {
    enum { Cost = 3, PacketAccess = true };
};
}  // namespace Eigen::internal

namespace {
using namespace innspect_bench_profile_detail;

double max_rel_diff(const Batch<T>& a, const Batch<T>& b) {
    const double scale = std::max(1e-30, static_cast<double>(b.cwiseAbs().maxCoeff()));
    return static_cast<double>((a - b).cwiseAbs().maxCoeff()) / scale;
}

/// LRP-αβ at one linear layer with 5 GEMMs instead of 8: z⁺ from two GEMMs, z⁻ = (z − b) − z⁺
/// from the stored pre-activation, and with W⁺ = W − W⁻ the backward needs s⁺Wᵀ, s⁻Wᵀ, (s⁺+s⁻)W⁻ᵀ.
template <class L>
Batch<T> alpha_beta_5(const L& layer, const Batch<T>& x, const Batch<T>& z, const Batch<T>& r,
                      const ins::LinearParams<T>& wp, const ins::LinearParams<T>& wn, double alpha, double beta) {
    const auto& own = layer.params();
    const Batch<T> xp = x.cwiseMax(T(0));
    const Batch<T> xn = x.cwiseMin(T(0));
    Batch<T> zp = layer.apply(xp, wp);
    zp += layer.apply(xn, wn);
    Batch<T> zn = z - zp;  // still carries b
    Eigen::Map<Matrix<T>> znm(zn.data(), zn.size() / own.bias.size(), own.bias.size());
    Eigen::Map<Matrix<T>> zpm(zp.data(), zp.size() / own.bias.size(), own.bias.size());
    // zn = z − zp carries the whole bias b = b⁺ + b⁻; keep only b⁻ there and add b⁺ to zp.
    znm.rowwise() -= own.bias.cwiseMax(T(0)).transpose();
    zpm.rowwise() += own.bias.cwiseMax(T(0)).transpose();
    const Batch<T> sp = (T(alpha) * r.array() / zp.array().unaryExpr(stabilize_op<T>{T(1e-6)})).matrix();
    const Batch<T> sn = (T(beta) * r.array() / zn.array().unaryExpr(stabilize_op<T>{T(1e-6)})).matrix();
    const Batch<T> u = layer.apply_transposed(sp, own);
    const Batch<T> v = layer.apply_transposed(sn, own);
    const Batch<T> w = layer.apply_transposed(Batch<T>(sp + sn), wn);
    return (xp.array() * (u - w).array() + xn.array() * (w - v).array()).matrix();
}

void prototypes_table(const Net& model, const Batch<T>& x, const Budget& b) {
    Table tb;
    const double per = static_cast<double>(x.rows());
    tb.title = "prototypes, batch " + std::to_string(x.rows()) + ", 1 thread: current code vs a proposed form";
    const ins::Trace<T> trace = model.forward(x);
    const int c1 = Net::index_of("conv1");
    const Batch<T>& z1 = trace.pre[static_cast<std::size_t>(c1)];
    const Batch<T>& a1 = trace.out[static_cast<std::size_t>(c1)];
    std::printf("\n## prototypes: correctness of the proposed forms (max |diff| / max |reference|)\n");
    {
        Batch<T> cur;
        ins::Selu::forward(z1, cur, 32);
        const Batch<T> vec = z1.unaryExpr(selu_op<T>{});
        std::printf("  SELU forward, packet select:            %.2e\n", max_rel_diff(vec, cur));
        const Batch<T> vexp = z1.unaryExpr(selu_exp_op<T>{});
        std::printf("  SELU forward, packet select, exp - 1:   %.2e\n", max_rel_diff(vexp, cur));
        const Batch<T> st_cur = ins::detail::stabilize(z1, T(0.1));
        const Batch<T> st_vec = z1.unaryExpr(stabilize_op<T>{T(0.1)});
        std::printf("  stabilize, packet select:               %.2e\n", max_rel_diff(st_vec, st_cur));
        Batch<T> g_cur = Batch<T>::Ones(z1.rows(), z1.cols());
        ins::Selu::vjp(z1, a1, g_cur, 32);
        const Batch<T> g_vec = z1.binaryExpr(a1, selu_grad_op<T>{});
        std::printf("  SELU derivative, packet select:         %.2e\n", max_rel_diff(g_vec, g_cur));
    }
    // Alpha-beta at conv1 with the relevance the logit explanation brings there.
    const auto ab = ins::lrp(model, ins::AlphaBeta(2, 1));
    ins::ExplainOptions keep_layers;
    keep_layers.keep_layers = true;
    const auto full = ab.explain(trace, ins::target<T>("output", ins::select::max<T>()), keep_layers);
    const Batch<T>* r1 = nullptr;
    for (const auto& l : full.layers)
        if (l.layer == "conv1") r1 = &l.relevance;
    const auto& conv1 = model.layer<"conv1">();
    using L1 = std::remove_cvref_t<decltype(conv1)>;
    auto cache = std::make_shared<ins::ParamCache<T>>();
    auto ctx = std::make_shared<ins::RuleContext<L1>>(ins::RuleContext<L1>{conv1, conv1.params(), trace.input, z1, *cache, true});
    const ins::AlphaBeta rule(2, 1);
    const Batch<T> ref = rule.relevance(*ctx, *r1).relevance;
    const auto wp = ins::detail::positive_params(*ctx, false);
    const auto wn = ins::detail::negative_params(*ctx, false);
    const Batch<T> five = alpha_beta_5(conv1, trace.input, z1, *r1, wp, wn, 2, 1);
    std::printf("  alpha-beta(2,1) at conv1 with 5 GEMMs:  %.2e\n", max_rel_diff(five, ref));

    tb.add("SELU forward on conv1's z: library Selu::forward", [&] {
        Batch<T> out;
        ins::Selu::forward(z1, out, 32);
        keep(out);
    }, per, 1);
    tb.add("SELU forward: packet select (pcmp_lt + pselect + pexpm1)", [&] {
        const Batch<T> out = z1.unaryExpr(selu_op<T>{});
        keep(out);
    }, per, 1);
    tb.add("SELU forward: packet select, exp(min(z,0)) - 1", [&] {
        const Batch<T> out = z1.unaryExpr(selu_exp_op<T>{});
        keep(out);
    }, per, 1);
    tb.add("SELU vjp on conv1: library Selu::vjp", [&] {
        Batch<T> g = a1;
        ins::Selu::vjp(z1, a1, g, 32);
        keep(g);
    }, per, 1);
    tb.add("SELU vjp: packet select", [&] {
        Batch<T> g = a1;
        g.array() *= z1.binaryExpr(a1, selu_grad_op<T>{}).array();
        keep(g);
    }, per, 1);
    tb.add("stabilize(z, eps) on conv1: library detail::stabilize", [&] { keep(ins::detail::stabilize(z1, T(0.1))); }, per, 1);
    tb.add("stabilize: packet select", [&] { keep(Batch<T>(z1.unaryExpr(stabilize_op<T>{T(0.1)}))); }, per, 1);
    tb.add("check the input: Eigen allFinite()", [&] { g_sink = g_sink + static_cast<double>(x.allFinite()); }, per, 1);
    tb.add("check the input: library all_finite (one sum first)",
           [&] { g_sink = g_sink + static_cast<double>(ins::all_finite(x)); }, per, 1);
    tb.add("alpha-beta(2,1) step at conv1: library AlphaBeta (8 GEMMs)", [&] { keep(rule.relevance(*ctx, *r1).relevance); },
           per, 1);
    tb.add("alpha-beta(2,1) step at conv1: 5 GEMMs", [&] { keep(alpha_beta_5(conv1, trace.input, z1, *r1, wp, wn, 2, 1)); },
           per, 1);
    tb.run_and_print(b);
}

/// glibc serves blocks above M_MMAP_THRESHOLD with mmap and gives the top of the heap back to the
/// kernel above M_TRIM_THRESHOLD (both adapt to what the process freed before), so a trace's fresh
/// buffers may fault their pages in again on every call. Each measurement runs in a fresh child
/// process (what a user's program sees), as is and with mallopt(no trim, no mmap) — a stand-in
/// for buffers reused across calls.
struct ChildResult {
    double cpu_per_sample = 0, sys_per_sample = 0, faults_per_call = 0;
};

ChildResult measure_in_child(const std::string& what, int batch, bool tuned, double seconds) {
    int fds[2];
    if (pipe(fds) != 0) return {};
    const pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        if (tuned) {
            mallopt(M_TRIM_THRESHOLD, 1 << 30);
            mallopt(M_MMAP_THRESHOLD, 1 << 30);
        }
        Eigen::setNbThreads(1);
        Net model;
        randomize(model, 42);
        Workloads w(model);
        const auto f = w.get(what);
        const Batch<T> x = random_input<T>(batch, Net::input_shape::size, 13);
        for (int k = 0; k < 3; ++k) f(x);
        rusage u0{}, u1{};
        getrusage(RUSAGE_SELF, &u0);
        long calls = 0;
        const auto t0 = clock_type::now();
        do {
            f(x);
            ++calls;
        } while (seconds_since(t0) < seconds || calls < 5);
        getrusage(RUSAGE_SELF, &u1);
        auto secs = [](const timeval& a, const timeval& b) {
            return static_cast<double>(b.tv_sec - a.tv_sec) + 1e-6 * static_cast<double>(b.tv_usec - a.tv_usec);
        };
        const double n = static_cast<double>(calls) * batch;
        ChildResult r;
        r.cpu_per_sample = (secs(u0.ru_utime, u1.ru_utime) + secs(u0.ru_stime, u1.ru_stime)) / n;
        r.sys_per_sample = secs(u0.ru_stime, u1.ru_stime) / n;
        r.faults_per_call = static_cast<double>(u1.ru_minflt - u0.ru_minflt) / static_cast<double>(calls);
        if (write(fds[1], &r, sizeof r) != static_cast<ssize_t>(sizeof r)) _exit(1);
        _exit(0);
    }
    close(fds[1]);
    ChildResult r;
    if (read(fds[0], &r, sizeof r) != static_cast<ssize_t>(sizeof r)) r = {};
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    return r;
}

int allocator(int argc, char** argv) {
    std::vector<int> batches{1, 32, 256};
    double seconds = 2;
    for (int i = 2; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--batches" && i + 1 < argc) batches = parse_list(argv[++i]);
        else if (a == "--seconds" && i + 1 < argc) seconds = std::atof(argv[++i]);
    }
    print_header("bench-profile allocator", "page faults from fresh buffers, each run in a fresh process, 1 thread");
    const std::vector<std::string> names{"forward", "eps-logit", "eps-latent", "eps-recon", "ab-logit", "grad-logit"};
    std::printf("\n  glibc defaults vs mallopt(M_TRIM_THRESHOLD = M_MMAP_THRESHOLD = 1 GiB); per sample: process CPU\n"
                "  time (user + sys), its kernel part, and minor page faults per call\n");
    std::printf("  %-11s %5s %10s %9s %10s   %10s %9s %10s   %7s\n", "workload", "batch", "cpu us", "sys us",
                "faults", "tuned cpu", "sys us", "faults", "saving");
    for (int b : batches)
        for (const auto& n : names) {
            const ChildResult d = measure_in_child(n, b, false, seconds);
            const ChildResult t = measure_in_child(n, b, true, seconds);
            std::printf("  %-11s %5d %10.2f %9.2f %10.0f   %10.2f %9.2f %10.0f   %6.1f%%\n", n.c_str(), b,
                        d.cpu_per_sample * 1e6, d.sys_per_sample * 1e6, d.faults_per_call, t.cpu_per_sample * 1e6,
                        t.sys_per_sample * 1e6, t.faults_per_call, 100 * (1 - t.cpu_per_sample / d.cpu_per_sample));
        }
    std::printf("  (sequential runs, not interleaved: compare CPU times, the faults are exact counts)\n");
    return 0;
}

int layers(int argc, char** argv) {
    int batch = 32;
    Budget b;
    b.seconds = 3;
    for (int i = 2; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--batch" && i + 1 < argc) batch = std::atoi(argv[++i]);
        else if (a == "--seconds" && i + 1 < argc) b.seconds = std::atof(argv[++i]);
    }
    Eigen::setNbThreads(1);
    print_header("bench-profile layers", "per-layer time of the seed model (W = 90, float), single thread");
    Net model;
    randomize(model, 42);
    const Batch<T> x = random_input<T>(batch, Net::input_shape::size, 11);
    Workloads w(model);
    forward_table(model, x, b);
    lrp_table(model, x, w.logit, "LRP-epsilon(0.1) to the logit", ins::Epsilon(0.1), b, false);
    lrp_table(model, x, w.recon, "LRP-epsilon(0.1) to the whole reconstruction", ins::Epsilon(0.1), b, false);
    lrp_table(model, x, w.logit, "LRP-alpha2-beta1 to the logit", ins::AlphaBeta(2, 1), b, true);
    gradient_table(model, x, w.logit, b);
    prototypes_table(model, x, b);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "loop") return loop(argc, argv);
    if (mode == "layers") return layers(argc, argv);
    if (mode == "allocator") return allocator(argc, argv);
    std::fprintf(stderr,
                 "usage: bench-profile layers [--batch B] [--seconds S]\n"
                 "       bench-profile allocator [--batches 1,32,256] [--seconds S]\n"
                 "       bench-profile loop WHAT BATCH SECONDS   (WHAT: forward eps-logit eps-latent eps-recon "
                 "ab-logit grad-logit ig-logit)\n");
    return 2;
}
