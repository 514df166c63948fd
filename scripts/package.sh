#!/usr/bin/env bash
# Builds the Debian package of Twenty Sync with Tauri's bundler: the desktop app
# (/usr/bin/twenty-sync-desktop, its .desktop entry and icons), the `twenty-sync` command line
# (/usr/bin/twenty-sync) and the runtime dependencies (WebKitGTK 4.1, the tray library), version
# from Cargo.toml. Prints the .deb's path on its last line:
#
#   scripts/package.sh        ->  <target>/release/bundle/deb/twenty-sync_<version>_amd64.deb
#
# <target> is CARGO_TARGET_DIR when set, else target/. Needs the build packages
# (scripts/install-system-deps.sh build package) and the Tauri CLI from crates.io (`cargo tauri`,
# installed here with `cargo install tauri-cli --locked --version 2.12.4` when it is missing:
# the CLI this bundle was made and tested with).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
log() { echo "package: $*" >&2; }

target=${CARGO_TARGET_DIR:-$repo/target}
case $target in /*) ;; *) target=$repo/$target ;; esac

PKG_CONFIG_ALLOW_SYSTEM_LIBS=1 pkg-config --exists ayatana-appindicator3-0.1 2>/dev/null || {
    log "the bundler needs the tray library's pkg-config file: run scripts/install-system-deps.sh package"
    exit 1
}
if ! cargo tauri --version >/dev/null 2>&1; then
    log "installing the Tauri CLI from crates.io (cargo install tauri-cli --locked --version 2.12.4)"
    cargo install tauri-cli --locked --version 2.12.4
fi

version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' Cargo.toml)
[[ -n $version ]] || { log "no version in Cargo.toml's [workspace.package]"; exit 1; }
arch=$(dpkg --print-architecture 2>/dev/null || echo amd64)

log "building the command line (release)"
cargo build --release --locked -p twenty-sync --bin twenty-sync >&2
cli="$target/release/twenty-sync"
[[ -x $cli ]] || { log "the command line was not built at $cli"; exit 1; }

# The bundler puts files from tauri.conf.json's bundle.linux.deb.files into the package; their
# source is this build's target folder (the committed config names target/).
config=$(printf '{"bundle":{"linux":{"deb":{"files":{"/usr/bin/twenty-sync":"%s"}}}}}' "$cli")
log "bundling the desktop app (cargo tauri build --bundles deb)"
(cd src-tauri && cargo tauri build --bundles deb --config "$config" -- --locked) >&2

dir="$target/release/bundle/deb"
built=$(ls -t "$dir"/*_"${version}"_"${arch}".deb 2>/dev/null | grep -v "/twenty-sync_${version}_${arch}.deb$" | head -n 1 || true)
deb="$dir/twenty-sync_${version}_${arch}.deb"
# The bundler names the file after the product ("Twenty Sync_…"); the package is twenty-sync.
if [[ -n $built ]]; then
    mv -f "$built" "$deb"
fi
[[ -f $deb ]] || { log "no package for $version ($arch) in $dir"; exit 1; }
log "built $(dpkg-deb -f "$deb" Package) $(dpkg-deb -f "$deb" Version) ($(du -h "$deb" | cut -f1))"
echo "$deb"
