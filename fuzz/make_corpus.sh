#!/usr/bin/env bash
# Seed corpora for the fuzz harnesses, from files in the repository:
#   fuzz/make_corpus.sh OUT      writes OUT/npy, OUT/keras_h5, OUT/h5_metadata, OUT/model_config,
#                                OUT/keras_archive
# npy: tests/data/**/*.npy (numpy-written fixtures) + the hostile .npy files; keras_h5: every .h5
# fixture + the hostile .h5 files; h5_metadata: the same .h5 files (model.save() ones first);
# model_config: the model_config JSON of every .h5 under tests/data (fuzz/extract_model_configs.py,
# needs /usr/bin/python3 with h5py) + the hand-written documents of fuzz/seeds/model_config/;
# keras_archive: tests/data/keras3/*.keras (good and malformed archives).
# Files found by fuzzing are kept in fuzz/regressions/<harness>/ and copied too.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:?usage: make_corpus.sh OUT}"
mkdir -p "$out/npy" "$out/keras_h5" "$out/h5_metadata" "$out/model_config" "$out/keras_archive"
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
cp "$root"/fuzz/seeds/model_config/*.json "$out/model_config/"
mapfile -t archives < <(find "$root/tests/data/keras3" -name '*.keras' -size -64k | sort)
seed "$out/keras_archive" "${archives[@]}"
mapfile -t all_h5s < <(find "$root/tests/data" -name '*.h5' | sort)
if /usr/bin/python3 -c 'import h5py' 2> /dev/null; then
  /usr/bin/python3 "$root/fuzz/extract_model_configs.py" "$out/model_config" "$root" "${all_h5s[@]}"
else
  echo "make_corpus.sh: no h5py for /usr/bin/python3 (apt-get install python3-h5py): model_config seeds are the hand-written ones only" >&2
fi
for h in npy keras_h5 h5_metadata model_config keras_archive; do
  if [ -d "$root/fuzz/regressions/$h" ]; then cp "$root/fuzz/regressions/$h"/* "$out/$h/" 2>/dev/null || true; fi
done
echo "corpora in $out: $(ls "$out/npy" | wc -l) npy, $(ls "$out/keras_h5" | wc -l) keras_h5, $(ls "$out/h5_metadata" | wc -l) h5_metadata, $(ls "$out/model_config" | wc -l) model_config, $(ls "$out/keras_archive" | wc -l) keras_archive"
