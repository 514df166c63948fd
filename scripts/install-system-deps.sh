#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages Twenty Sync needs to build and test, only those missing.
#
#   scripts/install-system-deps.sh [GROUP...]     GROUP: build desktop-test browser-test keyring
#                                                 package all
#                                                 (no GROUP = all)
#
# Idempotent: checks each package with dpkg-query, runs apt-get update + install only when
# something is missing, and uses sudo only when not root and only then. Non-interactive.
set -euo pipefail

usage() {
    sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
}

# Package lists per group. "a|b" means either one will do (the first is installed).
group_packages() {
    case $1 in
        # cargo build of the Tauri shell: WebKitGTK 4.1 (pulls GTK 3, libsoup 3, JSC).
        # libdbus-1-dev: the keyring crate's Secret Service client (core crate, Linux).
        build) echo "build-essential pkg-config libwebkit2gtk-4.1-dev libdbus-1-dev" ;;
        # scripts/smoke-desktop.sh: Xvfb, xwininfo, ImageMagick (import/convert); the tray
        # icon loads libayatana-appindicator3 at run time (without it the app runs trayless).
        desktop-test) echo "xvfb xauth imagemagick x11-utils libayatana-appindicator3-1" ;;
        # headless browser tests of the web UI.
        browser-test) echo "chromium" ;;
        # keyring tests: a Secret Service (gnome-keyring) on a session bus (dbus-run-session).
        keyring) echo "gnome-keyring dbus|dbus-x11" ;;
        # scripts/package.sh: the Tauri bundler finds the tray library with pkg-config (it
        # panics without it) to declare it in the package's Depends.
        package) echo "libayatana-appindicator3-dev" ;;
        *) return 1 ;;
    esac
}
ALL_GROUPS="build desktop-test browser-test keyring package"

command -v dpkg-query >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 || {
    echo "install-system-deps: this script needs a Debian/Ubuntu system (dpkg + apt-get)" >&2
    exit 1
}

installed() {
    [[ $(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null) == ii* ]]
}

# "ubuntu" for Ubuntu and its derivatives (Chromium is a snap there), else the distro id.
distro=$( . /etc/os-release 2>/dev/null && case " ${ID:-} ${ID_LIKE:-} " in
    *" ubuntu "*) echo ubuntu ;; *) echo "${ID:-unknown}" ;; esac ) || distro=unknown

groups=()
for arg in "${@:-all}"; do
    case $arg in
        all) read -ra more <<<"$ALL_GROUPS"; groups+=("${more[@]}") ;;
        -h|--help) usage ;;
        *)
            group_packages "$arg" >/dev/null || { echo "install-system-deps: unknown group '$arg'" >&2; usage; }
            groups+=("$arg")
            ;;
    esac
done

declare -A missing_by_group=()
declare -A note_by_group=()
to_install=()
failed=0
seen=" "
for group in "${groups[@]}"; do
    [[ $seen == *" $group "* ]] && continue
    seen+="$group "
    missing=()
    for spec in $(group_packages "$group"); do
        IFS='|' read -ra alternatives <<<"$spec"
        ok=""
        for pkg in "${alternatives[@]}"; do installed "$pkg" && { ok=1; break; }; done
        [[ -n $ok ]] && continue
        pkg=${alternatives[0]}
        if [[ $pkg == chromium && $distro == ubuntu ]]; then
            # Ubuntu ships Chromium only as a snap (chromium-browser is a snap wrapper), which
            # does not work in containers/CI. Accept any Chromium already on PATH.
            if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
                continue
            fi
            note_by_group[$group]="chromium NOT installed: on Ubuntu it is not a plain apt package (Ubuntu: snap install chromium, or install Google Chrome); install it by hand"
            failed=1
            continue
        fi
        missing+=("$pkg")
    done
    missing_by_group[$group]="${missing[*]}"
    to_install+=("${missing[@]}")
done

if ((${#to_install[@]})); then
    sudo=()
    if ((EUID != 0)); then
        command -v sudo >/dev/null 2>&1 || {
            echo "install-system-deps: not root and no sudo; please install: ${to_install[*]}" >&2
            exit 1
        }
        sudo=(sudo)
    fi
    echo "install-system-deps: installing ${to_install[*]}"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${to_install[@]}"
fi

seen=" "
for group in "${groups[@]}"; do
    [[ $seen == *" $group "* ]] && continue
    seen+="$group "
    if [[ -n ${note_by_group[$group]:-} ]]; then
        echo "$group: ${note_by_group[$group]}"
    elif [[ -n ${missing_by_group[$group]} ]]; then
        echo "$group: installed ${missing_by_group[$group]}"
    else
        echo "$group: already present"
    fi
done
exit "$failed"
