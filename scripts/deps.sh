#!/usr/bin/env bash
# Installs the Debian packages innspect's build, tests, examples and reference scripts need,
# but only those missing: on a machine that has them all this does nothing and needs no network.
set -euo pipefail

packages=(
    cmake g++ make          # toolchain
    libeigen3-dev           # the one dependency of the library
    doctest-dev             # tests
    libhdf5-dev             # optional innspect::hdf5 (Keras weight files)
    libzip-dev pkg-config   # optional innspect::keras3 (Keras 3 .keras archives; found with pkg-config)
    nlohmann-json3-dev      # examples: reading Keras model configs
    libstb-dev libpng-dev   # examples: heatmap images
    python3-numpy python3-h5py  # tests/reference: the scripts that made the fixtures
    clang                   # fuzz/: libFuzzer harnesses (scripts/fuzz.sh)
)

missing=()
for p in "${packages[@]}"; do
    status=$(dpkg -s "$p" 2>/dev/null || true)
    [[ $status == *"Status: install ok installed"* ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
    echo "deps: all ${#packages[@]} packages present"
    exit 0
fi

echo "deps: installing ${missing[*]}"
sudo=()
if ((EUID != 0)); then
    command -v sudo >/dev/null || { echo "deps: not root and no sudo; install: ${missing[*]}" >&2; exit 1; }
    sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
