// The command line of innspect::cli::main for the Keras 3 fixtures' autoencoder (ae_model.hpp):
// what `innspect_add_keras_cli` generates, with the declaration written here.
#include <innspect/cli/main.hpp>

#include "ae_model.hpp"

int main(int argc, char** argv) { return innspect::cli::main<innspect::test::AE>(argc, argv, "innspect-cli-ae"); }
