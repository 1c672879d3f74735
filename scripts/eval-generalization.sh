#!/usr/bin/env bash
# The generalization evaluation of a trained model: voices and noise sources that training never touched, at
# every input SNR from -5 to 30 dB and clean, next to speexdsp (docs/generalization.md).
#
# Usage: scripts/eval-generalization.sh OUT_DIR [nnse eval model options, e.g. --model models/se_nn_arch72_mel]
#   needs the corpora built by scripts/corpora/ (README "Evaluating generalization"):
#     data/corpora/unseen-eval     scripts/corpora/build-unseen-eval.sh (reserved packages: never train on them)
#     data/corpora/starter-groups  scripts/corpora/group-split.sh CORPUS data/corpora/starter-groups
# Writes OUT_DIR/{unseen,groups}.{txt,json}.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: scripts/eval-generalization.sh OUT_DIR [model options]}
shift
mkdir -p "$out"
nnse=${NNSE:-build/src/nnse}
common=(--split test --snr-sweep=-5,0,5,10,15,20,30,clean --clip-seconds 10 --reverb-prob 0 --seed 7 --threads 2)
# 100 speech files per noise type (the held-out splits draw a fifth of that per type): ~36 clips per SNR.
"$nnse" eval "$@" --corpus data/corpora/unseen-eval --datasize-noise 100 "${common[@]}" \
  --json "$out/unseen.json" > "$out/unseen.txt"
"$nnse" eval "$@" --corpus data/corpora/starter-groups --datasize-noise 100 "${common[@]}" \
  --json "$out/groups.json" > "$out/groups.txt"
echo "wrote $out/unseen.txt and $out/groups.txt"
