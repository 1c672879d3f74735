#!/usr/bin/env bash
# Data-parallel training over processes on one machine (issue 15, docs/scale-out.md): one process with 2 engine
# threads against `mpirun -np 2` with 1 engine thread each, the same whole batch (32 x 500), end to end on the
# starter corpus with on-the-fly mixing, 2 epochs each in fresh model folders, alternating, ROUNDS times.
#
#   [MPI_BINDING="--bind-to none"] bench/run_train_mpi.sh [BUILD_DIR] [CORPUS] [ROUNDS]
#                                                      (defaults: build, ../shared/corpus, 3)
#
# Reports epoch 1 (epoch 0 also decodes the corpus into the cache) of each run: seconds, training frames/s (clips x
# 1000 frames, the clip count from nnse's log), the CPU-seconds of the whole run (both epochs, all processes: a
# figure that depends less on other load than the wall clock), the machine's load average before the run, and
# the ratio of the two set-ups within each round. Data threads: 2 in the one process, 1 per rank (2 in all).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
corpus=${2:-$here/../../shared/corpus}
rounds=${3:-3}
nnse=$build/src/nnse
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
common=(train --nn-arch "$here/../nn_arch/def_se_nn_arch72_mel.txt" --corpus "$corpus" --on-the-fly --datasize-noise 100
        --clip-seconds 10 --eq-db 6 --batch-size 32 --chunk-frames 500 --loss wsdr --no-valid
        --progress-seconds 0 --stats-cache-dir "$work/stats")
root=()
[[ $(id -u) -eq 0 ]] && root=(--allow-run-as-root)
# Open MPI binds each of 2 ranks to one core by default, so a rank's engine and data threads share it; MPI_BINDING
# passes other mpirun options (docs/scale-out.md measures both: default and --bind-to none).
read -r -a binding <<<"${MPI_BINDING:-}"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"

epoch1() {  # out err -> "seconds frames/s"
  python3 - "$1" "$2" <<'PY'
import re, sys
out, err = open(sys.argv[1]).read(), open(sys.argv[2]).read()
clips = int(re.search(r"on (\d+) clips", err).group(1))
e = re.findall(r"epoch (\d+): train loss (\S+), .*?\| ([\d.]+) s,", out)[-1]
print(f"{float(e[2]):.1f} {clips * 1000 / float(e[2]):.0f} {e[1]}")
PY
}

"$nnse" "${common[@]}" --threads 2 --epochs 1 --models-dir "$work/warm" >/dev/null 2>&1  # statistics cached, files warm
for round in $(seq "$rounds"); do
  load=$(cut -d' ' -f1 /proc/loadavg)
  /usr/bin/time -f "cpu %U %S" -o "$work/one.cpu" "$nnse" "${common[@]}" --epochs 2 --threads 2 --data-threads 2 \
    --models-dir "$work/one-$round" >"$work/one.out" 2>"$work/one.err"
  read -r one_s one_fps one_loss <<<"$(epoch1 "$work/one.out" "$work/one.err")"
  one_cpu=$(awk '/^cpu/ {print $2 + $3}' "$work/one.cpu")
  load2=$(cut -d' ' -f1 /proc/loadavg)
  /usr/bin/time -f "cpu %U %S" -o "$work/two.cpu" mpirun "${root[@]}" "${binding[@]}" -np 2 "$nnse" "${common[@]}" \
    --epochs 2 --threads 1 --data-threads 1 --models-dir "$work/two-$round" >"$work/two.out" 2>"$work/two.err"
  read -r two_s two_fps two_loss <<<"$(epoch1 "$work/two.out" "$work/two.err")"
  two_cpu=$(awk '/^cpu/ {print $2 + $3}' "$work/two.cpu")
  echo "round $round: 1 process x 2 threads: $one_s s, $one_fps frames/s, run $one_cpu CPU-s (load $load, loss $one_loss)" \
       "| 2 ranks x 1 thread ${binding[*]}: $two_s s, $two_fps frames/s, run $two_cpu CPU-s (load $load2, loss $two_loss)" \
       "| frames/s ratio $(python3 -c "print(f'{$two_fps / $one_fps:.2f}')"), CPU ratio $(python3 -c "print(f'{$two_cpu / $one_cpu:.2f}')")"
done
