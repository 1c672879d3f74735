#!/usr/bin/env bash
# How the bundled noisy examples were made from the starter corpus TEST split (never used for training).
# Needs sox and /usr/bin/python3 with numpy. Usage: bash examples/make_examples.sh [CORPUS_DIR]
set -euo pipefail
corpus=${1:-$(dirname "$0")/../../shared/corpus}
out=$(cd "$(dirname "$0")" && pwd)
mix() {  # mix SPEECH NOISE NOISE_OFFSET_S SECONDS SNR_DB PEAK OUT
  local tmp; tmp=$(mktemp -d)
  sox "$corpus/$1" -t f32 -r 16000 -c 1 "$tmp/s.raw" trim 0 "$4"
  sox "$corpus/$2" -t f32 -r 16000 -c 1 "$tmp/n.raw" trim "$3" "$4"
  /usr/bin/python3 - "$tmp" "$5" "$6" <<'PY'
import sys, numpy as np
tmp, snr, peak = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
s = np.fromfile(tmp + "/s.raw", dtype=np.float32).astype(np.float64)
n = np.fromfile(tmp + "/n.raw", dtype=np.float32).astype(np.float64)
n = np.resize(n, s.shape)
frame = 320  # active speech level: mean power of the 20 ms frames within 40 dB of the loudest
p = np.array([np.mean(s[i:i + frame] ** 2) for i in range(0, len(s) - frame, frame)])
speech_power = p[p > p.max() * 1e-4].mean()
n *= np.sqrt(speech_power / np.mean(n ** 2) / 10 ** (snr / 10))
x = s + n
x *= peak / np.abs(x).max()
x.astype(np.float32).tofile(tmp + "/x.raw")
PY
  sox -t f32 -r 16000 -c 1 "$tmp/x.raw" -b 16 "$out/$7"
  rm -rf "$tmp"
}
mix speech/asterisk_en/vm-forwardoptions.flac noise/ufoai/city_abnd_ufoai_atm.flac 10 5.9 3 0.5 noisy_city_3dB.wav
mix speech/asterisk_en/tt-monkeys.flac noise/music_moh/macroform-the_simplicity.flac 30 8 5 0.4 noisy_music_5dB.wav
