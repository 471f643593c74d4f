// RepeatVector, Permute and PReLU against Keras files and configs:
//   - PReLU's "alpha" loaded by name from tests/data/forward5/sequence_model/weights.h5 (written by
//     tests/reference/make_layer5_fixtures.py through keras_h5_layout.py), architecture checked,
//     forward against the numpy reference;
//   - the architecture check: a matching config passes; a differing n, dims or shared_axes is
//     reported naming the layer and the field; a field of the wrong type is an io_error naming them.

#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

#include <innspect/innspect.hpp>
#include <innspect/io/keras_config.hpp>  // load_keras_model, and the config check on its own
#include <innspect/io/npy.hpp>

#include "support/fixtures.hpp"

using namespace innspect;
namespace fs = std::filesystem;
namespace t = innspect::test;

namespace {

fs::path sequence_model() { return fs::path(INNSPECT_TEST_DATA_DIR) / "forward5" / "sequence_model"; }

template <class T, class Shared = SharedAxes<1>, int N = 4>
using Seq = Model<T, Input<5>, Dense<"dense_1", 3>, RepeatVector<"repeat_vector_1", N>, Permute<"permute_1", 2, 1>,
                  PReLU<"p_re_lu_1", Shared>, Flatten<"flatten_1">, Dense<"dense_2", 2>>;

std::string lines(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& l : v) s += l + "\n";
    return s;
}

/// A Keras 2.2.4 Sequential config of Seq<> with the given RepeatVector, Permute and PReLU fields.
std::string config(const std::string& n, const std::string& dims, const std::string& shared) {
    return R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"class_name": "Dense", "config": {"name": "dense_1", "batch_input_shape": [null, 5], "units": 3, "activation": "linear"}},
        {"class_name": "RepeatVector", "config": {"name": "repeat_vector_1", "trainable": true, "n": )" + n + R"(}},
        {"class_name": "Permute", "config": {"name": "permute_1", "trainable": true, "dims": )" + dims + R"(}},
        {"class_name": "PReLU", "config": {"name": "p_re_lu_1", "trainable": true,
         "alpha_initializer": {"class_name": "Zeros", "config": {}}, "alpha_regularizer": null,
         "alpha_constraint": null, "shared_axes": )" + shared + R"(}},
        {"class_name": "Flatten", "config": {"name": "flatten_1"}},
        {"class_name": "Dense", "config": {"name": "dense_2", "units": 2, "activation": "linear"}}]}})";
}

template <class M>
std::string diffs(const std::string& json) {
    return lines(io::compare_architecture<M>(io::parse_keras_model_config(json)).differences);
}

template <class M>
std::string io_error_of(const std::string& json) {
    try {
        (void)io::compare_architecture<M>(io::parse_keras_model_config(json, "test config"));
    } catch (const io_error& e) {
        return e.what();
    }
    return "";
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE_TEMPLATE("PReLU's alpha loads from a Keras file, architecture checked; forward matches numpy", T, float, double) {
    Seq<T> m;
    const auto report = io::load_keras_model(m, sequence_model() / "weights.h5");
    CHECK(report.loaded == std::vector<std::string>{"dense_1", "p_re_lu_1", "dense_2"});
    CHECK(report.extra.empty());
    // alpha (1, 4) in Keras's shape, equal to the .npy the file was written from
    const io::NpyArray<T> alpha = io::read_npy<T>(sequence_model() / "p_re_lu_1.alpha.npy");
    CHECK(alpha.shape == std::vector<std::int64_t>{1, 4});
    const auto& a = m.template layer<"p_re_lu_1">().alpha();
    REQUIRE(a.size() == 4);
    for (int i = 0; i < 4; ++i) CHECK(a(i) == alpha.data[static_cast<std::size_t>(i)]);
    t::check_model_against_case(m, sequence_model());
}

TEST_CASE("a PReLU whose shared axes differ from the file: the check names the field, the loader the shape") {
    // No shared axes in C++: alpha (3, 4) against the file's (1, 4).
    Seq<float, SharedAxes<>> m;
    try {
        (void)io::load_keras_model(m, sequence_model() / "weights.h5");
        FAIL("the architecture check passed");
    } catch (const architecture_error& e) {
        CHECK(lines(e.differences) == lines({"p_re_lu_1: shared_axes () in C++, 1 in the file"}));
    }
    CHECK_THROWS_WITH_AS(io::load_keras_weights(m, sequence_model() / "weights.h5"), doctest::Contains("p_re_lu_1"),
                         shape_error);
    CHECK_THROWS_WITH_AS(io::load_keras_weights(m, sequence_model() / "weights.h5"), doctest::Contains("alpha"),
                         shape_error);
}

TEST_CASE("architecture check: RepeatVector n, Permute dims, PReLU shared_axes") {
    CHECK(diffs<Seq<float>>(config("4", "[2, 1]", "[1]")).empty());
    CHECK(diffs<Seq<float, SharedAxes<>>>(config("4", "[2, 1]", "null")).empty());
    CHECK(diffs<Seq<float, SharedAxes<>>>(config("4", "[2, 1]", "[]")).empty());
    CHECK(diffs<Seq<float, SharedAxes<1, 2>>>(config("4", "[2, 1]", "[1, 2]")).empty());

    CHECK(diffs<Seq<float>>(config("3", "[2, 1]", "[1]")) == lines({"repeat_vector_1: n 4 in C++, 3 in the file"}));
    CHECK(diffs<Seq<float>>(config("4", "[1, 2]", "[1]")) == lines({"permute_1: dims (2,1) in C++, (1,2) in the file"}));
    CHECK(diffs<Seq<float>>(config("4", "[2, 1]", "[2]")) == lines({"p_re_lu_1: shared_axes 1 in C++, 2 in the file"}));
    CHECK(diffs<Seq<float, SharedAxes<1, 2>>>(config("4", "[2, 1]", "[1]")) ==
          lines({"p_re_lu_1: shared_axes (1,2) in C++, 1 in the file"}));
    CHECK(diffs<Seq<float, SharedAxes<>>>(config("4", "[2, 1]", "[1]")) ==
          lines({"p_re_lu_1: shared_axes () in C++, 1 in the file"}));
    // Keras's default, null (no shared axis), against shared axes in C++.
    CHECK(diffs<Seq<float>>(config("4", "[2, 1]", "null")) == lines({"p_re_lu_1: shared_axes 1 in C++, () in the file"}));
    // every difference at once, one a line
    CHECK(diffs<Seq<float, SharedAxes<>, 2>>(config("3", "[1, 2]", "[1]")) ==
          lines({"repeat_vector_1: n 2 in C++, 3 in the file", "permute_1: dims (2,1) in C++, (1,2) in the file",
                 "p_re_lu_1: shared_axes () in C++, 1 in the file"}));
}

TEST_CASE("architecture check: a RepeatVector, Permute or PReLU field of the wrong type names the layer and field") {
    CHECK(contains(io_error_of<Seq<float>>(config("\"4\"", "[2, 1]", "[1]")),
                   "layer repeat_vector_1 (RepeatVector): config field 'n' should be a number"));
    CHECK(contains(io_error_of<Seq<float>>(config("[4, 4]", "[2, 1]", "[1]")),
                   "layer repeat_vector_1 (RepeatVector): config field 'n' should be a number"));
    CHECK(contains(io_error_of<Seq<float>>(config("4", "2", "[1]")),
                   "layer permute_1 (Permute): config field 'dims' should be a list of sizes"));
    CHECK(contains(io_error_of<Seq<float>>(config("4", "[2, \"1\"]", "[1]")),
                   "layer permute_1 (Permute): config field 'dims' should hold numbers"));
    CHECK(contains(io_error_of<Seq<float>>(config("4", "[2, 1]", "1")),
                   "layer p_re_lu_1 (PReLU): config field 'shared_axes' should be a list of sizes"));
}
