#!/usr/bin/env bash
# Builds and starts Twenty Sync on a Debian/Ubuntu machine, installing the missing system
# packages first: the desktop app (window + tray) when a display is available and no arguments
# are given, else the headless agent `twenty-sync run`, which prints the address of its web UI
# (set TWENTY_SYNC_HEADLESS=1 to force it). Data lives in the OS data directory (~/.local/share/twenty-sync) unless
# TWENTY_SYNC_DATA_DIR or --data-dir says otherwise. Extra arguments go to `twenty-sync run`.
#
#   scripts/run.sh [ARGS...]
#
# Set TWENTY_CRM_BASE_URL and TWENTY_CRM_API_KEY to sync with your Twenty workspace; without
# them every intent is recorded and waits.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
scripts/install-system-deps.sh build
if [[ $# -eq 0 && -n ${DISPLAY:-}${WAYLAND_DISPLAY:-} && ${TWENTY_SYNC_HEADLESS:-0} != 1 ]]; then
    cargo build --release --locked -p twenty-sync-desktop
    exec "$repo/target/release/twenty-sync-desktop"
fi
cargo build --release --locked -p twenty-sync
exec "$repo/target/release/twenty-sync" run "$@"
