#!/usr/bin/env bash
# Proves the Dockerfile's runtime stage without a Docker engine (none runs on our machines):
# a debian bookworm minbase root filesystem with exactly the packages the Dockerfile's runtime
# stage installs (read from the Dockerfile, so the two cannot drift), the static-stdlib release
# binary and the files the Dockerfile copies, the same non-root user; then, inside it (chroot),
# the binary's libraries all resolve, the demo answers /readyz, a click ends in a 302 to the
# simulator's plan page, the process runs as that user, the HEALTHCHECK command passes, and
# SIGTERM stops it with exit 0.
#
#   scripts/docker-proof.sh        (as root)     env: DOCKER_PROOF_CACHE (rootfs cache folder)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
say() { echo "[docker-proof] $*" >&2; }
fail() { say "FAILED: $*"; exit 1; }
[[ $(id -u) == 0 ]] || fail "needs root (debootstrap and chroot)"
source Benchmarks/lib.sh   # free_port, http_status_is, demo_session, stop_pid

# --- what the Dockerfile says --------------------------------------------------------------------
runtime_stage() { awk '/^FROM debian:bookworm-slim/ { found = 1 } found' Dockerfile; }
build_stage() { awk '/^FROM debian:bookworm-slim/ { exit } { print }' Dockerfile; }
PACKAGES=$(runtime_stage | grep -o -- '--no-install-recommends[^&\\]*' | head -1 | sed 's/--no-install-recommends//' | xargs)
APP_UID=$(runtime_stage | grep -o -- '--uid [0-9]*' | head -1 | awk '{ print $2 }')
[[ -n "$PACKAGES" && -n "$APP_UID" ]] || fail "cannot read the runtime packages or the user id from the Dockerfile"
say "runtime packages from the Dockerfile: $PACKAGES; user uid $APP_UID"

# --- tools ---------------------------------------------------------------------------------------
if ! command -v debootstrap >/dev/null; then
    say "installing debootstrap"
    timeout 600 apt-get update -qq && DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq debootstrap >/dev/null
fi
MIRROR=$(grep -h -o 'http[s]*://[^ ]*/debian$' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null | head -1 || true)
MIRROR=${MIRROR:-http://deb.debian.org/debian}

# --- the root filesystem, cached by package list and mirror ---------------------------------------
CACHE=${DOCKER_PROOF_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/fullscript-redirect}
KEY=$(printf 'bookworm minbase %s %s' "$PACKAGES" "$MIRROR" | sha256sum | cut -c1-16)
TARBALL="$CACHE/rootfs-bookworm-$KEY.tar"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/fsr-docker-proof.XXXXXX")
RUNTIME="$WORK/rootfs"
PID=""
cleanup() {
    [[ -z "$PID" ]] || stop_pid "$PID"
    mountpoint -q "$RUNTIME/proc" && umount "$RUNTIME/proc"
    # Only once nothing is mounted inside it.
    mountpoint -q "$RUNTIME/proc" || rm -rf "$WORK"
}
trap cleanup EXIT
mkdir -p "$CACHE" "$RUNTIME"
if [[ -f "$TARBALL" ]]; then
    say "root filesystem from the cache ($TARBALL)"
    tar -xf "$TARBALL" -C "$RUNTIME"
else
    say "debootstrap --variant=minbase bookworm from $MIRROR with $PACKAGES"
    timeout 900 debootstrap --variant=minbase --include="${PACKAGES// /,}" bookworm "$RUNTIME" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 \
        || { tail -20 "$WORK/debootstrap.log" >&2; fail "debootstrap"; }
    tar -cf "$TARBALL.partial" -C "$RUNTIME" . && mv "$TARBALL.partial" "$TARBALL"
fi
for package in $PACKAGES; do
    chroot "$RUNTIME" dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || fail "$package is not installed"
done

# --- what the Dockerfile builds and copies -----------------------------------------------------------
# The build stage sees only what its COPY lines bring in, so the binary is built from exactly that
# (times kept, so a second run builds incrementally).
CONTEXT="$ROOT/.build-static/context"
rm -rf "$CONTEXT"
mkdir -p "$CONTEXT"
while read -r source destination; do
    mkdir -p "$(dirname "$CONTEXT/$destination")"
    cp -a "$source" "$CONTEXT/$destination"
done < <(build_stage | awk '$1 == "COPY" && $2 !~ /^--/ { print $2, $3 }')
say "building the static-stdlib release binary from the build stage's files"
swift build -c release --product fullscript-redirect --static-swift-stdlib \
    --package-path "$CONTEXT" --scratch-path "$ROOT/.build-static/build" >&2
install -D "$ROOT/.build-static/build/release/fullscript-redirect" "$RUNTIME/usr/local/bin/fullscript-redirect"
chroot "$RUNTIME" useradd --system --uid "$APP_UID" --home-dir /app --shell /usr/sbin/nologin app
mkdir -p "$RUNTIME/app/data"
cp -r Public Migrations config "$RUNTIME/app/"
chroot "$RUNTIME" chown app /app/data

say "libraries the binary needs, resolved inside the image:"
chroot "$RUNTIME" ldd /usr/local/bin/fullscript-redirect | tee "$WORK/ldd.txt" >&2
! grep -q "not found" "$WORK/ldd.txt" || fail "a library is missing from the runtime stage"

# --- run it there, as the image would ------------------------------------------------------------
# A container always has /proc; Swift reads the command line from it.
mount -t proc proc "$RUNTIME/proc"
PORT=$(free_port)
SANDBOX_PORT=$(free_port)
chroot --userspec="$APP_UID:$APP_UID" "$RUNTIME" /usr/bin/env -i HOME=/app PATH=/usr/local/bin:/usr/bin:/bin \
    PORT="$PORT" DATABASE_PATH=/app/data/fullscript-redirect.sqlite \
    /bin/sh -c "cd /app && exec fullscript-redirect demo --host 127.0.0.1 --port $PORT --sandbox-port $SANDBOX_PORT" \
    >"$WORK/server.log" 2>&1 &
PID=$!
SERVER_PORT=$PORT
for _ in $(seq 150); do
    http_status_is /readyz 200 && break
    kill -0 "$PID" 2>/dev/null || { cat "$WORK/server.log" >&2; fail "the server exited"; }
    sleep 0.2
done
http_status_is /readyz 200 || { cat "$WORK/server.log" >&2; fail "/readyz never answered 200"; }
say "/readyz 200 from inside the runtime root filesystem"

uid=$(awk '/^Uid:/ { print $2 }' "/proc/$PID/status")
[[ "$uid" == "$APP_UID" ]] || fail "the server runs as uid $uid, not $APP_UID"
say "runs as uid $uid (app)"

HEALTHCHECK=$(runtime_stage | sed -n 's/^HEALTHCHECK.*CMD \["\/bin\/bash", "-c", "\(.*\)"\]$/\1/p' | sed 's/\\\\/\\/g')
[[ -n "$HEALTHCHECK" ]] || fail "cannot read the HEALTHCHECK command from the Dockerfile"
chroot --userspec="$APP_UID:$APP_UID" "$RUNTIME" /usr/bin/env -i PORT="$PORT" /bin/bash -c "$HEALTHCHECK" \
    || fail "the Dockerfile's HEALTHCHECK command failed"
say "HEALTHCHECK passes"

session=$(demo_session "$PORT" "$WORK/cookies")
[[ -n "$session" ]] || fail "could not sign in and connect through the demo"
location=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' -H "Cookie: fsr_session=$session" "http://127.0.0.1:$PORT/recommend/p-1001")
[[ "$location" == "302 http://localhost:$SANDBOX_PORT/sandbox/plans/"* ]] || fail "a click answered '$location'"
say "a click answers $location"

kill -TERM "$PID"
for _ in $(seq 150); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$PID" 2>/dev/null && fail "SIGTERM did not stop the server within 15 s"
status=0
wait "$PID" || status=$?
PID=""
[[ "$status" == 0 ]] || fail "the server exited $status after SIGTERM"
say "SIGTERM: drained and exited 0"
say "OK: the runtime stage ($PACKAGES, uid $APP_UID) runs the product"
