#!/usr/bin/env bash
# Smoke test of the desktop app: builds it, runs it under a private Xvfb (with its agent on a
# temporary data directory), waits for the "Twenty Sync" window, screenshots the screen and
# fails if the screenshot is blank or the Status screen did not render (its accent colour, on
# the active "Status" tab and the "Sync now" button, must be on screen).
#
#   scripts/smoke-desktop.sh [SCREENSHOT.png]      (default: target/desktop-smoke.png)
#
# Honours CARGO_TARGET_DIR. Needs: Xvfb, xwininfo (x11-utils), ImageMagick
# (scripts/install-system-deps.sh build desktop-test installs them).
set -euo pipefail

WINDOW_TITLE="Twenty Sync"
TIMEOUT_S=30

die() { echo "smoke-desktop: FAIL: $*" >&2; exit 1; }
log() { echo "smoke-desktop: $*"; }

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${1:-$repo/target/desktop-smoke.png}
case $out in /*) ;; *) out="$PWD/$out" ;; esac
cd "$repo"

# This image has a wrapper at /usr/local/bin/convert that shadows ImageMagick: use full paths.
IMPORT=/usr/bin/import
CONVERT=/usr/bin/convert
for tool in Xvfb xwininfo "$IMPORT" "$CONVERT"; do
    command -v "$tool" >/dev/null 2>&1 \
        || die "'$tool' not found; run: scripts/install-system-deps.sh desktop-test"
done

log "building twenty-sync-desktop"
build_start=$SECONDS
cargo build -p twenty-sync-desktop
log "build took $((SECONDS - build_start)) s"
bin="${CARGO_TARGET_DIR:-$repo/target}/debug/twenty-sync-desktop"
[[ -x $bin ]] || die "built binary not found at $bin"

work=$(mktemp -d)
xvfb_pid=""
app_pid=""
cleanup() {
    # Only our own processes, by pid: the app first (its WebKit helpers follow it), then Xvfb.
    for pid in $app_pid $xvfb_pid; do
        if kill -0 "$pid" 2>/dev/null; then
            kill "$pid" 2>/dev/null || true
            for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
            kill -9 "$pid" 2>/dev/null || true
        fi
    done
    rm -rf "$work"
}
trap cleanup EXIT

# A private X server on the first free display; Xvfb writes the number it picked to fd 3.
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$work/display" 2>"$work/xvfb.log" &
xvfb_pid=$!
for _ in $(seq 50); do [[ -s $work/display ]] && break; sleep 0.1; done
[[ -s $work/display ]] || { cat "$work/xvfb.log" >&2; die "Xvfb did not start"; }
export DISPLAY=":$(tr -d '[:space:]' <"$work/display")"
log "Xvfb on $DISPLAY"

TWENTY_SYNC_DATA_DIR="$work/data" "$bin" >"$work/app.log" 2>&1 &
app_pid=$!
log "started $bin (pid $app_pid)"

app_failed() {
    echo "---- app output ----" >&2
    cat "$work/app.log" >&2
    die "$*"
}

# 1. Wait (bounded) for the window to be mapped.
deadline=$((SECONDS + TIMEOUT_S))
until xwininfo -root -tree 2>/dev/null | grep -q "\"$WINDOW_TITLE\""; do
    kill -0 "$app_pid" 2>/dev/null || app_failed "the app exited before its window appeared"
    ((SECONDS < deadline)) || app_failed "no \"$WINDOW_TITLE\" window after ${TIMEOUT_S} s"
    sleep 0.5
done
log "window \"$WINDOW_TITLE\" is up after $((SECONDS - deadline + TIMEOUT_S)) s"

# 2. Screenshot until the page has painted (the window maps before WebKit draws), bounded.
mkdir -p "$(dirname "$out")"
shot="$work/shot.png"
stddev=0
colours=0
accent=0
chart=0
while :; do
    sleep 1
    kill -0 "$app_pid" 2>/dev/null || app_failed "the app exited while rendering"
    "$IMPORT" -window root "$shot" || die "screenshot with $IMPORT failed"
    stddev=$("$CONVERT" "$shot" -format '%[fx:standard_deviation]' info:)
    colours=$("$CONVERT" "$shot" -format '%k' info:)
    # Share of pixels in the Status screen's accent colour (#1f6f55: active tab, "Sync now") and
    # in the chart's queue line (#1d5fa8), which is drawn only once the agent's status arrived.
    share() {
        "$CONVERT" "$shot" -fuzz 6% -fill black +opaque "$1" -fill white -opaque "$1" \
            -format '%[fx:mean]' info:
    }
    accent=$(share '#1f6f55')
    chart=$(share '#1d5fa8')
    if awk -v s="$stddev" -v c="$colours" -v a="$accent" -v q="$chart" \
        'BEGIN { exit !(s > 0.01 && c > 16 && a > 0.001 && q > 0.0008) }'; then
        break
    fi
    ((SECONDS < deadline + 15)) || {
        cp "$shot" "$out"
        app_failed "screenshot looks blank or not the Status screen (stddev=$stddev, colours=$colours, accent=$accent, chart=$chart), saved to $out"
    }
done
cp "$shot" "$out"

if [[ -s $work/app.log ]]; then
    echo "---- app output ----"
    cat "$work/app.log"
    echo "--------------------"
fi
kill -0 "$app_pid" 2>/dev/null || app_failed "the app died right after the screenshot"
log "OK: Status screen rendered (stddev=$stddev, colours=$colours, accent=$accent, chart=$chart), saved to $out"
