// Every input that ever broke a loader, replayed as a test: fuzz/regressions/keras_h5/ (found by
// fuzz_keras_h5, fixed) and the two inputs of fuzz/known_libhdf5/ that crash or hang libhdf5
// 1.10.8 when a variable-length root attribute is read — the weight loader no longer reads those
// (it reads model_config / keras_version / backend only when asked), so loading weights from
// them must end in an innspect::error or a load, never a crash or a hang, and a failed load must
// leave the model untouched. (The third known input breaks libhdf5 on any attribute lookup and
// cannot be replayed safely: fuzz/known_libhdf5/README.md.)

#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

#include <innspect/io/keras_h5.hpp>

#include "../../fuzz/keras_h5_mock_model.hpp"

namespace fs = std::filesystem;

TEST_CASE("fuzz regressions: the weight loader ends every input with an error or a load, the model untouched on error") {
    const fs::path fuzz = fs::path(INNSPECT_TEST_DATA_DIR) / ".." / ".." / "fuzz";
    std::vector<fs::path> inputs{fuzz / "known_libhdf5" / "hang_global_heap_vlen_root_attr.h5",
                                 fuzz / "known_libhdf5" / "memcpy_overlap_global_heap_vlen_root_attr.h5"};
    for (const auto& e : fs::directory_iterator(fuzz / "regressions" / "keras_h5")) inputs.push_back(e.path());
    REQUIRE(inputs.size() >= 3);
    innspect::io::ReadLimits limits;
    limits.max_array_bytes = std::uint64_t{64} << 20;
    limits.max_attribute_bytes = std::uint64_t{16} << 20;
    for (const auto& path : inputs) {
        INFO(path.string());
        innspect::fuzz::Model model;
        bool failed = false;
        try {
            const innspect::io::KerasH5File file(path, limits);
            (void)innspect::io::load_keras_weights(model, file);
        } catch (const innspect::error&) {
            failed = true;
        }
        // These inputs are all broken: none may load, and none may load partly.
        CHECK(failed);
        CHECK(model.untouched());
    }
}

#if defined(INNSPECT_KERAS3)
#include <innspect/io/keras_archive.hpp>
#include <innspect/io/keras_json.hpp>  // parse_keras_model_config, keras3_plan
#include <innspect/io/keras_model.hpp>

TEST_CASE("fuzz regressions: the .keras reader ends every archive with an error or a load, the model untouched on error") {
    // What fuzz_keras_archive does, on its seeds (tests/data/keras3/, good and malformed) and on
    // whatever it ever found (fuzz/regressions/keras_archive/).
    const fs::path root = fs::path(INNSPECT_TEST_DATA_DIR) / ".." / "..";
    std::vector<fs::path> inputs;
    for (const auto& dir : {fs::path(INNSPECT_TEST_DATA_DIR) / "keras3", root / "fuzz" / "regressions" / "keras_archive"}) {
        std::error_code ec;
        if (!fs::is_directory(dir, ec)) continue;
        for (const auto& e : fs::directory_iterator(dir))
            if (e.path().extension() == ".keras" || dir.filename() == "keras_archive") inputs.push_back(e.path());
    }
    REQUIRE(inputs.size() >= 10);
    innspect::io::ReadLimits limits;
    limits.max_array_bytes = std::uint64_t{64} << 20;
    limits.max_member_bytes = std::uint64_t{64} << 20;
    for (const auto& path : inputs) {
        INFO(path.string());
        innspect::fuzz::Model model;
        try {
            const innspect::io::KerasArchive archive(path, limits);
            const auto file = archive.weights();
            const auto config = innspect::io::parse_keras_model_config(archive.config_json(), path.string());
            (void)innspect::io::load_keras_weights(model, file, innspect::io::keras3_plan(config));
        } catch (const innspect::error&) {
            CHECK(model.untouched());  // the mock model is no autoencoder: every input ends here
        }
    }
}
#endif
