#!/usr/bin/env bash
# Proves the Dockerfile without a Docker engine (none runs on our machines or in CI).
#
#   sudo scripts/docker-proof.sh
#
# Everything it checks is read from the Dockerfile, so the two cannot drift:
#  1. Build stage: the files its COPY lines name (and nothing else) are staged in .build-static/context,
#     its other RUN lines are run there, and its own `swift build` line is run with
#     --scratch-path .build-static (the toolchain and -dev packages are this machine's).
#  2. Runtime stage: `debootstrap --variant=minbase bookworm` from this machine's Debian mirror, then the
#     stage's apt-get RUN line itself, run inside it (cached as a tarball keyed by that line and the mirror).
#     Then, on a fresh copy: the stage's other RUN lines (the user), WORKDIR, COPY, USER, ENV, VOLUME.
#  3. Inside it: `ldd` finds every library; the binary runs as the image would run it (PID 1 of its own
#     PID namespace, chroot at the root filesystem, the USER's uid/gid with no capabilities, the ENV, cwd
#     at WORKDIR, ENTRYPOINT + arguments): `demo` answers /readyz and a click reaches the simulator's plan
#     page; the HEALTHCHECK command passes against it (and fails once it is gone); SIGTERM ends it with
#     exit 0 within HTTP_SHUTDOWN_GRACE_MS. Then the image's own ENTRYPOINT + CMD (`serve`) with secrets
#     given as files under /run/secrets: /readyz, HEALTHCHECK, its database on the VOLUME, SIGTERM exit 0.
#
# Needs root (debootstrap, chroot, namespaces) and a Debian bookworm host with Swift 6.3; installs
# debootstrap, curl and the build stage's -dev packages with apt when they are missing.
#
# Environment:
#   DOCKER_PROOF_CACHE       where the root filesystem tarball is kept (default .build-static/rootfs-cache,
#                            so one CI cache of .build-static keeps both; e.g. ~/.cache/fullscript-redirect
#                            to share it between worktrees)
#   DOCKER_PROOF_CACHE_DAYS  rebuild a tarball older than this, to pick up security updates (default 7)
#   DOCKER_PROOF_KEEP=1      keep the run's root filesystem (path printed) instead of removing it
#   DOCKER_PROOF_BUILD_TIMEOUT  seconds for the swift build (default 3600)
# Output: .build-static/docker-proof/ (ldd.txt, packages.txt, demo.log, serve.log, timings.txt, ...).
# shellcheck disable=SC2016  # single-quoted sh -c scripts and dpkg formats are meant literally
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SCRATCH=$ROOT/.build-static
CONTEXT=$SCRATCH/context
OUT=$SCRATCH/docker-proof
CACHE=${DOCKER_PROOF_CACHE:-$SCRATCH/rootfs-cache}
CACHE_DAYS=${DOCKER_PROOF_CACHE_DAYS:-7}
BUILD_TIMEOUT=${DOCKER_PROOF_BUILD_TIMEOUT:-3600}
SUITE=bookworm
START=$EPOCHREALTIME
STEP_START=$START
TIMINGS=()

elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
say() { printf '[docker-proof %6ss] %s\n' "$(elapsed "$START")" "$*" >&2; }
fail() { say "FAILED: $*"; exit 1; }
step() { STEP_START=$EPOCHREALTIME; say "== $*"; }
step_done() { local t; t=$(elapsed "$STEP_START"); TIMINGS+=("$(printf '%-46s %7ss' "$1" "$t")"); say "   done in ${t}s"; }

[[ $(id -u) == 0 ]] || fail "needs root (debootstrap, chroot, namespaces): sudo $0"
mkdir -p "$OUT" "$CACHE"
rm -f "$OUT"/*.log "$OUT"/*.txt

# --- the Dockerfile, one logical instruction a line: "stage<TAB>INSTRUCTION<TAB>arguments" ---------------
# Comment lines go, continuation lines are joined (as Docker does); stage 0 is the first FROM.
INSTRUCTIONS=$(awk '
    /^[[:space:]]*#/ { next }
    /^[[:space:]]*$/ { next }
    { s = $0; sub(/^[[:space:]]+/, "", s)
      if (buf != "") buf = buf " "
      if (s ~ /\\[[:space:]]*$/) { sub(/[[:space:]]*\\[[:space:]]*$/, "", s); buf = buf s; next }
      buf = buf s
      ins = buf; sub(/[[:space:]].*/, "", ins); ins = toupper(ins)
      if (ins == "FROM") stage++
      rest = buf; sub(/^[^[:space:]]+[[:space:]]*/, "", rest)
      printf "%d\t%s\t%s\n", stage - 1, ins, rest; buf = "" }
' Dockerfile)
# instructions STAGE NAME: the arguments of each NAME instruction of a stage, one a line.
instructions() { awk -F '\t' -v s="$1" -v n="$2" '$1 == s && $2 == n { print $3 }' <<<"$INSTRUCTIONS"; }
one() { local v; v=$(instructions "$1" "$2"); [[ -n "$v" && $(wc -l <<<"$v") == 1 ]] || fail "Dockerfile: stage $1 needs exactly one $2"; printf '%s\n' "$v"; }
# A JSON array of strings (exec form) as NUL-separated words. perl-base is essential on Debian.
json_words() { perl -e '$_ = shift; /^\s*\[(.*)\]\s*$/ or exit 1; $a = $1; while ($a =~ /"((?:[^"\\]|\\.)*)"/g) { ($w = $1) =~ s/\\(.)/$1/g; print "$w\0" }' "$1"; }
# The package names of an `apt-get install` command line, options dropped.
apt_packages() { sed -n 's/.*apt-get install \([^&;|]*\).*/\1/p' <<<"$1" | tr ' ' '\n' | grep -v '^-' | grep . | xargs || true; }
strip_run_flags() { sed -E 's/^(--[a-z-]+=[^ ]+ +)*//' <<<"$1"; }

step "reading the Dockerfile"
[[ $(awk -F '\t' '$2 == "FROM"' <<<"$INSTRUCTIONS" | wc -l) == 2 ]] || fail "Dockerfile: expected two stages (build, runtime)"
BUILD_FROM=$(one 0 FROM); RUNTIME_FROM=$(one 1 FROM)
[[ $BUILD_FROM == "swift:6.3-"* ]] || fail "Dockerfile: the build stage is $BUILD_FROM, expected swift:6.3-*"
[[ $RUNTIME_FROM == "debian:$SUITE-slim" ]] || fail "Dockerfile: the runtime stage is $RUNTIME_FROM; this proof builds debian:$SUITE-slim"
BUILD_WORKDIR=$(one 0 WORKDIR)
BUILD_APT=""; BUILD_RUNS=(); SWIFT_BUILD=""; BUILD_OUT_SRC=""; BUILD_OUT=""
while IFS= read -r run; do
    run=$(strip_run_flags "$run")
    if [[ $run == *"apt-get install"* ]]; then
        BUILD_APT=$(apt_packages "$run")
    elif [[ $run == *"swift build"* ]]; then
        SWIFT_BUILD=$(sed -E 's/.*(swift build[^&;|]*).*/\1/' <<<"$run" | xargs)
        # `install [-D] [-m MODE] SRC /out/...` copies the product out of the cache mount.
        read -r BUILD_OUT_SRC BUILD_OUT < <(sed -nE 's/.*install( -[A-Za-z]+( [0-7]+)?)* ([^ ]+) ([^ ]+)$/\3 \4/p' <<<"$run") || true
    else
        BUILD_RUNS+=("$run")
    fi
done < <(instructions 0 RUN)
[[ -n $SWIFT_BUILD && -n $BUILD_OUT && -n $BUILD_OUT_SRC ]] || fail "Dockerfile: no 'swift build ... && install ... SRC /out/...' RUN in the build stage"
[[ $BUILD_OUT_SRC == .build/* ]] || fail "Dockerfile: the build product $BUILD_OUT_SRC is not under .build/"

RUNTIME_APT_RUN=""; RUNTIME_RUNS=()
while IFS= read -r run; do
    run=$(strip_run_flags "$run")
    if [[ $run == *"apt-get install"* ]]; then
        [[ -z $RUNTIME_APT_RUN ]] || fail "Dockerfile: keep the runtime stage's packages in one apt-get RUN"
        RUNTIME_APT_RUN=$run
    else
        RUNTIME_RUNS+=("$run")
    fi
done < <(instructions 1 RUN)
PACKAGES=$(apt_packages "$RUNTIME_APT_RUN")
[[ -n $PACKAGES ]] || fail "Dockerfile: no apt-get install in the runtime stage"
WORKDIR=$(one 1 WORKDIR)
USER_SPEC=$(one 1 USER)
[[ $USER_SPEC =~ ^([0-9]+):([0-9]+)$ ]] || fail "Dockerfile: USER '$USER_SPEC' should be numeric uid:gid"
APP_UID=${BASH_REMATCH[1]}; APP_GID=${BASH_REMATCH[2]}
((APP_UID != 0)) || fail "Dockerfile: USER is root"
IMAGE_ENV=()
while IFS= read -r line; do
    read -r -a pairs <<<"$line"
    for pair in "${pairs[@]}"; do
        [[ $pair == *=* ]] || fail "Dockerfile: write ENV as NAME=value pairs (got '$line')"
        IMAGE_ENV+=("$pair")
    done
done < <(instructions 1 ENV)
image_env() { local pair; for pair in "${IMAGE_ENV[@]}"; do [[ ${pair%%=*} == "$1" ]] && printf '%s\n' "${pair#*=}"; done; return 0; }
GRACE_MS=$(image_env HTTP_SHUTDOWN_GRACE_MS); GRACE_MS=${GRACE_MS:-10000}
mapfile -d '' -t VOLUMES < <(json_words "$(one 1 VOLUME)")
mapfile -d '' -t ENTRYPOINT < <(json_words "$(one 1 ENTRYPOINT)")
mapfile -d '' -t CMD < <(json_words "$(one 1 CMD)")
((${#VOLUMES[@]} && ${#ENTRYPOINT[@]} && ${#CMD[@]})) || fail "Dockerfile: write VOLUME, ENTRYPOINT and CMD as JSON arrays"
[[ $(one 1 STOPSIGNAL) == SIGTERM ]] || fail "Dockerfile: STOPSIGNAL should be SIGTERM"
EXPOSED=$(one 1 EXPOSE)
[[ $EXPOSED == "$(image_env PORT)" ]] || fail "Dockerfile: EXPOSE $EXPOSED but ENV PORT=$(image_env PORT)"
HEALTHCHECK=$(one 1 HEALTHCHECK)
HEALTH_TIMEOUT=$(sed -nE 's/.*--timeout=([0-9]+)s.*/\1/p' <<<"$HEALTHCHECK"); HEALTH_TIMEOUT=${HEALTH_TIMEOUT:-30}
mapfile -d '' -t HEALTH_CMD < <(json_words "${HEALTHCHECK#*CMD }")
((${#HEALTH_CMD[@]})) || fail "Dockerfile: write the HEALTHCHECK as CMD [\"...\"] (exec form)"
for label in title description source licenses version; do
    grep -q "org.opencontainers.image.$label=" <<<"$(instructions 1 LABEL)" || fail "Dockerfile: no org.opencontainers.image.$label label"
done
say "build stage: $BUILD_FROM; apt: $BUILD_APT; WORKDIR $BUILD_WORKDIR; $SWIFT_BUILD"
say "runtime stage: $RUNTIME_FROM; apt: $PACKAGES; USER $APP_UID:$APP_GID; WORKDIR $WORKDIR; ENV ${IMAGE_ENV[*]}"
say "VOLUME ${VOLUMES[*]}; EXPOSE $EXPOSED; ENTRYPOINT ${ENTRYPOINT[*]}; CMD ${CMD[*]}; HEALTHCHECK ${HEALTH_CMD[*]:0:2} ... (timeout ${HEALTH_TIMEOUT}s)"

# .dockerignore must not drop what a COPY needs (bash globs: close enough to Docker's for these names).
copy_sources() { instructions "$1" COPY | grep -v -- '^--from=' | awk '{ for (i = 1; i < NF; i++) print $i }'; }
if [[ -f .dockerignore ]]; then
    while IFS= read -r source; do
        path=$source
        while [[ -n $path && $path != . ]]; do
            while IFS= read -r pattern; do
                [[ -z $pattern || $pattern == \#* || $pattern == !* ]] && continue
                # shellcheck disable=SC2053  # the pattern is a glob on purpose
                [[ $path == $pattern ]] && fail ".dockerignore pattern '$pattern' drops '$source', which the Dockerfile copies"
            done < .dockerignore
            [[ $path == */* ]] && path=${path%/*} || path=""
        done
    done < <(copy_sources 0; copy_sources 1)
fi
step_done "read the Dockerfile"

# --- host tools ---------------------------------------------------------------------------------------
APT_UPDATED=""
apt_install() {
    say "apt-get install $*"
    export DEBIAN_FRONTEND=noninteractive
    [[ -n $APT_UPDATED ]] || { timeout 600 apt-get update -qq || fail "apt-get update"; APT_UPDATED=1; }
    timeout 900 apt-get install -y -qq --no-install-recommends "$@" >/dev/null || fail "apt-get install $*"
}
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
step "host tools"
SWIFT_TAG=${BUILD_FROM#swift:}; SWIFT_TAG=${SWIFT_TAG%%-*}
command -v swift >/dev/null || fail "no swift on PATH (the build stage uses $BUILD_FROM: install Swift $SWIFT_TAG)"
SWIFT_VERSION=$(swift --version 2>&1 | head -1)
[[ $SWIFT_VERSION == *"Swift version $SWIFT_TAG"[.\ ]* ]] || fail "the build stage uses $BUILD_FROM but this machine has $SWIFT_VERSION"
missing=()
command -v debootstrap >/dev/null || missing+=(debootstrap)
command -v curl >/dev/null || missing+=(curl)
for package in $BUILD_APT; do installed "$package" || missing+=("$package"); done
((${#missing[@]} == 0)) || apt_install "${missing[@]}"
for tool in unshare chroot tar sha256sum; do command -v "$tool" >/dev/null || fail "no $tool"; done
step_done "host tools"

# --- the runtime stage's root filesystem: made in the background while the build runs ---------------------
# This machine's Debian mirrors (deb822 .sources or one-line .list), else deb.debian.org.
apt_uri() {   # apt_uri SUITE: the first URI serving exactly that suite
    local file
    for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
        if [[ -f $file ]]; then cat "$file"; echo; fi
    done | awk -v suite="$1" '
        function flush() {
            if (!found && uris != "" && index(" " suites " ", " " suite " ") && (" " types " ") ~ / deb /) { split(uris, u, " "); print u[1]; found = 1; exit }
            uris = suites = types = ""
        }
        /^[[:space:]]*deb[[:space:]]/ { for (i = 2; i <= NF; i++) if ($i !~ /^\[/ && $i !~ /\]$/) break
                                         if ($(i + 1) == suite) { print $i; found = 1; exit } next }
        /^[[:space:]]*$/ { flush(); next }
        /^URIs:/ { uris = $0; sub(/^URIs:[[:space:]]*/, "", uris) }
        /^Suites:/ { suites = $0; sub(/^Suites:[[:space:]]*/, "", suites) }
        /^Types:/ { types = $0; sub(/^Types:[[:space:]]*/, "", types) }
        END { flush() }'
}
MIRROR=$(apt_uri "$SUITE"); MIRROR=${MIRROR:-http://deb.debian.org/debian}; MIRROR=${MIRROR%/}
SECURITY=$(apt_uri "$SUITE-security"); SECURITY=${SECURITY:-http://deb.debian.org/debian-security}; SECURITY=${SECURITY%/}
# apt's proxy, if this machine has one, for debootstrap and the apt-get run inside.
PROXY=$(apt-config dump 2>/dev/null | sed -n 's/^Acquire::http::Proxy "\(.*\)";$/\1/p' | head -1)
proxy_env=(); [[ -n $PROXY && $PROXY != DIRECT ]] && proxy_env=("http_proxy=$PROXY")
KEY=$(printf '%s\n' "$SUITE minbase" "$MIRROR" "$SECURITY" "$RUNTIME_APT_RUN" | sha256sum | cut -c1-16)
TARBALL=$CACHE/rootfs-$SUITE-$KEY.tar
WORK=$(mktemp -d "${TMPDIR:-/tmp}/fsr-docker-proof.XXXXXX")
RUNTIME=$WORK/rootfs
SERVER_PID=""   # the unshare process of a running container
ROOTFS_JOB=""   # the background job making the root filesystem tarball
children() { cat "/proc/$1/task/$1/children" 2>/dev/null || true; }
kill_tree() { local child; for child in $(children "$1"); do kill_tree "$child"; done; kill -TERM "$1" 2>/dev/null || true; }
cleanup() {
    local status=$?
    trap - EXIT INT TERM
    if [[ -n $ROOTFS_JOB ]] && kill -0 "$ROOTFS_JOB" 2>/dev/null; then
        kill_tree "$ROOTFS_JOB"
        wait "$ROOTFS_JOB" 2>/dev/null || true
    fi
    if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        for child in $(children "$SERVER_PID"); do kill -TERM "$child" 2>/dev/null || true; done
        for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$SERVER_PID" 2>/dev/null || true   # --kill-child takes the container with it
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    # Mounts are made in private mount namespaces only; refuse to delete through one anyway.
    if ! no_mounts_under "$WORK"; then
        say "mounts left under $WORK: not removing it"
    elif [[ ${DOCKER_PROOF_KEEP:-} == 1 && $status == 0 ]]; then
        say "root filesystem kept: $RUNTIME"
    else
        rm -rf "${WORK:?}"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT
trap 'say "terminated"; exit 143' TERM

# Every mount is made in a private mount namespace (unshare --mount): it vanishes with its last process
# and is never seen here, so nothing is left mounted under a folder this script removes.
# MOUNT_AND_CHROOT DIR CMD...: /proc, /dev and /tmp as a container has them, then CMD chrooted at DIR.
# With READ_ONLY=1 in its environment, DIR is read-only but for the folders in VOLUMES (docker run --read-only).
MOUNT_AND_CHROOT='dir=$1; shift
    if [ "${READ_ONLY:-0}" = 1 ]; then
        mount --bind "$dir" "$dir" && mount -o remount,bind,ro "$dir" || exit 1
        for volume in $VOLUMES; do mount --bind "$dir$volume" "$dir$volume" && mount -o remount,bind,rw "$dir$volume" || exit 1; done
    fi
    mount -t proc proc "$dir/proc" && mount --rbind /dev "$dir/dev" && mount -t tmpfs tmpfs "$dir/tmp" && exec chroot "$dir" "$@"'
# in_root SECONDS DIR CMD...: CMD as root in the root filesystem DIR, at most SECONDS.
in_root() {
    local seconds=$1 dir=$2; shift 2
    timeout -k 5 "$seconds" unshare --mount --propagation private -- /bin/sh -c "$MOUNT_AND_CHROOT" sh "$dir" "$@"
}
no_mounts_under() { ! grep -q " $1/" /proc/self/mountinfo; }
root_env=(/usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root)

# make_tarball: debootstrap, the stage's apt-get RUN inside, then the tarball (run in the background).
make_tarball() {
    local fresh=$WORK/fresh t0=$EPOCHREALTIME
    [[ -n $WORK && -n $TARBALL ]] || fail "make_tarball: WORK and TARBALL must be set"
    say "debootstrap --variant=minbase $SUITE from $MIRROR${PROXY:+ (proxy $PROXY)}"
    if ! env "${proxy_env[@]}" timeout 900 unshare --mount --propagation private -- debootstrap --variant=minbase "$SUITE" "$fresh" "$MIRROR" >"$OUT/debootstrap.log" 2>&1; then
        tail -20 "$OUT/debootstrap.log" >&2
        fail "debootstrap (log: $OUT/debootstrap.log)"
    fi
    say "debootstrap done in $(elapsed "$t0")s"
    # The sources debian:bookworm-slim has, on this machine's mirrors.
    rm -f "$fresh/etc/apt/sources.list"
    printf '%s\n' "Types: deb" "URIs: $MIRROR" "Suites: $SUITE $SUITE-updates" "Components: main" \
        "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg" "" \
        "Types: deb" "URIs: $SECURITY" "Suites: $SUITE-security" "Components: main" \
        "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg" >"$fresh/etc/apt/sources.list.d/debian.sources"
    rm -f "$fresh"/var/cache/apt/archives/*.deb
    # apt inside needs this machine's resolver; a regular file, replaced (never written through a link).
    rm -f "$fresh/etc/resolv.conf" && cat /etc/resolv.conf >"$fresh/etc/resolv.conf"
    say "the runtime stage's RUN, inside it: $RUNTIME_APT_RUN"
    if ! in_root 900 "$fresh" "${root_env[@]}" DEBIAN_FRONTEND=noninteractive "${proxy_env[@]}" /bin/sh -c "$RUNTIME_APT_RUN" >"$OUT/apt.log" 2>&1; then
        tail -20 "$OUT/apt.log" >&2
        fail "the runtime stage's apt-get RUN failed inside the root filesystem (log: $OUT/apt.log)"
    fi
    # As the Debian image does (docker-clean): no downloaded packages or package caches kept.
    rm -f "$fresh"/var/cache/apt/archives/*.deb "$fresh"/var/cache/apt/*.bin
    rm -f "$fresh/etc/resolv.conf" && : >"$fresh/etc/resolv.conf"   # a container gets its own
    mkdir -p "$CACHE"   # again: another run may have cleared the cache meanwhile
    tar -C "$fresh" -cf "$TARBALL.partial.$$" . || fail "cannot write $TARBALL.partial.$$"
    mv "$TARBALL.partial.$$" "$TARBALL"
    no_mounts_under "$fresh" && rm -rf "$fresh"
    # Stale tarballs (any package list) and partial ones of interrupted runs.
    find "$CACHE" -maxdepth 1 \( -name "rootfs-*.tar" -mtime +"$CACHE_DAYS" -o -name "rootfs-*.tar.partial.*" -mtime +0 \) -delete
    say "cached: $TARBALL ($(du -h "$TARBALL" | cut -f1)) in $(elapsed "$t0")s"
}
if [[ -f $TARBALL ]] && [[ -z $(find "$TARBALL" -mtime +"$CACHE_DAYS") ]]; then
    CACHED=1
    say "root filesystem: from the cache, $TARBALL ($(du -h "$TARBALL" | cut -f1))"
else
    CACHED=0
    say "root filesystem: made in the background meanwhile ($SUITE minbase + the runtime stage's apt-get RUN; log ${OUT#"$ROOT"/}/rootfs.log)"
    make_tarball >"$OUT/rootfs.log" 2>&1 &
    ROOTFS_JOB=$!
fi

# --- the build stage ----------------------------------------------------------------------------------
# The context is refreshed in place (cp over the same files keeps their inodes and times), so an
# unchanged tree is an up-to-date build; only what the COPY lines bring in (and Package.resolved) stays.
step "build stage: context in ${CONTEXT#"$ROOT"/}, then $SWIFT_BUILD --scratch-path .build-static"
mkdir -p "$CONTEXT"
declare -A KEEP=([Package.resolved]=1)
while read -r -a words; do
    dest=${words[-1]}; dest=${dest#./}; dest=${dest%/}
    for source in "${words[@]:0:${#words[@]}-1}"; do
        [[ -e $source ]] || fail "COPY $source: no such file"
        target=$dest; [[ -z $target ]] && target=$(basename "$source")
        KEEP[${target%%/*}]=1
        if [[ -d $source ]]; then
            mkdir -p "$CONTEXT/$target"
            cp -a "$source/." "$CONTEXT/$target/"
            # What was deleted from the source goes from the context too.
            (cd "$CONTEXT/$target" && find . -depth ! -name .) | while IFS= read -r file; do
                [[ -e "$source/$file" ]] || rm -rf "${CONTEXT:?}/$target/$file"
            done
        else
            mkdir -p "$(dirname "$CONTEXT/$target")"
            cp -a "$source" "$CONTEXT/$target"
        fi
    done
done < <(instructions 0 COPY | grep -v -- '^--')
for entry in "$CONTEXT"/* "$CONTEXT"/.[!.]*; do
    [[ -e $entry && -z ${KEEP[$(basename "$entry")]:-} ]] && rm -rf "$entry"
done
for run in "${BUILD_RUNS[@]}"; do
    (cd "$CONTEXT" && /bin/sh -c "$run") || fail "build stage RUN failed: $run"
done
read -r -a build_args <<<"${SWIFT_BUILD#swift build}"
BUILD_LOG=$OUT/build.log
if ! timeout "$BUILD_TIMEOUT" swift build "${build_args[@]}" --package-path "$CONTEXT" --scratch-path "$SCRATCH" >"$BUILD_LOG" 2>&1; then
    tail -30 "$BUILD_LOG" >&2
    fail "the build stage's swift build failed (log: $BUILD_LOG)"
fi
BINARY=$SCRATCH/${BUILD_OUT_SRC#.build/}
[[ -x $BINARY ]] || fail "no $BINARY after the build"
say "built $(du -h "$BINARY" | cut -f1) ${BINARY#"$ROOT"/} ($(grep -c '^\[' "$BUILD_LOG" || true) build steps run)"
step_done "build stage (swift build)"

# --- the runtime stage's layers, on a fresh copy of the root filesystem ----------------------------------
step "runtime stage root filesystem ($SUITE minbase + $PACKAGES)"
if [[ -n $ROOTFS_JOB ]]; then
    wait "$ROOTFS_JOB" || { cat "$OUT/rootfs.log" >&2; fail "making the root filesystem failed"; }
    ROOTFS_JOB=""
    sed 's/^/   | /' "$OUT/rootfs.log" >&2
fi
mkdir -p "$RUNTIME"
tar -C "$RUNTIME" -xf "$TARBALL"
for package in $PACKAGES; do
    chroot "$RUNTIME" dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
        || fail "$package is not installed in the root filesystem"
done
chroot "$RUNTIME" dpkg-query -W -f='${Package} ${Version}\n' | sort >"$OUT/packages.txt"
step_done "root filesystem ($([[ $CACHED == 1 ]] && echo "from the cache" || echo "wait for it"))"

step "runtime stage: RUN, WORKDIR, COPY, USER, VOLUME"
for run in "${RUNTIME_RUNS[@]}"; do
    in_root 120 "$RUNTIME" "${root_env[@]}" /bin/sh -c "$run" >>"$OUT/run.log" 2>&1 || { cat "$OUT/run.log" >&2; fail "runtime stage RUN failed: $run"; }
done
mkdir -p "$RUNTIME$WORKDIR"
while read -r -a words; do
    dest=${words[-1]}; [[ $dest == /* ]] || dest=$WORKDIR/${dest#./}
    if [[ ${words[0]} == --from=* ]]; then
        [[ ${words[0]} == --from=build && ${#words[@]} == 3 && ${words[1]} == "$BUILD_OUT" ]] \
            || fail "COPY ${words[*]}: only the build stage's $BUILD_OUT is known here"
        install -D -m 0755 -o 0 -g 0 "$BINARY" "$RUNTIME$dest"
        continue
    fi
    # As COPY without --chown: modes and times kept, owned by root; a folder's contents go into dest.
    for source in "${words[@]:0:${#words[@]}-1}"; do
        [[ $source == --* ]] && fail "COPY ${words[*]}: flags other than --from are not proven here"
        if [[ -d $source ]]; then
            mkdir -p "$RUNTIME$dest" && cp -a --no-preserve=ownership "$source/." "$RUNTIME$dest/"
        elif [[ ${words[-1]} == */ || -d $RUNTIME$dest ]]; then
            mkdir -p "$RUNTIME$dest" && cp -a --no-preserve=ownership "$source" "$RUNTIME$dest/"
        else
            mkdir -p "$(dirname "$RUNTIME$dest")" && cp -a --no-preserve=ownership "$source" "$RUNTIME$dest"
        fi
    done
done < <(instructions 1 COPY)
for volume in "${VOLUMES[@]}"; do
    owner=$(stat -c '%u:%g %a' "$RUNTIME$volume") || fail "VOLUME $volume does not exist in the image"
    [[ $owner == "$APP_UID:$APP_GID "* ]] || fail "VOLUME $volume is $owner, not writable by $APP_UID:$APP_GID"
done
HOME_DIR=$(chroot "$RUNTIME" getent passwd "$APP_UID" | cut -d: -f6)
[[ -n $HOME_DIR ]] || fail "uid $APP_UID has no /etc/passwd entry in the image (did the RUN create the user?)"
[[ -x $RUNTIME/bin/bash ]] || fail "no /bin/bash in the image, which the HEALTHCHECK runs"
du -sh --apparent-size "$RUNTIME" | cut -f1 >"$OUT/rootfs-size.txt"
say "image: $(cat "$OUT/rootfs-size.txt"), $(wc -l <"$OUT/packages.txt") packages; user $(chroot "$RUNTIME" getent passwd "$APP_UID")"
step_done "runtime stage layers"

step "ldd inside the image"
ENTRY_PATH=$(chroot "$RUNTIME" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin /bin/sh -c 'command -v "$1"' sh "${ENTRYPOINT[0]}") \
    || fail "ENTRYPOINT ${ENTRYPOINT[0]} is not on the image's PATH"
chroot "$RUNTIME" ldd "$ENTRY_PATH" >"$OUT/ldd.txt" 2>&1 || true
! grep -q "not found" "$OUT/ldd.txt" || { cat "$OUT/ldd.txt" >&2; fail "a library the binary needs is not in the image"; }
grep -q "=> /" "$OUT/ldd.txt" || { cat "$OUT/ldd.txt" >&2; fail "ldd found no libraries (not a dynamic binary?)"; }
while read -r name _ path _; do
    [[ $path == /* ]] || continue
    real=$(chroot "$RUNTIME" readlink -f "$path")
    package="?"
    for candidate in "$path" "$real" "${real#/usr}" "/usr$path"; do   # dpkg lists /lib or /usr/lib (usrmerge)
        found=$(chroot "$RUNTIME" dpkg -S "$candidate" 2>/dev/null | head -1 | cut -d: -f1) && [[ -n $found ]] && { package=$found; break; }
    done
    say "  $name => $path  ($package)"
done <"$OUT/ldd.txt"
step_done "ldd"

# --- running it as the image would ---------------------------------------------------------------------------
# The port probe needs no python: a port nobody on this machine has open in /proc/net/tcp{,6}.
free_port() {
    local port hex
    for _ in $(seq 100); do
        port=$((20000 + RANDOM % 40000)); hex=$(printf ':%04X ' "$port")
        grep -qF "$hex" /proc/net/tcp /proc/net/tcp6 2>/dev/null || { echo "$port"; return 0; }
    done
    fail "no free port"
}
# container LOG ENV... -- ARGS...: ENTRYPOINT + ARGS as the image runs them, in the background: PID 1 of
# a new PID namespace, /proc of its own, chroot, cwd WORKDIR, env -i with the image's ENV then ENV...,
# the USER's uid/gid, no supplementary groups, no capabilities. Sets SERVER_PID and CONTAINER_PID.
# READ_ONLY=1 container ...: the root filesystem read-only but for the VOLUMEs and a tmpfs /tmp.
container() {
    local log=$1; shift
    local env=() args
    while [[ $1 != -- ]]; do env+=("$1"); shift; done
    shift
    args=("${ENTRYPOINT[@]}" "$@")
    READ_ONLY=${READ_ONLY:-0} VOLUMES="${VOLUMES[*]}" \
        unshare --pid --fork --kill-child --mount --propagation private -- /bin/sh -c "$MOUNT_AND_CHROOT" sh "$RUNTIME" \
        /usr/bin/env -i -C "$WORKDIR" PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        HOSTNAME=docker-proof HOME="$HOME_DIR" "${IMAGE_ENV[@]}" "${env[@]}" \
        setpriv --reuid="$APP_UID" --regid="$APP_GID" --clear-groups --inh-caps=-all -- "${args[@]}" \
        >"$log" 2>&1 </dev/null &
    SERVER_PID=$!
    CONTAINER_PID=""
    for _ in $(seq 100); do   # the namespace's PID 1, once it is the binary (sh, chroot, env, setpriv exec into it)
        CONTAINER_PID=$(children "$SERVER_PID" | awk '{ print $1 }')
        [[ -n $CONTAINER_PID && $(cat "/proc/$CONTAINER_PID/comm" 2>/dev/null) == "$(basename "${ENTRYPOINT[0]}" | cut -c1-15)" ]] && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.05
    done
    cat "$log" >&2
    fail "the container did not start ${args[*]}"
}
status_of() { curl -s -o /dev/null --max-time 5 -w '%{http_code}' "$1" || true; }
wait_ready() {   # wait_ready PORT LOG
    local deadline=$((SECONDS + 60))
    until [[ $(status_of "http://127.0.0.1:$1/readyz") == 200 ]]; do
        kill -0 "$CONTAINER_PID" 2>/dev/null || { cat "$2" >&2; fail "the server exited before /readyz answered 200"; }
        ((SECONDS < deadline)) || { cat "$2" >&2; fail "/readyz did not answer 200 within 60 s"; }
        sleep 0.1
    done
}
check_identity() {
    local status=/proc/$CONTAINER_PID/status
    awk -v u="$APP_UID" '/^Uid:/ { exit !($2 == u && $3 == u && $4 == u && $5 == u) }' "$status" || fail "$(grep ^Uid: "$status"), not $APP_UID"
    awk -v g="$APP_GID" '/^Gid:/ { exit !($2 == g && $3 == g && $4 == g && $5 == g) }' "$status" || fail "$(grep ^Gid: "$status"), not $APP_GID"
    [[ $(awk '/^Groups:/ { print NF - 1 }' "$status") == 0 ]] || fail "supplementary $(grep ^Groups: "$status")"
    [[ $(awk '/^CapEff:/ { print $2 }' "$status") == 0000000000000000 ]] || fail "$(grep ^CapEff: "$status"): it has capabilities"
    [[ $(awk '/^NSpid:/ { print $NF }' "$status") == 1 ]] || fail "not PID 1 in its namespace ($(grep ^NSpid: "$status"))"
    say "process $CONTAINER_PID: uid/gid $APP_UID/$APP_GID (real, effective, saved, fs), no groups, CapEff 0, PID 1 in its namespace, cwd $(readlink "/proc/$CONTAINER_PID/cwd" | sed "s|^$RUNTIME||")"
}
# The HEALTHCHECK's own command line, run in the image as its USER with the container's environment.
healthcheck() {   # healthcheck PORT
    in_root "$HEALTH_TIMEOUT" "$RUNTIME" /usr/bin/env -i -C "$WORKDIR" PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        HOME="$HOME_DIR" "${IMAGE_ENV[@]}" PORT="$1" \
        setpriv --reuid="$APP_UID" --regid="$APP_GID" --clear-groups -- "${HEALTH_CMD[@]}" >/dev/null 2>&1
}
stop_container() {   # SIGTERM, as `docker stop` sends STOPSIGNAL to PID 1; exit 0 within the grace period
    local t0=$EPOCHREALTIME limit status=0
    limit=$(((GRACE_MS + 999) / 1000))
    kill -TERM "$CONTAINER_PID"
    for _ in $(seq $((limit * 20))); do kill -0 "$CONTAINER_PID" 2>/dev/null || break; sleep 0.05; done
    kill -0 "$CONTAINER_PID" 2>/dev/null && fail "still running ${limit}s after SIGTERM (HTTP_SHUTDOWN_GRACE_MS=$GRACE_MS)"
    wait "$SERVER_PID" || status=$?
    SERVER_PID=""
    [[ $status == 0 ]] || fail "exit status $status after SIGTERM, not 0"
    say "SIGTERM: exit 0 after $(elapsed "$t0")s (grace ${GRACE_MS} ms)"
}

step "demo inside the image: /readyz, a click through the simulator, HEALTHCHECK, SIGTERM"
PORT=$(free_port); SANDBOX_PORT=$(free_port)
while [[ $SANDBOX_PORT == "$PORT" ]]; do SANDBOX_PORT=$(free_port); done
DEMO_LOG=$OUT/demo.log
container "$DEMO_LOG" PORT="$PORT" -- demo --host 127.0.0.1 --port "$PORT" --sandbox-port "$SANDBOX_PORT"
wait_ready "$PORT" "$DEMO_LOG"
say "/readyz 200 on 127.0.0.1:$PORT (simulator on :$SANDBOX_PORT)"
check_identity
healthcheck "$PORT" || fail "the HEALTHCHECK command failed against the running demo"
say "HEALTHCHECK command: exit 0"
# A click, as Benchmarks/recommend.sh makes it: demo sign-in, launch, connect, the simulator's
# consent approved for prac-1, the callback, then /recommend.
jar=$WORK/cookies
base=http://127.0.0.1:$PORT
c() { curl -s --max-time 10 -c "$jar" -b "$jar" -o /dev/null "$@"; }
# Forms post from our own origin, as a browser says with Sec-Fetch-Site.
launch=$(c -w '%{redirect_url}' -H 'Sec-Fetch-Site: same-origin' -d 'user=dr-quinn&return_to=/' "$base/demo/sign-in")
[[ $launch == "$base/launch?"* ]] || fail "demo sign-in answered '$launch', not a launch URL"
c "$launch"
authorize=$(c -w '%{redirect_url}' -H 'Sec-Fetch-Site: same-origin' -d 'return_to=/' "$base/oauth/fullscript/connect")
[[ $authorize == "http://localhost:$SANDBOX_PORT/"* ]] || fail "connect answered '$authorize', not the simulator's consent page"
callback=$(curl -s --max-time 10 -o /dev/null -w '%{redirect_url}' "${authorize/localhost/127.0.0.1}&auto_approve=prac-1")
[[ $callback == "$base/oauth/fullscript/callback?"* ]] || fail "the simulator answered '$callback', not our callback"
c "$callback"
click=$(c -w '%{http_code} %{redirect_url}' "$base/recommend/p-1001")
[[ $click == "302 http://localhost:$SANDBOX_PORT/sandbox/plans/"* ]] || { tail -20 "$DEMO_LOG" >&2; fail "GET /recommend/p-1001 answered '$click'"; }
say "GET /recommend/p-1001: $click"
[[ -f $RUNTIME${VOLUMES[0]}/demo.sqlite ]] || fail "the demo's database is not on the VOLUME ${VOLUMES[0]}"
stop_container
! healthcheck "$PORT" || fail "the HEALTHCHECK command passes with no server: it proves nothing"
say "HEALTHCHECK command with the server gone: fails, as it should"
step_done "demo: readyz, click, stop"

step "the image's own command (${ENTRYPOINT[*]} ${CMD[*]}), secrets as files, root filesystem read-only"
mkdir -p "$RUNTIME/run/secrets"
head -c 32 /dev/urandom | base64 >"$RUNTIME/run/secrets/token_encryption_key"
head -c 48 /dev/urandom | base64 >"$RUNTIME/run/secrets/ehr_launch_secret"
echo "docker-proof-client-secret" >"$RUNTIME/run/secrets/fullscript_client_secret"
chmod 0444 "$RUNTIME"/run/secrets/*   # as compose mounts file secrets
SERVE_PORT=$(free_port)
SERVE_LOG=$OUT/serve.log
# As `docker run --read-only --tmpfs /tmp -v data:/app/data` with compose-style file secrets.
READ_ONLY=1 container "$SERVE_LOG" PORT="$SERVE_PORT" FULLSCRIPT_CLIENT_ID=docker-proof \
    FULLSCRIPT_REDIRECT_URI=https://fsr.example.org/oauth/fullscript/callback \
    FULLSCRIPT_CLIENT_SECRET_FILE=/run/secrets/fullscript_client_secret \
    TOKEN_ENCRYPTION_KEY_FILE=/run/secrets/token_encryption_key \
    EHR_LAUNCH_SECRET_FILE=/run/secrets/ehr_launch_secret -- "${CMD[@]}"
wait_ready "$SERVE_PORT" "$SERVE_LOG"
say "/readyz 200 on :$SERVE_PORT (HOST=$(image_env HOST))"
check_identity
grep -q " / ro," "/proc/$CONTAINER_PID/mountinfo" || fail "the root filesystem is not read-only for serve"
grep -q " ${VOLUMES[0]} rw," "/proc/$CONTAINER_PID/mountinfo" || fail "the VOLUME ${VOLUMES[0]} is not writable for serve"
say "root filesystem read-only, ${VOLUMES[*]} writable"
healthcheck "$SERVE_PORT" || fail "the HEALTHCHECK command failed against serve"
say "HEALTHCHECK command: exit 0"
database=$(image_env DATABASE_PATH)
[[ $(stat -c %u "$RUNTIME$database" 2>/dev/null) == "$APP_UID" ]] || fail "no database owned by $APP_UID at $database"
say "database $database on the VOLUME, owned by $APP_UID"
stop_container
step_done "serve (read-only): readyz, healthcheck, stop"

printf '%s\n' "${TIMINGS[@]}" "$(printf '%-46s %7ss' total "$(elapsed "$START")")" >"$OUT/timings.txt"
say "timings:"; sed 's/^/    /' "$OUT/timings.txt" >&2
say "OK: the Dockerfile's runtime stage runs the product (details in ${OUT#"$ROOT"/}/)"
