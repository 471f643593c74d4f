# shellcheck shell=bash
# The Release flags of build/, shared by scripts/test.sh and scripts/demo.sh so that the quick
# start's two commands build the same objects once: -O2 (GCC compiles the test programs in 60 % of
# -O3's time, same vectorised Eigen code paths). Benchmarks add -O3 themselves (bench/CMakeLists.txt).
INNSPECT_RELEASE_FLAGS="-O2 -DNDEBUG"
