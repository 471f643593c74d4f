#!/usr/bin/env bash
# Builds innspect (Release, build/, as scripts/test.sh does) and runs the connectome example.
#   scripts/demo.sh            runs `innspect-connectome demo`
#   scripts/demo.sh ARGS...    runs `innspect-connectome ARGS...`
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/deps.sh
source scripts/release_flags.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=$INNSPECT_RELEASE_FLAGS"
cmake --build build --parallel "$(nproc)" --target innspect-connectome

demo=build/examples/connectome/innspect-connectome
if [[ ! -x $demo ]]; then
    echo "demo.sh: $demo was not built (is examples/connectome in the tree?)" >&2
    exit 1
fi
if (($#)); then args=("$@"); else args=(demo); fi
exec "$demo" "${args[@]}"
