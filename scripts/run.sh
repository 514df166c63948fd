#!/usr/bin/env bash
# Builds and starts Twenty Sync on a Debian/Ubuntu machine, installing the missing system
# packages first. Data lives in the OS data directory (~/.local/share/twenty-sync) unless
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
cargo build --release --locked -p twenty-sync
exec "$repo/target/release/twenty-sync" run "$@"
