// The subcommands for the seed model at W = 90 in double (one translation unit per instantiation).
#include "commands_impl.hpp"

INNSPECT_CONNECTOME_INSTANTIATE(double, 90)
