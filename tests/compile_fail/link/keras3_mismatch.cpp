// expect: without_keras_archives::load_keras_files
// A program whose translation unit disagrees with innspect::keras_compiled about INNSPECT_KERAS3
// (the library reads .keras archives, this file is built as if it did not) must fail to link, not
// load files another way than the library would: io/keras_model.hpp's entry points live in an
// inline namespace named for the setting, and the library has only the other one.
#undef INNSPECT_KERAS3
#include <innspect/innspect.hpp>
#include <innspect/io/keras_model.hpp>

using M = innspect::Model<float, innspect::Input<4>, innspect::Dense<"d", 2>>;

int main(int argc, char** argv) {
    M m;
    if (argc > 1) (void)innspect::io::load_keras_model(m, argv[1]);
    return 0;
}
