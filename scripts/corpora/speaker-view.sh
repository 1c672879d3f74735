#!/usr/bin/env bash
# A view of a manifest corpus whose SPLIT keeps only the speech of the speaker groups named by PREFIX (the
# manifest's speaker_or_group column starts with it) and all of that split's noise and RIRs: for figures per voice,
# e.g. `nnse eval --corpus OUT --split test`. Like group-split.sh, the audio is linked, not copied; the other
# splits are SRC's own.
#
# Usage: scripts/corpora/speaker-view.sh SRC OUT SPLIT PREFIX
#   e.g. scripts/corpora/speaker-view.sh data/corpora/starter-groups /tmp/v test fillets_cs_v
set -euo pipefail
BUILDER=speaker-view
source "$(dirname "$0")/lib.sh"
[[ $# -eq 4 ]] || die "usage: speaker-view.sh SRC OUT SPLIT PREFIX"
src=$(cd "$1" && pwd) || die "no folder $1"
out=$2 split=$3 prefix=$4
[[ -f "$src/MANIFEST.tsv" ]] || die "$src has no MANIFEST.tsv"
[[ -f "$src/splits/$split.txt" ]] || die "$src has no splits/$split.txt"
mkdir -p "$out/splits"
out=$(cd "$out" && pwd)
[[ "$out" != "$src" ]] || die "OUT must differ from SRC"
for kind in speech noise rir; do [[ -e "$src/$kind" ]] && ln -sfn "$(readlink -f "$src/$kind")" "$out/$kind"; done
cp "$src/MANIFEST.tsv" "$out/MANIFEST.tsv"
for s in train valid test; do
  [[ $s == "$split" || ! -f "$src/splits/$s.txt" ]] || cp "$src/splits/$s.txt" "$out/splits/$s.txt"
done
# Speech files of other groups leave the split; everything else of it stays.
awk -F'\t' -v p="$prefix" 'NR > 1 && $2 == "speech" && index($4, p) != 1 {print $1}' "$src/MANIFEST.tsv" \
  > "$out/splits/.other-speech"
grep -vxF -f "$out/splits/.other-speech" "$src/splits/$split.txt" > "$out/splits/$split.txt.tmp" || true
rm -f "$out/splits/.other-speech"
mv "$out/splits/$split.txt.tmp" "$out/splits/$split.txt"
kept=$(awk -F'\t' 'NR == FNR {keep[$1]; next} $1 in keep && $2 == "speech"' "$out/splits/$split.txt" "$src/MANIFEST.tsv" | wc -l)
(( kept > 0 )) || die "no speech of a group starting with '$prefix' in $src's $split split"
log "$out: $split split with $kept speech files of groups '$prefix*' and its noise and RIRs"
