// Recurrent layers loaded from Keras files (issue 12): the LSTM autoencoder and the Bidirectional
// encoder of tests/data/rnn/ written by tests/reference/make_rnn_h5_fixtures.py in the layouts of
// tf.keras 2 (`<layer>/<layer>/lstm_cell/kernel:0`, Bidirectional's `forward_<inner>/...` and
// `backward_<inner>/...`, TimeDistributed's Dense under the wrapper's name), Keras 3's legacy .h5
// (the same without ":0"), and Keras 3 (`layers/lstm/cell/vars/<i>`,
// `layers/bidirectional/{forward,backward}_layer/cell/vars/<i>`, `layers/time_distributed/layer/vars/<i>`).
// Each loaded model must reproduce the numpy reference forward (tests/data/rnn/<model>/forward.npy,
// checked against torch by make_rnn_fixtures.py) — a swapped direction, gate block or role would
// not — and pass the architecture check, which compares the wrapped layers' own fields. The LSTM
// autoencoder also comes behind a Masking layer (lstm_ae_masked_*), as sequence models with padded
// inputs are saved.

#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

#include <innspect/innspect.hpp>
#include <innspect/io/keras_config.hpp>
#include <innspect/io/keras_h5.hpp>
#include <innspect/io/keras_model.hpp>
#include <innspect/io/npy.hpp>

#include "support/test_support.hpp"

using namespace innspect;
namespace fs = std::filesystem;

namespace {

fs::path files(const std::string& name) { return fs::path(INNSPECT_TEST_DATA_DIR) / "rnn_files" / name; }
fs::path reference(const std::string& model, const std::string& name) {
    return fs::path(INNSPECT_TEST_DATA_DIR) / "rnn" / model / name;
}

template <class T>
using LstmAe = Model<T, Input<8, 3>, LSTM<"encoder", 5>, RepeatVector<"repeat_vector", 8>,
                     LSTM<"decoder", 4, Recurrent{.return_sequences = true}>,
                     TimeDistributed<"time_distributed", Dense<"dense", 3>>>;
template <class T, double MaskValue = 0.0>
using LstmAeMasked = Model<T, Input<8, 3>, Masking<"masking", MaskValue>, LSTM<"encoder", 5>,
                           RepeatVector<"repeat_vector", 8>, LSTM<"decoder", 4, Recurrent{.return_sequences = true}>,
                           TimeDistributed<"time_distributed", Dense<"dense", 3>>>;
template <class T, int InnerUnits = 4>
using Bidi = Model<T, Input<6, 3>, Bidirectional<"bi_lstm", LSTM<"lstm", InnerUnits, Recurrent{.return_sequences = true}>>,
                   Bidirectional<"bi_gru", GRU<"gru", 3>, BidirectionalMerge::sum>, Dense<"dense", 2>>;

template <class M>
void check_forward(const M& m, const std::string& model) {
    const Batch<double> x = io::to_batch(io::read_npy<double>(reference(model, "x.npy")));
    const Batch<double> y = io::to_batch(io::read_npy<double>(reference(model, "forward.npy")));
    // The files hold the reference's float32-exact weights: the forward is the reference's.
    INNSPECT_CHECK_CLOSE(m.forward(x).out.back(), y, 1e-12);
}

bool has_note(const std::vector<std::string>& notes, const std::string& part) {
    for (const auto& n : notes)
        if (n.find(part) != std::string::npos) return true;
    return false;
}

std::vector<std::string> recurrent_files(const std::string& model) {
    std::vector<std::string> v{model + "_keras2.h5", model + "_legacy.h5"};
#if defined(INNSPECT_KERAS3)
    v.push_back(model + ".keras");
#endif
    return v;
}

}  // namespace

TEST_CASE("recurrent files: the LSTM autoencoder from Keras 2, Keras 3 legacy and Keras 3 files") {
    for (const auto& name : recurrent_files("lstm_ae")) {
        CAPTURE(name);
        LstmAe<double> m;
        const auto report = io::load_keras_model(m, files(name));
        CHECK(has_note(report.notes, "architecture: 4 layers match"));
        CHECK(report.loaded == std::vector<std::string>{"encoder", "decoder", "time_distributed"});
        CHECK(report.arrays == 8);
        CHECK(report.extra.empty());
        check_forward(m, "lstm_ae");
    }
    SUBCASE("a .weights.h5: Keras 3 groups matched by class in the C++ order") {
        LstmAe<double> m;
        const auto report = io::load_keras_weights(m, files("lstm_ae.weights.h5"));
        CHECK(report.arrays == 8);
        check_forward(m, "lstm_ae");
    }
}

TEST_CASE("recurrent files: the LSTM autoencoder behind a Masking layer, from every layout") {
    for (const auto& name : recurrent_files("lstm_ae_masked")) {
        CAPTURE(name);
        LstmAeMasked<double> m;
        const auto report = io::load_keras_model(m, files(name));
        CHECK(has_note(report.notes, "architecture: 5 layers match"));
        CHECK(report.loaded == std::vector<std::string>{"encoder", "decoder", "time_distributed"});
        CHECK(report.arrays == 8);
        // No step of x.npy is all zeros (the fixture script asserts it): Masking is the identity.
        check_forward(m, "lstm_ae");
    }
    SUBCASE("a .weights.h5") {
        LstmAeMasked<double> m;
        CHECK(io::load_keras_weights(m, files("lstm_ae_masked.weights.h5")).arrays == 8);
        check_forward(m, "lstm_ae");
    }
    SUBCASE("an input with a padded step is refused, naming the layer, the sample and the step") {
        LstmAeMasked<double> m;
        io::load_keras_model(m, files("lstm_ae_masked_keras2.h5"));
        Batch<double> x = io::to_batch(io::read_npy<double>(reference("lstm_ae", "x.npy")));
        x.row(x.rows() - 1).segment(7 * 3, 3).setZero();
        const std::string expected = "masking (Masking): sample " + std::to_string(x.rows() - 1) +
                                     ", step 7: every feature equals mask_value 0";
        CHECK_THROWS_WITH_AS((void)m.forward(x), doctest::Contains(expected.c_str()), value_error);
    }
    SUBCASE("the architecture check compares mask_value and sees the layer") {
        for (const auto& name : recurrent_files("lstm_ae_masked")) {
            CAPTURE(name);
            LstmAeMasked<double, -1.0> other;
            try {
                io::load_keras_model(other, files(name));
                FAIL("no architecture_error");
            } catch (const architecture_error& e) {
                CHECK(e.differences == std::vector<std::string>{"masking: mask_value -1 in C++, 0 in the file"});
            }
            LstmAe<double> without;
            CHECK_THROWS_AS(io::load_keras_model(without, files(name)), architecture_error);
        }
    }
}

TEST_CASE("recurrent files: the Bidirectional encoder (forward and backward arrays kept apart)") {
    for (const auto& name : recurrent_files("bidi")) {
        CAPTURE(name);
        Bidi<double> m;
        const auto report = io::load_keras_model(m, files(name));
        CHECK(has_note(report.notes, "architecture: 3 layers match"));
        CHECK(report.arrays == 14);
        check_forward(m, "bidi");
    }
    SUBCASE("a .weights.h5") {
        Bidi<double> m;
        CHECK(io::load_keras_weights(m, files("bidi.weights.h5")).arrays == 14);
        check_forward(m, "bidi");
    }
    SUBCASE("in float") {
        Bidi<float> m;
        io::load_keras_model(m, files("bidi_keras2.h5"));
        const Batch<float> x = io::to_batch(io::read_npy<float>(reference("bidi", "x.npy")));
        INNSPECT_CHECK_CLOSE(m.forward(x).out.back(), io::to_batch(io::read_npy<float>(reference("bidi", "forward.npy"))),
                             1e-5);
    }
}

TEST_CASE("recurrent files: the wrapped layer's fields in the architecture check") {
    for (const auto& name : recurrent_files("bidi")) {
        CAPTURE(name);
        Bidi<double, 5> m;
        try {
            io::load_keras_model(m, files(name));
            FAIL("no architecture_error");
        } catch (const architecture_error& e) {
            CHECK(e.differences == std::vector<std::string>{"bi_lstm: layer.units 5 in C++, 4 in the file"});
        }
    }
}

TEST_CASE("recurrent files: Keras 3 names the layers a layer holds; the roles follow their paths") {
    const auto weights = [](std::vector<std::string> roles) {
        std::vector<io::detail::cpp_weight> w(roles.size());
        for (std::size_t i = 0; i < roles.size(); ++i) w[i].role = roles[i];
        return w;
    };
    const auto bidi = weights({"forward/kernel", "forward/recurrent_kernel", "forward/bias", "backward/kernel",
                               "backward/recurrent_kernel", "backward/bias"});
    CHECK(io::detail::keras3_role("backward_layer/cell/vars/0", {}, bidi) == "backward/kernel");
    CHECK(io::detail::keras3_role("forward_layer/cell/vars/2", {}, bidi) == "forward/bias");
    CHECK(io::detail::keras3_role("forward_layer/cell/vars/3", {}, bidi) == "forward_layer/cell/vars/3");
    const auto lstm = weights({"kernel", "recurrent_kernel", "bias"});
    CHECK(io::detail::keras3_role("cell/vars/1", {}, lstm) == "recurrent_kernel");
    CHECK(io::detail::keras3_role("vars/1", {"kernel", "bias"}, lstm) == "bias");
}

TEST_CASE("recurrent files: broken Keras 3 trees are errors naming the group and the weight") {
    SUBCASE("layers held by layers more than 8 levels deep") {
        LstmAe<double> m;
        CHECK_THROWS_WITH_AS(io::load_keras_weights(m, files("deep.weights.h5")),
                             doctest::Contains("layers held by layers deeper than 8 levels"), io_error);
    }
    SUBCASE("a Bidirectional without its backward layer: the missing role is named, the model unchanged") {
        Bidi<double> m;
        CHECK_THROWS_WITH_AS(io::load_keras_weights(m, files("bidi_forward_only.weights.h5")),
                             doctest::Contains("bi_lstm (group layers/bidirectional): backward/kernel not in file"),
                             name_error);
        CHECK(m.layer<"bi_lstm">().forward_layer().kernel().isZero());
    }
}
