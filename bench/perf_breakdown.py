#!/usr/bin/env python3
"""Where the time goes, by category, for each workload of bench-profile's `loop` mode.

Runs `perf record` (time-based sampling, user and kernel) on `bench-profile loop WHAT BATCH SECONDS`
for each workload, then sorts the samples' symbols into buckets: Eigen GEMM, page faults and other
kernel time, the scalar libm expm1 (SELU), allFinite's scalar comparisons, malloc/free,
memcpy/memset, other Eigen elementwise loops, and innspect's own (inlined) code.

    bench/perf_breakdown.py BUILD/bench/bench-profile [--batch 32] [--seconds 4] [WHAT ...]

Needs `perf` (linux-perf) with permission to sample (root, or kernel.perf_event_paranoid <= 1
for kernel symbols). Sequential runs: shares within one workload are what to compare.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

BUCKETS = [
    ("GEMM (Eigen gebp/pack/gemv)", r"gebp_kernel|gemm_pack|general_matrix_vector|gemv|general_matrix_matrix|parallelize_gemm|gemm_functor"),
    ("kernel: page faults, mmap/brk", r"^\[kernel"),
    ("libm expm1f (scalar SELU before d6c5720)", r"^libm\S* \S*expm1"),
    ("allFinite (scalar compare + all())", r"scalar_cmp_op"),
    ("malloc/free", r"malloc|free|_int_|brk|systrim|sysmalloc|unlink_chunk|consolidate|tcache|aligned_alloc|memalign"),
    ("memcpy/memset", r"memcpy|memmove|memset"),
    ("other libm", r"^libm"),
    ("Eigen elementwise / reductions (not inlined)", r"call_dense_assignment_loop|redux|Eigen::"),
    ("innspect code (inlined layers, rules, model)", r"innspect"),
]


def categorize(lines):
    totals = {name: 0.0 for name, _ in BUCKETS}
    totals["other"] = 0.0
    top = []
    for line in lines:
        m = re.match(r"\s*([\d.]+)%\s+(\S+)\s+\[(.)\]\s+(.*)", line)
        if not m:
            continue
        pct, dso, kind, sym = float(m.group(1)), m.group(2), m.group(3), m.group(4).strip()
        key = ("[kernel] " if kind == "k" else dso + " ") + sym
        for name, rx in BUCKETS:
            if re.search(rx, key):
                totals[name] += pct
                break
        else:
            totals["other"] += pct
        top.append((pct, key))
    return totals, top


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("profile_binary")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--seconds", type=float, default=4)
    ap.add_argument("--top", type=int, default=6, help="also list this many hottest symbols")
    ap.add_argument("what", nargs="*",
                    default=["forward", "eps-logit", "eps-latent", "eps-recon", "ab-logit", "grad-logit", "ig-logit"])
    a = ap.parse_intermixed_args()
    with tempfile.TemporaryDirectory() as tmp:
        for what in a.what:
            data = os.path.join(tmp, what + ".data")
            run = subprocess.run(["perf", "record", "-q", "-F", "4000", "-o", data, a.profile_binary, "loop", what,
                                  str(a.batch), str(a.seconds)], capture_output=True, text=True)
            if run.returncode != 0:
                sys.exit(f"perf record failed for {what}: {run.stderr.strip()}")
            rep = subprocess.run(["perf", "report", "-i", data, "--no-children", "--sort", "dso,symbol", "--stdio",
                                  "--percent-limit", "0.05"], capture_output=True, text=True)
            totals, top = categorize(rep.stdout.splitlines())
            print(f"\n## {what}, batch {a.batch}: {run.stdout.strip()}")
            if not top:
                print(f"  perf report gave no samples: {rep.stderr.strip()[:300]}")
            for name, pct in sorted(totals.items(), key=lambda kv: -kv[1]):
                if pct >= 0.5:
                    print(f"  {pct:6.1f}%  {name}")
            print("  hottest symbols:")
            for pct, key in sorted(top, reverse=True)[: a.top]:
                print(f"  {pct:6.1f}%    {key[:110]}")


if __name__ == "__main__":
    main()
