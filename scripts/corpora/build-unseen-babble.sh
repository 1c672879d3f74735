#!/usr/bin/env bash
# build-unseen-babble.sh - an evaluation set for babble noise from the independent evaluation set: the Italian
# and Russian voices as speech, and babble made of the Dutch voices (other people, another language) as noise.
# No training corpus has these voices, and the starter corpus has no babble. NEVER train on it.
#
# Usage: build-unseen-babble.sh OUT_DIR [--from DIR] [--files N] [--talkers N] [--seconds S]
#   --from DIR     the built unseen evaluation set (default: data/corpora/unseen-eval, made by
#                  build-unseen-eval.sh)
#   --files N      babble files to make (default 8)
#   --talkers N    talkers per babble file (default 6)
#   --seconds S    length of each babble file (default 30)
#
# Each talker is a stream of Dutch files laid end to end (a fixed order per file and talker, from the md5 of the
# names), each file scaled to the same RMS; the talkers are summed by sox and the sum normalized to -20 dBFS RMS.
# Same input -> same bytes. Needs sox.
set -euo pipefail
BUILDER=unseen-babble
# shellcheck source=lib.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib.sh"  # log, die; LC_ALL=C keeps the md5 order fixed
FROM=data/corpora/unseen-eval FILES=8 TALKERS=6 SECONDS_PER_FILE=30 OUT=""
usage() { awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "$0"; exit "${1:-0}"; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --from) FROM=$2; shift 2 ;;
    --files) FILES=$2; shift 2 ;;
    --talkers) TALKERS=$2; shift 2 ;;
    --seconds) SECONDS_PER_FILE=$2; shift 2 ;;
    -h|--help) usage 0 ;;
    -*) echo "unknown option $1" >&2; usage 2 ;;
    *) [[ -z "$OUT" ]] || usage 2; OUT=$1; shift ;;
  esac
done
[[ -n "$OUT" ]] || usage 2
command -v sox > /dev/null || die "sox is missing (apt-get install sox libsox-fmt-all)"
[[ -f "$FROM/MANIFEST.tsv" ]] || die "no $FROM/MANIFEST.tsv: build it first (scripts/corpora/build-unseen-eval.sh)"
[[ -e "$OUT" ]] && die "$OUT exists: remove it or name a new folder"

stage=$(mktemp -d "${OUT%/}.tmp-XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/speech" "$stage/noise/babble_nl" "$stage/splits" "$stage/work"
printf 'path\tkind\tsource\tspeaker_or_group\tlicense\tduration_s\n' > "$stage/MANIFEST.tsv"

# Speech: the Italian and Russian prompts, as they are in the evaluation set.
awk -F'\t' 'NR > 1 && $2 == "speech" && $1 ~ /^speech\/asterisk_(it|ru)\//' "$FROM/MANIFEST.tsv" > "$stage/work/speech.tsv"
[[ -s "$stage/work/speech.tsv" ]] || die "$FROM has no speech/asterisk_it or speech/asterisk_ru files"
while IFS=$'\t' read -r path _; do
  mkdir -p "$stage/$(dirname "$path")"
  cp "$FROM/$path" "$stage/$path"
done < "$stage/work/speech.tsv"
cat "$stage/work/speech.tsv" >> "$stage/MANIFEST.tsv"

# Babble sources: every Dutch file, scaled to one RMS (-23 dBFS) so no talker dominates.
awk -F'\t' 'NR > 1 && $2 == "speech" && $1 ~ /^speech\/fillets_nl\//' "$FROM/MANIFEST.tsv" > "$stage/work/dutch.tsv"
dutch=$(wc -l < "$stage/work/dutch.tsv")
[[ "$dutch" -ge "$TALKERS" ]] || die "$FROM has $dutch Dutch files, fewer than --talkers $TALKERS"
n=0
while IFS=$'\t' read -r path _; do
  rms=$(sox "$FROM/$path" -n stat 2>&1 | awk '/RMS +amplitude/ {print $3}')
  gain=$(awk -v r="$rms" 'BEGIN { if (r <= 0) print "skip"; else printf "%.4f", 20 * log(10^(-23/20) / r) / log(10) }')
  [[ "$gain" == skip ]] && continue
  sox -R "$FROM/$path" -b 32 -e floating-point "$stage/work/src-$(printf %04d $n).wav" gain "$gain"
  n=$((n + 1))
done < "$stage/work/dutch.tsv"
sources=$(ls "$stage"/work/src-*.wav)

for ((f = 0; f < FILES; f++)); do
  talkers=()
  for ((t = 0; t < TALKERS; t++)); do
    # This talker's order of the sources: by md5 of (file, talker, name); laid end to end, cut to length.
    order=$(for s in $sources; do printf '%s %s\n' "$(printf '%s/%s/%s' "$f" "$t" "$(basename "$s")" | md5sum | cut -c1-32)" "$s"; done | sort | cut -d' ' -f2)
    list=() total=0
    for s in $order; do
      list+=("$s")
      total=$(awk -v a="$total" -v b="$(soxi -D "$s")" 'BEGIN {print a + b}')
      awk -v a="$total" -v b="$SECONDS_PER_FILE" 'BEGIN {exit !(a >= b)}' && break
    done
    talker="$stage/work/talker-$f-$t.wav"
    sox -R "${list[@]}" "$talker" trim 0 "$SECONDS_PER_FILE"
    talkers+=("$talker")
  done
  name="noise/babble_nl/babble$(printf %02d $f).flac"
  sox -R -m "${talkers[@]}" -b 32 -e floating-point "$stage/work/sum.wav"
  rms=$(sox "$stage/work/sum.wav" -n stat 2>&1 | awk '/RMS +amplitude/ {print $3}')
  gain=$(awk -v r="$rms" 'BEGIN {printf "%.4f", 20 * log(10^(-20/20) / r) / log(10)}')
  sox -R "$stage/work/sum.wav" -b 16 "$stage/$name" gain "$gain"
  printf '%s\tnoise\tbabble of %d Dutch talkers from %s\tbabble_nl\tsee %s/MANIFEST.tsv (speech/fillets_nl)\t%s\n' \
    "$name" "$TALKERS" "$FROM" "$FROM" "$(soxi -D "$stage/$name")" >> "$stage/MANIFEST.tsv"
done

rm -rf "$stage/work"
: > "$stage/splits/train.txt"; : > "$stage/splits/valid.txt"
tail -n +2 "$stage/MANIFEST.tsv" | cut -f1 > "$stage/splits/test.txt"
cp -r "$FROM/LICENSES" "$FROM/ATTRIBUTION.md" "$stage/" 2>/dev/null || true
cat > "$stage/README.md" <<EOF
# Unseen babble evaluation set - do not train on it

Made by scripts/corpora/build-unseen-babble.sh from $FROM: speech = its Italian and Russian voices
(speech/asterisk_it, speech/asterisk_ru), noise = $FILES files of babble, each $TALKERS talkers of its Dutch
voices (speech/fillets_nl) summed. Every file is in splits/test.txt. Licenses: those of the source files
(ATTRIBUTION.md, LICENSES/).
EOF
mv "$stage" "$OUT"
trap - EXIT
echo "built $OUT: $(tail -n +2 "$OUT/MANIFEST.tsv" | wc -l) files"
