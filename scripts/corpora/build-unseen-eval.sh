#!/usr/bin/env bash
# build-unseen-eval.sh - build the independent evaluation set (speakers and noises that no training
# corpus of the project contains). NEVER train on it: every file is in splits/test.txt.
#
# Usage: build-unseen-eval.sh OUT_DIR [--pkg-cache DIR] [--starter DIR] [--work DIR] [--jobs N]
#   --pkg-cache DIR  where .deb files are kept / downloaded (default: ~/.cache/corpus-debs)
#   --starter DIR    the starter corpus; files its MANIFEST.tsv already uses are left out here
#                    (default: ../shared/corpus beside the checkout)
#   --work DIR       scratch folder, kept for reuse (default: a temporary folder, removed at exit)
#   --jobs N         parallel conversions (default 2)
#
# Needs (as root): apt-get update && apt-get install -y sox libsox-fmt-all ffmpeg unzip
# Same packages -> same bytes: sox -R, md5-ordered selection, pinned package versions.
set -euo pipefail
BUILDER=unseen-eval
SCRIPT_PATH=$(readlink -f "${BASH_SOURCE[0]}")
# shellcheck source=lib.sh
source "$(dirname "$SCRIPT_PATH")/lib.sh"

# ---------------------------------------------------------------- settings
MIN_SPEECH_S=1.5        # shorter prompts carry too little speech to score
GROUP_CAP_S=540         # seconds per voice; Dutch fillets is mostly narrowband (few pass), so it+ru carry ~18 min
WIDEBAND_MAX_DB=30      # keep speech if RMS(full) - RMS(>4 kHz) < this (same rule as the starter corpus)
NOISE_MAX_S=120         # long noise tracks are cut to their first N seconds
CLIP_MAX_COUNT=1000000  # clipping is not a reason to drop evaluation files (only measured)

# The packages the project reserves for independent evaluation, at the versions this was written for.
declare -A PIN=(
  [asterisk-core-sounds-it-g722]=1.6.1-1
  [asterisk-core-sounds-ru-g722]=1.6.1-1
  [fillets-ng-data-nl]=1.0.1-1.1
  [fillets-ng-data]=1.0.1-1.1
  [asterisk-moh-opsound-g722]=2.03-1.1
  [ufoai-sound]=2.5-2
)

# ---------------------------------------------------------------- arguments
OUT_ARG="" WORK="" JOBS=2 STARTER="$(dirname "$SCRIPT_PATH")/../../../shared/corpus"
PKG_CACHE="${HOME:-/root}/.cache/corpus-debs"
usage() { awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "$SCRIPT_PATH"; exit "${1:-0}"; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --pkg-cache) PKG_CACHE=$2; shift 2 ;;
    --starter) STARTER=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    --jobs) JOBS=$2; shift 2 ;;
    -h|--help) usage 0 ;;
    -*) echo "unknown option $1" >&2; usage 2 ;;
    *) [[ -z "$OUT_ARG" ]] || usage 2; OUT_ARG=$1; shift ;;
  esac
done
[[ -n "$OUT_ARG" ]] || usage 2
need_tools
[[ -f "$STARTER/MANIFEST.tsv" ]] || die "no starter manifest at $STARTER/MANIFEST.tsv (--starter): needed to leave its files out"
common_setup "$OUT_ARG"

# in_starter PKG PATH: true when the starter corpus already uses this file of this package (any version)
in_starter() { awk -F'\t' -v p="$1" -v f="$2" 'NR > 1 { split($3, a, ":"); sub(/=.*/, "", a[2])
  if (a[1] == "deb" && a[2] == p && substr($3, length(a[1] a[2]) + 2) ~ (":" f "$")) { found = 1; exit } }
  END { exit !found }' "$STARTER/MANIFEST.tsv"; }

# ---------------------------------------------------------------- speech
# Asterisk prompts: the voice's top-level prompts (not digits/, letters/, ...: single words, spelled)
queue_asterisk() {
  local pkg=$1 lic=$2 dir voice f
  fetch_deb "$pkg"
  for dir in "$DEB_ROOT"/usr/share/asterisk/sounds/*/; do
    voice=$(basename "$dir")
    for f in "$dir"*.g722; do
      cand "$f" "speech/asterisk_${voice%%_*}/$(basename "$f" .g722).flac" speech \
        "$(debsrc "$pkg" "${f#"$DEB_ROOT"/}")" "$voice" "$lic" "$(basename "$f" .g722)" 0
    done
    VOICES+=("$voice")
  done
}
# fillets Dutch dialogue: <level>/nl/<prefix>-<role>-<name>.ogg; role m = small fish (female actor),
# v = big fish (male actor), anything else = minor roles (several actors, kept as one group)
queue_fillets_nl() {
  local pkg=fillets-ng-data-nl snd f rel lvl base role group
  fetch_deb "$pkg"; snd="$DEB_ROOT/usr/share/games/fillets-ng/sound"
  while IFS= read -r f; do
    rel=${f#"$snd"/}; lvl=${rel%/nl/*}; lvl=${lvl//\//-}; base=$(basename "$f" .ogg)
    role=$(cut -d- -f2 <<< "$base")
    case "$role" in m|v) group=fillets_nl_$role ;; *) group=fillets_nl_minor ;; esac
    cand "$f" "speech/fillets_nl/${lvl}__${base}.flac" speech "$(debsrc "$pkg" "${f#"$DEB_ROOT"/}")" \
      "$group" GPL-2 "$lvl" 0
  done < <(find "$snd" -path '*/nl/*.ogg' -type f | sort)
}

# ---------------------------------------------------------------- noise
# fillets effects: the shared sp-* sounds and the object sounds (<prefix>-x-<name>, keyboard and lock
# clicks). Files with a character role letter are voices (some of them words), so they stay out.
queue_fillets_fx() {
  local pkg=fillets-ng-data snd f base lvl
  fetch_deb "$pkg"; snd="$DEB_ROOT/usr/share/games/fillets-ng/sound"
  while IFS= read -r f; do
    base=$(basename "$f" .ogg); lvl=$(dirname "${f#"$snd"/}"); lvl=${lvl%/en}; lvl=${lvl//\//-}
    [[ "$base" =~ ^sp- || "$base" =~ ^[a-z0-9]+-x- || "$base" =~ ^(key|enter|space|unlocking-)[0-9]+$ ]] || continue
    cand "$f" "noise/fillets_fx/${lvl}__${base}.flac" noise "$(debsrc "$pkg" "${f#"$DEB_ROOT"/}")" \
      fillets_fx GPL-2 "$base" 0
  done < <(find "$snd" -maxdepth 3 -type f -name '*.ogg' \( -path '*/en/*' -o -path '*/share/sp-*' \) | sort)
}
queue_moh() {
  local pkg=asterisk-moh-opsound-g722 f rel
  fetch_deb "$pkg"
  for f in "$DEB_ROOT"/usr/share/asterisk/moh/*.g722; do
    rel=${f#"$DEB_ROOT"/}
    if in_starter "$pkg" "$rel"; then continue; fi
    cand "$f" "noise/moh_unseen/$(basename "$f" .g722).flac" noise "$(debsrc "$pkg" "$rel")" moh_unseen \
      CC-BY-SA-3.0 "$(basename "$f" .g722)" "$NOISE_MAX_S"
  done
}
ufoai_license() {   # from the ufoai-sound copyright file (Files: stanzas naming sound/ambience/)
  case "$1" in
    bloodspiderwalk|minepump03) echo CC-BY-3.0 ;;
    creak|droning_long|droning_short|fire1|fire2|firesoft|jingle|jingle2|sparks|water) echo GPL-2 ;;
    city_abnd_ufoai_atm|cricket_loop|hum|hum2|lights_loop|machine1|radiomessage|sparks_short|steam|ufo_night_atm) echo GPL-2+ ;;
    *) echo CC-BY-SA-3.0 ;;
  esac
}
queue_ufoai() {
  local pkg=ufoai-sound f n inner
  fetch_deb "$pkg"
  rm -rf "$WORK/ufoai"; mkdir -p "$WORK/ufoai"
  unzip -q -o "$DEB_ROOT/usr/share/games/ufoai/base/0snd.pk3" 'sound/ambience/*' -d "$WORK/ufoai"
  for f in "$WORK/ufoai/sound/ambience"/*.ogg; do
    n=$(basename "$f" .ogg); inner="usr/share/games/ufoai/base/0snd.pk3!sound/ambience/$n.ogg"
    if in_starter "$pkg" "$inner"; then continue; fi
    cand "$f" "noise/ufoai_unseen/$n.flac" noise "$(debsrc "$pkg" "$inner")" ufoai_unseen \
      "$(ufoai_license "$n")" "$n" "$NOISE_MAX_S"
  done
}

# ---------------------------------------------------------------- output
write_readme() {
  local dir=$1 sp no
  sp=$(awk -F'\t' 'NR > 1 && $2 == "speech" {s += $6} END {printf "%.1f", s / 60}' "$dir/MANIFEST.tsv")
  no=$(awk -F'\t' 'NR > 1 && $2 == "noise" {s += $6} END {printf "%.1f", s / 60}' "$dir/MANIFEST.tsv")
  {
    cat <<EOF
# Unseen evaluation set (16 kHz) - do not train on it

Speech ($sp min) and noise ($no min) from Debian packages that the project keeps out of every
training corpus: voices and noise recordings that a model trained on the starter corpus (or the
extra training set) has never heard. Use it only to measure how well a model generalizes. All files
are in \`splits/test.txt\`; \`train.txt\` and \`valid.txt\` are empty on purpose.

Layout as the starter corpus (manifest layout, FLAC 16 kHz mono 16-bit, levels as recorded):

\`\`\`
speech/asterisk_it/   Asterisk IVR prompts, Italian, 1 male voice (it_IT_m_Carlo)
speech/asterisk_ru/   Asterisk IVR prompts, Russian, 1 female voice (ru_RU_f_IvrvoiceRU)
speech/fillets_nl/    Dutch game dialogue, <level>__<clip>.flac; groups fillets_nl_m (small fish),
                      fillets_nl_v (big fish), fillets_nl_minor (other roles)
noise/fillets_fx/     Fish Fillets sound effects (bubbles, impacts, clicks, keyboard, machines)
noise/moh_unseen/     music on hold track(s) the starter corpus does not use, first ${NOISE_MAX_S} s
noise/ufoai_unseen/   UFO:AI ambience loops the starter corpus does not use
\`\`\`

Selection: speech files of at least ${MIN_SPEECH_S} s that pass the wideband check (RMS of the whole
file minus RMS above 4 kHz below ${WIDEBAND_MAX_DB} dB), taken per voice in md5 order of the output path
until ${GROUP_CAP_S} s per voice; exact duplicates are dropped. Noise: every candidate, cut to ${NOISE_MAX_S} s.
Starter corpus files (by its MANIFEST.tsv source column) are excluded.

## Totals

EOF
    summary "$dir"
    cat <<EOF

## Packages and download size

EOF
    download_table
    cat <<EOF

## Rebuild

\`\`\`
apt-get update && apt-get install -y sox libsox-fmt-all ffmpeg unzip
bash build.sh OUT_DIR --pkg-cache ~/.cache/corpus-debs --starter ../shared/corpus
\`\`\`

(\`build.sh\` is a copy of \`scripts/corpora/build-unseen-eval.sh\` with \`lib.sh\` next to it.)
Licenses: see ATTRIBUTION.md and the license column of MANIFEST.tsv.
EOF
  } > "$dir/README.md"
}

write_attribution() {
  cat > "$1" <<EOF
# Attribution and licenses

Each file keeps the license of its source (column \`license\` of MANIFEST.tsv); files were only
decoded, mixed to mono, resampled to 16 kHz and (noise) cut to ${NOISE_MAX_S} s. The copyright file of
each Debian package is copied to \`LICENSES/<package>.copyright\`.

| part | source | license | attribution |
|---|---|---|---|
| speech/asterisk_it | \`asterisk-core-sounds-it-g722\` ${PKGVER[asterisk-core-sounds-it-g722]} | CC-BY-3.0 | Recorded by Carlo Flora (carloflora.com), translated by Silvia Petrin, 2012. |
| speech/asterisk_ru | \`asterisk-core-sounds-ru-g722\` ${PKGVER[asterisk-core-sounds-ru-g722]} | CC-BY-3.0 | Provided by Maxim Topal (ivrvoice.ru), 2010. |
| speech/fillets_nl | \`fillets-ng-data-nl\` ${PKGVER[fillets-ng-data-nl]} | GPL-2 (version 2 only) | Fish Fillets - Next Generation, Dutch voices; ALTAR interactive, Ivo and Pavel Danihelka and contributors. |
| noise/fillets_fx | \`fillets-ng-data\` ${PKGVER[fillets-ng-data]} | GPL-2 (version 2 only) | Fish Fillets - Next Generation; ALTAR interactive, Ivo and Pavel Danihelka and contributors. |
| noise/moh_unseen | \`asterisk-moh-opsound-g722\` ${PKGVER[asterisk-moh-opsound-g722]} | CC-BY-SA-3.0 | "System" by Reno Project, 2008, CC-BY-SA-3.0 with the author's permission. |
| noise/ufoai_unseen | \`ufoai-sound\` ${PKGVER[ufoai-sound]} | per file (GPL-2+ or CC-BY-SA-3.0) | UFO: Alien Invasion sound team and contributors. |

CC-BY / CC-BY-SA: name the authors and the license and say the files were converted; audio derived
from CC-BY-SA files that you pass on stays CC-BY-SA. GPL: pass on the license text and offer the
source (the Debian source package of the name and version in MANIFEST.tsv).
EOF
}

# ================================================================ main
VOICES=()
queue_asterisk asterisk-core-sounds-it-g722 CC-BY-3.0
queue_asterisk asterisk-core-sounds-ru-g722 CC-BY-3.0
queue_fillets_nl
queue_fillets_fx
queue_moh
queue_ufoai
process_all

for g in "${VOICES[@]}" fillets_nl_m fillets_nl_v fillets_nl_minor; do
  select_group "$g" "$MIN_SPEECH_S" "$GROUP_CAP_S" 1 0
done
for g in fillets_fx moh_unseen ufoai_unseen; do select_group "$g" 0 0 0 0; done
prune_stage

write_manifest "$STAGE"
mkdir -p "$STAGE/splits" "$STAGE/LICENSES"
: > "$STAGE/splits/train.txt"; : > "$STAGE/splits/valid.txt"
tail -n +2 "$STAGE/MANIFEST.tsv" | cut -f1 > "$STAGE/splits/test.txt"
for n in GPL-2; do cp "/usr/share/common-licenses/$n" "$STAGE/LICENSES/$n.txt"; done
finish_build
