#!/usr/bin/env bash
# Builds innspect and runs every test.
#
#   scripts/test.sh                 Release build (-O2; the test programs -Og) in build/, then ctest
#   scripts/test.sh --sanitize      ASan + UBSan build (-O0) in build-asan/ (no benchmarks), then ctest
#                                   (the library's test programs; the consumer, compile-fail and
#                                   command-line tests only run in the first, to keep CI short)
#   scripts/test.sh --tsan          ThreadSanitizer build in build-tsan/ of the threads program
#                                   (tests/threads/: threads sharing one model), then runs it
#   scripts/test.sh ... -- ARGS     ARGS go to ctest, e.g. -- -R conv2d  or  -- -L consumer
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

sanitize=0
tsan=0
ctest_args=()
while (($#)); do
    case "$1" in
        --sanitize) sanitize=1 ;;
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
if ((sanitize)); then
    build="build-asan"
    san="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all"
    # RelWithDebInfo, but at -O0 -g1 and without NDEBUG: readable stack traces, Eigen's own bounds
    # assertions on, and the quickest to compile: GCC 12 instruments Eigen's templates with ASan and
    # UBSan at -O1 3.4x slower than at -O0 (linear_conformance.cpp: 196 s vs 54 s, 2026-12-06),
    # while the whole test run is about a minute of CPU at -O1 and 4x that at -O0. Warnings are
    # the Release build's job (-Werror here would only add the sanitizers' false positives).
    configure=(
        -DCMAKE_BUILD_TYPE=RelWithDebInfo
        "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O0 -g1"
        "-DCMAKE_CXX_FLAGS=$san"
        "-DCMAKE_EXE_LINKER_FLAGS=$san"
        -DINNSPECT_HEADER_CHECK=OFF
        -DINNSPECT_BUILD_BENCH=OFF
        -DINNSPECT_BUILD_EXAMPLES=OFF
        -DINNSPECT_WERROR=OFF
        # The compiled Keras part is the header-only code compiled once (the same source, which
        # this build checks); its second copy of the h5 tests runs in the Release build only.
        -DINNSPECT_KERAS_COMPILED=OFF
    )
    ctest_filter=(-LE "^(consumer|compile_fail)$")
    # A size read from a broken file may make libhdf5 ask for petabytes: the allocator must return
    # null (as malloc does, and libhdf5 checks) rather than abort; libhdf5's own small leaks on
    # the error paths of broken files are not innspect's (fuzz/lsan.supp).
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
    export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/fuzz/lsan.supp}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
else
    build="build"
    # Benchmarks are programs, not tests: scripts/demo.sh and bench/README.md build them (bench/
    # compiles its programs at -O3 whatever the build type says). The tests are compiled at -O2,
    # not CMake's -O3: the same code paths (vectorised Eigen, NDEBUG) for 60 % of the compile time
    # (linear_conformance.cpp: 65 s vs 110 s); scripts/demo.sh uses the same flags, so the two
    # quick-start commands share their objects.
    # The test programs at -Og (tests/unity.cmake): they check values, not speed. GCC 12 compiles
    # them in 55-75 % of the time at -O1 (tests/layers' largest batch 111 s vs 197 s, the
    # allocation tests 172 s vs 236 s: bench/README.md, session 14), and the slower code costs
    # seconds (the allocation tests, the slowest program, 38-41 s at -O1 and 53-61 s at -Og).
    # The examples and the demo keep the Release flags (the consumer projects and the tests/cli
    # programs get the test programs' options after them).
    configure=(-DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=$INNSPECT_RELEASE_FLAGS" -DINNSPECT_BUILD_BENCH=OFF
               -DINNSPECT_TEST_CXX_OPTIONS=-Og)
    ctest_filter=()
fi

# A developer machine with ccache reuses objects between builds and git worktrees (the paths under
# the checkout's parent are hashed relative to it); CI has no ccache and builds from scratch.
if command -v ccache >/dev/null && [[ "${INNSPECT_CCACHE:-1}" != 0 ]]; then
    configure+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
    export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$(cd .. && pwd)}
fi
cmake -S . -B "$build" "${configure[@]}"
cmake --build "$build" --parallel "$jobs"
ctest --test-dir "$build" --output-on-failure --parallel "$jobs" "${ctest_filter[@]}" "${ctest_args[@]}"
