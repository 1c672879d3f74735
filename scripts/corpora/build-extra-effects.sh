#!/usr/bin/env bash
# build-extra-effects.sh - build an extra TRAINING noise corpus of SUDDEN, SHORT, LOUD one-shot sounds (impacts,
# splashes, crashes, explosions, shots, door and gear clunks, tools, footsteps, cartoon/game effects), the
# transients the stationary noise of build-extra-noise.sh lacks, from Debian packages that are not reserved
# for evaluation (see build-unseen-eval.sh for the reserved ones).
# Effects only: voices, screams, grunts, announcers, jingles and music are never listed.
#
# Usage: build-extra-effects.sh OUT_DIR [--pkg-cache DIR] [--work DIR] [--jobs N] [--dry-run]
#   --pkg-cache DIR  where .deb files are kept / downloaded (default: ~/.cache/corpus-debs)
#   --work DIR       scratch folder, kept for reuse (default: a temporary folder, removed at exit)
#   --jobs N         parallel conversions (default 2)
#   --dry-run        list the candidate files per group and stop (nothing converted)
#
# Needs (as root): apt-get update && apt-get install -y sox libsox-fmt-all ffmpeg unzip
# Same packages -> same bytes: sox -R, md5-ordered selection, pinned package versions.
# Splits: whole groups go to valid where a folder has 3 or more groups, else single files; test is empty.
set -euo pipefail
BUILDER=extra-effects
SCRIPT_PATH=$(readlink -f "${BASH_SOURCE[0]}")
# shellcheck source=lib.sh
source "$(dirname "$SCRIPT_PATH")/lib.sh"

# ---------------------------------------------------------------- settings
MIN_ONESHOT_S=0.2       # one-shots shorter than this are dropped (clicks too short to train on)
WIDEBAND_MAX_DB=50      # band-limited (dropped): RMS(full) - RMS(>4 kHz) >= this (as in build-extra-noise.sh)
CLIP_MAX_COUNT=0.1%     # clipping-heavy (dropped): more than this share of a channel's samples at a >= 0.99 peak
MIN_RMS_DB=-60          # near-silent (dropped): RMS of the 16 kHz file below this (dBFS)
NOISE_MAX_S=20          # longer files are cut to their first N seconds
GROUP_CAP_S=240         # at most 4 min per group, so that no group dominates
VALID_SPEECH_PCT=12     # (no speech here; write_splits reads it only for speech)
VALID_NOISE_PCT=15      # share of noise groups (or files, where a folder has < 3 groups) in valid

declare -A PIN=(
  [supertuxkart-data]=1.4+dfsg-2
  [openttd-opensfx]=1.0.3-2
  [torcs-data]=1.3.7+dfsg-5
  [flightgear-data-base]=1:2020.3.16+dfsg-1
  [redeclipse-data]=1.6.0-1
  [hedgewars-data]=1.0.2-6
  [0ad-data]=0.0.26-1
  [wesnoth-1.16-data]=1:1.16.9-1
)
# RESERVED_RE (lib.sh): the packages reserved for evaluation, never read here (checked against every source
# before writing the manifest).

parse_builder_args "" "$@"
need_tools
common_setup "$OUT_ARG"

# ---------------------------------------------------------------- sources
# Every source is named explicitly (a file list or a folder/prefix glob inside an effects folder). The files
# already in build-extra-noise.sh (OpenTTD trees, jackhammer, bridge, plane wheels; TORCS skids) are not listed.

# add_list PKG ROOT FOLDER GROUP LICENSE NAME...: queue ROOT/NAME for each NAME (path relative to ROOT, with
# extension) as noise/FOLDER/GROUP-suffix__NAME-with-slashes-as-dashes.flac
add_list() {
  local pkg=$1 root=$2 folder=$3 grp=$4 lic=$5 n slug; shift 5
  for n in "$@"; do
    slug=$(sed 's|\.[a-z0-9]*$||; s|/|-|g' <<< "$n")
    cand_deb_noise "$pkg" "$root/$n" "noise/$folder/${grp#*_}__$slug.flac" "$grp" "$lic" "$slug"
  done
}

# SuperTuxKart cartoon and impact effects; only files with their own entry in the Debian copyright file
# (crash*, splash, bowling_shoot have none and fall under "Files: *", so they are left out). Left out too:
# WilhelmScream, ugh, wee (voices), jingles/fanfares, birds, PA and radio, UI sounds.
STK_FILES="sfx/anvil.ogg GPL-2+
sfx/ball_bounce.ogg GPL-2+
sfx/boing.ogg CC0
sfx/break.ogg CC-BY-SA-3.0
sfx/bubblegum_explode.ogg CC-BY-3.0
sfx/explosion.ogg CC0
sfx/hammer.ogg CC-BY-3.0
sfx/metal_clang.ogg CC-BY-3.0
sfx/plopp.ogg CC0
sfx/plunger.ogg CC-BY-SA-3.0
sfx/shoot.ogg GPL-2
sfx/strike.ogg CC-BY-SA-3.0
sfx/swatter.ogg CC-BY-3.0
sfx/wooden_bridge.ogg public-domain
sfx/goo.ogg CC-BY-3.0"
queue_stk() {
  local pkg=supertuxkart-data rel lic
  fetch_deb "$pkg"
  while read -r rel lic; do
    add_list "$pkg" "$DEB_ROOT/usr/share/games/supertuxkart/data" supertuxkart stk_effects "$lic" "$rel"
  done <<< "$STK_FILES"
}

# OpenTTD OpenSFX: crashes, explosions, breakdowns and construction splats, chosen by their title (collection
# CC-BY-SA-3.0; single samples CC-BY-3.0, CC-BY-SA-3.0 or CC0, credits in LICENSES/openttd-opensfx-credits.tsv).
# Left out: the jingles (Good/Bad Year), "Oooh sound" (crowd voices), beeps, morse, animals.
openttd_effect() {
  case "$1" in
    "Splat (building docks/canals/river)"|"Road vehicle breakdown"|"Train/ship breakdown"|"Crash"|"Explosion"|\
    "Big crash"|"Cash till"|"Splat (terraform/non-rail builds"|"Splat (rail builds)"|"Toyland: Sugar mine (1)"|\
    "Toyland: Sugar mine (2)"|"Toyland: Toy factory (1)"|"Toyland: Bubble plop"|"Toyland: Toffee quarry"|\
    "Toyland: Road vehicle breakdown"|"Toyland: Train breakdown") echo effects ;;
  esac
}

# TORCS crashes, bangs and backfires; FlightGear crash, door, gear, gun and tyre effects (both GPL-2+, Files: *).
# Left out: FlightGear coughing (human), warning horns and beeps.
TORCS_FILES="crash1 crash2 crash3 crash4 crash5 crash6 bottom_crash boom backfire gear_change1"
FG_FILES="crash door_close gatling gear-lck gear click squeal squeal2 helicopter-skid"
queue_torcs_fg() {
  local pkg
  pkg=torcs-data; fetch_deb "$pkg"
  # shellcheck disable=SC2046
  add_list "$pkg" "$DEB_ROOT/usr/share/games/torcs/data/sound" torcs torcs_crashes GPL-2+ $(printf '%s.wav ' $TORCS_FILES)
  pkg=flightgear-data-base; fetch_deb "$pkg"
  # shellcheck disable=SC2046
  add_list "$pkg" "$DEB_ROOT/usr/share/games/flightgear/Sounds" flightgear flightgear_effects GPL-2+ $(printf '%s.wav ' $FG_FILES)
}

# Red Eclipse weapon, impact and physics effects (CC-BY-SA-3.0+, Files: * of the copyright file). Left out:
# voice/, announcer/, player death/pain/jump/land (grunts), music, UI, the energy weapons (plasma, zapper) and
# the tonal notify/beep/alarm sounds.
RE_IMPACTS="weapons/explode weapons/explode2 weapons/explode3 weapons/mine/explode weapons/mine/explode2 weapons/mine/explode3
  weapons/rifle/explode weapons/rifle/explode2 weapons/rifle/explode3 weapons/shotgun/explode weapons/shotgun/explode2
  weapons/thud weapons/thud2 weapons/thud3 weapons/thwack weapons/thwack2 weapons/thwack3 weapons/tink weapons/ricochet
  sfx/bounce sfx/bounce2 sfx/bounce3 sfx/debris sfx/debris2 sfx/debris3 sfx/splashin sfx/splashin2 sfx/splashin3
  sfx/splashout sfx/splashout2 sfx/splashout3 sfx/splosh sfx/splosh2 sfx/splosh3 sfx/extinguish sfx/extinguish2
  sfx/extinguish3 player/footstep player/footstep2 player/footstep3 player/footstep4 player/footstep5 player/concstep
  player/concstep2 player/concstep3 player/swimstep player/swimstep2 player/swimstep3 player/swimstep4"
RE_WEAPONS="pistol/primary pistol/primary2 pistol/primary3 pistol/secondary pistol/secondary2 pistol/reload
  shotgun/primary shotgun/primary2 shotgun/secondary shotgun/reload smg/primary smg/secondary smg/secondary2
  smg/secondary3 smg/reload rifle/primary rifle/primary2 rifle/primary3 rifle/secondary rifle/reload rocket/primary
  rocket/primary2 rocket/primary3 rocket/reload grenade/primary flamer/primary flamer/secondary sword/primary sword/secondary"
queue_redeclipse() {
  local pkg=redeclipse-data root
  fetch_deb "$pkg"; root="$DEB_ROOT/usr/share/games/redeclipse/data/sounds"
  # shellcheck disable=SC2046
  add_list "$pkg" "$root" redeclipse redeclipse_impacts CC-BY-SA-3.0 $(printf '%s.ogg ' $RE_IMPACTS)
  # shellcheck disable=SC2046
  add_list "$pkg" "$root" redeclipse redeclipse_weapons CC-BY-SA-3.0 $(printf 'weapons/%s.ogg ' $RE_WEAPONS)
}

# Hedgewars effect sounds in Data/Sounds (GFDL-1.3; Droplet*: CC-BY-SA-3.0). Never the voice packs
# (Data/Sounds/voices); left out too: hell_* and hogchant (voices), Yoohoo, Kiss, homerun, music
# (ride_of_the_valkyries), note and countdown tones, custom*, UI and sci-fi sounds.
HW_FILES="airmine_impact baseballbat bump explosion firepunch_hit frozen_hog_impact graveimpact grenadeimpact gun
  hammer knife_impact melonimpact mineimpact mortar pickhammer shotgunfire shotgunreload sniperreload splash
  whipcrack molotov egg placed throwrelease ropeshot ropeattach shutterclick steps minigun planewater
  rubberduck_drop rubberduck_water"
queue_hedgewars() {
  local pkg=hedgewars-data root n
  fetch_deb "$pkg"; root="$DEB_ROOT/usr/share/games/hedgewars/Data/Sounds"
  # shellcheck disable=SC2046
  add_list "$pkg" "$root" hedgewars hedgewars_effects GFDL-1.3 $(printf '%s.ogg ' $HW_FILES)
  for n in Droplet1 Droplet2 Droplet3; do add_list "$pkg" "$root" hedgewars hedgewars_effects CC-BY-SA-3.0 "$n.ogg"; done
}

# 0 A.D. attack, impact, work and footstep effects from public.zip (CC-BY-SA-3.0, Files: *). Left out: human and
# animal deaths (screams), fauna, flesh hits, siege move loops and order/select/trained cues (may be voices),
# fire loops, gather/harvest "expire" cues, ships, interface sounds, unit voices, music.
ZAD_GLOBS="impacts attack/impact/arrow attack/impact/shield_ attack/impact/sling_ attack/impact/siegeprojectilehit
  attack/destruction/ attack/siege/ballist_attack attack/siege/ballist_rome_attack attack/siege/onager_shooting attack/siege/ram_attack.ogg
weapons attack/weapon/sword_attack attack/weapon/swordhit attack/weapon/spear_attack attack/weapon/pike_attack
  attack/weapon/jav_attack attack/weapon/bow_attack attack/weapon/sling attack/weapon/Musket attack/weapon/arrowfly
work resource/construction/ resource/lumbering/ resource/mining/ actor/gate/ resource/farming/hoe resource/foraging/leaves
  resource/gathering/gather_field resource/gathering/gather_fruit resource/gathering/gather_meat
steps actor/singlesteps/fs_ actor/human/movement/Footsteps/ actor/human/movement/hstep actor/mounted/movement/mstep"
queue_0ad() {
  local pkg=0ad-data zip grp prefixes p f zrel n
  fetch_deb "$pkg"; zip="$DEB_ROOT/usr/share/games/0ad/mods/public/public.zip"
  rm -rf "$WORK/0ad"; mkdir -p "$WORK/0ad"
  unzip -q -o "$zip" 'audio/attack/*.ogg' 'audio/resource/*.ogg' 'audio/actor/gate/*.ogg' \
    'audio/actor/singlesteps/*.ogg' 'audio/actor/human/movement/*.ogg' 'audio/actor/mounted/movement/*.ogg' -d "$WORK/0ad"
  # the globs are joined into one line per group (continuation lines start with blanks)
  while read -r grp prefixes; do
    for p in $prefixes; do
      n=0
      for f in "$WORK/0ad/audio/"$p*; do
        [[ -f "$f" && $f == *.ogg ]] || continue; n=$((n + 1))
        zrel=${f#"$WORK/0ad/"}
        cand "$f" "noise/0ad/${grp}__$(sed 's|^audio/||; s|\.ogg$||; s|/|-|g' <<< "$zrel").flac" noise \
          "$(debsrc "$pkg" "${zip#"$DEB_ROOT"/}!$zrel")" "0ad_$grp" CC-BY-SA-3.0 "$(basename "$zrel" .ogg)" "$NOISE_MAX_S"
      done
      [[ $n -gt 0 ]] || die "missing in $pkg: audio/$p*"
    done
  done < <(awk '/^[^ ]/ { if (l != "") print l; l = $0; next } { l = l " " $0 } END { print l }' <<< "$ZAD_GLOBS")
}

# Battle for Wesnoth core attack and object sounds (the copyright file: the whole package GPL-2+). Left out:
# every *-die, *-hit, laugh, growl, hiss, wail, groan and ugg sound (creature and human voices), magic and
# UI sounds, fanfares, music, and the older .wav takes of mace, spear and staff (same output names).
WN_FILES="axe.ogg bow.ogg bow-miss.ogg bow-puny.ogg bow-puny-miss.ogg bow-puny-fire.ogg bow-puny-fire-miss.ogg
  cave-in.ogg club.ogg club-miss.ogg crossbow.ogg crossbow-miss.ogg crossbow-fire.ogg crossbow-fire-miss.ogg
  dagger-swish.wav dart.wav dragonstick.ogg dragonstick-miss.ogg explosion.ogg fist.ogg flail.ogg flail-miss.ogg
  gold.ogg gunshot.wav hatchet.wav hatchet-miss.wav horse-canter.wav horse-elf-canter.wav knife.ogg mace.ogg
  mace-miss.ogg net.wav open-chest.wav pincers.ogg sling.ogg sling-miss.ogg sling-big.ogg sling-big-miss.ogg
  spear.ogg spear-miss.ogg staff.ogg staff-miss.ogg sword-1.ogg throw-1.wav throw-2.wav
  throw-3.wav throw-4.wav throwing-knife.ogg throwing-knife-miss.ogg thunderstick.ogg thunderstick-miss.ogg"
queue_wesnoth() {
  local pkg=wesnoth-1.16-data root
  fetch_deb "$pkg"; root="$DEB_ROOT/usr/share/games/wesnoth/1.16/data/core/sounds"
  # shellcheck disable=SC2086
  add_list "$pkg" "$root" wesnoth wesnoth_weapons GPL-2+ $WN_FILES
}

# ---------------------------------------------------------------- output
write_readme() {
  local dir=$1
  {
    cat <<EOF
# Extra effects corpus (16 kHz, training)

Noise for TRAINING the noise suppressor: SUDDEN, SHORT, LOUD one-shot sounds (impacts, crashes, explosions,
splashes, shots, clunks, tools, footsteps, cartoon/game effects), which the stationary noise of the extra-noise
corpus lacks. From Debian packages that are not reserved for evaluation (no asterisk it/ru, fillets, music on
hold or ufoai files). Same manifest layout and format as the other corpora: FLAC 16 kHz mono 16-bit, levels as
recorded. No speech: every source file is named in the script (file lists, or name prefixes inside effects
folders); voices, screams, grunts, announcers, jingles and music are left out.

\`\`\`
noise/supertuxkart/  SuperTuxKart: effects__ (anvil, bounces, breaks, explosion, hammer, clang, swatter, ...)
noise/openttd/       OpenTTD OpenSFX: effects__ (crashes, explosion, breakdowns, construction splats, toyland)
noise/torcs/         TORCS: crashes__ (car crashes, bangs, backfire, gear change)
noise/flightgear/    FlightGear: effects__ (crash, door, gear, gatling, tyre squeal, clicks)
noise/redeclipse/    Red Eclipse: impacts__ (explosions, thuds, debris, splashes, footsteps), weapons__ (shots, reloads)
noise/hedgewars/     Hedgewars Data/Sounds effects: effects__ (impacts, explosions, shots, splashes, whip, steps)
noise/wesnoth/       Battle for Wesnoth: weapons__ (axes, bows, clubs, maces, swords, shots, throws, cave-in, hooves)
noise/0ad/           0 A.D.: impacts__ (arrows, shields, slings, siege, collapse), weapons__ (swords, spears, bows),
                     work__ (construction, lumbering, mining, farming, gathering, gates), steps__ (footsteps, hooves)
\`\`\`

Selection: files of at least ${MIN_ONESHOT_S} s, cut to ${NOISE_MAX_S} s; dropped when clipping-heavy (more than ${CLIP_MAX_COUNT} of the
samples of a channel of the original at a peak >= 0.99), band-limited (RMS of the whole file minus RMS above
4 kHz at least ${WIDEBAND_MAX_DB} dB), near-silent (RMS below ${MIN_RMS_DB} dBFS) or an exact duplicate of another source; in md5
order of the output path up to ${GROUP_CAP_S} s per group.

EOF
    noise_readme_splits "$dir"
    readme_totals_and_rebuild "$dir" build-extra-effects.sh
  } > "$dir/README.md"
}
write_attribution() {
  {
    noise_attribution_intro
    cat <<EOF
| noise/supertuxkart | \`supertuxkart-data\` ${PKGVER[supertuxkart-data]} | per file (column license): GPL-2+, GPL-2, CC0, CC-BY-3.0, CC-BY-SA-3.0, public domain | anvil: Battle for Wesnoth team; ball_bounce: wansti (SuperTux team); explosion: ZAQraven; plopp: pacomav; swatter: "Snottyboi"; the others: the SuperTuxKart team and the authors named per file in \`LICENSES/supertuxkart-data.copyright\`. |
| noise/openttd | \`openttd-opensfx\` ${PKGVER[openttd-opensfx]} | CC-BY-SA-3.0 (the collection; single samples CC-BY-3.0, CC-BY-SA-3.0 or CC0) | OpenSFX, Janis Lukss, Wuzzy, Richard Wheeler and the freesound.org authors named per file in \`LICENSES/openttd-opensfx-credits.tsv\`. |
| noise/torcs | \`torcs-data\` ${PKGVER[torcs-data]} | GPL-2+ | TORCS, Eric Espié, Christophe Guionneau, Bernhard Wymann and contributors. |
| noise/flightgear | \`flightgear-data-base\` ${PKGVER[flightgear-data-base]} | GPL-2+ | FlightGear, Curtis L. Olson and the FlightGear team. |
| noise/redeclipse | \`redeclipse-data\` ${PKGVER[redeclipse-data]} | CC-BY-SA-3.0 (the copyright file: CC-BY-SA-3.0+) | Red Eclipse Team. |
| noise/hedgewars | \`hedgewars-data\` ${PKGVER[hedgewars-data]} | GFDL-1.3 (Droplet1-3: CC-BY-SA-3.0) | Hedgewars, Andrey Korotaev; Droplet*: "saugox" (freesound.org). |
| noise/wesnoth | \`wesnoth-1.16-data\` ${PKGVER[wesnoth-1.16-data]} | GPL-2+ | Battle for Wesnoth, David White and the Wesnoth contributors. |
| noise/0ad | \`0ad-data\` ${PKGVER[0ad-data]} | CC-BY-SA-3.0 | 0 A.D., Wildfire Games. |

GPL / GFDL: pass on the license text (LICENSES/) and offer the source (the Debian source package of the name
and version in MANIFEST.tsv). CC-BY / CC-BY-SA: attribute as above; audio derived from CC-BY-SA files that you
pass on stays CC-BY-SA. The CC license texts are in the copyright files of openttd-opensfx, 0ad-data,
redeclipse-data and hedgewars-data.
EOF
  } > "$1"
}

# ================================================================ main
queue_stk
queue_openttd openttd_effect
queue_torcs_fg
queue_redeclipse
queue_hedgewars
queue_0ad
queue_wesnoth
process_candidates

for g in $(cut -f5 "$CANDS" | sort -u); do
  select_group "$g" "$MIN_ONESHOT_S" "$GROUP_CAP_S" 1 1 "$MIN_RMS_DB"
done
stage_manifest_splits_gpl
[[ ! -f /usr/share/common-licenses/GPL-3 ]] || cp /usr/share/common-licenses/GPL-3 "$STAGE/LICENSES/GPL-3.txt"
cp /usr/share/common-licenses/GFDL-1.3 "$STAGE/LICENSES/GFDL-1.3.txt"
awk -F'\t' 'NR == FNR { k[$1]; next } ($1 in k)' <(cut -f1 "$ROWS") "$WORK/openttd-credits.tsv" | sort > "$STAGE/LICENSES/openttd-opensfx-credits.tsv"
finish_build
