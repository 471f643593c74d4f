// The subcommands for the seed model at W = 16 in float (one translation unit per instantiation).
#include "commands_impl.hpp"

INNSPECT_CONNECTOME_INSTANTIATE(float, 16)
