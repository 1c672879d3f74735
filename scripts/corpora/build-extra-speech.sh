#!/usr/bin/env bash
# build-extra-speech.sh - build an extra SPEECH-only training corpus: real voices from Debian packages that no
# other training corpus uses and that are not reserved for evaluation (game narrators and characters, 0 A.D.'s
# unit voices, a Mandarin syllable set, a VoIP greeting). Load it with `--more-corpus`; its noise comes from the other corpora.
#
# Usage: build-extra-speech.sh OUT_DIR [--pkg-cache DIR] [--work DIR] [--jobs N] [--dry-run]
#   --pkg-cache DIR  where .deb files are kept / downloaded (default: ~/.cache/corpus-debs)
#   --work DIR       scratch folder, kept for reuse (default: a temporary folder, removed at exit)
#   --jobs N         parallel conversions (default 2)
#   --dry-run        list the candidate files per group and stop (nothing converted)
#
# Needs (as root): apt-get update && apt-get install -y sox libsox-fmt-all ffmpeg unzip
# Same packages -> same bytes: sox -R, md5-ordered selection, pinned package versions.
# Splits: whole voices go to valid (max(1, round(12 %)) of ALL the voices, in md5 order of the group name), so
# valid never shares a voice with train; test is empty. The survey behind the choice of packages (what was
# checked and why most were left out) is summed up in docs/corpora.md ("Extra speech set").
set -euo pipefail
BUILDER=extra-speech
SCRIPT_PATH=$(readlink -f "${BASH_SOURCE[0]}")
# shellcheck source=lib.sh
source "$(dirname "$SCRIPT_PATH")/lib.sh"

# ---------------------------------------------------------------- settings (the extra training set's rules)
MIN_SPEECH_S=0.5        # shorter files are mostly single syllables or silence
WIDEBAND_MAX_DB=30      # keep speech if RMS(full) - RMS(>4 kHz) < this (the starter corpus's rule)
CLIP_MAX_COUNT=3        # speech is dropped when more than this many samples sit at a >= 0.99 peak
SPEECH_GROUP_CAP_S=480  # at most 8 min per voice
VALID_SPEECH_PCT=12     # share of the voices (whole groups) that go to valid
SPEECH_ONE_FAMILY=1     # the 12 % are taken over all voices, not per package (most packages have one voice)
MIN_RATE=16000          # files stored at a lower rate (8/11 kHz) are never wideband: not queued
UNIT_LINE_MAX_S=4       # boswars unit lines are padded with silence to 10 s; their speech ends before 3 s

declare -A PIN=(
  [nexuiz-data]=2.5.2-12
  [boswars-data]=2.7+svn160110-5
  [gcin-voice]=0~20170223-3
  [freedroidrpg-data]=1.0-1
  [flare-game]=1.14-1
  [linphone-common]=5.1.65-4
  [0ad-data]=0.0.26-1       # the same pin as build-extra-effects.sh / build-extra-noise.sh
)
# RESERVED_RE (lib.sh): the packages reserved for evaluation, never read here (checked against every source
# before writing the manifest).

parse_builder_args "" "$@"
need_tools
common_setup "$OUT_ARG"

# cand_voice PKG FILE REL GROUP LICENSE [TRIM_S [SOURCE_PATH]]: queue FILE (of the unpacked PKG, or extracted from
# one of its archives: SOURCE_PATH names it in the source column) as speech/REL in voice GROUP; a missing FILE stops
# the build, a file stored below MIN_RATE is left out (counted as "lowrate")
cand_voice() {
  local pkg=$1 f=$2 rel=$3 group=$4 lic=$5 trim=${6:-0} srcpath=${7:-${2#"$DEB_ROOT"/}} rate
  [[ -f "$f" ]] || die "missing in $pkg: $srcpath"
  rate=$(stored_rate "$f")
  if [[ "$rate" -lt $MIN_RATE ]]; then printf 'lowrate\tspeech/%s\n' "$rel" >> "$REJECTS"; return; fi
  cand "$f" "speech/$rel" speech "$(debsrc "$pkg" "$srcpath")" "$group" "$lic" "$(basename "${rel%.flac}")" "$trim"
}

# ---------------------------------------------------------------- speech
# Nexuiz (data.pk3, a zip): the tutorial narrator (one male voice, clean studio speech; misc-door.ogg is a door
# sound) and the team-chat lines of three player voices. Left out: the announcer (reverb), marine and specop (radio
# band 0.3-3.4 kHz), reptilian and carni-lycan (monster processing), fricka (distorted), torus (a robot).
queue_nexuiz() {
  local pkg=nexuiz-data pk3 f v
  fetch_deb "$pkg"; pk3=usr/share/games/nexuiz/data/data.pk3
  rm -rf "$WORK/nexuiz"; mkdir -p "$WORK/nexuiz"
  unzip -q -o "$DEB_ROOT/$pk3" 'sound/tutorial/*' 'sound/player/*/coms/*' -d "$WORK/nexuiz"
  for f in "$WORK"/nexuiz/sound/tutorial/*.ogg; do
    [[ "$(basename "$f")" != misc-door.ogg ]] || continue
    cand_voice "$pkg" "$f" "nexuiz/tutorial__$(basename "$f" .ogg).flac" nexuiz_tutorial GPL-2+ 0 \
      "$pk3!${f#"$WORK"/nexuiz/}"
  done
  for v in pyria-skadi insurrectionist soldier; do
    for f in "$WORK/nexuiz/sound/player/$v/coms"/*.ogg; do
      cand_voice "$pkg" "$f" "nexuiz/${v}__$(basename "$f" .ogg).flac" "nexuiz_$v" GPL-2+ 0 "$pk3!${f#"$WORK"/nexuiz/}"
    done
  done
}
# Bos Wars: the narrator of the tutorial and of the "<unit>.ready" / "<unit>.underattack" reports (one male
# voice). The "<unit>_select" / "_action" lines are radio-processed voices or effects: left out.
queue_boswars() {
  local pkg=boswars-data root f
  fetch_deb "$pkg"; root="$DEB_ROOT/usr/share/games/boswars"
  for f in "$root"/campaigns/tutorial/*.wav; do
    cand_voice "$pkg" "$f" "boswars/narrator__tutorial-$(basename "$f" .wav).flac" boswars_narrator GPL-2+
  done
  while IFS= read -r f; do
    # the unit folder goes into the name: nukeplant and powerplant have files of the same name
    cand_voice "$pkg" "$f" "boswars/narrator__$(basename "$(dirname "$f")")-$(basename "$f" .wav | tr . -).flac" \
      boswars_narrator GPL-2+ "$UNIT_LINE_MAX_S"
  done < <(find "$root/units" -type f \( -name '*.ready.wav' -o -name '*.underattack.wav' \) | sort)
}
# gcin-voice: Mandarin syllables, <bopomofo>/3.ogg (one voice, GPL-3 or LGPL-3) and <bopomofo>/5.ogg (a second
# voice; every one of its files is shorter than MIN_SPEECH_S, so it is not queued). Output names carry the
# syllable's code points in hex (ㄅㄚ1 -> 3105-311a-31).
queue_gcin() {
  local pkg=gcin-voice f syl
  fetch_deb "$pkg"
  for f in "$DEB_ROOT"/usr/share/gcin-voice/ogg/*/3.ogg; do
    syl=$(basename "$(dirname "$f")" | iconv -f UTF-8 -t UTF-32BE | od -An -v -tx4 | xargs -n1 | sed 's/^0*//' | paste -sd-)
    cand_voice "$pkg" "$f" "gcin/voice3__$syl.flac" gcin_voice3 GPL-3-or-LGPL-3
  done
}
# FreedroidRPG: Tux's in-game comments (one voice); the droid voice_samples are robot-processed: left out
queue_freedroid() {
  local pkg=freedroidrpg-data f
  fetch_deb "$pkg"
  for f in "$DEB_ROOT"/usr/share/freedroidrpg/data/sound/effects/tux_ingame_comments/*.ogg; do
    cand_voice "$pkg" "$f" "freedroidrpg/tux__$(basename "$f" .ogg).flac" freedroidrpg_tux GPL-2+
  done
}
# Flare: the two merchants' greetings (a female and a male voice)
queue_flare() {
  local pkg=flare-game f who
  fetch_deb "$pkg"
  for f in "$DEB_ROOT"/usr/share/games/flare/mods/fantasycore/soundfx/npcs/*_merchant_*.ogg; do
    who=$(basename "$f" | cut -d_ -f1)
    cand_voice "$pkg" "$f" "flare/${who}-merchant__$(basename "$f" .ogg).flac" "flare_${who}-merchant" CC-BY-SA-3.0+
  done
}
# Linphone: the 16 kHz test greeting (one female voice; hello8000.wav is the same at 8 kHz)
queue_linphone() {
  local pkg=linphone-common
  fetch_deb "$pkg"
  cand_voice "$pkg" "$DEB_ROOT/usr/share/sounds/linphone/hello16000.wav" linphone/hello__hello16000.flac linphone_hello GPL-3+
}

# 0 A.D. (public.zip, audio/voice/<civ>/civ/civ_<gender>_<line>_<n>.ogg): the units' spoken acknowledgements
# ("build", "my lord", "what is it", ...) in the civilisations' languages. Grouping rule: one voice = one
# civilisation + gender, because the game's credits (gui/credits/texts/audio.json, "Voices") name one actor per
# civilisation and gender and no actor twice: Greek female = Kaitlynn Hegarty, Latin female = Camille Tidjditi,
# Latin male = Nicolas Auvray, Persian female = Bahare Abasian, Persian male = Mostafa Lotfi (median F0 of the
# groups 211 / 219 / 133 / 235 / 167 Hz agrees with the names). Left out: the 4 Greek male files (no actor credited,
# so they may be one of the credited men; older 48 kHz takes, one of them a war cry), both Napatan voices (Marine
# Hasselvender, Stanislas Dolcini: harmonics turned to noise above ~1.5-2 kHz, fixed-frequency notches and a
# rising high band, i.e. denoised / codec-processed before the Vorbis encode), global/civ_dog_* (a dog). Every
# queued file is a spoken word or phrase (no grunts, death cries or yells in these folders).
ZAD_VOICES="greek/female latin/female latin/male persian/female persian/male"
queue_0ad() {
  local pkg=0ad-data zip v civ sex f zrel n
  fetch_deb "$pkg"; zip=usr/share/games/0ad/mods/public/public.zip
  rm -rf "$WORK/0ad"; mkdir -p "$WORK/0ad"
  unzip -q -o "$DEB_ROOT/$zip" 'audio/voice/*.ogg' -d "$WORK/0ad"
  for v in $ZAD_VOICES; do
    civ=${v%/*} sex=${v#*/} n=0
    for f in "$WORK/0ad/audio/voice/$civ/civ/civ_${sex}_"*.ogg; do
      [[ -f "$f" ]] || continue; n=$((n + 1)); zrel=${f#"$WORK"/0ad/}
      cand_voice "$pkg" "$f" "0ad/$civ-${sex}__$(basename "$f" .ogg).flac" "0ad_$civ-$sex" CC-BY-SA-3.0 0 "$zip!$zrel"
    done
    [[ $n -gt 0 ]] || die "missing in $pkg: $zip!audio/voice/$civ/civ/civ_${sex}_*.ogg"
  done
}

# ---------------------------------------------------------------- output
write_readme() {
  local dir=$1
  {
    cat <<EOF
# Extra speech corpus (16 kHz)

More real voices for TRAINING the noise suppressor, speech only: voices that no other training corpus has, from
Debian packages that are not reserved for evaluation. Same manifest layout and format as the starter corpus:
FLAC 16 kHz mono 16-bit, levels as recorded. It has no noise: use it with \`--more-corpus\` beside a corpus that
has noise (e.g. \`--corpus data/corpora/starter-groups --more-corpus data/corpora/extra-speech\`).

\`\`\`
speech/nexuiz/        Nexuiz: tutorial narrator (male) and 3 player voices' team-chat lines
speech/boswars/       Bos Wars: the narrator (tutorial, unit reports; unit lines cut to ${UNIT_LINE_MAX_S} s)
speech/gcin/          gcin-voice: Mandarin syllables, one voice (files of at least ${MIN_SPEECH_S} s only)
speech/freedroidrpg/  FreedroidRPG: Tux's comments
speech/flare/         Flare: a female and a male merchant
speech/linphone/      Linphone: the 16 kHz test greeting (female)
speech/0ad/           0 A.D.: unit acknowledgements of 5 voice actors (Greek, Latin, Persian; one group per
                      civilisation + gender, as the game's credits name one actor for each)
\`\`\`

Selection: files stored at ${MIN_RATE} Hz or more, speech at least ${MIN_SPEECH_S} s, not clipped (no more than
${CLIP_MAX_COUNT} samples at a peak >= 0.99 in any channel of the original), wideband (RMS of the whole file minus RMS
above 4 kHz below ${WIDEBAND_MAX_DB} dB), no exact duplicates, in md5 order of the output path up to
${SPEECH_GROUP_CAP_S} s per voice. Processed voices (robots, monsters, radio filters, reverberant announcers, denoised or
codec-processed takes) and voices whose actor is not credited were left out by name after looking at their
spectrograms and credits.

**Splits.** valid holds whole voices: the first max(1, round(${VALID_SPEECH_PCT} %)) of all the voices in md5 order of
the group name. test.txt is empty. Speech minutes train $(split_minutes "$dir" train speech), valid $(split_minutes "$dir" valid speech).
Valid groups: $(tr '\n' ' ' < "$WORK/valid_groups")

Dropped: $(cut -f1 "$REJECTS" | sort | uniq -c | awk '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2 }').

EOF
    readme_totals_and_rebuild "$dir" build-extra-speech.sh
  } > "$dir/README.md"
}
write_attribution() {
  cat > "$1" <<EOF
# Attribution and licenses

Each file keeps the license of its source (column \`license\` of MANIFEST.tsv); files were only decoded, mixed
to mono, resampled to 16 kHz and (Bos Wars unit lines) cut to ${UNIT_LINE_MAX_S} s. Each Debian package's copyright
file is in \`LICENSES/<package>.copyright\`.

| part | source | license | attribution |
|---|---|---|---|
| speech/nexuiz | \`nexuiz-data\` ${PKGVER[nexuiz-data]} (data.pk3) | GPL-2+ | Nexuiz, Alientrap (Lee Vermeulen) and contributors. |
| speech/boswars | \`boswars-data\` ${PKGVER[boswars-data]} | GPL-2+ | Bos Wars, the Bos Wars and Stratagus Project. |
| speech/gcin | \`gcin-voice\` ${PKGVER[gcin-voice]} (*/3.ogg) | GPL-3 or LGPL-3 | gcin voice files, Edward Der-Hua Liu (2014). |
| speech/freedroidrpg | \`freedroidrpg-data\` ${PKGVER[freedroidrpg-data]} | GPL-2+ | FreedroidRPG team. |
| speech/flare | \`flare-game\` ${PKGVER[flare-game]} | CC-BY-SA-3.0+ | Flare, Clint Bellanger and others. |
| speech/linphone | \`linphone-common\` ${PKGVER[linphone-common]} | GPL-3+ | Linphone, Belledonne Communications. |
| speech/0ad | \`0ad-data\` ${PKGVER[0ad-data]} (public.zip, audio/voice) | CC-BY-SA-3.0 | 0 A.D., Wildfire Games; voices: Kaitlynn Hegarty (greek-female), Camille Tidjditi (latin-female), Nicolas Auvray (latin-male), Bahare Abasian (persian-female), Mostafa Lotfi (persian-male). |

GPL / LGPL: pass on the license text and offer the source (the Debian source package of the name and version in
MANIFEST.tsv). CC-BY-SA: attribute, and audio derived from these files that you pass on stays CC-BY-SA (the
CC-BY-SA-3.0 text is in \`LICENSES/0ad-data.copyright\`).
EOF
}

# ================================================================ main
queue_nexuiz
queue_boswars
queue_gcin
queue_freedroid
queue_flare
queue_linphone
queue_0ad
if cut -f4 "$CANDS" | grep -Eq "$RESERVED_RE"; then die "a reserved evaluation package is among the candidates"; fi
if [[ $DRY_RUN = 1 ]]; then cut -f3,5 "$CANDS" | sort | uniq -c >&2; rm -rf "$STAGE"; exit 0; fi
process_all

for g in $(cut -f5 "$CANDS" | sort -u); do
  select_group "$g" "$MIN_SPEECH_S" "$SPEECH_GROUP_CAP_S" 1 1
done
stage_manifest_splits_gpl
for l in GPL-3 LGPL-3; do cp "/usr/share/common-licenses/$l" "$STAGE/LICENSES/$l.txt"; done
finish_build
