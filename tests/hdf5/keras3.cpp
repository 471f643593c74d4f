// Keras 3 files (issue 8, part 1) and several files for one model (part 2), on the fixtures of
// tests/reference/make_keras3_fixtures.py (tests/data/keras3/: a small conv autoencoder in every
// layout, with the same weights, its numpy forward, and malformed archives) and on the real
// Keras 2.2.4 encoder + decoder of INNSPECT_SHARED_DIR/keras/ when that folder exists.
//
// The `.keras` archives need libzip (innspect::keras3, which defines INNSPECT_KERAS3); without it
// those cases are compiled out and a `.keras` file must be a clear io_error.

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include <unistd.h>

#include <innspect/innspect.hpp>
#include <innspect/io/keras_config.hpp>
#include <innspect/io/keras_h5.hpp>
#include <innspect/io/npy.hpp>

#include "support/model12.hpp"

using namespace innspect;
namespace fs = std::filesystem;

namespace {

constexpr Padding same = Padding::same;

fs::path data(const std::string& name) { return fs::path(INNSPECT_TEST_DATA_DIR) / "keras3" / name; }

/// The fixtures' autoencoder (make_keras3_fixtures.py); `OutAct`: dec_out's activation.
template <class T, class OutAct = Sigmoid>
using AE = Model<T, Input<8, 8, 1>,                                                      //
                 Conv2D<"enc_conv1", 4, Kernel<3, 3>, Relu, Strides<1, 1>, same>,        //
                 BatchNormalization<"enc_bn", 1e-3, true, false>,                        //
                 Conv2D<"enc_conv2", 2, Kernel<3, 3>, Relu, Strides<2, 2>, same>,        //
                 Flatten<"flat">,                                                        //
                 Dense<"code", 6>,                                                       //
                 Dense<"dec_dense", 32, Relu, false>,                                    //
                 Reshape<"unflat", Shape<4, 4, 2>>,                                      //
                 Conv2DTranspose<"dec_up", 4, Kernel<3, 3>, Relu, Strides<2, 2>, same>,  //
                 Conv2D<"dec_out", 1, Kernel<3, 3>, OutAct, Strides<1, 1>, same>>;

const std::vector<std::string> ae_weighted = {"enc_conv1", "enc_bn", "enc_conv2", "code",
                                              "dec_dense", "dec_up", "dec_out"};

bool has_note(const std::vector<std::string>& notes, const std::string& part) {
    for (const auto& n : notes)
        if (n.find(part) != std::string::npos) return true;
    return false;
}

std::string all(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& l : v) s += l + "\n";
    return s;
}

/// The model's output on ae.input.npy against ae.output.npy (numpy, float64).
template <class M>
void check_forward(const M& m, double tol) {
    const auto x = io::read_npy<double>(data("ae.input.npy"));
    const auto y = io::read_npy<double>(data("ae.output.npy"));
    REQUIRE(x.shape == std::vector<std::int64_t>{2, 8, 8, 1});
    using T = typename M::scalar;
    Batch<T> in(2, 64);
    for (Eigen::Index i = 0; i < in.size(); ++i)
        in(i / 64, i % 64) = static_cast<T>(x.data[static_cast<std::size_t>(i)]);
    const auto tr = m.forward(in);
    const Batch<T>& out = tr.out.back();
    REQUIRE(out.size() == static_cast<Eigen::Index>(y.data.size()));
    double worst = 0;
    for (Eigen::Index i = 0; i < out.size(); ++i)
        worst = std::max(
            worst, std::abs(static_cast<double>(out(i / 64, i % 64)) - y.data[static_cast<std::size_t>(i)]));
    INFO("largest difference from numpy: " << worst);
    CHECK(worst <= tol);
}

/// True if every weight of `a` equals `b`'s.
template <class M>
bool same_weights(M& a, M& b) {
    std::vector<std::vector<double>> wa, wb;
    auto grab = [](std::vector<std::vector<double>>& out) {
        return [&out](auto& layer) {
            for (const auto& w : layer.weights()) {
                std::size_t n = 1;
                for (auto d : w.shape) n *= static_cast<std::size_t>(d);
                out.emplace_back(w.data, w.data + n);
            }
        };
    };
    a.for_each_layer(grab(wa));
    b.for_each_layer(grab(wb));
    return wa == wb;
}

/// True if `m` still has the weights of a model just made (nothing loaded).
template <class M>
bool untouched(M& m) {
    M fresh;
    return same_weights(m, fresh);
}

std::string message_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const std::exception& e) {
        return e.what();
    }
    return "(no exception)";
}

}  // namespace

TEST_CASE("keras3: Keras's snake_case of class names, which names the weight groups") {
    using io::detail::keras_snake_case;
    CHECK(keras_snake_case("Dense") == "dense");
    CHECK(keras_snake_case("Conv2DTranspose") == "conv2d_transpose");
    CHECK(keras_snake_case("BatchNormalization") == "batch_normalization");
    CHECK(keras_snake_case("MaxPooling2D") == "max_pooling2d");
    CHECK(keras_snake_case("UpSampling2D") == "up_sampling2d");
    CHECK(keras_snake_case("ReLU") == "re_lu");
    CHECK(keras_snake_case("PReLU") == "p_re_lu");
    CHECK(keras_snake_case("LSTM") == "lstm");
    CHECK(keras_snake_case("GlobalAveragePooling2D") == "global_average_pooling2d");
    CHECK(keras_snake_case("HTTPServerX2Y") == "http_server_x2y");  // Python's re.sub gives the same
    CHECK(io::detail::keras_name_index("dense", "dense") == 0u);
    CHECK(io::detail::keras_name_index("dense_12", "dense") == 12u);
    CHECK_FALSE(io::detail::keras_name_index("dense_x", "dense"));
    CHECK_FALSE(io::detail::keras_name_index("conv2d_transpose", "conv2d"));
}

TEST_CASE("keras3: a .weights.h5 (no names, no config) loads by class in the C++ model's order") {
    const io::KerasH5File f(data("ae.weights.h5"));
    CHECK(f.layout() == io::KerasLayout::keras3);
    CHECK_FALSE(f.has_model_config());
    std::vector<std::string> groups;
    for (const auto& l : f.layers()) groups.push_back(l.name);
    CHECK(groups == std::vector<std::string>{"layers/batch_normalization", "layers/conv2d", "layers/conv2d_1",
                                             "layers/conv2d_2", "layers/conv2d_transpose", "layers/dense",
                                             "layers/dense_1"});
    // scale=False: beta, moving_mean, moving_variance
    CHECK(f.find_layer("layers/batch_normalization")->weights.size() == 3);

    AE<double> m;
    const auto rep = io::load_keras_model(m, data("ae.weights.h5"));
    CHECK(rep.layout == io::KerasLayout::keras3);
    CHECK(rep.loaded == ae_weighted);
    CHECK(rep.extra.empty());
    CHECK(has_note(rep.notes, "architecture: not checked, the file has no model_config (written by Keras 3"));
    check_forward(m, 1e-6);

    AE<float> mf;
    const auto rf = io::load_keras_weights(mf, data("ae.weights.h5"));
    CHECK(rf.loaded == ae_weighted);
    check_forward(mf, 1e-5);
}

TEST_CASE(
    "keras3: Keras 3's legacy .h5 (Keras 2 layout, names without :0, a Keras 3 config) is checked and "
    "loads") {
    const io::KerasH5File f(data("ae_legacy.h5"));
    CHECK(f.layout() == io::KerasLayout::model_save);
    const auto config = io::parse_keras_model_config(f.model_config());
    CHECK(config.class_name == "Functional");
    REQUIRE(config.inputs.size() == 1);
    CHECK(config.inputs.front().shape == std::vector<std::int64_t>{8, 8, 1});  // batch_shape
    CHECK(config.layers.front().inputs == std::vector<std::string>{""});       // keras_history → the input
    CHECK(config.layers[1].inputs == std::vector<std::string>{"enc_conv1"});

    AE<double> m;
    const auto rep = io::load_keras_model(m, data("ae_legacy.h5"));
    CHECK(has_note(rep.notes, "architecture: 9 layers match the model_config (Keras Functional 'ae')"));
    CHECK(rep.loaded == ae_weighted);
    check_forward(m, 1e-6);

    AE<double, Relu> wrong;
    CHECK_THROWS_WITH_AS(io::load_keras_model(wrong, data("ae_legacy.h5")),
                         doctest::Contains("dec_out: activation relu in C++, sigmoid in the file"),
                         architecture_error);
    CHECK(untouched(wrong));
}

TEST_CASE("keras3: the Keras 2 fixture holds the same weights") {
    AE<double> k2, k3;
    const auto rep = io::load_keras_model(k2, data("ae_keras2.h5"));
    CHECK(has_note(rep.notes, "architecture: 9 layers match the model_config (Keras Model 'ae')"));
    io::load_keras_model(k3, data("ae.weights.h5"));
    CHECK(same_weights(k2, k3));
    check_forward(k2, 1e-6);
}

TEST_CASE("keras3: a file that is neither a zip nor HDF5 is an io_error naming the file") {
    AE<double> m;
    CHECK_THROWS_WITH_AS(io::load_keras_model(m, data("not_a_zip.keras")),
                         doctest::Contains("not_a_zip.keras"), io_error);
    CHECK(untouched(m));
}

TEST_CASE("keras3: several files, one model — the real encoder.h5 + decoder.h5") {
    const fs::path dir = fs::path(INNSPECT_SHARED_DIR) / "keras";
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
        MESSAGE("skipped: no real Keras files at ", dir.string());
        return;
    }
    using Enc = test::model12::Encoder<float>;
    using Dec = test::model12::Decoder<float>;
    using AEReal = test::model12::Autoencoder<float>;
    static AEReal m;  // large: not on the stack
    const auto rep = io::load_keras_model(m, {dir / "12-encoder.h5", dir / "12-decoder.h5"});
    CHECK(rep.loaded ==
          std::vector<std::string>{"conv2d_1", "conv2d_2", "conv2d_transpose_1", "conv2d_transpose_2"});
    CHECK(has_note(rep.notes,
                   "12-encoder.h5': architecture: 7 layers match the model_config (Keras Model 'model_1')"));
    CHECK(has_note(rep.notes,
                   "12-decoder.h5': architecture: 5 layers match the model_config (Keras Model 'model_2')"));

    static Enc enc;
    static Dec dec;
    io::load_keras_model(enc, dir / "12-encoder.h5");
    io::load_keras_model(dec, dir / "12-decoder.h5");
    CHECK(m.layer<"conv2d_2">().params().kernel == enc.layer<"conv2d_2">().params().kernel);
    CHECK(m.layer<"conv2d_transpose_2">().params().kernel ==
          dec.layer<"conv2d_transpose_2">().params().kernel);
    CHECK(m.layer<"conv2d_transpose_2">().params().bias == dec.layer<"conv2d_transpose_2">().params().bias);

    // The decoder's input is the encoder's output: a decoder file whose input differs is refused,
    // naming the file; reversed order likewise; nothing is loaded.
    static AEReal fresh;
    const std::string msg = message_of([&] {
        io::load_keras_model(fresh, {dir / "12-decoder.h5", dir / "12-encoder.h5"});
    });
    INFO(msg);
    CHECK(msg.find("12-encoder.h5' names none of the C++ layers after re_lu_1") != std::string::npos);
    CHECK(msg.find("are the files in model order?") != std::string::npos);
    CHECK(fresh.layer<"conv2d_1">().params().kernel.isZero());
    CHECK(fresh.layer<"conv2d_transpose_1">().params().kernel.isZero());
}

#if defined(INNSPECT_KERAS3)

TEST_CASE(
    "keras3: a .keras archive is checked against its config.json and loads; its forward matches numpy and "
    "the Keras 2 file") {
    const io::KerasArchive a(data("ae.keras"));
    CHECK(a.members() == std::vector<std::string>{"metadata.json", "config.json", "model.weights.h5"});
    CHECK(a.metadata_json().find("3.8.0") != std::string::npos);
    const auto w = a.weights();
    CHECK(w.layout() == io::KerasLayout::keras3);
    CHECK(w.path().string().find("ae.keras:model.weights.h5") != std::string::npos);

    AE<double> m;
    const auto rep = io::load_keras_model(m, data("ae.keras"));
    CHECK(rep.layout == io::KerasLayout::keras3);
    CHECK(rep.loaded == ae_weighted);
    CHECK(rep.extra.empty());
    CHECK(has_note(rep.notes, "architecture: 9 layers match the model_config (Keras Functional 'ae')"));
    check_forward(m, 1e-6);

    AE<double> k2;
    io::load_keras_model(k2, data("ae_keras2.h5"));
    CHECK(same_weights(m, k2));

    AE<double> from_archive;
    const auto r2 = io::load_keras_model(from_archive, a);
    CHECK(r2.loaded == ae_weighted);
    CHECK(same_weights(from_archive, k2));

    // The content decides, not the name: the same archive without its extension.
    const fs::path renamed =
        fs::temp_directory_path() / ("innspect_keras3_" + std::to_string(::getpid()) + ".h5");
    fs::copy_file(data("ae.keras"), renamed, fs::copy_options::overwrite_existing);
    AE<double> by_content;
    CHECK(io::load_keras_model(by_content, renamed).loaded == ae_weighted);
    fs::remove(renamed);
    // load_keras_weights reads HDF5 only, and says what to use for an archive.
    CHECK_THROWS_WITH_AS(io::load_keras_weights(by_content, data("ae.keras")),
                         doctest::Contains("load_keras_model"), io_error);
}

TEST_CASE("keras3: the architecture check guards .keras files; nothing loads on a difference") {
    AE<double, Relu> m;
    try {
        io::load_keras_model(m, data("ae.keras"));
        FAIL("no architecture_error");
    } catch (const architecture_error& e) {
        CHECK(all(e.differences) == all({"dec_out: activation relu in C++, sigmoid in the file"}));
        CHECK(std::string(e.what()).find("ae.keras") != std::string::npos);
    }
    CHECK(untouched(m));
    CHECK_THROWS_AS(io::check_architecture(m, data("ae.keras")), architecture_error);
    AE<double> good;
    CHECK(io::check_architecture(good, data("ae.keras")).ok());
}

TEST_CASE("keras3: nested models, a Sequential model, Keras 2.13's layout, member names written on Windows") {
    for (const char* name : {"ae_nested.keras", "ae_sequential.keras", "ae_keras213.keras", "ae_backslash.keras"}) {
        INFO(name);
        AE<double> m;
        const auto rep = io::load_keras_model(m, data(name));
        CHECK(rep.loaded == ae_weighted);
        CHECK(rep.extra.empty());
        check_forward(m, 1e-6);
    }
    const io::KerasH5File nested = io::KerasArchive(data("ae_nested.keras")).weights();
    CHECK(nested.keras3_models() == std::vector<std::string>{"layers/functional", "layers/functional_1"});
    AE<double> m;
    const auto rep = io::load_keras_model(m, data("ae_nested.keras"));
    CHECK(has_note(rep.notes, "layers/functional: nested model encoder"));
    CHECK(has_note(rep.notes, "architecture: nested model decoder flattened into its layers"));

    const io::KerasArchive k213(data("ae_keras213.keras"));
    CHECK(k213.weights().layout() == io::KerasLayout::keras2_13);
    CHECK(k213.weights().find_layer("_layer_checkpoint_dependencies/conv2d_4") !=
          nullptr);  // dec_out: two numbers per layer
    const io::KerasArchive win(data("ae_backslash.keras"));
    CHECK(win.members() == std::vector<std::string>{"metadata.json", "config.json", "model.weights.h5"});
}

TEST_CASE("keras3: several files, one model — an encoder .keras and a decoder legacy .h5") {
    AE<double> m;
    const auto rep = io::load_keras_model(m, {data("enc.keras"), data("dec_legacy.h5")});
    CHECK(rep.loaded == ae_weighted);
    CHECK(has_note(rep.notes,
                   "enc.keras': architecture: 5 layers match the model_config (Keras Functional 'encoder')"));
    CHECK(has_note(
        rep.notes,
        "dec_legacy.h5': architecture: 4 layers match the model_config (Keras Functional 'decoder')"));
    check_forward(m, 1e-6);

    // Each file against its part: a difference names the file and the layer.
    AE<double, Relu> wrong;
    try {
        io::load_keras_model(wrong, {data("enc.keras"), data("dec_legacy.h5")});
        FAIL("no architecture_error");
    } catch (const architecture_error& e) {
        REQUIRE(e.differences.size() == 1);
        CHECK(e.differences.front().find(
                  "dec_legacy.h5': dec_out: activation relu in C++, sigmoid in the file") !=
              std::string::npos);
    }
    CHECK(untouched(wrong));
    // A weights-only Keras 3 file cannot say which part it holds.
    CHECK_THROWS_WITH_AS(io::load_keras_model(m, {data("enc.keras"), data("ae.weights.h5")}),
                         doctest::Contains("ae.weights.h5"), io_error);
    // The second file's weights do not fit: the error names the file and the layer, nothing is loaded.
    AE<double> fresh;
    const std::string msg = message_of([&] {
        io::load_keras_model(fresh, {data("enc.keras"), data("wrong_shape.keras")});
    });
    CHECK(msg.find("wrong_shape.keras") != std::string::npos);
    CHECK(untouched(fresh));
}

TEST_CASE("keras3: malformed archives are io_errors naming the file and the member") {
    struct Case {
        const char* file;
        const char* phrase;
    };
    for (const Case& c : {Case{"not_a_zip.keras", "cannot open as a zip archive"},
                          Case{"no_config.keras", "no config.json in the archive"},
                          Case{"no_weights.keras", "no model.weights.h5 in the archive"},
                          Case{"npz_weights.keras", "model.weights.npz"},
                          Case{"truncated.keras", "cannot open as a zip archive"},
                          Case{"bomb.keras", "member config.json declares"},
                          Case{"dotdot.keras", "member '../evil' has a '..' component"},
                          Case{"twice.keras", "holds config.json twice"}}) {
        INFO(c.file);
        const std::string msg = message_of([&] { const io::KerasArchive a(data(c.file)); });
        CHECK(msg.find(c.file) != std::string::npos);
        CHECK(msg.find(c.phrase) != std::string::npos);
        CHECK_THROWS_AS(io::KerasArchive(data(c.file)), io_error);
        AE<double> m;
        if (std::string(c.file) != "not_a_zip.keras")
            CHECK_THROWS_AS(io::load_keras_model(m, data(c.file)), io_error);
        CHECK(untouched(m));
    }
    CHECK(message_of([] { const io::KerasArchive a(data("bomb.keras")); }).find("decompression bomb") !=
          std::string::npos);

    // hostile weight trees in well-formed archives: the weights (ae.keras:model.weights.h5) are refused
    for (const Case& c : {Case{"cycle.keras", "nested models deeper than 32 levels"},
                          Case{"soft_link.keras", "'0' is a soft link"},
                          Case{"vars_names.keras", "holds kernel; Keras 3 names a layer's arrays 0, 1, 2"}}) {
        INFO(c.file);
        AE<double> m;
        const std::string msg = message_of([&] { io::load_keras_model(m, data(c.file)); });
        CHECK(msg.find(std::string(c.file) + ":model.weights.h5") != std::string::npos);
        CHECK(msg.find(c.phrase) != std::string::npos);
        CHECK_THROWS_AS(io::load_keras_model(m, data(c.file)), io_error);
        CHECK(untouched(m));
    }

    // wrong shapes: a shape_error (as for every well-formed array that does not fit) naming the layer and the
    // group
    AE<double> m;
    CHECK_THROWS_WITH_AS(
        io::load_keras_model(m, data("wrong_shape.keras")),
        doctest::Contains("code (group layers/dense): kernel shape (32,6) in C++, (6,32) in the file"),
        shape_error);
    CHECK(untouched(m));

    // limits
    io::ReadLimits few;
    few.max_members = 2;
    CHECK_THROWS_WITH_AS(io::KerasArchive(data("ae.keras"), few),
                         doctest::Contains("ReadLimits::max_members"), io_error);
    io::ReadLimits small;
    small.max_member_bytes = 1000;
    CHECK_THROWS_WITH_AS(io::KerasArchive(data("ae.keras"), small),
                         doctest::Contains("ReadLimits::max_member_bytes"), io_error);
    CHECK_THROWS_WITH_AS(io::KerasArchive(data("does_not_exist.keras")), doctest::Contains("no such file"),
                         io_error);
}

TEST_CASE("keras3: an archive read from memory") {
    std::ifstream in(data("ae.keras"), std::ios::binary);
    const std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(in)),
                                           std::istreambuf_iterator<char>());
    const auto a = io::KerasArchive::from_memory(bytes, "upload.keras");
    AE<double> m;
    CHECK(io::load_keras_model(m, a).loaded == ae_weighted);
    check_forward(m, 1e-6);
    const std::vector<unsigned char> half(bytes.begin(),
                                          bytes.begin() + static_cast<std::ptrdiff_t>(bytes.size() / 2));
    CHECK_THROWS_WITH_AS(io::KerasArchive::from_memory(half, "half.keras"), doctest::Contains("half.keras"),
                         io_error);
    CHECK_THROWS_AS(io::KerasArchive::from_memory({}, "empty.keras"), io_error);
    CHECK_THROWS_WITH_AS(io::KerasH5File::from_memory(bytes, "upload.keras"),
                         doctest::Contains("zip archive"), io_error);
}

#else

TEST_CASE("keras3: without libzip a .keras file is a clear io_error") {
    AE<double> m;
    CHECK_THROWS_WITH_AS(io::load_keras_model(m, data("ae.keras")), doctest::Contains("innspect::keras3"),
                         io_error);
    MESSAGE("skipped: the .keras archive tests (built without libzip / INNSPECT_KERAS3)");
}

#endif
