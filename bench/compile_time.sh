#!/usr/bin/env bash
# Compile-time benchmark (a benchmark, not a test: CMake/CTest never run it).
#
#   bench/compile_time.sh [--repeat N] [--ref GITREF]
#
# Compiles each program of bench/compile/ N times (default 3) to an object file (-c: linking is
# not measured) with the project's flags and prints, per program, the median and the minimum CPU
# seconds (user + sys), the median wall seconds and the largest peak RSS (MiB), all measured by
# /usr/bin/time. The machine may be busy: CPU seconds are more robust than wall seconds.
#
# What is measured:
#   no --ref      the working tree: its include/ and bench/compile/*.cpp, uncommitted edits
#                 included (the commit is then printed with "+dirty").
#   --ref GITREF  the library as of GITREF: GITREF's include/ is extracted with `git archive` into
#                 a temporary directory. Each program is GITREF's own bench/compile/<name>.cpp
#                 when GITREF has it; a ref older than the benchmark lacks them, and then the
#                 CURRENT tree's bench/compile/<name>.cpp is compiled against GITREF's include/.
#                 The "source" column says which.
#
# conv_autoencoder21_compiled is conv_autoencoder21.cpp again with -DINNSPECT_KERAS_COMPILED: the
# program as it compiles when it links innspect::keras_compiled (the Keras loading code compiled
# once, in that library; the library itself is not measured). A ref without the compiled mode
# ignores the define: the program then compiles as conv_autoencoder21.
#
# Environment: CXX (default g++). Compiler and flags are printed with the results.

set -euo pipefail

usage() { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; }

repeat=3
ref=""
while (($#)); do
    case "$1" in
        --repeat) repeat="${2:?--repeat needs a number}"; shift 2 ;;
        --repeat=*) repeat="${1#*=}"; shift ;;
        --ref) ref="${2:?--ref needs a git ref}"; shift 2 ;;
        --ref=*) ref="${1#*=}"; shift ;;
        -h | --help) usage; exit 0 ;;
        *) echo "compile_time.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done
if ! [[ "$repeat" =~ ^[1-9][0-9]*$ ]]; then
    echo "compile_time.sh: --repeat must be a positive integer, got '$repeat'" >&2
    exit 2
fi

timer=/usr/bin/time
if ! [[ -x "$timer" ]]; then
    echo "compile_time.sh: $timer not found (Debian/Ubuntu: apt-get install time)" >&2
    exit 1
fi

root="$(git -C "$(dirname "${BASH_SOURCE[0]}")" rev-parse --show-toplevel)"
programs=(seed_three_analyzers conv_autoencoder21 conv_autoencoder21_compiled)
# a program's source file (bench/compile/<file>.cpp) and extra flags, when not its own name and none
declare -A file_of=([conv_autoencoder21_compiled]=conv_autoencoder21)
declare -A extra_flags=([conv_autoencoder21_compiled]=-DINNSPECT_KERAS_COMPILED)

work="$(mktemp -d "${TMPDIR:-/tmp}/innspect-compile-time.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# ---- what to compile: the include/ directory and one source per program ------------------------

declare -A src origin
if [[ -n "$ref" ]]; then
    commit="$(git -C "$root" rev-parse --verify --quiet "${ref}^{commit}")" || {
        echo "compile_time.sh: '$ref' is not a commit in $root" >&2
        exit 1
    }
    git -C "$root" archive --format=tar "$commit" include | tar -x -C "$work"
    include="$work/include"
    mkdir -p "$work/src"
    for p in "${programs[@]}"; do
        f="${file_of[$p]:-$p}"
        if git -C "$root" cat-file -e "$commit:bench/compile/$f.cpp" 2>/dev/null; then
            git -C "$root" show "$commit:bench/compile/$f.cpp" >"$work/src/$f.cpp"
            src[$p]="$work/src/$f.cpp"
            origin[$p]="ref"
        else
            src[$p]="$root/bench/compile/$f.cpp"
            origin[$p]="current tree"
        fi
    done
    label="$(git -C "$root" rev-parse --short=12 "$commit") (--ref $ref)"
else
    include="$root/include"
    for p in "${programs[@]}"; do
        src[$p]="$root/bench/compile/${file_of[$p]:-$p}.cpp"
        origin[$p]="working tree"
    done
    label="$(git -C "$root" rev-parse --short=12 HEAD)"
    if [[ -n "$(git -C "$root" status --porcelain -- include bench/compile)" ]]; then
        label+="+dirty (uncommitted changes in include/ or bench/compile/)"
    fi
fi

# ---- flags: the project's (CMakeLists.txt, bench/CMakeLists.txt) --------------------------------

cxx="${CXX:-g++}"
if pkg-config --exists hdf5 2>/dev/null; then
    read -r -a hdf5_flags <<<"$(pkg-config --cflags hdf5)"
else
    hdf5_flags=(-I/usr/include/hdf5/serial)
fi
# Eigen as a system directory, as CMake's Eigen3::Eigen target gives it; nlohmann/json.hpp is
# found in /usr/include.
flags=(-std=c++20 -O3 -march=native -DNDEBUG -I"$include" -isystem /usr/include/eigen3 "${hdf5_flags[@]}")

# ---- measure -----------------------------------------------------------------------------------

# median of the numbers on stdin (mean of the two middle ones for an even count)
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "innspect compile time: $label"
echo "compiler: $("$cxx" --version | head -n 1)"
echo "flags:    $cxx ${flags[*]} -c PROGRAM.cpp"
for p in "${programs[@]}"; do
    if [[ -n "${extra_flags[$p]:-}" ]]; then echo "          $p: ${file_of[$p]:-$p}.cpp with ${extra_flags[$p]}"; fi
done
echo "machine:  $(nproc) cores, load average $(cut -d ' ' -f 1-3 /proc/loadavg) at start; $repeat run(s) per program"
echo

declare -A cpu_med cpu_min wall_med rss_max
for p in "${programs[@]}"; do
    : >"$work/$p.runs"
    for ((i = 1; i <= repeat; i++)); do
        # %U user s, %S system s, %e wall s, %M peak resident set size in KiB
        if ! "$timer" -f '%U %S %e %M' -o "$work/time.txt" \
            "$cxx" "${flags[@]}" ${extra_flags[$p]:-} -c "${src[$p]}" -o "$work/$p.o" 2>"$work/$p.err"; then
            echo "compile_time.sh: $p.cpp does not compile (${origin[$p]} source, include/ of $label):" >&2
            tail -n 30 "$work/$p.err" >&2
            exit 1
        fi
        # the last line: /usr/bin/time puts "Command exited ..." lines before it on failure
        read -r user sys wall rss < <(tail -n 1 "$work/time.txt")
        cpu="$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')"
        echo "$cpu $wall $rss" >>"$work/$p.runs"
        printf '  %-28s run %d/%d: cpu %6.2f s  wall %6.2f s  peak %7.1f MiB\n' \
            "$p" "$i" "$repeat" "$cpu" "$wall" "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')" >&2
    done
    cpu_med[$p]="$(cut -d ' ' -f 1 "$work/$p.runs" | median)"
    cpu_min[$p]="$(cut -d ' ' -f 1 "$work/$p.runs" | sort -g | head -n 1)"
    wall_med[$p]="$(cut -d ' ' -f 2 "$work/$p.runs" | median)"
    rss_max[$p]="$(cut -d ' ' -f 3 "$work/$p.runs" | sort -g | tail -n 1)"
done

echo
printf '| %-32s | %-12s | %11s | %11s | %12s | %18s | %4s |\n' \
    program source "CPU s (med)" "CPU s (min)" "wall s (med)" "peak RSS MiB (max)" runs
echo "|----------------------------------|--------------|-------------|-------------|--------------|--------------------|------|"
for p in "${programs[@]}"; do
    printf '| %-32s | %-12s | %11.2f | %11.2f | %12.2f | %18.1f | %4d |\n' "$p" "${origin[$p]}" \
        "${cpu_med[$p]}" "${cpu_min[$p]}" "${wall_med[$p]}" "$(awk -v k="${rss_max[$p]}" 'BEGIN { print k / 1024 }')" \
        "$repeat"
done
echo
echo "commit: $label"
echo "load average at end: $(cut -d ' ' -f 1-3 /proc/loadavg) ($(nproc) cores; other processes inflate wall time more than CPU time)"
