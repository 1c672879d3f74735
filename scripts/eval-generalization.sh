#!/usr/bin/env bash
# The generalization evaluation of a trained model: voices and noise sources that training never touched, at
# every input SNR from -5 to 30 dB and clean, next to speexdsp (docs/generalization.md).
#
# Usage: scripts/eval-generalization.sh OUT_DIR [nnse eval model options, e.g. --model models/se_nn_arch72_mel]
#   (any other nnse eval option too, e.g. RNNoise as the peer: --peer-cmd "node scripts/peers/rnnoise/rnnoise.mjs
#   {in} {out}" --peer-name rnnoise, after bash scripts/peers/rnnoise/setup.sh)
#   needs the corpora built by scripts/corpora/ (README "Evaluating generalization"):
#     data/corpora/unseen-eval     scripts/corpora/build-unseen-eval.sh (reserved packages: never train on them)
#     data/corpora/starter-groups  scripts/corpora/group-split.sh CORPUS data/corpora/starter-groups
#     data/corpora/unseen-babble   scripts/corpora/build-unseen-babble.sh data/corpora/unseen-babble (optional:
#                                  babble noise of unseen voices; skipped with a note when absent)
# Writes OUT_DIR/{unseen,groups}.{txt,json} and OUT_DIR/babble.{txt,json}.
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
if [[ -f data/corpora/unseen-babble/MANIFEST.tsv ]]; then
  # One noise type: 300 speech files give ~60 clips per SNR.
  "$nnse" eval "$@" --corpus data/corpora/unseen-babble --datasize-noise 300 "${common[@]}" \
    --json "$out/babble.json" > "$out/babble.txt"
else
  echo "note: no data/corpora/unseen-babble (scripts/corpora/build-unseen-babble.sh): babble set skipped" >&2
fi
echo "wrote $out/unseen.txt, $out/groups.txt and (when built) $out/babble.txt"
