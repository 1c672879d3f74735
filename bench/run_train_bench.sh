#!/usr/bin/env bash
# Training throughput: nnse's engine (bench/train_bench.cpp) against PyTorch (bench/torch_train_peer.py) on the
# reference arch, batch 32 x 250 frames, 1 and 2 threads each, in one run; then nnse's peak RSS at batch 32 x 500.
#
#   bench/run_train_bench.sh [BUILD_DIR] [ROUNDS]      (defaults: build, 3)
#
# The runs alternate (nnse 1, nnse 2, torch 1, torch 2) for ROUNDS rounds and each configuration reports its best
# round, so a burst of load from other processes hurts both sides alike. Prints frames/s per configuration and
# the ratio nnse(2 threads) / best torch, and nnse's share of this machine's fp32 matrix-product peak (BM_GemmPeak,
# measured in each round: 6 flops per multiply-accumulate and frame, forward 2 and backward 4).
#
# Debian's torch does its matrix products with whatever libblas.so.3 resolves to. With only the reference (netlib)
# BLAS installed it is ~20x slower than with OpenBLAS, which would make the comparison meaningless, so the peer
# runs on OpenBLAS: the system's (package libopenblas0-pthread) or the folder in NNSE_TORCH_BLAS_DIR holding its
# libblas.so.3 (e.g. from `apt-get download libopenblas0-pthread && dpkg -x libopenblas0-pthread_*.deb DIR`, then
# DIR/usr/lib/x86_64-linux-gnu/openblas-pthread). The BLAS torch used is printed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
rounds=${2:-3}
bench=$build/bench/train_bench
python=/usr/bin/python3
[[ -x $bench ]] || { echo "missing $bench (build the train_bench target)" >&2; exit 1; }

blas_dir=""
for dir in "${NNSE_TORCH_BLAS_DIR:-}" /usr/lib/x86_64-linux-gnu/openblas-pthread /usr/lib/x86_64-linux-gnu/openblas-openmp; do
  if [[ -n $dir && -e $dir/libblas.so.3 ]]; then blas_dir=$dir; break; fi
done
if [[ -z $blas_dir ]]; then
  echo "warning: no OpenBLAS found; torch runs on the reference BLAS and the comparison is unfair to it" >&2
fi

results=$(mktemp)
trap 'rm -f "$results" "$results.json"' EXIT
nnse_run() {  # threads
  "$bench" --benchmark_filter="BM_TrainStep/$1/" --benchmark_format=json \
    --benchmark_out="$results.json" --benchmark_out_format=json >/dev/null
  "$python" -c 'import json,sys; b=json.load(open(sys.argv[1]))["benchmarks"][0]; print("nnse", sys.argv[2], b["frames/s"], b["frames/cpu-s"], b["macs/frame"])' \
    "$results.json" "$1" >>"$results"
}
gemm_run() {  # threads
  "$bench" --benchmark_filter="BM_GemmPeak/$1/" --benchmark_format=json \
    --benchmark_out="$results.json" --benchmark_out_format=json >/dev/null
  "$python" -c 'import json,sys; b=json.load(open(sys.argv[1]))["benchmarks"][0]; print("gemm", sys.argv[2], b["flop/s"], 0)' \
    "$results.json" "$1" >>"$results"
}
torch_run() {  # threads
  local line
  line=$(LD_LIBRARY_PATH=${blas_dir}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} \
         "$python" "$here/torch_train_peer.py" --threads "$1" --seconds 6)
  echo "  $line" >&2
  echo "torch $1 $(sed -n 's/.* frames\/s=\([0-9.]*\).*/\1/p' <<<"$line") $(sed -n 's/.*frames_per_cpu_s=\([0-9.]*\).*/\1/p' <<<"$line")" >>"$results"
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for ((round = 1; round <= rounds; ++round)); do
  echo "round $round/$rounds" >&2
  nnse_run 1
  nnse_run 2
  torch_run 1
  torch_run 2
  gemm_run 2
done

"$python" - "$results" <<'EOF'
import sys
best, samples, per_cpu, macs = {}, {}, {}, 0.0
for line in open(sys.argv[1]):
    who, threads, rate, cpu_rate, *extra = line.split()
    if extra:
        macs = float(extra[0])
    if who == "gemm":
        best["gemm"] = max(best.get("gemm", 0.0), float(rate))
        continue
    key = (who, int(threads))
    samples.setdefault(key, []).append(float(rate))
    best[key] = max(best.get(key, 0.0), float(rate))
    per_cpu[key] = max(per_cpu.get(key, 0.0), float(cpu_rate))
print("training throughput, reference arch, batch 32 x 250 frames (best of rounds; all rounds in brackets)")
for key in sorted(k for k in best if k != "gemm"):
    rounds = ", ".join(f"{r / 1000:.1f}k" for r in samples[key])
    print(f"  {key[0]:5s} {key[1]} thread{'s' if key[1] > 1 else ' '}  {best[key]:9.0f} frames/s   [{rounds}]")
torch_best = max(best.get(("torch", 1), 0.0), best.get(("torch", 2), 0.0))
if torch_best > 0 and ("nnse", 2) in best:
    print(f"ratio nnse(2 threads) / best torch = {best[('nnse', 2)] / torch_best:.2f}")
if best.get("gemm", 0) > 0 and macs > 0:
    limit = best["gemm"] / (6.0 * macs)
    print(f"fp32 GEMM peak (Eigen, 2 threads, 1024^3) {best['gemm'] / 1e9:.1f} GFLOP/s = {limit / 1000:.0f}k frames/s "
          f"at {6.0 * macs / 1e6:.2f} MFLOP per training frame: nnse(2 threads) reaches "
          f"{best.get(('nnse', 2), 0) / limit * 100:.0f}%")
# Frames per CPU-second of the 1-thread runs: what one core does, whatever else runs on the machine.
n1, t1 = per_cpu.get(("nnse", 1), 0.0), per_cpu.get(("torch", 1), 0.0)
if n1 > 0 and t1 > 0:
    print(f"per core (1 thread, frames per CPU-second): nnse {n1:.0f}, torch {t1:.0f}, ratio {n1 / t1:.2f}")
EOF

if [[ -x /usr/bin/time ]]; then
  rss=$(/usr/bin/time -v "$bench" --benchmark_filter='BM_TrainStep500/2/' 2>&1 >/dev/null |
        sed -n 's/.*Maximum resident set size (kbytes): *//p')
  echo "peak RSS, batch 32 x 500 frames, 2 threads: $((rss / 1024)) MiB"
else
  echo "peak RSS: /usr/bin/time not found"
fi
