#!/usr/bin/env bash
# Seed corpora for the fuzz harnesses, from files in the repository:
#   fuzz/make_corpus.sh OUT      writes OUT/npy, OUT/keras_h5, OUT/h5_metadata
# npy: tests/data/**/*.npy (numpy-written fixtures) + the hostile .npy files; keras_h5: every .h5
# fixture + the hostile .h5 files; h5_metadata: the same .h5 files (model.save() ones first).
# Files found by fuzzing are kept in fuzz/regressions/<harness>/ and copied too.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:?usage: make_corpus.sh OUT}"
mkdir -p "$out/npy" "$out/keras_h5" "$out/h5_metadata"
# Small files only (libFuzzer truncates seeds beyond -max_len); named after their path, which is unique.
seed() {  # seed DIR FILE...
  local dir="$1"; shift
  for f in "$@"; do cp "$f" "$dir/$(realpath --relative-to="$root" "$f" | tr '/' '_')"; done
}
mapfile -t npys < <(find "$root/tests/data" -name '*.npy' -size -64k | sort)
mapfile -t h5s < <(find "$root/tests/data/h5" "$root/tests/data/hostile" -name '*.h5' -size -64k | sort)
seed "$out/npy" "${npys[@]}"
seed "$out/keras_h5" "${h5s[@]}"
seed "$out/h5_metadata" "${h5s[@]}"
for h in npy keras_h5 h5_metadata; do
  if [ -d "$root/fuzz/regressions/$h" ]; then cp "$root/fuzz/regressions/$h"/* "$out/$h/" 2>/dev/null || true; fi
done
echo "corpora in $out: $(ls "$out/npy" | wc -l) npy, $(ls "$out/keras_h5" | wc -l) keras_h5, $(ls "$out/h5_metadata" | wc -l) h5_metadata"
