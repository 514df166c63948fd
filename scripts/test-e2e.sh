#!/usr/bin/env bash
# End-to-end test of the web UI in a real browser (Debian's Chromium driven by playwright-core)
# against the real `twenty-sync run` and the fake Twenty. Installs the node packages with
# `npm ci` (never downloads a browser), builds the two binaries, runs the stories
# tests/e2e/*.test.mjs one after the other (first-run: a new user from first start to "in sync";
# settings: what Save stores, the actions' answers, checks not run, unsaved changes; imports:
# the progress bar of a 60,000-row file, warnings in Imports and Activity, each file's outcome in
# Twenty with its failed records, a dry run beside the agent, an import killed and resumed;
# records: failed records a person can act on, a duplicate's Twenty record, Link, Dismiss;
# mapping: a chosen file's columns → fields table, a column changed, a wrong value marked,
# Save mapping, Import this file, a JSON file dropped; about: the About screen, the server
# detected, the desktop-only Start at login said to be the app's).
# Screenshots of every screen, wide and 420 px, land in tests/e2e/artifacts/.
#
#   scripts/test-e2e.sh [STORY.test.mjs...]      (default: every story)
#
# Honours CARGO_TARGET_DIR. Needs node >= 20, npm and /usr/bin/chromium
# (scripts/install-system-deps.sh browser-test).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
die() { echo "test-e2e: FAIL: $*" >&2; exit 1; }

command -v node >/dev/null 2>&1 || die "node not found; install nodejs (>= 20) and npm"
command -v npm >/dev/null 2>&1 || die "npm not found"
[[ -x ${CHROMIUM:-/usr/bin/chromium} ]] || die "chromium not found; run: scripts/install-system-deps.sh browser-test"

echo "test-e2e: node packages (npm ci)"
(cd tests/e2e && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)

echo "test-e2e: building twenty-sync and fake-twenty"
cargo build --locked -p twenty-sync -p fake-twenty
target="${CARGO_TARGET_DIR:-$repo/target}/debug"

rm -rf tests/e2e/artifacts
mkdir -p tests/e2e/artifacts
cd tests/e2e
stories=("$@")
((${#stories[@]})) || stories=(./*.test.mjs)
# The whole run is bounded too (every wait inside is).
TWENTY_SYNC_BIN="$target/twenty-sync" FAKE_TWENTY_BIN="$target/fake-twenty" \
    timeout 900 node --test --test-concurrency=1 --test-timeout=480000 "${stories[@]}"
echo "test-e2e: screenshots in tests/e2e/artifacts/"
