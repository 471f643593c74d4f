// The headers innspect-keras generates (tests/generator/CMakeLists.txt: innspect_add_keras_model
// on every Keras file fixture) compile — this file includes them all — and declare the models the
// files hold: each loads its file with the architecture check (every config field compared with
// the declaration), and its forward pass reproduces the fixture's reference outputs, or the
// generated type is the very type the hand-written declarations of the other tests spell.

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <string>
#include <type_traits>
#include <vector>

#include <innspect/innspect.hpp>
#include <innspect/io/keras_model.hpp>
#include <innspect/io/npy.hpp>

#include <gen_arch_functional.hpp>
#include <gen_arch_nested.hpp>
#include <gen_arch_sequential.hpp>
#include <gen_ae_keras2.hpp>
#include <gen_ae_legacy.hpp>
#include <gen_bidi.hpp>
#include <gen_lstm_ae.hpp>
#include <gen_lstm_ae_masked.hpp>
#include <gen_seed90.hpp>
#include <gen_seed90_classifier.hpp>
#if defined(INNSPECT_KERAS3)
#  include <gen_ae.hpp>
#  include <gen_ae_chain.hpp>
#  include <gen_ae_keras213.hpp>
#  include <gen_ae_nested.hpp>
#  include <gen_ae_sequential.hpp>
#  include <gen_graph_conv1d.hpp>
#  include <gen_graph_residual.hpp>
#  include <gen_graph_unet.hpp>
#  include <gen_graph_unet_shuffled.hpp>
#  include <gen_seed16_two_heads.hpp>
#  include <gen_vae_z_mean.hpp>
#endif

#include "connectome/seed_model.hpp"

using namespace innspect;
namespace fs = std::filesystem;

namespace {

constexpr Padding same = Padding::same;

fs::path data(const std::string& rel) { return fs::path(INNSPECT_TEST_DATA_DIR) / rel; }
fs::path seed90(const std::string& rel) { return fs::path(INNSPECT_SEED90_DIR) / rel; }

// ---- hand-written declarations of the same files (as tests/hdf5/ spell them) -------------------

/// tests/hdf5/keras3.cpp's autoencoder of tests/data/keras3/.
template <class T>
using AE = Model<T, Input<8, 8, 1>,                                                      //
                 Conv2D<"enc_conv1", 4, Kernel<3, 3>, Relu, Strides<1, 1>, same>,        //
                 BatchNormalization<"enc_bn", 1e-3, true, false>,                        //
                 Conv2D<"enc_conv2", 2, Kernel<3, 3>, Relu, Strides<2, 2>, same>,        //
                 Flatten<"flat">,                                                        //
                 Dense<"code", 6>,                                                       //
                 Dense<"dec_dense", 32, Relu, false>,                                    //
                 Reshape<"unflat", Shape<4, 4, 2>>,                                      //
                 Conv2DTranspose<"dec_up", 4, Kernel<3, 3>, Relu, Strides<2, 2>, same>,  //
                 Conv2D<"dec_out", 1, Kernel<3, 3>, Sigmoid, Strides<1, 1>, same>>;

/// tests/hdf5/architecture.cpp's model of arch_sequential.h5 / arch_functional_tf2.h5.
template <class T>
using AllNew = Model<T, Input<12, 12, 2>, Conv2D<"conv2d_1", 4, Kernel<3, 3>>, BatchNormalization<"batch_normalization_1">,
                     Activation<"activation_1", Relu>, MaxPooling2D<"max_pooling2d_1">,
                     ZeroPadding2D<"zero_padding2d_1", 1, 0, 1, 2>,
                     Conv2D<"conv2d_2", 5, Kernel<3, 3>, Linear, Strides<1, 1>, same>, ReLU<"re_lu_1", 6.0>,
                     AveragePooling2D<"average_pooling2d_1", PoolSize<3, 3>, Strides<2, 2>, same>,
                     UpSampling2D<"up_sampling2d_1", UpSize<2, 3>>, Cropping2D<"cropping2d_1", 1, 0, 2, 1>,
                     Conv2DTranspose<"conv2d_transpose_1", 3, Kernel<3, 3>, Linear, Strides<2, 2>, same>,
                     GlobalAveragePooling2D<"global_average_pooling2d_1">, Dense<"dense_1", 2, Softmax>>;

/// tests/analyzers/graph_reference.cpp's graphs (tests/data/graph/*/model.json).
template <class T>
using UNet = Model<T, Input<8, 8, 1>,
                   Conv2D<"enc1", 4, Kernel<3, 3>, Relu, Strides<1, 1>, Padding::same>,
                   Conv2D<"enc2", 4, Kernel<3, 3>, Relu, Strides<1, 1>, Padding::same>,
                   MaxPooling2D<"pool1", PoolSize<2, 2>>,
                   Conv2D<"bottleneck", 6, Kernel<3, 3>, Relu, Strides<1, 1>, Padding::same>,
                   UpSampling2D<"up1", UpSize<2, 2>>,
                   Concatenate<"skip", Inputs<"up1", "enc2">>,
                   Conv2D<"dec1", 4, Kernel<3, 3>, Relu, Strides<1, 1>, Padding::same>,
                   Add<"residual", Inputs<"dec1", "enc1">>,
                   Conv2D<"reconstruction", 1, Kernel<1, 1>, Tanh>>;

template <class T>
using Residual = Model<T, Input<6, 6, 2>,
                       Conv2D<"c1", 3, Kernel<3, 3>, Relu, Strides<1, 1>, Padding::same>,
                       Conv2D<"c2", 3, Kernel<3, 3>, Linear, Strides<1, 1>, Padding::same>,
                       Add<"res1", Inputs<"c1", "c2">>,
                       Conv2D<"down", 4, Kernel<2, 2>, Relu, Strides<2, 2>>,
                       Flatten<"flat">,
                       Dense<"code", 5, Tanh>,
                       Dense<"d1", 36, Relu>,
                       Subtract<"sub", Inputs<"d1", "flat">>,
                       Dense<"d2", 36>,
                       Add<"res2", Inputs<"d2", "sub">>,
                       Reshape<"r", Shape<3, 3, 4>>,
                       Conv2DTranspose<"up", 3, Kernel<2, 2>, Relu, Strides<2, 2>>,
                       Average<"avg", Inputs<"up", "res1", "c1">>,
                       Maximum<"max", Inputs<"avg", "c2">>,
                       Concatenate<"wide", Inputs<"max", "res1">, Axis<2>>,
                       Conv2D<"reconstruction", 2, Kernel<1, 1>>>;

template <class T>
using Seq = Model<T, Input<16, 2>,
                  Conv1D<"e1", 4, Kernel<3>, Linear, Strides<1>, Padding::same>,
                  BatchNormalization<"bn1">,
                  Activation<"a1", Relu>,
                  MaxPooling1D<"p1", PoolSize<2>>,
                  Conv1D<"e2", 6, Kernel<3>, Relu>,
                  BatchNormalization<"bn2">,
                  Conv1D<"bottleneck", 3, Kernel<3>, Relu, Strides<1>, Padding::same>,
                  UpSampling1D<"u1", UpSize<2>>,
                  Conv1DTranspose<"t1", 4, Kernel<5>, Relu>,
                  Add<"skip", Inputs<"t1", "a1">>,
                  Conv1DTranspose<"out", 2, Kernel<3>, Linear, Strides<1>, Padding::same>>;

/// An .npy file as a batch (rows: the first axis).
template <class T>
Batch<T> npy_batch(const fs::path& p) {
    const auto a = io::read_npy<double>(p);
    REQUIRE(!a.shape.empty());
    const auto rows = static_cast<Eigen::Index>(a.shape[0]);
    const auto cols = static_cast<Eigen::Index>(a.data.size()) / std::max<Eigen::Index>(rows, 1);
    Batch<T> b(rows, cols);
    for (Eigen::Index i = 0; i < b.size(); ++i) b(i / cols, i % cols) = static_cast<T>(a.data[static_cast<std::size_t>(i)]);
    return b;
}

/// max |a − e| / max |e|: the error relative to the largest reference value (npy-compare --max-rel).
template <class T>
double max_rel(const Batch<T>& a, const Batch<double>& e) {
    REQUIRE(a.rows() == e.rows());
    REQUIRE(a.cols() == e.cols());
    return (a.template cast<double>() - e).cwiseAbs().maxCoeff() / e.cwiseAbs().maxCoeff();
}

bool has_note(const std::vector<std::string>& notes, const std::string& part) {
    return std::any_of(notes.begin(), notes.end(), [&](const std::string& n) { return n.find(part) != std::string::npos; });
}

/// The autoencoder fixture's forward (ae.input.npy) against its numpy reference (ae.output.npy).
template <class M>
void check_ae_forward(M& m, const fs::path& file) {
    const auto rep = io::load_keras_model(m, file);
    CHECK(has_note(rep.notes, "9 layers match the model_config"));
    const auto x = npy_batch<double>(data("keras3/ae.input.npy"));
    CHECK(max_rel(m.forward(x).out.back(), npy_batch<double>(data("keras3/ae.output.npy"))) < 1e-12);
}

}  // namespace

TEST_CASE("seed90.h5: the generated Seed90 loads with its architecture checked and reproduces Keras's outputs") {
    gen::Seed90<double> net;
    const auto rep = io::load_keras_model(net, seed90("seed90.h5"));
    CHECK(has_note(rep.notes, "architecture: 12 layers match the model_config (Keras Model 'model_1')"));
    // examples/connectome/data/heldout_reference: numpy's Keras forward on the same weights for the
    // first two held-out samples (1e-10, the bound tests/cli/seed90.cmake uses for double).
    const Batch<double> x = npy_batch<double>(seed90("heldout_x.npy")).topRows(2);
    const auto tr = net.forward(x);
    CHECK(max_rel(tr.output("output"), npy_batch<double>(seed90("heldout_reference/output.npy"))) < 1e-10);
    CHECK(max_rel(tr.output("autoencoder"), npy_batch<double>(seed90("heldout_reference/autoencoder.npy"))) < 1e-10);

    // The hand-written declaration (examples/connectome/seed_model.hpp) computes the very same numbers.
    seed::SeedModel<double, 90> hand;
    io::load_keras_model(hand, seed90("seed90.h5"));
    const auto th = hand.forward(x);
    CHECK(th.output("output") == tr.output("output"));
    CHECK(th.output("autoencoder") == tr.output("autoencoder"));
}

TEST_CASE("seed90.h5 --until output: the classifier path only, the same logits") {
    using C = gen::Seed90Classifier<float>;
    static_assert(C::size == 7, "conv1 .. output: the decoder is left out");
    CHECK(C::layer_infos().back().name == "output");
    C net;
    const auto rep = io::load_keras_weights(net, seed90("seed90.h5"));
    // The decoder's layers are in the file, not in the model.
    CHECK(std::find(rep.extra.begin(), rep.extra.end(), "autoencoder") != rep.extra.end());
    gen::Seed90<float> full;
    io::load_keras_model(full, seed90("seed90.h5"));
    const auto x = npy_batch<float>(seed90("heldout_x.npy"));
    CHECK(net.forward(x).output("output") == full.forward(x).output("output"));
}

TEST_CASE("arch_sequential.h5, arch_functional_tf2.h5: the generated type is the hand-written one, and loads") {
    static_assert(std::is_same_v<gen::ArchSequential<double>, AllNew<double>>);
    static_assert(std::is_same_v<gen::ArchFunctional<float>, AllNew<float>>);
    gen::ArchSequential<double> s;
    CHECK_NOTHROW(io::load_keras_model(s, data("h5/arch_sequential.h5")));
    gen::ArchFunctional<double> f;
    CHECK_NOTHROW(io::load_keras_model(f, data("h5/arch_functional_tf2.h5")));
}

TEST_CASE("arch_nested.h5: nested models flattened; the forward of tests/hdf5/architecture.cpp's reference") {
    gen::ArchNested<double> m;
    const auto rep = io::load_keras_model(m, data("h5/arch_nested.h5"));
    CHECK(rep.loaded == std::vector<std::string>{"conv2d_1", "conv2d_2", "dense_1"});
    const Batch<double> y = npy_batch<double>(data("h5/arch_nested.output.npy"));
    CHECK((m.forward(npy_batch<double>(data("h5/arch_nested.input.npy"))).output("dense_1") - y).cwiseAbs().maxCoeff() < 1e-12);
}

TEST_CASE("keras3 fixtures (legacy .h5, Keras 2 .h5): the hand-written autoencoder type, numpy's outputs") {
    static_assert(std::is_same_v<gen::AeLegacy<double>, AE<double>>);
    static_assert(std::is_same_v<gen::AeKeras2<double>, AE<double>>);
    gen::AeLegacy<double> a;
    check_ae_forward(a, data("keras3/ae_legacy.h5"));
    gen::AeKeras2<double> b;
    check_ae_forward(b, data("keras3/ae_keras2.h5"));
}

TEST_CASE("sequence models: LSTM, RepeatVector, TimeDistributed, Masking, Bidirectional as hand-written, numpy's outputs") {
    using LstmAe = Model<double, Input<8, 3>, LSTM<"encoder", 5>, RepeatVector<"repeat_vector", 8>,
                         LSTM<"decoder", 4, Recurrent{.return_sequences = true}>,
                         TimeDistributed<"time_distributed", Dense<"dense", 3>>>;
    using LstmAeMasked = Model<double, Input<8, 3>, Masking<"masking">, LSTM<"encoder", 5>, RepeatVector<"repeat_vector", 8>,
                               LSTM<"decoder", 4, Recurrent{.return_sequences = true}>,
                               TimeDistributed<"time_distributed", Dense<"dense", 3>>>;
    using Bidi = Model<double, Input<6, 3>, Bidirectional<"bi_lstm", LSTM<"lstm", 4, Recurrent{.return_sequences = true}>>,
                       Bidirectional<"bi_gru", GRU<"gru", 3>, BidirectionalMerge::sum>, Dense<"dense", 2>>;
    static_assert(std::is_same_v<gen::LstmAe<double>, LstmAe>);
    static_assert(std::is_same_v<gen::LstmAeMasked<double>, LstmAeMasked>);
    static_assert(std::is_same_v<gen::Bidi<double>, Bidi>);
    const auto check = [](auto& m, const std::string& file, const std::string& reference) {
        CAPTURE(file);
        io::load_keras_model(m, data("rnn_files/" + file));
        const auto x = npy_batch<double>(data("rnn/" + reference + "/x.npy"));
        CHECK(max_rel(m.forward(x).out.back(), npy_batch<double>(data("rnn/" + reference + "/forward.npy"))) < 1e-12);
    };
    gen::LstmAe<double> a;
    check(a, "lstm_ae_keras2.h5", "lstm_ae");
    gen::LstmAeMasked<double> b;
    check(b, "lstm_ae_masked_legacy.h5", "lstm_ae");
    gen::Bidi<double> c;
    check(c, "bidi_keras2.h5", "bidi");
}

#if defined(INNSPECT_KERAS3)
TEST_CASE(".keras fixtures: Functional, nested, Sequential, Keras 2.13 — one type, numpy's outputs") {
    static_assert(std::is_same_v<gen::Ae<double>, AE<double>>);
    static_assert(std::is_same_v<gen::AeNested<double>, AE<double>>);
    static_assert(std::is_same_v<gen::AeSequential<double>, AE<double>>);
    static_assert(std::is_same_v<gen::AeKeras213<double>, AE<double>>);
    gen::Ae<double> a;
    check_ae_forward(a, data("keras3/ae.keras"));
    gen::AeNested<double> n;
    CHECK_NOTHROW(io::load_keras_model(n, data("keras3/ae_nested.keras")));
    CHECK(max_rel(n.forward(npy_batch<double>(data("keras3/ae.input.npy"))).out.back(),
                  npy_batch<double>(data("keras3/ae.output.npy"))) < 1e-12);
    gen::AeSequential<double> s;
    check_ae_forward(s, data("keras3/ae_sequential.keras"));
    gen::AeKeras213<double> k;
    check_ae_forward(k, data("keras3/ae_keras213.keras"));
}

TEST_CASE("enc.keras + dec_legacy.h5: two files, one generated model") {
    static_assert(std::is_same_v<gen::AeChain<double>, AE<double>>);
    gen::AeChain<double> m;
    const auto rep = io::load_keras_model(m, {data("keras3/enc.keras"), data("keras3/dec_legacy.h5")});
    CHECK(has_note(rep.notes, "'" + data("keras3/dec_legacy.h5").string() + "': architecture: 4 layers match"));
    CHECK(max_rel(m.forward(npy_batch<double>(data("keras3/ae.input.npy"))).out.back(),
                  npy_batch<double>(data("keras3/ae.output.npy"))) < 1e-12);
}

TEST_CASE("vae_encoder.keras --until z_mean: the z_mean path, without the custom Sampling layer") {
    using V = gen::VaeZMean<float>;
    using Expected = Model<float, Input<8, 8, 1>,                                                //
                           Conv2D<"enc_conv1", 4, Kernel<3, 3>, Relu, Strides<1, 1>, same>,      //
                           BatchNormalization<"enc_bn", 1e-3, true, false>,                      //
                           Conv2D<"enc_conv2", 2, Kernel<3, 3>, Relu, Strides<2, 2>, same>,      //
                           Flatten<"flat">,                                                      //
                           Dense<"z_mean", 6>>;
    static_assert(std::is_same_v<V, Expected>);
}

TEST_CASE("graphs: merges as Inputs<...>, From<...> where a layer does not read the line before, a valid order") {
    // The hand-written graphs of tests/analyzers/graph_reference.cpp, whose forward, LRP and gradients
    // that test checks against numpy: the generated declarations are those very types.
    static_assert(std::is_same_v<gen::Graph_unet<float>, UNet<float>>);
    static_assert(std::is_same_v<gen::Graph_residual<double>, Residual<double>>);
    static_assert(std::is_same_v<gen::Graph_conv1d<double>, Seq<double>>);
    // The same U-Net listed out of order in its file: the generator orders it as Keras would.
    static_assert(std::is_same_v<gen::Graph_unet_shuffled<float>, UNet<float>>);
    // The decoder reads the latent code, not the classifier listed before it: From<"reshape1", ...>
    // (examples/connectome/seed_model.hpp's two-heads variant, tests/data/forward/seed16_latent).
    static_assert(std::is_same_v<gen::Seed16TwoHeads<float>, seed::SeedModelTwoHeads<float, 16>>);
}
#endif
