#!/bin/sh
# Size and speed of the runtime on a Cortex-M4F (docs/cortex-m4.md): converts a model, builds the enhancer
# firmware with the portable and with the DSP-extension kernels, runs both on a clip under qemu and prints
#   instructions per 10 ms frame (hop): front end, network, synthesis, total; per multiply-accumulate
#   flash: runtime code, runtime tables, model tables (from the linker map: what is linked, by object file)
#   RAM: arena (nnsp_arena_size), runtime static data, stack high-water mark (painted stack)
# Instruction counts are exact to the timer's 40-instruction tick per measurement point, averaged over the hops.
# Usage: measure.sh NNSE_BINARY MODEL_DIR CLIP.wav [WORK_DIR]   (e.g. build/src/nnse models/se_nn_arch72_mel
#        examples/noisy_city_3dB.wav); OPT=-O3 measure.sh ... to try another optimization level; PROFILE=1
#        measure.sh ... adds instructions per frame by function (DSP kernels, a SysTick sampling profile).
set -eu
nnse=$1
model=$2
clip=$3
work=${4:-$(mktemp -d)}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$work"
cd "$work"
"$nnse" convert --model "$model" --net-id 3 --net-name se --out-dir model >/dev/null
python3 - "$clip" <<'PY'
import sys, wave
with wave.open(sys.argv[1]) as w:
    pcm = w.readframes(w.getnframes())
open("in.raw", "wb").write(pcm[: len(pcm) // 320 * 320])
PY
builds="portable dsp"
[ "${PROFILE:-0}" = 1 ] && builds="$builds profile"
for kernels in $builds; do
  flags=""
  [ "$kernels" = portable ] && flags="-DNNSP_PORTABLE_KERNELS"
  [ "$kernels" = profile ] && flags="-DFW_PROFILE"
  mkdir -p "$kernels"
  # shellcheck disable=SC2086
  sh "$here/build.sh" enhance "$kernels/fw.elf" model/def_nn3_se.c -I"$work/model" $flags
  cp in.raw "$kernels/"
  (cd "$kernels" && sh "$here/run.sh" fw.elf 300) > "$kernels/log.txt"
done

python3 - "${OPT:--O2}" <<'PY'
import re, sys

def results(kernels):
    line = open(kernels + "/log.txt").read().split()
    return {k: int(v) for k, v in (f.split("=") for f in line if "=" in f)}

def map_sizes(kernels):
    """Bytes linked per (group, kind): group runtime / tables / model / other, kind code / const / data."""
    text = open(kernels + "/fw.map").read()
    text = text[text.index("Linker script and memory map"):]
    sizes = {}
    pattern = re.compile(r"^ (\.(?:text|rodata|data|bss)[^\s]*)\s*\n?\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+(\S+\.o)\b", re.M)
    for section, size, obj in pattern.findall(text):
        if "/runtime/" in obj:
            group = "tables" if obj.endswith("/tables.o") else "runtime"
        elif "/model/" in obj:
            group = "model"
        else:
            group = "other"
        kind = {"text": "code", "rodata": "const"}.get(section[1:].split(".")[0], "data")
        sizes[(group, kind)] = sizes.get((group, kind), 0) + int(size, 16)
    return sizes

rows = []
per = {}
for kernels in ("portable", "dsp"):
    r = results(kernels)
    ticks = [r["ticks_features"], r["ticks_network"], r["ticks_synthesis"]]
    instr = [t * 40.0 / r["hops"] for t in ticks]
    per[kernels] = (r, instr, map_sizes(kernels))

print("Cortex-M4F (qemu mps2-an386, arm-none-eabi-gcc %s, %s), %d hops of 10 ms" % (
    "12", sys.argv[1], per["dsp"][0]["hops"]))
print("| instructions per 10 ms frame | portable kernels | DSP kernels |")
print("|---|---:|---:|")
names = ["front end (DC filters, window, FFT, power, mel, log, normalization)", "network (layers and gains)",
         "synthesis (window, FFT, gains, inverse FFT, overlap-add)"]
for i, name in enumerate(names):
    print("| %s | %.0f | %.0f |" % (name, per["portable"][1][i], per["dsp"][1][i]))
print("| **total** | **%.0f** | **%.0f** |" % (sum(per["portable"][1]), sum(per["dsp"][1])))
macs = per["dsp"][0]["macs"]
print("| network instructions per multiply-accumulate (%d MACs) | %.2f | %.2f |" % (
    macs, per["portable"][1][1] / macs, per["dsp"][1][1] / macs))
print()
print("| memory | portable kernels | DSP kernels |")
print("|---|---:|---:|")
def row(name, f):
    print("| %s | %s | %s |" % (name, f(per["portable"]), f(per["dsp"])))
row("flash: runtime code", lambda p: p[2].get(("runtime", "code"), 0))
row("flash: runtime constants (kernels)", lambda p: p[2].get(("runtime", "const"), 0))
row("flash: runtime tables (tables.c: window, twiddles, tanh, log2)", lambda p: p[2].get(("tables", "const"), 0))
row("flash: model tables (def_nn3_se.c)", lambda p: p[2].get(("model", "const"), 0) + p[2].get(("model", "data"), 0))
row("RAM: arena (nnsp_arena_size)", lambda p: p[0]["arena"])
row("RAM: runtime static data (.data + .bss)", lambda p: p[2].get(("runtime", "data"), 0) + p[2].get(("tables", "data"), 0))
row("RAM: stack high-water mark (nnsp_init + nnsp_process_q15)", lambda p: p[0]["stack"])
row("**RAM total**", lambda p: "**%d**" % (p[0]["arena"] + p[0]["stack"] + p[2].get(("runtime", "data"), 0)))
PY

[ "${PROFILE:-0}" = 1 ] || exit 0
# Samples every 920 instructions (profile.c) by function: instructions per frame = samples * 920 / hops.
python3 - <<'PY'
import struct, subprocess
hist = open("profile/profile.bin", "rb").read()
counts = struct.unpack("<%dI" % (len(hist) // 4), hist)
hops = int(dict(f.split("=") for f in open("profile/log.txt").read().split() if "=" in f)["hops"])
symbols = []
for line in subprocess.run(["arm-none-eabi-nm", "-S", "profile/fw.elf"], capture_output=True, text=True).stdout.splitlines():
    f = line.split()
    if len(f) == 4 and f[2] in "tTW":
        symbols.append((int(f[0], 16), int(f[1], 16), f[3]))
per = {}
for i, c in enumerate(counts):
    if c:
        name = next((n for a, size, n in symbols if a <= 2 * i < a + size), "?")
        per[name] = per.get(name, 0) + c
total = sum(per.values())
print()
print("| function (DSP kernels; sampling profile) | instructions per frame | share |")
print("|---|---:|---:|")
for name, c in sorted(per.items(), key=lambda x: -x[1]):
    if c * 920.0 / hops >= 1000:
        print("| `%s` | %.0f | %.1f %% |" % (name, c * 920.0 / hops, 100.0 * c / total))
PY
