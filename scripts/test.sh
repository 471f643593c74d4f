#!/usr/bin/env bash
# Builds innspect and runs every test.
#
#   scripts/test.sh                 Release build (-O2) in build/, then ctest. The test programs are
#                                   compiled at -O0 -g1 under ASan + UBSan (the allocation tests
#                                   and the compiled-Keras tests at -Og without them: see below)
#   scripts/test.sh --tsan          ThreadSanitizer build in build-tsan/ of the threads program
#                                   (tests/threads/: threads sharing one model), then runs it
#   scripts/test.sh ... -- ARGS     ARGS go to ctest, e.g. -- -R conv2d  or  -- -L consumer
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

tsan=0
ctest_args=()
while (($#)); do
    case "$1" in
        --tsan) tsan=1 ;;
        --) shift; ctest_args=("$@"); break ;;
        -h | --help) sed -n '2,10s/^# \{0,1\}//p' "$0"; exit 0 ;;
        *) echo "test.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
    shift
done

bash scripts/deps.sh
source scripts/release_flags.sh

jobs=$(nproc)
if ((tsan)); then
    san="-fsanitize=thread -fno-omit-frame-pointer"
    cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1" \
        "-DCMAKE_CXX_FLAGS=$san" "-DCMAKE_EXE_LINKER_FLAGS=$san" -DINNSPECT_HEADER_CHECK=OFF \
        -DINNSPECT_BUILD_BENCH=OFF -DINNSPECT_BUILD_EXAMPLES=OFF -DINNSPECT_WERROR=OFF
    cmake --build build-tsan --target innspect_thread_tests --parallel "$jobs"
    TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1} build-tsan/tests/innspect_thread_tests
    exit 0
fi
# The test programs run under AddressSanitizer and UndefinedBehaviorSanitizer in this one build
# (INNSPECT_TEST_SANITIZE, tests/unity.cmake), at -O0 -g1 and without NDEBUG: readable stack
# traces, Eigen's own bounds assertions on, and the quickest to compile (GCC 12 instruments
# Eigen's templates with ASan and UBSan at -O1 3.4x slower than at -O0: linear_conformance.cpp
# 196 s vs 54 s, 2026-12-06). CI used to build them a second time at -Og without sanitizers; one
# build of them is half of CI's compile time (bench/README.md, "CI time", session 15). Eigen
# vectorises at -O0 too (its packet code is explicit), so the values checked are those of the
# optimised code path.
# Not sanitized: the allocation tests (they count heap calls by replacing malloc, as ASan does) and
# the compiled-Keras tests (the library they test is compiled with the Release flags; the same
# test source runs sanitized against the header-only code), both at the test programs' -Og; the
# examples, the demo, the command-line test programs and the consumer projects, which check
# behaviour and packaging at the Release flags (the latter two at -Og, INNSPECT_TEST_CXX_OPTIONS).
# Benchmarks are programs, not tests: scripts/demo.sh and bench/README.md build them (bench/
# compiles its programs at -O3 whatever the build type says). The rest is compiled at -O2, not
# CMake's -O3: the same code paths (vectorised Eigen, NDEBUG) for 60 % of the compile time;
# scripts/demo.sh uses the same flags, so the two quick-start commands share their objects.
# UBSan without its null and alignment checks: they cost a quarter of a batch's compile (bench/
# README.md, session 14), and what they alone would see is silent on x86-64 (a reference bound
# through a null pointer and never read, a misaligned scalar access; a null access still faults
# under ASan, a misaligned Eigen packet access faults too). The code that reads raw bytes, the file
# readers, runs with every check in scripts/fuzz.sh's harnesses and replays.
san="-fsanitize=address,undefined -fno-sanitize=null,alignment -fno-omit-frame-pointer -fno-sanitize-recover=all"
configure=(-DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=$INNSPECT_RELEASE_FLAGS" -DINNSPECT_BUILD_BENCH=OFF
           -DINNSPECT_TEST_CXX_OPTIONS=-Og "-DINNSPECT_TEST_SANITIZE=-O0;-g1;-UNDEBUG;${san// /;}")
# The sanitizers' options the tests need (the allocator returns null for libhdf5's petabyte
# requests from broken files, libhdf5's own leaks suppressed) are built into the sanitized
# programs (tests/support/sanitizer_defaults.cpp): ctest, a program run by hand and the test
# discovery at build time run them alike, without variables set here.

# A developer machine with ccache reuses objects between builds and git worktrees (the paths under
# the checkout's parent are hashed relative to it); CI has no ccache and builds from scratch.
if command -v ccache >/dev/null && [[ "${INNSPECT_CCACHE:-1}" != 0 ]]; then
    configure+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
    export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$(cd .. && pwd)}
fi
cmake -S . -B build "${configure[@]}"
cmake --build build --parallel "$jobs"
ctest --test-dir build --output-on-failure --parallel "$jobs" "${ctest_args[@]}"
