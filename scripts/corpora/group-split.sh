#!/usr/bin/env bash
# A view of a manifest corpus (e.g. the starter corpus) whose splits never share a speaker or a noise source:
# train, valid and test each get whole speaker groups and whole noise sources, so a test figure measures voices
# and noises the model never heard. The audio is not copied: OUT links to SRC's folders and has its own
# MANIFEST.tsv and splits/.
#
# Usage: scripts/corpora/group-split.sh SRC OUT [SALT]
#   speech: the group is the manifest's speaker_or_group column (a speaker, or a language's one voice);
#   noise:  the group is the recording: its folder plus its file name without trailing digits (fire1/fire2 are
#           one source), except folders that are one recording set throughout (one keyboard's keys);
#   rir:    kept in SRC's own splits (four impulse responses are too few to split by room).
# A group goes to a split by md5(SALT + group): < 70 train, < 80 valid, else test. Deterministic.
set -euo pipefail
src=$(cd "$1" && pwd)
out=$2
salt=${3:-nnse-groups-2}
[[ -f "$src/MANIFEST.tsv" ]] || { echo "group-split: $src has no MANIFEST.tsv" >&2; exit 1; }
mkdir -p "$out/splits"
out=$(cd "$out" && pwd)
[[ "$out" != "$src" ]] || { echo "group-split: OUT must differ from SRC" >&2; exit 1; }
cp "$src/MANIFEST.tsv" "$out/MANIFEST.tsv.tmp" && mv "$out/MANIFEST.tsv.tmp" "$out/MANIFEST.tsv"
for kind in speech noise rir; do
  [[ -d "$src/$kind" ]] && ln -sfn "$src/$kind" "$out/$kind"
done

# The split each RIR already has.
declare -A rir_split
for split in train valid test; do
  while IFS= read -r path; do [[ "$path" == rir/* ]] && rir_split[$path]=$split; done < "$src/splits/$split.txt"
done

group_of() {  # kind path group-column
  local kind=$1 path=$2 column=$3
  if [[ $kind == speech ]]; then echo "speech:$column"; return; fi
  local folder stem
  folder=$(basename "$(dirname "$path")")
  case $folder in
    keyboard_bucklespring|alsa) echo "noise:$folder"; return ;;
  esac
  stem=$(basename "$path"); stem=${stem%.*}; stem=$(sed -E 's/[0-9_-]+$//' <<<"$stem")
  echo "noise:$folder/$stem"
}

split_of() {  # group
  local hex bucket
  hex=$(printf '%s%s' "$salt" "$1" | md5sum | cut -c1-8)
  bucket=$(( 16#$hex % 100 ))
  if (( bucket < 70 )); then echo train; elif (( bucket < 80 )); then echo valid; else echo test; fi
}

: > "$out/splits/train.txt.tmp"; : > "$out/splits/valid.txt.tmp"; : > "$out/splits/test.txt.tmp"
declare -A split_cache
tail -n +2 "$src/MANIFEST.tsv" | while IFS=$'\t' read -r path kind _source group _rest; do
  if [[ $kind == rir ]]; then
    split=${rir_split[$path]:-train}
  else
    g=$(group_of "$kind" "$path" "$group")
    if [[ -z ${split_cache[$g]:-} ]]; then split_cache[$g]=$(split_of "$g"); fi
    split=${split_cache[$g]}
    printf '%s\t%s\n' "$g" "$split" >> "$out/splits/groups.tsv.tmp"
  fi
  echo "$path" >> "$out/splits/$split.txt.tmp"
done
for split in train valid test; do mv "$out/splits/$split.txt.tmp" "$out/splits/$split.txt"; done
sort -u "$out/splits/groups.tsv.tmp" > "$out/splits/groups.tsv" && rm -f "$out/splits/groups.tsv.tmp"

echo "group-split: $out (salt $salt)"
for split in train valid test; do
  printf '  %-5s %5d files; speech groups: %s\n' "$split" "$(wc -l < "$out/splits/$split.txt")" \
    "$(awk -F'\t' -v s="$split" '$2==s && $1 ~ /^speech:/ {sub("speech:","",$1); printf "%s ", $1}' "$out/splits/groups.tsv")"
  printf '        noise sources: %s\n' \
    "$(awk -F'\t' -v s="$split" '$2==s && $1 ~ /^noise:/ {n++} END {print n+0}' "$out/splits/groups.tsv")"
done
