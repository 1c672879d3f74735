#!/usr/bin/env bash
# The README's main job: install what is needed, build, and enhance the bundled noisy examples with the
# bundled model, writing enhanced wavs and pictures to test_results/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh build
for input in examples/*.wav; do
  ./build/src/nnse test --recording 0 --test-wavefile "$input" --model models/se_nn_arch72_mel
done
echo "done: enhanced audio and pictures are in test_results/"
ls -l test_results/
