#!/usr/bin/env bash
# scripts/corpora/speaker-view.sh on a tiny manifest corpus (no audio needed: the view links folders and filters
# lists): the chosen split keeps only the named voice groups' speech and all its noise and RIRs, the other splits
# are the source's, and a prefix with no speech, or OUT = SRC, is refused with a message.
set -euo pipefail
script="$1/scripts/corpora/speaker-view.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

src="$work/src"
mkdir -p "$src/speech" "$src/noise" "$src/rir" "$src/splits"
printf 'path\tkind\tsource\tspeaker_or_group\tlicense\tduration_s\n' > "$src/MANIFEST.tsv"
add() { printf '%s\t%s\tx\t%s\tCC0\t1.0\n' "$1" "$2" "$3" >> "$src/MANIFEST.tsv"; }
add speech/a1.flac speech voice_a
add speech/a2.flac speech voice_a_child
add speech/b1.flac speech voice_b
add noise/n1.flac noise rain
add rir/r1.flac rir room
printf '%s\n' speech/a1.flac speech/a2.flac speech/b1.flac noise/n1.flac rir/r1.flac > "$src/splits/test.txt"
printf '%s\n' speech/b1.flac > "$src/splits/train.txt"
printf '%s\n' noise/n1.flac > "$src/splits/valid.txt"

bash "$script" "$src" "$work/out" test voice_a 2> "$work/log" || fail "the view was refused: $(cat "$work/log")"
expected=$(printf '%s\n' speech/a1.flac speech/a2.flac noise/n1.flac rir/r1.flac)
[[ "$(cat "$work/out/splits/test.txt")" == "$expected" ]] || fail "test split: $(cat "$work/out/splits/test.txt")"
cmp -s "$src/splits/train.txt" "$work/out/splits/train.txt" || fail "train split changed"
cmp -s "$src/splits/valid.txt" "$work/out/splits/valid.txt" || fail "valid split changed"
cmp -s "$src/MANIFEST.tsv" "$work/out/MANIFEST.tsv" || fail "manifest changed"
[[ -L "$work/out/speech" && "$(readlink -f "$work/out/speech")" == "$(readlink -f "$src/speech")" ]] || fail "speech link"
[[ ! -e "$work/out/splits/.other-speech" ]] || fail "scratch list left behind"

if bash "$script" "$src" "$work/out2" test nobody 2> "$work/log"; then fail "an unknown prefix was accepted"; fi
grep -q "no speech of a group starting with 'nobody'" "$work/log" || fail "unclear error: $(cat "$work/log")"
if bash "$script" "$src" "$src" test voice_a 2> "$work/log"; then fail "OUT = SRC was accepted"; fi
grep -q "OUT must differ from SRC" "$work/log" || fail "unclear error: $(cat "$work/log")"
echo "speaker-view: ok"
