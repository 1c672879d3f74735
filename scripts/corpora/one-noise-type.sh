#!/usr/bin/env bash
# A view of a manifest corpus in which all its noise is ONE noise type for the mixer. The mixer draws the same
# number of clips from every noise type (the first two folders of a noise file's path, e.g. noise/0ad), so a corpus
# of many small noise families added with --more-corpus takes a share of the clips by its number of folders, not by
# its minutes; as one type it gets one share. Each noise file is linked as noise/NAME/<folder>__<rest of its path
# with / as __>; the manifest and the split lists name the new paths; speech and RIRs are linked as they are.
#
# Usage: scripts/corpora/one-noise-type.sh SRC OUT [NAME]      (NAME: the type's folder, default "extra")
#   e.g. scripts/corpora/one-noise-type.sh data/corpora/extra-noise data/corpora/extra-noise-1type
set -euo pipefail
BUILDER=one-noise-type
source "$(dirname "$0")/lib.sh"
[[ $# -eq 2 || $# -eq 3 ]] || die "usage: one-noise-type.sh SRC OUT [NAME]"
src=$(cd "$1" && pwd) || die "no folder $1"
out=$2 name=${3:-extra}
[[ "$name" =~ ^[A-Za-z0-9_.-]+$ ]] || die "NAME '$name' must be one folder name (letters, digits, _ . -)"
[[ -f "$src/MANIFEST.tsv" ]] || die "$src has no MANIFEST.tsv"
mkdir -p "$out/splits" "$out/noise/$name"
out=$(cd "$out" && pwd)
[[ "$out" != "$src" ]] || die "OUT must differ from SRC"
trap 'rm -f "$out/.moves"' EXIT
for kind in speech rir; do [[ -e "$src/$kind" ]] && ln -sfn "$(readlink -f "$src/$kind")" "$out/$kind"; done
# old path -> new path for every noise file below noise/
awk -F'\t' -v n="$name" 'NR > 1 && $2 == "noise" && index($1, "noise/") == 1 {
  rest = substr($1, 7); gsub("/", "__", rest); print $1 "\t" "noise/" n "/" rest }' "$src/MANIFEST.tsv" > "$out/.moves"
[[ -s "$out/.moves" ]] || die "$src has no noise files under noise/"
dups=$(cut -f2 "$out/.moves" | sort | uniq -d | head -1)
[[ -z "$dups" ]] || die "two noise files would both become $dups"
while IFS=$'\t' read -r old new; do
  [[ -e "$src/$old" ]] || die "$src/$old (listed in MANIFEST.tsv) is missing"
  ln -sfn "$(readlink -f "$src/$old")" "$out/$new"
done < "$out/.moves"
rename_paths() {  # rename_paths FILE: FILE with the moved paths of its first column replaced
  awk -F'\t' -v OFS='\t' 'NR == FNR { m[$1] = $2; next } ($1 in m) { $1 = m[$1] } { print }' "$out/.moves" "$1"
}
rename_paths "$src/MANIFEST.tsv" > "$out/MANIFEST.tsv"
for s in train valid test; do
  [[ ! -f "$src/splits/$s.txt" ]] || rename_paths "$src/splits/$s.txt" > "$out/splits/$s.txt"
done
log "$out: $(wc -l < "$out/.moves") noise files as the one noise type noise/$name"
