#!/usr/bin/env bash
# Proof that the Debian package installs and runs: builds it (scripts/package.sh), checks its
# metadata and contents (dpkg-deb -I / -c: both binaries, the desktop entry, icons, Depends, no
# maintainer script), unpacks it into a scratch root and runs the CLI from there, installs it
# for real with apt (dependencies resolved by apt), runs the installed `twenty-sync --version`
# and `status` with a temporary HOME, starts the installed desktop app the way the applications
# menu does (its .desktop entry's Exec) under Xvfb with a D-Bus session and screenshots its
# window, checks that a second launch exits 0 and leaves the first window (single instance, also
# when started as Start at login starts it), then `apt-get remove` and checks that the user's
# data is still there.
#
#   scripts/test-package.sh [SCREENSHOT.png]    (default: <target>/package-smoke.png)
#
# Needs root or sudo (apt-get install/remove) and no twenty-sync package installed already.
# Honours CARGO_TARGET_DIR. Needs: Xvfb, xwininfo, ImageMagick, dbus-daemon and the tray
# library's headers for the bundler (scripts/install-system-deps.sh build desktop-test keyring
# package).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
die() { echo "test-package: FAIL: $*" >&2; exit 1; }
log() { echo "test-package: $*"; }

target=${CARGO_TARGET_DIR:-$repo/target}
case $target in /*) ;; *) target=$repo/$target ;; esac
out=${1:-$target/package-smoke.png}
case $out in /*) ;; *) out="$PWD/$out" ;; esac

IMPORT=/usr/bin/import
CONVERT=/usr/bin/convert
for tool in Xvfb xwininfo dbus-daemon "$IMPORT" "$CONVERT"; do
    command -v "$tool" >/dev/null 2>&1 \
        || die "'$tool' not found; run: scripts/install-system-deps.sh desktop-test keyring"
done
sudo=()
if ((EUID != 0)); then
    command -v sudo >/dev/null 2>&1 || die "installing the package needs root or sudo"
    sudo=(sudo)
fi
if dpkg-query -W -f='${db:Status-Abbrev}' twenty-sync 2>/dev/null | grep -q '^ii'; then
    die "the twenty-sync package is already installed on this machine; remove it first (apt-get remove twenty-sync)"
fi

# ---- 1. build ------------------------------------------------------------------------------
log "building the package"
deb=$(scripts/package.sh | tail -n 1)
[[ -f $deb ]] || die "scripts/package.sh printed no package ($deb)"
version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' Cargo.toml)
log "package: $deb"

# ---- 2. metadata and contents ----------------------------------------------------------------
info=$(dpkg-deb -I "$deb")
echo "$info" | sed 's/^/    /'
field() { dpkg-deb -f "$deb" "$1"; }
[[ $(field Package) == twenty-sync ]] || die "Package is '$(field Package)', not twenty-sync"
[[ $(field Version) == "$version" ]] || die "Version is '$(field Version)', Cargo.toml says $version"
depends=$(field Depends)
for dep in libwebkit2gtk-4.1-0 libgtk-3-0 libayatana-appindicator3-1; do
    [[ $depends == *"$dep"* ]] || die "Depends lacks $dep: $depends"
done
# apt remove must leave the user's data alone: the package runs no script of its own.
for script in preinst postinst prerm postrm; do
    ! echo "$info" | grep -qw "$script" || die "the package has a $script script"
done
# The paths (from the sixth column on: a name may hold spaces), without a leading ./ or /.
contents=$(dpkg-deb -c "$deb" | awk '{ for (i = 1; i <= 5; i++) $i = ""; sub(/^ +/, ""); sub(/^\.?\//, ""); print }')
need() { echo "$contents" | grep -qx -- "$1" || die "the package lacks /$1"; }
need usr/bin/twenty-sync
need usr/bin/twenty-sync-desktop
entry_path=$(echo "$contents" | grep '^usr/share/applications/.*\.desktop$' | head -n 1)
[[ -n $entry_path ]] || die "the package has no .desktop entry"
for size in 32x32 64x64 128x128 256x256 512x512; do
    echo "$contents" | grep -q "^usr/share/icons/hicolor/$size/apps/.*\.png$" \
        || die "the package has no $size icon"
done
log "contents: both binaries, /$entry_path, icons 32–512 px; Depends: $depends"

work=$(mktemp -d)
xvfb_pid=""
dbus_pid=""
app_pids=()
installed=""
cleanup() {
    for pid in "${app_pids[@]}" $dbus_pid $xvfb_pid; do
        if kill -0 "$pid" 2>/dev/null; then
            kill "$pid" 2>/dev/null || true
            for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
            kill -9 "$pid" 2>/dev/null || true
        fi
    done
    if [[ -n $installed ]]; then
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq twenty-sync >/dev/null 2>&1 || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# ---- 3. a scratch root -----------------------------------------------------------------------
root="$work/root"
dpkg-deb -x "$deb" "$root"
scratch_version=$("$root/usr/bin/twenty-sync" --version)
[[ $scratch_version == "twenty-sync $version" ]] || die "scratch root: --version said '$scratch_version'"
HOME="$work/scratch-home" "$root/usr/bin/twenty-sync" --data-dir "$work/scratch-data" status >/dev/null \
    || die "scratch root: status failed"
log "scratch root: $scratch_version, status answers"

# ---- 4. install with apt ---------------------------------------------------------------------
log "installing with apt-get install ./$(basename "$deb")"
cp "$deb" "$work/"
chmod 0755 "$work"
chmod 0644 "$work/$(basename "$deb")"
installed=yes
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "$work/$(basename "$deb")" >"$work/apt.log" 2>&1 || { cat "$work/apt.log" >&2; die "apt-get install failed"; }
[[ $(command -v twenty-sync) == /usr/bin/twenty-sync ]] || die "twenty-sync is not /usr/bin/twenty-sync on PATH"

home="$work/home"
mkdir -p "$home"
data="$home/.local/share/twenty-sync"
cli_version=$(env -i HOME="$home" PATH=/usr/bin:/bin twenty-sync --version)
[[ $cli_version == "twenty-sync $version" ]] || die "installed --version said '$cli_version'"
status=$(env -i HOME="$home" PATH=/usr/bin:/bin twenty-sync status) || die "installed status failed"
echo "$status" | grep -q '^state:' || die "installed status said: $status"
[[ -d $data ]] || die "status kept no data in $data"
log "installed: $cli_version; status answers; data in ~/.local/share/twenty-sync"

# ---- 5. the desktop app, as the applications menu starts it ----------------------------------
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$work/display" 2>"$work/xvfb.log" &
xvfb_pid=$!
for _ in $(seq 50); do [[ -s $work/display ]] && break; sleep 0.1; done
[[ -s $work/display ]] || { cat "$work/xvfb.log" >&2; die "Xvfb did not start"; }
display=":$(tr -d '[:space:]' <"$work/display")"

entry="/$entry_path"
exec_line=$(sed -n 's/^Exec=//p' "$entry" | head -n 1)
[[ -n $exec_line ]] || die "$entry has no Exec line"
read -ra command <<<"${exec_line// %[fFuU]/}"
[[ $(command -v "${command[0]}") == /usr/bin/twenty-sync-desktop ]] \
    || die "$entry starts '${command[0]}', not the installed app"
log "starting '$exec_line' from $entry on $display"

# One D-Bus session for every launch (the single-instance plugin finds the first one on it).
dbus-daemon --session --fork --print-address=1 --print-pid=1 >"$work/bus" 2>"$work/dbus.log" \
    || { cat "$work/dbus.log" >&2; die "no D-Bus session (dbus-daemon)"; }
bus=$(sed -n 1p "$work/bus")
dbus_pid=$(sed -n 2p "$work/bus")
[[ -n $bus && -n $dbus_pid ]] || die "dbus-daemon printed no address"
app_env=(env -i HOME="$home" PATH=/usr/bin:/bin DISPLAY="$display" DBUS_SESSION_BUS_ADDRESS="$bus")
start_app() { # start_app LOG ARGS...: the installed app in the background; its pid in $app_pid
    local logfile=$1
    shift
    "${app_env[@]}" "$@" >"$logfile" 2>&1 &
    app_pid=$!   # env execs the app: this is the app's own pid
    app_pids+=("$app_pid")
}
window_state() { # the main window's map state: IsViewable, IsUnMapped or nothing
    DISPLAY=$display xwininfo -name "Twenty Sync" 2>/dev/null | sed -n 's/^ *Map State: //p'
}
fail_app() {
    echo "---- app output ----" >&2
    cat "$work"/app*.log >&2 || true
    die "$*"
}
wait_window() { # wait_window STATE PID: until the window is in STATE (bounded)
    local deadline=$((SECONDS + 30))
    until [[ $(window_state) == "$1" ]]; do
        kill -0 "$2" 2>/dev/null || fail_app "the app exited (waiting for its window to be $1)"
        ((SECONDS < deadline)) || fail_app "the window is '$(window_state)', not $1, after 30 s"
        sleep 0.5
    done
}

start_app "$work/app1.log" "${command[@]}"
first=$app_pid
wait_window IsViewable "$first"
log "the window is up"

mkdir -p "$(dirname "$out")"
shot="$work/shot.png"
deadline=$((SECONDS + 30))
while :; do
    sleep 1
    DISPLAY=$display "$IMPORT" -window root "$shot" || die "screenshot failed"
    stddev=$("$CONVERT" "$shot" -format '%[fx:standard_deviation]' info:)
    accent=$("$CONVERT" "$shot" -fuzz 6% -fill black +opaque '#1f6f55' -fill white -opaque '#1f6f55' \
        -format '%[fx:mean]' info:)
    if awk -v s="$stddev" -v a="$accent" 'BEGIN { exit !(s > 0.01 && a > 0.001) }'; then break; fi
    ((SECONDS < deadline)) || { cp "$shot" "$out"; fail_app "the window stays blank (stddev=$stddev, accent=$accent), saved to $out"; }
done
cp "$shot" "$out"
log "screenshot of the installed app's window: $out (stddev=$stddev, accent=$accent)"
[[ -d $data/logs ]] || die "the desktop app keeps no logs in $data/logs"

# ---- 6. one instance ---------------------------------------------------------------------------
# Start again the way Start at login does (`--hidden`: the window starts minimised where a window
# manager honours it; never hidden, so it cannot be out of reach), then launch a second time from
# the menu, and once more as the login entry: each exits 0 (handed over to the first, which would
# otherwise keep running on its own) and the first keeps its window.
kill "$first"
for _ in $(seq 50); do kill -0 "$first" 2>/dev/null || break; sleep 0.2; done
kill -0 "$first" 2>/dev/null && die "the first app did not stop"
start_app "$work/app2.log" /usr/bin/twenty-sync-desktop --hidden
first=$app_pid
wait_window IsViewable "$first"
log "started as Start at login starts it: the window is there, minimised where a window manager runs"
for launch in "${command[*]}" "/usr/bin/twenty-sync-desktop --hidden"; do
    set +e
    # shellcheck disable=SC2086 # the launch is words on purpose
    "${app_env[@]}" timeout 30 $launch >"$work/app3.log" 2>&1
    second=$?
    set -e
    ((second == 0)) || fail_app "the second launch ($launch) exited $second, not 0"
    kill -0 "$first" 2>/dev/null || fail_app "the first app exited on the second launch ($launch)"
done
wait_window IsViewable "$first"
log "a second launch exits 0 and the first window stays"
kill "$first"
for _ in $(seq 50); do kill -0 "$first" 2>/dev/null || break; sleep 0.2; done

# ---- 7. remove ---------------------------------------------------------------------------------
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq twenty-sync >"$work/apt.log" 2>&1 \
    || { cat "$work/apt.log" >&2; die "apt-get remove failed"; }
installed=""
[[ ! -e /usr/bin/twenty-sync && ! -e /usr/bin/twenty-sync-desktop ]] || die "the binaries are still there after apt-get remove"
[[ -d $data && -n $(ls -A "$data") ]] || die "apt-get remove took the user's data ($data)"
ls "$data" | grep -q . || die "the data directory is empty"
log "removed; the user's data is still in ~/.local/share/twenty-sync ($(ls "$data" | tr '\n' ' '))"
log "OK"
