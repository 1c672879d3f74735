#!/usr/bin/env bash
# scripts/corpora/one-noise-type.sh on a tiny manifest corpus (stand-in files; the view only links and renames):
# every noise file becomes noise/NAME/<folder>__<rest>, the manifest and splits name the new paths and nothing
# else changes, the links reach the source files, and a missing file, a name collision or OUT = SRC is refused.
set -euo pipefail
script="$1/scripts/corpora/one-noise-type.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

make_src() {  # make_src DIR: speech, two noise families (one nested), a RIR
  local src=$1
  mkdir -p "$src/speech" "$src/noise/rain" "$src/noise/engine/car" "$src/rir" "$src/splits"
  printf 'path\tkind\tsource\tspeaker_or_group\tlicense\tduration_s\n' > "$src/MANIFEST.tsv"
  local f
  for f in speech/s1.flac:speech:v noise/rain/r1.flac:noise:rain noise/engine/car/e1.flac:noise:engine rir/h1.flac:rir:room; do
    IFS=: read -r path kind group <<< "$f"
    echo "$path" > "$src/$path"
    printf '%s\t%s\tx\t%s\tCC0\t1.0\n' "$path" "$kind" "$group" >> "$src/MANIFEST.tsv"
  done
  printf '%s\n' speech/s1.flac noise/rain/r1.flac rir/h1.flac > "$src/splits/train.txt"
  printf '%s\n' noise/engine/car/e1.flac > "$src/splits/valid.txt"
  : > "$src/splits/test.txt"
}
src="$work/src"; make_src "$src"

bash "$script" "$src" "$work/out" 2> "$work/log" || fail "the view was refused: $(cat "$work/log")"
out="$work/out"
[[ "$(cut -f1 "$out/MANIFEST.tsv" | tail -n +2)" == "$(printf '%s\n' speech/s1.flac noise/extra/rain__r1.flac noise/extra/engine__car__e1.flac rir/h1.flac)" ]] \
  || fail "manifest paths: $(cut -f1 "$out/MANIFEST.tsv")"
diff <(cut -f2- "$src/MANIFEST.tsv") <(cut -f2- "$out/MANIFEST.tsv") > /dev/null || fail "other manifest columns changed"
[[ "$(cat "$out/splits/train.txt")" == "$(printf '%s\n' speech/s1.flac noise/extra/rain__r1.flac rir/h1.flac)" ]] || fail "train: $(cat "$out/splits/train.txt")"
[[ "$(cat "$out/splits/valid.txt")" == "noise/extra/engine__car__e1.flac" ]] || fail "valid: $(cat "$out/splits/valid.txt")"
[[ "$(cat "$out/noise/extra/engine__car__e1.flac")" == "noise/engine/car/e1.flac" ]] || fail "noise link"
[[ "$(cat "$out/speech/s1.flac")" == "speech/s1.flac" && "$(cat "$out/rir/h1.flac")" == "rir/h1.flac" ]] || fail "speech/rir links"
[[ ! -e "$out/.moves" ]] || fail "scratch list left behind"
bash "$script" "$src" "$work/named" quiet 2> /dev/null && [[ -e "$work/named/noise/quiet/rain__r1.flac" ]] || fail "NAME not used"

if bash "$script" "$src" "$src" 2> "$work/log"; then fail "OUT = SRC was accepted"; fi
grep -q "OUT must differ from SRC" "$work/log" || fail "unclear error: $(cat "$work/log")"
if bash "$script" "$src" "$work/bad" "a/b" 2> "$work/log"; then fail "a NAME with / was accepted"; fi
grep -q "must be one folder name" "$work/log" || fail "unclear error: $(cat "$work/log")"
rm "$src/noise/rain/r1.flac"
if bash "$script" "$src" "$work/missing" 2> "$work/log"; then fail "a missing noise file was accepted"; fi
grep -q "noise/rain/r1.flac (listed in MANIFEST.tsv) is missing" "$work/log" || fail "unclear error: $(cat "$work/log")"
src2="$work/src2"; make_src "$src2"; mkdir -p "$src2/noise/engine__car"; echo x > "$src2/noise/engine__car/e1.flac"
printf 'noise/engine__car/e1.flac\tnoise\tx\tengine2\tCC0\t1.0\n' >> "$src2/MANIFEST.tsv"
if bash "$script" "$src2" "$work/clash" 2> "$work/log"; then fail "a name collision was accepted"; fi
grep -q "two noise files would both become noise/extra/engine__car__e1.flac" "$work/log" || fail "unclear error: $(cat "$work/log")"
echo "one-noise-type: ok"
