#!/usr/bin/env bash
# Installs the RNNoise peer of `nnse eval --peer-cmd` (docs/generalization.md, "RNNoise as a peer"): the pinned
# @jitsi/rnnoise-wasm of package-lock.json into scripts/peers/rnnoise/node_modules (git-ignored), then checks
# that rnnoise.mjs runs and its output is aligned with its input. Needs node >= 18 and npm (Debian: nodejs, npm).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
for tool in node npm; do
  command -v "$tool" >/dev/null || { echo "setup.sh: $tool not found: install Node.js (Debian: apt-get install nodejs npm)" >&2; exit 1; }
done
major=$(node -p 'process.versions.node.split(".")[0]')
if (( major < 18 )); then
  echo "setup.sh: node $(node --version) is too old: rnnoise.mjs needs node 18 or newer" >&2
  exit 1
fi
# npm ci installs exactly the lock file's versions and fails if package.json and the lock disagree; the package
# has no install scripts, and none are run.
(cd "$here" && npm ci --ignore-scripts --no-audit --no-fund)
node "$here/check-alignment.mjs"
echo "RNNoise peer ready: nnse eval ... --peer-cmd \"node scripts/peers/rnnoise/rnnoise.mjs {in} {out}\" --peer-name rnnoise"
