// The command line of innspect::cli::main for the Keras 3 fixtures' autoencoder (ae_model.hpp):
// what `innspect_add_keras_cli` generates, with the declaration written here. With
// INNSPECT_TEST_AE_RELU, the declaration that differs from the files in dec_out's activation.
#include <innspect/cli/main.hpp>

#include "ae_model.hpp"

int main(int argc, char** argv) {
#ifdef INNSPECT_TEST_AE_RELU
    return innspect::cli::main<innspect::test::AERelu>(argc, argv, "innspect-cli-ae-relu");
#else
    return innspect::cli::main<innspect::test::AE>(argc, argv, "innspect-cli-ae");
#endif
}
