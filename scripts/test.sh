#!/usr/bin/env bash
# Runs every test of Twenty Sync on a fresh Debian/Ubuntu machine: installs the missing system
# packages, then formatting, lints, the whole workspace's tests (core, fake Twenty, desktop shell
# with Tauri's mock runtime), the desktop smoke test under Xvfb, the web UI end to end in
# Chromium, and the Debian package: built, checked, installed, run and removed.
#
#   scripts/test.sh
#
# Works as root or as a user with sudo. Takes well under 30 minutes on 2 cores from a clean clone.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
step() { printf '\n== %s\n' "$*"; }
started=$SECONDS

step "system packages"
scripts/install-system-deps.sh build desktop-test browser-test keyring package

step "formatting (cargo fmt --check)"
cargo fmt --all --check

step "lints (cargo clippy --workspace --all-targets -D warnings)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "tests (cargo test --workspace, stress suites included)"
TWENTY_SYNC_STRESS=1 cargo test --workspace --locked

# The stress suites (tests/it/stress: crash, faults, soak; they run only with
# TWENTY_SYNC_STRESS=1) and the fuzz corpus regression (tests/it/fuzz_corpus.rs) run in the step
# above. Fuzzing itself needs cargo-fuzz and a nightly
# toolchain and its build takes minutes, so it is opt-in: FUZZ_SECONDS=N runs each target N s.
if [[ "${FUZZ_SECONDS:-0}" -gt 0 ]]; then
  step "fuzzing (cargo fuzz, ${FUZZ_SECONDS} s per target)"
  if cargo +nightly fuzz --version >/dev/null 2>&1; then
    (cd fuzz && for target in $(cargo +nightly fuzz list); do
      mkdir -p "target/corpus/$target" && cp "corpus/$target"/* "target/corpus/$target/"
      cargo +nightly fuzz run -O "$target" "target/corpus/$target" -- \
        -max_total_time="$FUZZ_SECONDS" -max_len=4096
    done)
  else
    echo "cargo-fuzz or the nightly toolchain is missing; the seed corpora ran in cargo test"
  fi
fi

step "desktop smoke test under Xvfb"
scripts/smoke-desktop.sh "$repo/target/desktop-smoke.png"

step "web UI end to end in Chromium (Playwright)"
scripts/test-e2e.sh

step "Debian package (build, contents, install, desktop app under Xvfb, one instance, remove)"
scripts/test-package.sh "$repo/target/package-smoke.png"

printf '\nall tests passed in %d s\n' $((SECONDS - started))
