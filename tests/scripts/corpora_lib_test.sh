#!/usr/bin/env bash
# scripts/corpora/lib.sh without audio tools: select_group on made-up measurements (md5 order, the short,
# clipped, narrowband, near-silent (MIN_RMS_DB) and duplicate drops, the cap) and write_splits on a tiny noise
# corpus (whole groups to valid in a folder with 3 or more groups, single files by md5 otherwise) and on a tiny
# speech corpus (per family, or over all voices with SPEECH_ONE_FAMILY=1). With sox,
# convert_one's clip count as a share of the samples ("0.1%") is checked too.
set -euo pipefail
lib="$1/scripts/corpora/lib.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# shellcheck source=../../scripts/corpora/lib.sh
source "$lib"
BUILDER=lib-test WORK=$work STAGE=$work/stage CANDS=$work/cands.tsv MEAS=$work/meas.tsv ROWS=$work/rows.tsv REJECTS=$work/rej.tsv
WIDEBAND_MAX_DB=50 VALID_NOISE_PCT=15 VALID_SPEECH_PCT=12
: > "$CANDS"; : > "$MEAS"; : > "$ROWS"; : > "$REJECTS"

# candidates: name  duration  clipped  rms  rms_above_4k  (source bytes = the name, except the duplicate)
add() {
  printf '%s' "${6:-$1}" > "$work/$1.src"
  cand "$work/$1.src" "noise/f/$1.flac" noise "deb:x=1:$1" g CC0 "$1" 0
  printf '%s\t%s\t%s\t%s\t%s\t-1\n' "$STAGE/noise/f/$1.flac" "$2" "$3" "$4" "$5" >> "$MEAS"
}
add ok1 10 0 -20 -40
add ok2 10 0 -20 -40
add short 0.2 0 -20 -40
add clip 10 1 -20 -40
add narrow 10 0 -20 -75
add silent 10 0 -65 -80
add dup 10 0 -20 -40 ok1
add ok3 10 0 -30 -50
sort -o "$MEAS" "$MEAS"
select_group g 1.0 25 1 1 -60
for why in short:short clipped:clip narrowband:narrow silent:silent; do
  grep -qx "${why%%:*}	noise/f/${why#*:}.flac" "$REJECTS" || fail "${why#*:} not dropped as ${why%%:*}: $(cat "$REJECTS")"
done
# ok1 and dup have the same bytes: the one first in md5 order stays; the 25 s cap keeps two 10 s files
[[ $(wc -l < "$ROWS") -eq 2 ]] || fail "kept rows: $(cut -f1 "$ROWS" | tr '\n' ' ')"
[[ $(grep -c -E '^(duplicate|cap)	' "$REJECTS") -eq 2 ]] || fail "duplicate/cap drops: $(cat "$REJECTS")"
# without MIN_RMS_DB (the 5-argument form the other builders use) the quiet file stays
: > "$ROWS"; : > "$REJECTS"; select_group g 1.0 0 1 1
grep -q '^noise/f/silent.flac' "$ROWS" || fail "the 5-argument select_group dropped the quiet file"

# write_splits: folder a has 3 groups (one whole group to valid), folder b has 1 (files by md5 of the key)
dir=$work/corpus; mkdir -p "$dir"
{ printf 'path\tkind\tsource\tspeaker_or_group\tlicense\tduration_s\n'
  for g in a_x a_y a_z; do printf 'noise/a/%s1.flac\tnoise\tx\t%s\tCC0\t60\n' "$g" "$g"; done
  for i in $(seq 1 40); do printf 'noise/b/f%02d.flac\tnoise\tx\tb_w\tCC0\t6\n' "$i"; done; } > "$dir/MANIFEST.tsv"
tail -n +2 "$dir/MANIFEST.tsv" | awk -F'\t' -v OFS='\t' '{ k = $1; sub(/.*\//, "", k); print $1, $2, $3, $4, $5, $6, k }' > "$ROWS"
write_splits "$dir"
[[ $(wc -l < "$WORK/valid_groups") -eq 1 ]] || fail "valid groups: $(cat "$WORK/valid_groups")"
[[ $(grep -c '^noise/a/' "$dir/splits/valid.txt") -eq 1 ]] || fail "folder a in valid: $(cat "$dir/splits/valid.txt")"
nb=$(grep -c '^noise/b/' "$dir/splits/valid.txt" || true)
[[ $nb -ge 1 && $nb -le 15 ]] || fail "folder b files in valid: $nb of 40"
[[ $(cat "$dir/splits/train.txt" "$dir/splits/valid.txt" | sort | tr '\n' ' ') == "$(tail -n +2 "$dir/MANIFEST.tsv" | cut -f1 | sort | tr '\n' ' ')" ]] ||
  fail "train + valid is not the manifest"
[[ ! -s "$dir/splits/test.txt" ]] || fail "test split not empty"
[[ $(split_minutes "$dir" train noise) != "" ]] || fail "split_minutes"

# write_splits on speech: per family (a: 2 voices, b and c: 1 each) every family gives a valid voice; with
# SPEECH_ONE_FAMILY=1 the 12 % are taken over all 4 voices (one voice)
sdir=$work/speech; mkdir -p "$sdir"
{ printf 'path\tkind\tsource\tspeaker_or_group\tlicense\tduration_s\n'
  for g in a_x a_y b_z c_w; do printf 'speech/%s/1.flac\tspeech\tx\t%s\tCC0\t60\n' "$g" "$g"; done; } > "$sdir/MANIFEST.tsv"
tail -n +2 "$sdir/MANIFEST.tsv" | awk -F'\t' -v OFS='\t' '{ print $1, $2, $3, $4, $5, $6, $4 }' > "$ROWS"
write_splits "$sdir"
[[ $(wc -l < "$WORK/valid_groups") -eq 3 ]] || fail "per-family valid voices: $(cat "$WORK/valid_groups")"
SPEECH_ONE_FAMILY=1 write_splits "$sdir"
[[ $(wc -l < "$WORK/valid_groups") -eq 1 && $(wc -l < "$sdir/splits/valid.txt") -eq 1 ]] ||
  fail "one-family valid voices: $(cat "$WORK/valid_groups")"

# convert_one: a run of full-scale samples (sox counts some 60 at the peak) in 1 s at 8 kHz: clipped under "0.1%"
# (8 samples), not under "200"
if command -v sox >/dev/null; then
  sox -n -r 8000 -c 1 -b 16 "$work/tone.wav" synth 1 sine 300 vol 0.3
  for i in $(seq 1 20); do printf '\377\177'; done > "$work/pk.raw"   # 20 samples at +32767
  sox -t s16 -r 8000 -c 1 "$work/pk.raw" "$work/pk.wav"
  sox "$work/tone.wav" "$work/pk.wav" "$work/clip.wav"
  CLIP_MAX_COUNT=0.1%; [[ $(convert_one "$work/clip.wav" "$work/o1.flac" 0 | cut -f3) = 1 ]] || fail "0.1% did not flag the clipped run"
  CLIP_MAX_COUNT=200; [[ $(convert_one "$work/clip.wav" "$work/o2.flac" 0 | cut -f3) = 0 ]] || fail "200 flagged the clipped run"
else
  echo "sox missing: convert_one not checked"
fi
echo "corpora lib: ok"
