#!/bin/sh
# The Cortex-M4 tests (ctest runtime.cortex_m4.*), each a firmware cross-compiled and run under qemu:
#   check.sh golden WORK_DIR    the golden vectors (runtime/tests/golden_vectors.c) reproduced bit for bit
#   check.sh kernels WORK_DIR   the DSP-extension kernels against the portable ones, random and extreme layers
#   check.sh enhance NNSE_BINARY MODEL_DIR CLIP.wav WORK_DIR
#       the bundled model converted by `nnse convert`, linked into the enhancer firmware and run on a clip must
#       give exactly the samples `nnse enhance --quantized` (the same runtime built for the host) writes, with
#       the DSP-extension kernels and with the portable ones.
# Exit 77 (ctest: skipped) when the cross tools are missing, unless NNSE_REQUIRE_CORTEX_M4=1 (CI) makes that a
# failure.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
test=$1
shift
for tool in arm-none-eabi-gcc qemu-system-arm python3; do
  if ! command -v "$tool" >/dev/null; then
    if [ "${NNSE_REQUIRE_CORTEX_M4:-0}" = 1 ]; then
      echo "FAILED: $tool is not installed and NNSE_REQUIRE_CORTEX_M4=1 (scripts/install-deps.sh installs it)"
      exit 1
    fi
    echo "SKIPPED: $tool is not installed (scripts/install-deps.sh installs the Cortex-M4 tools)"
    exit 77
  fi
done

if [ "$test" != enhance ]; then
  work=$1
  rm -rf "$work"
  mkdir -p "$work"
  for kernels in dsp portable; do
    flags=""
    [ "$kernels" = portable ] && flags=-DNNSP_PORTABLE_KERNELS
    sh "$here/build.sh" "$test" "$work/$test-$kernels.elf" $flags
    (cd "$work" && sh "$here/run.sh" "$test-$kernels.elf" 300)
  done
  exit 0
fi

nnse=$1
model=$2
clip=$3
work=$4
rm -rf "$work"
mkdir -p "$work"
cd "$work"

"$nnse" convert --model "$model" --net-id 3 --net-name se --out-dir model
# The attenuation limit is given to both sides (12 dB = 3072 in Q8); the pass gain stays 1 (the runtime has none).
"$nnse" enhance "$clip" host.wav --model "$model" --quantized --atten-lim-db 12 --pass-gain 1

# The clip's samples as raw int16, followed by zeros to a whole number of hops that also pushes the 320-sample
# delay out (what nnse's streaming wrapper does at the end of a file).
python3 - "$clip" <<'PY'
import struct, sys, wave
with wave.open(sys.argv[1]) as w:
    assert w.getsampwidth() == 2 and w.getnchannels() == 1 and w.getframerate() == 16000
    pcm = w.readframes(w.getnframes())
n = len(pcm) // 2
hops = (n + 320 + 159) // 160
open("in.raw", "wb").write(pcm + b"\0" * (2 * (hops * 160 - n)))
open("clip_samples.txt", "w").write(str(n))
PY

status=0
for kernels in dsp portable; do
  flags="-DFW_ATTEN_LIM_DB_Q8=3072"
  [ "$kernels" = portable ] && flags="$flags -DNNSP_PORTABLE_KERNELS"
  mkdir -p "$kernels"
  # shellcheck disable=SC2086
  sh "$here/build.sh" enhance "$kernels/fw.elf" model/def_nn3_se.c -I"$work/model" $flags
  cp in.raw "$kernels/"
  (cd "$kernels" && sh "$here/run.sh" fw.elf 300) > "$kernels/log.txt"
  cat "$kernels/log.txt"
  python3 - "$kernels" <<'PY' || status=1
import struct, sys, wave
kernels = sys.argv[1]
n = int(open("clip_samples.txt").read())
with wave.open("host.wav") as w:
    host = struct.unpack("<%dh" % w.getnframes(), w.readframes(w.getnframes()))
raw = open(kernels + "/out.raw", "rb").read()
device = struct.unpack("<%dh" % (len(raw) // 2), raw)[320:320 + n]
assert len(host) == n, "host output has %d samples, clip %d" % (len(host), n)
diff = [i for i in range(n) if host[i] != device[i]]
if diff:
    i = diff[0]
    print("FAIL (%s kernels): %d of %d samples differ from nnse enhance --quantized, first at %d: %d vs %d"
          % (kernels, len(diff), n, i, device[i], host[i]))
    sys.exit(1)
print("ok (%s kernels): %d samples bit-identical to nnse enhance --quantized" % (kernels, n))
PY
done
exit $status
