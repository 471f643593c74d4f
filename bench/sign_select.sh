#!/usr/bin/env bash
# bench-sign-select for three instruction sets: SSE2 (the x86-64 default, what a build without
# -march flags gets), AVX2 + FMA, and this machine's own (-march=native). Needs g++ and Eigen only.
#   bash bench/sign_select.sh [OUT_DIR]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=${1:-/tmp/innspect-sign-select}
mkdir -p "$out"
eigen=$(pkg-config --cflags eigen3 2>/dev/null || echo -I/usr/include/eigen3)
for isa in "sse2:" "avx2:-mavx2 -mfma" "native:-march=native"; do
    name=${isa%%:*}
    flags=${isa#*:}
    # shellcheck disable=SC2086
    g++ -std=c++20 -O3 -DNDEBUG $flags -Iinclude $eigen bench/sign_kernels.cpp -o "$out/bench-sign-select-$name"
done
for name in sse2 avx2 native; do
    echo "== $name"
    "$out/bench-sign-select-$name"
done
