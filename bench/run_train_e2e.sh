#!/usr/bin/env bash
# End-to-end training throughput (issue 17): `nnse train` on the starter corpus with on-the-fly mixing and
# augmentation, against the engine alone (bench/train_bench BM_TrainStep500/2: batch 32 x 500, 2 threads) and the
# machine's fp32 GEMM peak, measured in the same run; optionally against another nnse binary (the "before").
#
#   bench/run_train_e2e.sh [BUILD_DIR] [BASELINE_NNSE] [CORPUS]     (defaults: build, none, ../shared/corpus)
#
# Runs, for each configuration (wsdr and cmix without validation, wsdr with validation), the baseline binary (if
# given) and then this build, alternating, 2 epochs each in fresh model folders, under /usr/bin/time -v. Reports
# epoch 1 (epoch 0 also decodes the corpus into the cache): its seconds, training frames/s (265 clips x 1000
# frames; taken from the clip count nnse logs), the share of the engine benchmark's frames/s, the peak RSS of the
# whole run, its CPU time (user + system: on a shared machine the steadier figure), and the loss values of both
# epochs (equal between the binaries up to the last digits; see docs/perf-training.md).
#
# Wall-clock shares swing with other load on a shared machine, so each run also reports a load-independent pair
# from `--profile`: epoch 1's CPU-seconds in stages and the engine's part of them, and the frames per CPU-second
# end to end against the engine alone per CPU-second (BM_TrainStep/1: 1 thread, batch 32 x 250): the share of the
# engine's rate that an otherwise idle machine would see if data threads and engine overlapped perfectly.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
baseline=${2:-}
corpus=${3:-$here/../../shared/corpus}
nnse=$build/src/nnse
bench=$build/bench/train_bench
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), load $(cut -d' ' -f1-3 /proc/loadavg)"
"$bench" --benchmark_filter='BM_TrainStep500/2/|BM_TrainStep/1/|BM_GemmPeak/2/' --benchmark_format=json \
  --benchmark_out="$work/engine.json" --benchmark_out_format=json >/dev/null
engine=$(python3 -c 'import json,sys; b={x["name"]:x for x in json.load(open(sys.argv[1]))["benchmarks"]}; e=b["BM_TrainStep500/2/min_time:2.000/real_time"]; o=b["BM_TrainStep/1/min_time:3.000/real_time"]; g=b["BM_GemmPeak/2/min_time:2.000/real_time"]; print(e["frames/s"], g["flop/s"], e["macs/frame"], o["frames/s"] * o["real_time"] / o["cpu_time"])' "$work/engine.json")
read -r engine_fps gemm_flops macs engine_cpu_fps <<<"$engine"
python3 -c "import sys; e,g,m,c=map(float,sys.argv[1:]); print(f'engine alone (batch 32 x 500, 2 threads): {e:.0f} frames/s; fp32 GEMM peak {g/1e9:.1f} GFLOP/s = {g/(6*m):.0f} frames/s, engine at {e/(g/(6*m))*100:.0f}%; engine alone per CPU-second (1 thread): {c:.0f} frames')" "$engine_fps" "$gemm_flops" "$macs" "$engine_cpu_fps"

run() {  # label binary loss extra-args...
  local label=$1 bin=$2 loss=$3
  shift 3
  local dir=$work/$label-$loss-$RANDOM
  /usr/bin/time -v "$bin" train --nn-arch "$here/../nn_arch/def_se_nn_arch72_mel.txt" --corpus "$corpus" --on-the-fly \
    --datasize-noise 100 --clip-seconds 10 --eq-db 6 --batch-size 32 --chunk-frames 500 --epochs 2 --loss "$loss" \
    --threads 2 --models-dir "$dir" --profile "$@" >"$dir.out" 2>"$dir.err"
  python3 - "$dir.out" "$dir.err" "$label" "$loss $*" "$engine_fps" "$dir/se_nn_arch72_mel/loss_history.csv" "$engine_cpu_fps" <<'PY'
import re, sys
out, err = open(sys.argv[1]).read(), open(sys.argv[2]).read()
clips = int(re.search(r"on (\d+) clips", err).group(1))
epochs = re.findall(r"epoch (\d+): train loss (\S+), valid loss (\S+) \| (\d+) steps.*?\| ([\d.]+) s, data wait ([\d.]+)%", out)
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", err).group(1)) / 1024
stats = "reused" if "feature statistics of this data recipe" in err else "computed"
cpu = float(re.search(r"User time \(seconds\): ([\d.]+)", err).group(1)) + float(re.search(r"System time \(seconds\): ([\d.]+)", err).group(1))
e = epochs[-1]
fps = clips * 1000 / float(e[4])
# The history file holds 9 significant digits: what "unchanged" is checked on.
losses = " ".join(l.split(",", 1)[1] for l in open(sys.argv[6]).read().split()[1:])
# Epoch 1's profile: CPU-seconds in stages and the engine's (forward+backward) part.
profile = out[out.index(f"profile epoch {e[0]}:"):]
stages_cpu = float(re.search(r"profile epoch \d+: ([\d.]+) CPU-s", profile).group(1))
engine_cpu = float(re.search(r"forward\+backward +([\d.]+) CPU-s", profile).group(1))
per_cpu = clips * 1000 / stages_cpu
print(f"  {sys.argv[4]:<14} {sys.argv[3]:<8} epoch {e[0]}: {float(e[4]):5.1f} s, {fps:7.0f} frames/s = {fps / float(sys.argv[5]) * 100:4.1f}% of the engine, "
      f"data wait {e[5]}%, whole run {cpu:.1f} CPU-s, peak RSS {rss:.0f} MiB, stats {stats}; losses (train/valid) {losses}")
print(f"  {'':<14} {'':<8} epoch {e[0]} profile: {stages_cpu:.2f} CPU-s, engine {engine_cpu:.2f} ({engine_cpu / stages_cpu * 100:.0f}%); "
      f"{per_cpu:.0f} frames per CPU-s = {per_cpu / float(sys.argv[7]) * 100:.0f}% of the engine alone per CPU-s")
PY
}

for config in "wsdr --no-valid" "cmix --no-valid" "wsdr"; do
  read -r loss extra <<<"$config"
  if [[ -n $baseline ]]; then run before "$baseline" "$loss" $extra; fi
  run after "$nnse" "$loss" $extra
done
