// The recurrent models of tests/data/rnn/ (written by tests/reference/make_rnn_fixtures.py from
// the numpy reference rnn_reference.py, whose forward pass is checked there against torch.nn.LSTM
// / GRU and whose gradient is torch autograd, checked against central differences) declared with
// innspect's API: the output, LRP-ε (0.01) of the whole output and of a region, z+ everywhere
// (the rule reaching the cells through the composite), and the gradient, in double at 1e-9.
// The autoencoders repeat the code with RepeatVector; the LSTM autoencoder is also declared with
// the equivalent Reshape (1, 1, u) → UpSampling2D (1, steps) → Reshape (steps, u), which must give
// the same numbers.

#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include <innspect/innspect.hpp>
#include <innspect/io/npy.hpp>

#include "support/test_support.hpp"

using namespace innspect;
namespace fs = std::filesystem;

namespace {

const fs::path rnn_dir = fs::path(INNSPECT_TEST_DATA_DIR) / "rnn";

template <class T>
using LstmAe = Model<T, Input<8, 3>, LSTM<"encoder", 5>, RepeatVector<"repeat_vector", 8>,
                     LSTM<"decoder", 4, Recurrent{.return_sequences = true}>,
                     TimeDistributed<"time_distributed", Dense<"dense", 3>>>;
template <class T>
using LstmAeUpsampled = Model<T, Input<8, 3>, LSTM<"encoder", 5>, Reshape<"to_image", Shape<1, 1, 5>>,
                              UpSampling2D<"repeat", UpSize<1, 8>>, Reshape<"to_sequence", Shape<8, 5>>,
                              LSTM<"decoder", 4, Recurrent{.return_sequences = true}>,
                              TimeDistributed<"time_distributed", Dense<"dense", 3>>>;
template <class T>
using GruAe = Model<T, Input<8, 3>, GRU<"encoder", 5>, RepeatVector<"repeat_vector", 8>,
                    GRU<"decoder", 4, Recurrent{.return_sequences = true, .reset_after = false}>,
                    TimeDistributed<"time_distributed", Dense<"dense", 3>>>;
template <class T>
using Bidi = Model<T, Input<6, 3>, Bidirectional<"bi_lstm", LSTM<"lstm", 4, Recurrent{.return_sequences = true}>>,
                   Bidirectional<"bi_gru", GRU<"gru", 3>, BidirectionalMerge::sum>, Dense<"dense", 2>>;

template <class T>
Batch<T> load_batch(const fs::path& p) {
    INFO("reading " << p.string());
    REQUIRE(fs::exists(p));
    return io::to_batch(io::read_npy<T>(p));
}

/// Every weight from `<layer>.<role>.npy` ('/' in a role → '.'), shapes checked.
template <class M>
void load_weights(M& m, const fs::path& dir) {
    using T = typename M::scalar;
    int n = 0;
    m.for_each_layer([&](auto& layer) {
        for (auto& w : layer.weights()) {
            std::string role(w.role);
            for (auto& ch : role)
                if (ch == '/') ch = '.';
            const fs::path p = dir / (std::string(layer.name) + "." + role + ".npy");
            INFO(p.string());
            REQUIRE(fs::exists(p));
            const auto a = io::read_npy<T>(p);
            REQUIRE(a.shape == w.shape);
            std::copy(a.data.begin(), a.data.end(), w.data);
            ++n;
        }
    });
    REQUIRE(n > 0);
}

template <class M>
void check_model(const std::string& name, const std::string& out) {
    const fs::path dir = rnn_dir / name;
    M m;
    load_weights(m, dir);
    const Batch<double> x = load_batch<double>(dir / "x.npy");
    const auto trace = m.forward(x);
    INNSPECT_CHECK_CLOSE(trace.output(out), load_batch<double>(dir / "forward.npy"), 1e-12);
    const auto all = target<double>(out, select::all<double>());
    SUBCASE("LRP-epsilon(0.01), the whole output") {
        const auto e = lrp(m, Epsilon(0.01)).explain(trace, all);
        INNSPECT_CHECK_CLOSE(e.relevance, load_batch<double>(dir / "lrp_eps.npy"), 1e-9);
    }
    SUBCASE("z+ everywhere (the composite's rule inside the cells)") {
        const auto e = lrp(m, ZPlus()).explain(trace, all);
        INNSPECT_CHECK_CLOSE(e.relevance, load_batch<double>(dir / "lrp_zplus.npy"), 1e-9);
    }
    SUBCASE("gradient of the whole output (BPTT)") {
        const auto e = gradient(m).explain(trace, all);
        INNSPECT_CHECK_CLOSE(e.relevance, load_batch<double>(dir / "gradient.npy"), 1e-9);
    }
    if (fs::exists(dir / "mask.npy")) {
        SUBCASE("LRP-epsilon(0.01), a region of steps x features") {
            const auto e = lrp(m, Epsilon(0.01)).explain(trace, target<double>(out, select::mask<double>(load_batch<double>(dir / "mask.npy"))));
            INNSPECT_CHECK_CLOSE(e.relevance, load_batch<double>(dir / "lrp_eps_mask.npy"), 1e-9);
        }
    }
}

}  // namespace

TEST_CASE("fixtures: LSTM autoencoder (encoder, repeat, decoder, TimeDistributed(Dense))") {
    check_model<LstmAe<double>>("lstm_ae", "time_distributed");
}
TEST_CASE("fixtures: the LSTM autoencoder with Reshape → UpSampling2D → Reshape for RepeatVector") {
    check_model<LstmAeUpsampled<double>>("lstm_ae", "time_distributed");
}
TEST_CASE("fixtures: GRU autoencoder (reset_after encoder, reset_after=false decoder)") {
    check_model<GruAe<double>>("gru_ae", "time_distributed");
}
TEST_CASE("fixtures: Bidirectional encoder (LSTM concat, GRU sum)") { check_model<Bidi<double>>("bidi", "dense"); }

TEST_CASE("fixtures: the LSTM autoencoder in float") {
    const fs::path dir = rnn_dir / "lstm_ae";
    LstmAe<float> m;
    load_weights(m, dir);
    const auto trace = m.forward(load_batch<float>(dir / "x.npy"));
    INNSPECT_CHECK_CLOSE(trace.output("time_distributed"), load_batch<float>(dir / "forward.npy"), 1e-5);
    const auto e = lrp(m, Epsilon(0.01)).explain(trace, target<float>("time_distributed", select::all<float>()));
    INNSPECT_CHECK_CLOSE(e.relevance, load_batch<float>(dir / "lrp_eps.npy"), 1e-4);
}
