#!/usr/bin/env bash
# Builds the Dockerfile with buildah and runs the image it makes with podman: the real build and the real
# image, on a machine with no Docker engine and no reachable registry (CI has neither).
#
#   sudo scripts/docker-proof.sh
#
#  1. Base images, made here under the names the Dockerfile's FROM lines use, so that nothing is pulled:
#     - debian:bookworm-slim: `debootstrap --variant=minbase bookworm` from this machine's Debian mirror, set up
#       as Debian's official image is (apt keeps no package caches, fetches no translations; no docs, man pages
#       or locales). Its root filesystem is cached as a tarball.
#     - swift:6.3-bookworm: that image with the packages the official swift image installs and this machine's
#       Swift toolchain (in /usr, as there). When this machine's git redirects github.com to a local package
#       mirror (url.<mirror>.insteadOf), the mirror and the redirect go in too: SwiftPM in the build fetches
#       the package's dependencies as it does on this machine.
#  2. `buildah bud` of the Dockerfile as it is (--pull=never; --format docker, as an OCI image has no
#     HEALTHCHECK). The folder of its RUN --mount=type=cache is kept between runs.
#  3. The image's own config, read from `buildah inspect`: ENTRYPOINT, CMD, USER, ENV, WORKDIR, VOLUME,
#     HEALTHCHECK, STOPSIGNAL, labels. Inside the image: ldd finds every library, the USER exists, owns the
#     VOLUME.
#  4. `podman run` of the image (rootful, runc, host network), --read-only with a tmpfs /tmp and a named volume
#     on each VOLUME: the image's USER with no capabilities, PID 1 of its namespace. First the demo: /readyz,
#     a click ending in a 302 at the simulator's plan page, `podman healthcheck run`, the HEALTHCHECK command
#     failing once the server is gone, `podman stop` (SIGTERM) ending it with exit 0 within its grace period.
#     Then the image's own ENTRYPOINT + CMD (serve) with secrets given as files: /readyz, the health check,
#     writes refused but on the VOLUME and /tmp, its database on the VOLUME, `podman stop`: exit 0.
#  5. The image's size (uncompressed, and gzip-compressed as a registry stores it) and the build's time.
#
# Needs root and a Debian bookworm host with Swift 6.3; installs buildah, podman, runc, debootstrap, curl and
# jq with apt when they are missing. Stops everything it starts (containers by id, processes by PID).
#
# Environment:
#   DOCKER_PROOF_CACHE       where the root filesystem tarball is kept (default .build-static/rootfs-cache,
#                            so one CI cache of .build-static keeps it and the build's cache mount)
#   DOCKER_PROOF_CACHE_DAYS  rebuild a tarball older than this, to pick up security updates (default 7)
#   DOCKER_PROOF_KEEP=1      keep the image storage (.build-static/containers, 4.3 GB with the swift image):
#                            the next run reuses the base images, and the built image stays for a look
#   DOCKER_PROOF_BUILD_TIMEOUT  seconds for each image build (default 3600)
#   DOCKER_PROOF_STORAGE_DRIVER overlay (default) or vfs where overlay cannot mount (much slower, larger)
# Output: .build-static/docker-proof/ (build.log, image-config.json, ldd.txt, packages.txt, demo.log,
# serve.log, image.txt, timings.txt, ...).
# shellcheck disable=SC2016  # single-quoted sh -c scripts are meant literally
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SCRATCH=$ROOT/.build-static
OUT=$SCRATCH/docker-proof
STATE=$SCRATCH/containers          # buildah's and podman's storage: removed at the end unless DOCKER_PROOF_KEEP=1
BUILD_TMP=$SCRATCH/containers-tmp  # their TMPDIR; buildah keeps RUN --mount=type=cache folders in buildah-cache/
CACHE=${DOCKER_PROOF_CACHE:-$SCRATCH/rootfs-cache}
CACHE_DAYS=${DOCKER_PROOF_CACHE_DAYS:-7}
KEEP=${DOCKER_PROOF_KEEP:-0}
BUILD_TIMEOUT=${DOCKER_PROOF_BUILD_TIMEOUT:-3600}
DRIVER=${DOCKER_PROOF_STORAGE_DRIVER:-overlay}
SUITE=bookworm
DEBIAN_IMAGE=docker.io/library/debian:bookworm-slim   # FROM debian:bookworm-slim
SWIFT_IMAGE=docker.io/library/swift:6.3-bookworm      # FROM swift:6.3-bookworm
SWIFT_TAG=6.3
IMAGE=localhost/fullscript-redirect:docker-proof
# What the official swift:6.3-bookworm installs on Debian 12 (github.com/swiftlang/swift-docker, debian/12).
SWIFT_IMAGE_PACKAGES="binutils libicu-dev libcurl4-openssl-dev libedit-dev libsqlite3-dev libncurses-dev
    libpython3-dev libxml2-dev pkg-config uuid-dev tzdata git gcc libstdc++-12-dev"
START=$EPOCHREALTIME
STEP_START=$START
TIMINGS=()

elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
say() { printf '[docker-proof %6ss] %s\n' "$(elapsed "$START")" "$*" >&2; }
fail() { say "FAILED: $*"; exit 1; }
step() { STEP_START=$EPOCHREALTIME; say "== $*"; }
step_done() { local t; t=$(elapsed "$STEP_START"); TIMINGS+=("$(printf '%-50s %7ss' "$1" "$t")"); say "   done in ${t}s"; }
mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1000000 }'; }

[[ $(id -u) == 0 ]] || fail "needs root (debootstrap, rootful buildah and podman): sudo $0"
[[ $DRIVER == overlay || $DRIVER == vfs ]] || fail "DOCKER_PROOF_STORAGE_DRIVER=$DRIVER: overlay or vfs"
mkdir -p "$OUT" "$CACHE" "$STATE" "$BUILD_TMP"
exec 9>"$SCRATCH/docker-proof.lock"
flock -w 3600 9 || fail "another docker-proof run in this worktree holds $SCRATCH/docker-proof.lock"
rm -f "$OUT"/*.log "$OUT"/*.txt "$OUT"/*.json

# --- host tools ---------------------------------------------------------------------------------------
APT_UPDATED=""
apt_install() {
    say "apt-get install $*"
    export DEBIAN_FRONTEND=noninteractive
    [[ -n $APT_UPDATED ]] || { timeout 600 apt-get update -qq || fail "apt-get update"; APT_UPDATED=1; }
    timeout 900 apt-get install -y -qq --no-install-recommends "$@" >/dev/null || fail "apt-get install $*"
}
step "host tools"
command -v swift >/dev/null || fail "no swift on PATH (the build stage is FROM swift:$SWIFT_TAG-bookworm: install Swift $SWIFT_TAG)"
SWIFT_VERSION=$(swift --version 2>&1 | head -1)
[[ $SWIFT_VERSION == *"Swift version $SWIFT_TAG"[.\ ]* ]] || fail "swift:$SWIFT_TAG-bookworm is made from this machine's toolchain, which is $SWIFT_VERSION"
# The toolchain's usr/ (bin/swift, lib/swift, ...), which the official image has in /usr.
TOOLCHAIN=$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")
[[ -x $TOOLCHAIN/bin/swift-frontend && -d $TOOLCHAIN/lib/swift ]] || fail "no Swift toolchain around $TOOLCHAIN/bin/swift"
[[ $TOOLCHAIN != /usr ]] || fail "Swift is installed in /usr itself; install the toolchain in its own folder (e.g. /opt/swift)"
missing=()
for tool in buildah podman runc debootstrap curl jq git; do command -v "$tool" >/dev/null || missing+=("$tool"); done
((${#missing[@]} == 0)) || apt_install "${missing[@]}"
for tool in unshare tar sha256sum flock conmon; do command -v "$tool" >/dev/null || fail "no $tool"; done
grep -qw "$DRIVER" /proc/filesystems || [[ $DRIVER == vfs ]] || fail "the kernel has no $DRIVER file system (DOCKER_PROOF_STORAGE_DRIVER=vfs to use vfs)"
say "$(buildah --version); $(podman --version); $(runc --version | head -1); $SWIFT_VERSION in $TOOLCHAIN"
step_done "host tools"

# --- buildah and podman on storage of our own -----------------------------------------------------------
# Every call names the storage, so nothing here touches /var/lib/containers. runc: crun 1.8 refuses hybrid
# cgroup hierarchies (cgroup v1 with a cgroup2 mount that has controllers, as on our VMs). cgroupfs and a
# file event log: no systemd runs here.
printf '[storage]\ndriver = "%s"\ngraphroot = "%s"\nrunroot = "%s"\n' "$DRIVER" "$STATE/storage" "$STATE/run" >"$STATE/storage.conf"
export CONTAINERS_STORAGE_CONF=$STATE/storage.conf
STORE=(--root "$STATE/storage" --runroot "$STATE/run" --storage-driver "$DRIVER")
# Each call is bounded: LIMIT=SECONDS bh|pm ... for a longer one than the default.
bh() { timeout --foreground -k 10 "${LIMIT:-600}" env TMPDIR="$BUILD_TMP" buildah "${STORE[@]}" "$@"; }
pm() {
    timeout --foreground -k 10 "${LIMIT:-300}" env TMPDIR="$BUILD_TMP" podman "${STORE[@]}" \
        --runtime runc --cgroup-manager cgroupfs --events-backend file --tmpdir "$STATE/libpod" "$@"
}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/fsr-docker-proof.XXXXXX")
# The containers' cgroups (and conmon's) go under a parent of this run's own, removed at the end.
CGROUP_PARENT=/fsr-docker-proof-$$
CONTAINERS=()   # podman containers (ids or names) this run made
VOLUMES_MADE=() # podman volumes this run made
PIDS=()         # their conmon processes and servers, checked gone by PID at the end
mounts_under() { awk -v p="$1/" 'index($5, p) == 1 { print $5 }' /proc/self/mountinfo; }
# A storage left by an interrupted run (or kept): its containers go, their mounts with them.
drop_containers() {
    [[ -d $STATE/storage ]] || return 0
    pm rm --all --force --time 0 >/dev/null 2>&1 || true
    bh rm --all >/dev/null 2>&1 || true
}
drop_storage() {
    local mount
    drop_containers
    for mount in $(mounts_under "$STATE" | sort -r); do umount "$mount" 2>/dev/null || umount -l "$mount" || true; done
    [[ -z $(mounts_under "$STATE") ]] || { say "mounts left under $STATE: not removing it"; return 0; }
    rm -rf "${STATE:?}/storage" "${STATE:?}/run" "${STATE:?}/libpod" "$STATE/base-images"
}
cleanup() {
    local status=$? id pid
    trap - EXIT INT TERM
    for id in "${CONTAINERS[@]}"; do LIMIT=60 pm rm --force --ignore --time 0 "$id" >/dev/null 2>&1 || true; done
    for pid in "${PIDS[@]}"; do
        kill -0 "$pid" 2>/dev/null || continue
        say "process $pid still running after its container was removed: SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
    done
    for id in "${VOLUMES_MADE[@]}"; do LIMIT=60 pm volume rm --force "$id" >/dev/null 2>&1 || true; done
    find /sys/fs/cgroup -maxdepth 3 -depth -type d -path "*$CGROUP_PARENT*" -exec rmdir {} \; 2>/dev/null || true
    [[ -z $(find /sys/fs/cgroup -maxdepth 2 -type d -path "*$CGROUP_PARENT" 2>/dev/null) ]] || say "cgroups $CGROUP_PARENT left (in use?)"
    if [[ $KEEP == 1 ]]; then
        drop_containers
        say "storage kept (DOCKER_PROOF_KEEP=1): podman --root $STATE/storage --runroot $STATE/run --runtime runc --cgroup-manager cgroupfs images"
    else
        drop_storage
    fi
    # Only the cache mounts stay in buildah's TMPDIR.
    find "$BUILD_TMP" -mindepth 1 -maxdepth 1 ! -name buildah-cache -exec rm -rf {} + 2>/dev/null || true
    if [[ -n $(mounts_under "$WORK") ]]; then say "mounts left under $WORK: not removing it"; else rm -rf "${WORK:?}"; fi
    exit "$status"
}
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT
trap 'say "terminated"; exit 143' TERM

if [[ $KEEP == 1 ]]; then drop_containers; else drop_storage; fi
# What the earlier, Dockerfile-reading proof left here: its context, its swift build, its tarballs.
for old in "$SCRATCH"/{context,release,debug,x86_64-unknown-linux-gnu,checkouts,repositories,artifacts,workspace-state.json} \
        "$SCRATCH"/rootfs-cache/rootfs-*.tar; do
    if [[ -e $old ]]; then say "removing ${old#"$ROOT"/} (the earlier proof's)"; rm -rf "$old"; fi
done

# --- debian:bookworm-slim -------------------------------------------------------------------------------
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
# apt's proxy, if this machine has one: for debootstrap and for apt in the builds (buildah passes http_proxy on).
PROXY=$(apt-config dump 2>/dev/null | sed -n 's/^Acquire::http::Proxy "\(.*\)";$/\1/p' | head -1)
proxy_env=(); [[ -n $PROXY && $PROXY != DIRECT ]] && proxy_env=("http_proxy=$PROXY")
# Bump "slim-1" when make_rootfs changes what it makes.
KEY=$(printf '%s\n' "$SUITE minbase slim-1" "$MIRROR" "$SECURITY" | sha256sum | cut -c1-16)
TARBALL=$CACHE/debian-$SUITE-slim-$KEY.tar

make_rootfs() {   # debootstrap, set up as Debian's images are, then the tarball
    local fresh=$WORK/rootfs t0=$EPOCHREALTIME
    say "debootstrap --variant=minbase $SUITE from $MIRROR${PROXY:+ (proxy $PROXY)}"
    if ! env "${proxy_env[@]}" timeout 900 unshare --mount --propagation private -- \
            debootstrap --variant=minbase "$SUITE" "$fresh" "$MIRROR" >"$OUT/debootstrap.log" 2>&1; then
        tail -20 "$OUT/debootstrap.log" >&2
        fail "debootstrap (log: ${OUT#"$ROOT"/}/debootstrap.log)"
    fi
    say "debootstrap done in $(elapsed "$t0")s"
    # The sources debian:bookworm-slim has, on this machine's mirrors.
    rm -f "$fresh/etc/apt/sources.list"
    printf '%s\n' "Types: deb" "URIs: $MIRROR" "Suites: $SUITE $SUITE-updates" "Components: main" \
        "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg" "" \
        "Types: deb" "URIs: $SECURITY" "Suites: $SUITE-security" "Components: main" \
        "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg" >"$fresh/etc/apt/sources.list.d/debian.sources"
    # As Debian's images (debuerreotype) are set up: no services start in a build; apt deletes what it
    # downloaded after each run, keeps no package caches and fetches no translations; dpkg does not sync.
    printf '#!/bin/sh\n# No services start in an image build.\nexit 101\n' >"$fresh/usr/sbin/policy-rc.d"
    chmod 0755 "$fresh/usr/sbin/policy-rc.d"
    echo force-unsafe-io >"$fresh/etc/dpkg/dpkg.cfg.d/docker-apt-speedup"
    local clean='"rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true";'
    printf '%s\n' "DPkg::Post-Invoke { $clean };" "APT::Update::Post-Invoke { $clean };" \
        'Dir::Cache::pkgcache "";' 'Dir::Cache::srcpkgcache "";' >"$fresh/etc/apt/apt.conf.d/docker-clean"
    echo 'Acquire::GzipIndexes "true";' >"$fresh/etc/apt/apt.conf.d/docker-gzip-indexes"
    echo 'Acquire::Languages "none";' >"$fresh/etc/apt/apt.conf.d/docker-no-languages"
    echo 'Apt::AutoRemove::SuggestsImportant "false";' >"$fresh/etc/apt/apt.conf.d/docker-autoremove-suggests"
    # The slim variant: no documentation (but the copyright files), man pages or translations, now or later.
    printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' \
        'path-exclude /usr/share/groff/*' 'path-exclude /usr/share/info/*' 'path-exclude /usr/share/linda/*' \
        'path-exclude /usr/share/lintian/overrides/*' 'path-exclude /usr/share/locale/*' \
        'path-include /usr/share/locale/locale.alias' 'path-exclude /usr/share/man/*' >"$fresh/etc/dpkg/dpkg.cfg.d/docker"
    find "$fresh/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
    find "$fresh/usr/share/doc" -mindepth 1 -type d -empty -delete
    rm -rf "$fresh"/usr/share/{groff,info,linda,man}/* "$fresh"/usr/share/lintian/overrides/*
    find "$fresh/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
    # What a container is given (devices, resolver, host name) and what debootstrap leaves behind.
    rm -rf "${fresh:?}"/dev/* "$fresh"/var/lib/apt/lists/* "$fresh"/var/cache/apt/archives/*.deb "$fresh"/var/cache/apt/*.bin \
        "$fresh/var/log/bootstrap.log"
    rm -f "$fresh/etc/resolv.conf" "$fresh/etc/hostname" && : >"$fresh/etc/resolv.conf"
    mkdir -p "$CACHE"   # again: another run may have cleared the cache meanwhile
    tar --numeric-owner -C "$fresh" -cf "$TARBALL.partial.$$" . || fail "cannot write $TARBALL.partial.$$"
    mv "$TARBALL.partial.$$" "$TARBALL"
    [[ -z $(mounts_under "$fresh") ]] && rm -rf "$fresh"
    # Stale tarballs and partial ones of interrupted runs.
    find "$CACHE" -maxdepth 1 \( -name "debian-*.tar" -mtime +"$CACHE_DAYS" -o -name "debian-*.tar.partial.*" -mtime +0 \) -delete
    say "cached: ${TARBALL#"$ROOT"/} ($(du -h "$TARBALL" | cut -f1)) in $(elapsed "$t0")s"
}
# base_image_current NAME KEY: NAME is in the storage, made from KEY (a kept storage, DOCKER_PROOF_KEEP=1).
base_image_current() { [[ -f $STATE/base-images ]] && grep -qxF "$1 $2" "$STATE/base-images" && bh inspect --type image "$1" >/dev/null 2>&1; }
base_image_made() { { grep -vF "$1 " "$STATE/base-images" 2>/dev/null || true; echo "$1 $2"; } >"$STATE/base-images.new"; mv "$STATE/base-images.new" "$STATE/base-images"; }

if base_image_current "$DEBIAN_IMAGE" "$KEY"; then
    step "debian:bookworm-slim: kept from the last run"
    step_done "debian:bookworm-slim (kept)"
else
    if [[ -f $TARBALL ]] && [[ -z $(find "$TARBALL" -mtime +"$CACHE_DAYS") ]]; then
        step "debian:bookworm-slim from the cached root filesystem ${TARBALL#"$ROOT"/} ($(du -h "$TARBALL" | cut -f1))"
        how="cached tarball"
    else
        step "debian:bookworm-slim: debootstrap (cached as ${TARBALL#"$ROOT"/} for $CACHE_DAYS days)"
        make_rootfs
        how="debootstrap"
    fi
    ctr=$(bh from --pull=never scratch) || fail "buildah from scratch"
    LIMIT=600 bh add "$ctr" "$TARBALL" / >/dev/null || fail "buildah add $TARBALL"
    # The official image's own config: its PATH and CMD.
    bh config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --cmd '["bash"]' "$ctr"
    LIMIT=600 bh commit --quiet --format docker --rm "$ctr" "$DEBIAN_IMAGE" >/dev/null || fail "buildah commit $DEBIAN_IMAGE"
    base_image_made "$DEBIAN_IMAGE" "$KEY"
    say "$DEBIAN_IMAGE: $(mb "$(pm image inspect --format '{{.Size}}' "$DEBIAN_IMAGE")")"
    step_done "debian:bookworm-slim ($how)"
fi

# --- swift:6.3-bookworm ---------------------------------------------------------------------------------
# This machine's git redirects to local folders (url.<folder>.insteadOf <url>), e.g. github.com to a package
# mirror: the image gets the same rules and folders, and SwiftPM fetches in the build as it does here.
GITCONFIG=$WORK/gitconfig
GIT_MIRRORS=()
while read -r key value; do
    base=${key#url.}; base=${base%.insteadof}
    git config --file "$GITCONFIG" --add "url.$base.insteadOf" "$value"
    if [[ $base == /* && -d $base && " ${GIT_MIRRORS[*]} " != *" ${base%/} "* ]]; then GIT_MIRRORS+=("${base%/}"); fi
done < <(git config --system --get-regexp '^url\..*\.insteadof$' 2>/dev/null || true; git config --global --get-regexp '^url\..*\.insteadof$' 2>/dev/null || true)
# shellcheck disable=SC2086  # the package list is words
SWIFT_KEY=$({ printf '%s\n' "$KEY" "$SWIFT_VERSION" "$TOOLCHAIN" $SWIFT_IMAGE_PACKAGES "${GIT_MIRRORS[@]}"; cat "$GITCONFIG" 2>/dev/null || true; } | sha256sum | cut -c1-16)
if base_image_current "$SWIFT_IMAGE" "$SWIFT_KEY"; then
    step "swift:$SWIFT_TAG-bookworm: kept from the last run"
    step_done "swift:$SWIFT_TAG-bookworm (kept)"
else
    step "swift:$SWIFT_TAG-bookworm: debian:bookworm-slim + the official image's packages + $TOOLCHAIN in /usr"
    ctr=$(bh from --pull=never "$DEBIAN_IMAGE") || fail "buildah from $DEBIAN_IMAGE"
    proxy_export=""; [[ -n ${proxy_env[*]} ]] && proxy_export="export ${proxy_env[0]}; "
    # shellcheck disable=SC2086  # the package list is words
    if ! LIMIT=1200 bh run --isolation chroot "$ctr" -- /bin/sh -c "${proxy_export}"'export DEBIAN_FRONTEND=noninteractive DEBCONF_NONINTERACTIVE_SEEN=true
            apt-get -q update && apt-get -q install -y "$@" && rm -rf /var/lib/apt/lists/*' sh $SWIFT_IMAGE_PACKAGES >"$OUT/swift-image.log" 2>&1; then
        tail -20 "$OUT/swift-image.log" >&2
        fail "apt-get install in swift:$SWIFT_TAG-bookworm (log: ${OUT#"$ROOT"/}/swift-image.log)"
    fi
    LIMIT=1200 bh copy --quiet "$ctr" "$TOOLCHAIN" /usr >/dev/null || fail "buildah copy $TOOLCHAIN"
    for mirror in "${GIT_MIRRORS[@]}"; do
        say "git redirect to $mirror ($(du -sh "$mirror" | cut -f1)): copied in, with /etc/gitconfig"
        LIMIT=600 bh copy --quiet "$ctr" "$mirror" "$mirror" >/dev/null || fail "buildah copy $mirror"
    done
    [[ -s $GITCONFIG ]] && { bh copy --quiet "$ctr" "$GITCONFIG" /etc/gitconfig >/dev/null || fail "buildah copy /etc/gitconfig"; }
    in_image=$(bh run --isolation chroot "$ctr" -- swift --version 2>&1 | head -1) || fail "swift --version in the image: $in_image"
    [[ $in_image == "$SWIFT_VERSION" ]] || fail "swift --version in the image says '$in_image', not '$SWIFT_VERSION'"
    LIMIT=1200 bh commit --quiet --format docker --rm "$ctr" "$SWIFT_IMAGE" >/dev/null || fail "buildah commit $SWIFT_IMAGE"
    base_image_made "$SWIFT_IMAGE" "$SWIFT_KEY"
    say "$SWIFT_IMAGE: $(mb "$(pm image inspect --format '{{.Size}}' "$SWIFT_IMAGE")"), $in_image"
    step_done "swift:$SWIFT_TAG-bookworm"
fi

# --- the build --------------------------------------------------------------------------------------------
VERSION=$(git describe --always --dirty 2>/dev/null || echo dev)
REVISION=$(git rev-parse HEAD 2>/dev/null || echo unknown)
step "buildah bud (the Dockerfile as it is), VERSION=$VERSION"
BUILD_LOG=$OUT/build.log
if ! env "${proxy_env[@]}" timeout --foreground -k 10 "$BUILD_TIMEOUT" env TMPDIR="$BUILD_TMP" buildah "${STORE[@]}" bud \
        --pull=never --format docker --isolation chroot \
        --build-arg VERSION="$VERSION" --build-arg REVISION="$REVISION" \
        --tag "$IMAGE" --file Dockerfile . >"$BUILD_LOG" 2>&1; then
    tail -30 "$BUILD_LOG" >&2
    grep -q "pull policy is \"never\"\|image not known" "$BUILD_LOG" \
        && say "a FROM names an image this proof does not make: it makes debian:bookworm-slim and swift:$SWIFT_TAG-bookworm"
    fail "buildah bud (log: ${OUT#"$ROOT"/}/build.log)"
fi
BUILD_SECONDS=$(elapsed "$STEP_START")
[[ $KEEP != 1 ]] || bh rmi --prune >/dev/null 2>&1 || true   # the last run's image, now untagged
SWIFT_BUILD_SECONDS=$(sed -n 's/.* complete! (\([0-9.]*s\))$/\1/p' "$BUILD_LOG" | tail -1)
CACHE_MOUNTS=$BUILD_TMP/buildah-cache
say "built $IMAGE in ${BUILD_SECONDS}s (its swift build ${SWIFT_BUILD_SECONDS:-?}); RUN --mount=type=cache in ${CACHE_MOUNTS#"$ROOT"/} ($(du -sh "$CACHE_MOUNTS" 2>/dev/null | cut -f1 || echo none))"
step_done "buildah bud Dockerfile"

# --- the image's own config ----------------------------------------------------------------------------
step "the image's config (buildah inspect)"
bh inspect --type image "$IMAGE" | jq '.Docker.config' >"$OUT/image-config.json" || fail "buildah inspect $IMAGE"
CONFIG=$OUT/image-config.json
words() { jq -j "($1 // [])[] | ., \"\\u0000\"" "$CONFIG"; }   # a JSON array as NUL-separated words
mapfile -d '' -t ENTRYPOINT < <(words .Entrypoint)
mapfile -d '' -t CMD < <(words .Cmd)
mapfile -d '' -t IMAGE_ENV < <(words .Env)
mapfile -d '' -t VOLUMES < <(jq -j '(.Volumes // {}) | keys[] | ., "\u0000"' "$CONFIG")
mapfile -d '' -t EXPOSED < <(jq -j '(.ExposedPorts // {}) | keys[] | ., "\u0000"' "$CONFIG")
mapfile -d '' -t HEALTH_TEST < <(words .Healthcheck.Test)
USER_SPEC=$(jq -r '.User // ""' "$CONFIG")
WORKDIR=$(jq -r '.WorkingDir // ""' "$CONFIG")
STOP_SIGNAL=$(jq -r '.StopSignal // ""' "$CONFIG")
HEALTH_TIMEOUT=$(jq -r '((.Healthcheck.Timeout // 0) / 1000000000 | ceil) as $t | if $t > 0 then $t else 30 end' "$CONFIG")
image_env() { local pair; for pair in "${IMAGE_ENV[@]}"; do [[ ${pair%%=*} == "$1" ]] && printf '%s\n' "${pair#*=}"; done; return 0; }
label() { jq -r --arg l "$1" '.Labels[$l] // empty' "$CONFIG"; }
((${#ENTRYPOINT[@]})) || fail "the image has no ENTRYPOINT"
((${#CMD[@]})) || fail "the image has no CMD"
[[ $USER_SPEC =~ ^([0-9]+):([0-9]+)$ ]] || fail "the image's USER is '$USER_SPEC', not a numeric uid:gid"
APP_UID=${BASH_REMATCH[1]}; APP_GID=${BASH_REMATCH[2]}
((APP_UID != 0)) || fail "the image runs as root"
((${#VOLUMES[@]})) || fail "the image has no VOLUME"
[[ -n $WORKDIR ]] || fail "the image has no WORKDIR"
[[ $STOP_SIGNAL == SIGTERM || $STOP_SIGNAL == 15 || -z $STOP_SIGNAL ]] || fail "the image's STOPSIGNAL is $STOP_SIGNAL, not SIGTERM"
case ${HEALTH_TEST[0]:-} in
    CMD) HEALTH_CMD=("${HEALTH_TEST[@]:1}") ;;
    CMD-SHELL) HEALTH_CMD=(/bin/sh -c "${HEALTH_TEST[1]}") ;;
    *) fail "the image has no HEALTHCHECK (Test: ${HEALTH_TEST[*]:-none}); buildah keeps it with --format docker only" ;;
esac
((${#HEALTH_CMD[@]})) || fail "the image's HEALTHCHECK has an empty command"
IMAGE_PORT=$(image_env PORT)
[[ -n $IMAGE_PORT ]] || fail "the image's ENV has no PORT"
[[ " ${EXPOSED[*]} " == *" $IMAGE_PORT/tcp "* ]] || fail "the image exposes ${EXPOSED[*]:-nothing}, not its PORT $IMAGE_PORT"
GRACE_MS=$(image_env HTTP_SHUTDOWN_GRACE_MS); GRACE_MS=${GRACE_MS:-10000}
DATABASE_PATH=$(image_env DATABASE_PATH)
[[ -n $DATABASE_PATH && $DATABASE_PATH == "${VOLUMES[0]}"/* ]] || fail "DATABASE_PATH '$DATABASE_PATH' is not on the VOLUME ${VOLUMES[0]}"
for name in title description source licenses version revision; do
    jq -e --arg l "org.opencontainers.image.$name" '.Labels | has($l)' "$CONFIG" >/dev/null || fail "no org.opencontainers.image.$name label"
done
[[ $(label org.opencontainers.image.version) == "$VERSION" ]] || fail "label version is '$(label org.opencontainers.image.version)', not the build arg $VERSION"
[[ $(label org.opencontainers.image.revision) == "$REVISION" ]] || fail "label revision is not the build arg $REVISION"
say "ENTRYPOINT ${ENTRYPOINT[*]}; CMD ${CMD[*]}; USER $USER_SPEC; WORKDIR $WORKDIR; VOLUME ${VOLUMES[*]}; EXPOSE ${EXPOSED[*]}; STOPSIGNAL ${STOP_SIGNAL:-default}"
say "ENV ${IMAGE_ENV[*]}"
say "HEALTHCHECK ${HEALTH_TEST[0]} ${HEALTH_CMD[*]:0:2} ... (timeout ${HEALTH_TIMEOUT}s); labels version=$VERSION revision=${REVISION:0:12}"
step_done "image config"

# --- inside the image ------------------------------------------------------------------------------------
step "inside the image: the entrypoint's libraries, the user, the volume"
# As root in a throwaway container with no network: where the ENTRYPOINT resolves on the image's PATH,
# what ldd says of it and which package gives each library, the USER's passwd entry, the VOLUMEs' owners.
IMAGE_CHECK='entry=$(command -v "$1") || { echo "entry-missing $1"; exit 0; }; uid=$2; shift 2
    echo "entry $entry"
    echo "passwd $(getent passwd "$uid")"
    for volume; do echo "volume $volume $(stat -c "%u:%g %a" "$volume" 2>&1)"; done
    [ -x /bin/bash ] && echo "bash /bin/bash"
    ldd "$entry" 2>&1 | sed "s/^/ldd /"
    ldd "$entry" 2>/dev/null | while read -r name arrow path rest; do
        case $path in /*) ;; *) continue ;; esac
        real=$(readlink -f "$path"); package="?"
        for candidate in "$path" "$real" "${real#/usr}" "/usr$path"; do   # dpkg lists /lib or /usr/lib (usrmerge)
            found=$(dpkg -S "$candidate" 2>/dev/null | head -1 | cut -d: -f1) && [ -n "$found" ] && { package=$found; break; }
        done
        echo "library $name $path $package"
    done
    dpkg-query -W -f="package \${Package} \${Version}\n"'
ONE_OFF=(--rm --pull=never --cgroup-parent "$CGROUP_PARENT" --log-driver k8s-file --health-interval disable --ulimit nofile=1024:1024 --ulimit nproc=1024:1024)
inside=$(LIMIT=120 pm run "${ONE_OFF[@]}" --name "fsr-proof-check-$$" --network none --user 0 --entrypoint /bin/sh \
    "$IMAGE" -c "$IMAGE_CHECK" sh "${ENTRYPOINT[0]}" "$APP_UID" "${VOLUMES[@]}" 2>>"$OUT/podman.log") \
    || { tail -5 "$OUT/podman.log" >&2; fail "podman run of the image check"; }
CONTAINERS+=("fsr-proof-check-$$")
section() { sed -n "s/^$1 //p" <<<"$inside"; }
section ldd >"$OUT/ldd.txt"
section package | sort >"$OUT/packages.txt"
ENTRY_PATH=$(section entry)
[[ -n $ENTRY_PATH ]] || fail "the ENTRYPOINT ${ENTRYPOINT[0]} is not on the image's PATH"
! grep -q "not found" "$OUT/ldd.txt" || { cat "$OUT/ldd.txt" >&2; fail "a library the binary needs is not in the image"; }
grep -q "=> /" "$OUT/ldd.txt" || { cat "$OUT/ldd.txt" >&2; fail "ldd found no libraries (not a dynamic binary?)"; }
while read -r name path package; do say "  $name => $path  ($package)"; done < <(section library)
PASSWD=$(section passwd)
[[ $PASSWD == *:*:"$APP_UID":"$APP_GID":* ]] || fail "uid $APP_UID has no /etc/passwd entry with gid $APP_GID in the image ('$PASSWD')"
while read -r volume owner mode; do
    [[ $owner == "$APP_UID:$APP_GID" ]] || fail "VOLUME $volume is $owner $mode, not the USER's"
    say "VOLUME $volume: owner $owner, mode $mode"
done < <(section volume)
[[ -n $(section bash) || ${HEALTH_CMD[0]} != /bin/bash ]] || fail "no /bin/bash in the image, which the HEALTHCHECK runs"
say "$ENTRY_PATH; user $PASSWD; $(wc -l <"$OUT/packages.txt") packages"
step_done "inside the image"

# --- running it ----------------------------------------------------------------------------------------------
# podman's default rlimits (nofile and nproc 1048576) are more than root may raise to here (no CAP_SYS_RESOURCE
# on these VMs): the container gets the limits podman's monitor (conmon) runs with, as a Docker container gets
# dockerd's.
probe=$(LIMIT=120 pm run "${ONE_OFF[@]}" -d --name "fsr-proof-probe-$$" --network none --entrypoint /bin/sleep "$IMAGE" 60 2>>"$OUT/podman.log") \
    || { tail -5 "$OUT/podman.log" >&2; fail "podman run (probe)"; }
CONTAINERS+=("$probe")
conmon=$(pm inspect --format '{{.State.ConmonPid}}' "$probe")
limit_of() { awk -v what="$1" 'index($0, what) == 1 { v = $(NF - 1); print (v == "unlimited" ? -1 : v) }' "/proc/$conmon/limits"; }
NOFILE=$(limit_of "Max open files"); NPROC=$(limit_of "Max processes")
[[ -n $NOFILE && -n $NPROC ]] || fail "cannot read the limits of conmon ($conmon)"
LIMIT=60 pm rm --force --time 0 "$probe" >/dev/null 2>>"$OUT/podman.log" || true

free_port() {   # a port nobody on this machine has open in /proc/net/tcp{,6}
    local port hex
    for _ in $(seq 100); do
        port=$((20000 + RANDOM % 40000)); hex=$(printf ':%04X ' "$port")
        grep -qF "$hex" /proc/net/tcp /proc/net/tcp6 2>/dev/null || { echo "$port"; return 0; }
    done
    fail "no free port"
}
# A named volume on each VOLUME, made once: the demo's data stays there for serve, as a real volume's would.
VOLUME_ARGS=(); VOLUME_DIRS=()
for volume in "${VOLUMES[@]}"; do
    name=fsr-proof-$$-$(tr -c 'a-z0-9\n' - <<<"${volume#/}")
    LIMIT=60 pm volume create "$name" >/dev/null 2>>"$OUT/podman.log" || fail "podman volume create $name"
    VOLUMES_MADE+=("$name")
    VOLUME_ARGS+=(--volume "$name:$volume")
    VOLUME_DIRS+=("$(pm volume inspect --format '{{.Mountpoint}}' "$name")")
done
# As `docker run --read-only --tmpfs /tmp -v data:/app/data`: nothing writable but the volume and /tmp. The
# health check runs on demand (`podman healthcheck run`): its timer needs systemd, which does not run here.
RUN_COMMON=(--pull=never --cgroup-parent "$CGROUP_PARENT" --network host --read-only --read-only-tmpfs=false --tmpfs /tmp --log-driver k8s-file
    --health-interval disable --ulimit "nofile=$NOFILE:$NOFILE" --ulimit "nproc=$NPROC:$NPROC" "${VOLUME_ARGS[@]}")
ID=""; PID=""
start_container() {   # start_container NAME PODMAN-RUN-OPTIONS... -- ARGS...: detached, sets ID and PID
    local name=$1 options=(); shift
    while [[ $1 != -- ]]; do options+=("$1"); shift; done
    shift
    ID=$(LIMIT=120 pm run -d --name "$name" "${RUN_COMMON[@]}" "${options[@]}" "$IMAGE" "$@" 2>>"$OUT/podman.log") \
        || { tail -5 "$OUT/podman.log" >&2; fail "podman run $name"; }
    CONTAINERS+=("$ID")
    PID=$(pm inspect --format '{{.State.Pid}}' "$ID")
    PIDS+=("$(pm inspect --format '{{.State.ConmonPid}}' "$ID")")
    [[ $PID =~ ^[1-9][0-9]*$ ]] || { pm logs "$ID" >&2 || true; fail "$name is not running"; }
    PIDS+=("$PID")
}
status_of() { curl -s -o /dev/null --max-time 5 -w '%{http_code}' "$1" || true; }
wait_ready() {   # wait_ready PORT LOG
    local deadline=$((SECONDS + 60))
    until [[ $(status_of "http://127.0.0.1:$1/readyz") == 200 ]]; do
        kill -0 "$PID" 2>/dev/null || { pm logs "$ID" >"$2" 2>&1; cat "$2" >&2; fail "the server exited before /readyz answered 200"; }
        ((SECONDS < deadline)) || { pm logs "$ID" >"$2" 2>&1; tail -20 "$2" >&2; fail "/readyz did not answer 200 within 60 s"; }
        sleep 0.1
    done
}
check_identity() {   # the image's USER, no capabilities, PID 1 of its own PID namespace
    local status=/proc/$PID/status groups
    [[ $(cat "/proc/$PID/comm") == "$(basename "${ENTRYPOINT[0]}" | cut -c1-15)" ]] || fail "PID 1 is $(cat "/proc/$PID/comm"), not ${ENTRYPOINT[0]}"
    awk -v u="$APP_UID" '/^Uid:/ { exit !($2 == u && $3 == u && $4 == u && $5 == u) }' "$status" || fail "$(grep ^Uid: "$status"), not $APP_UID"
    awk -v g="$APP_GID" '/^Gid:/ { exit !($2 == g && $3 == g && $4 == g && $5 == g) }' "$status" || fail "$(grep ^Gid: "$status"), not $APP_GID"
    groups=$(awk '/^Groups:/ { $1 = ""; print }' "$status" | xargs)
    [[ -z $groups || $groups == "$APP_GID" ]] || fail "supplementary groups: $groups"   # podman lists the gid itself
    [[ $(awk '/^CapEff:/ { print $2 }' "$status") == 0000000000000000 ]] || fail "$(grep ^CapEff: "$status"): it has capabilities"
    [[ $(awk '/^NSpid:/ { print $NF }' "$status") == 1 ]] || fail "not PID 1 in its namespace ($(grep ^NSpid: "$status"))"
    say "PID $PID: ${ENTRYPOINT[0]}, uid/gid $APP_UID/$APP_GID (real, effective, saved, fs), no other groups, CapEff 0, PID 1 in its namespace, cwd $(readlink "/proc/$PID/cwd" | sed 's|^.*/merged/|/|')"
}
# As `docker run --read-only`: the root filesystem is mounted read-only and even root cannot write to it;
# the VOLUMEs and /tmp can be written.
check_read_only() {
    local probe_dirs=(/ /etc /usr/local/bin "$WORKDIR" /tmp "${VOLUMES[@]}") result expected dir state
    [[ $(awk '$5 == "/" { split($6, o, ","); print o[1] }' "/proc/$PID/mountinfo") == ro ]] || fail "the root filesystem is not mounted read-only"
    result=$(LIMIT=60 pm exec --user 0 "$ID" /bin/sh -c \
        'for d; do if ( : >"$d/.docker-proof" ) 2>/dev/null; then rm -f "$d/.docker-proof"; echo "$d rw"; else echo "$d ro"; fi; done' \
        sh "${probe_dirs[@]}" 2>>"$OUT/podman.log") || fail "podman exec (write test)"
    while read -r dir state; do
        expected=ro; [[ $dir == /tmp || " ${VOLUMES[*]} " == *" $dir "* ]] && expected=rw
        [[ $state == "$expected" ]] || fail "$dir is $state for root in the container, expected $expected"
    done <<<"$result"
    say "writes (as root in the container): $(tr '\n' ' ' <<<"$result")"
}
healthcheck_run() { LIMIT=$((HEALTH_TIMEOUT + 30)) pm healthcheck run "$ID" >/dev/null 2>>"$OUT/podman.log"; }
# The HEALTHCHECK's own command in a throwaway container of the image, against PORT on this host.
HEALTH_ONE_OFFS=0
healthcheck_command() {   # healthcheck_command PORT
    local name=fsr-proof-health-$$-$((HEALTH_ONE_OFFS += 1))
    CONTAINERS+=("$name")
    LIMIT=$((HEALTH_TIMEOUT + 30)) pm run "${ONE_OFF[@]}" --name "$name" --network host --read-only -e PORT="$1" \
        --entrypoint "${HEALTH_CMD[0]}" "$IMAGE" "${HEALTH_CMD[@]:1}" >/dev/null 2>>"$OUT/podman.log"
}
stop_container() {   # stop_container LOG: `podman stop`, as `docker stop`: STOPSIGNAL, then SIGKILL after the grace
    local t0=$EPOCHREALTIME limit code
    limit=$(((GRACE_MS + 999) / 1000))
    LIMIT=$((limit + 60)) pm stop --time "$limit" "$ID" >/dev/null 2>>"$OUT/podman.log" || fail "podman stop"
    code=$(pm inspect --format '{{.State.ExitCode}}' "$ID")
    ! kill -0 "$PID" 2>/dev/null || fail "PID $PID still runs after podman stop"
    pm logs "$ID" >"$1" 2>&1 || true
    [[ $code == 0 ]] || { tail -20 "$1" >&2; fail "exit status $code after podman stop, not 0 (137: still running ${limit}s after SIGTERM)"; }
    say "podman stop (signal $(pm inspect --format '{{.Config.StopSignal}}' "$ID")): exit 0 after $(elapsed "$t0")s (grace ${GRACE_MS} ms, SIGKILL after ${limit}s)"
    LIMIT=60 pm rm "$ID" >/dev/null 2>>"$OUT/podman.log" || true
}

step "demo in the image: /readyz, a click through the simulator, HEALTHCHECK, podman stop"
say "podman run: rootful, runc, host network, --read-only, tmpfs /tmp, volumes ${VOLUMES_MADE[*]}; nofile $NOFILE, nproc $NPROC"
PORT=$(free_port); SANDBOX_PORT=$(free_port)
while [[ $SANDBOX_PORT == "$PORT" ]]; do SANDBOX_PORT=$(free_port); done
DEMO_LOG=$OUT/demo.log
start_container "fsr-proof-demo-$$" -e PORT="$PORT" -- demo --host 127.0.0.1 --port "$PORT" --sandbox-port "$SANDBOX_PORT"
wait_ready "$PORT" "$DEMO_LOG"
say "/readyz 200 on 127.0.0.1:$PORT (simulator on :$SANDBOX_PORT)"
check_identity
check_read_only
healthcheck_run || fail "podman healthcheck run: unhealthy against the running demo"
say "podman healthcheck run: healthy"
healthcheck_command "$PORT" || fail "the HEALTHCHECK command, in a container of the image, failed against the running demo"
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
[[ $click == "302 http://localhost:$SANDBOX_PORT/sandbox/plans/"* ]] || { pm logs "$ID" 2>&1 | tail -20 >&2; fail "GET /recommend/p-1001 answered '$click'"; }
say "GET /recommend/p-1001: $click"
[[ -f ${VOLUME_DIRS[0]}/demo.sqlite ]] || fail "the demo's database is not on the VOLUME ${VOLUMES[0]}"
stop_container "$DEMO_LOG"
! healthcheck_command "$PORT" || fail "the HEALTHCHECK command passes with no server: it proves nothing"
say "the HEALTHCHECK command, in a container of the image: passes against the demo, fails once it is gone"
step_done "demo: readyz, click, healthcheck, stop"

step "the image's own command (${ENTRYPOINT[*]} ${CMD[*]}), secrets as files"
SECRETS=$WORK/secrets
mkdir -p "$SECRETS"
head -c 32 /dev/urandom | base64 >"$SECRETS/token_encryption_key"
head -c 48 /dev/urandom | base64 >"$SECRETS/ehr_launch_secret"
echo "docker-proof-client-secret" >"$SECRETS/fullscript_client_secret"
chmod 0444 "$SECRETS"/*   # as compose mounts file secrets
SERVE_PORT=$(free_port)
SERVE_LOG=$OUT/serve.log
# No arguments: the image's ENTRYPOINT and CMD. PORT moves it off 8080, this host's network being shared.
start_container "fsr-proof-serve-$$" -e PORT="$SERVE_PORT" -e FULLSCRIPT_CLIENT_ID=docker-proof \
    -e FULLSCRIPT_REDIRECT_URI=https://fsr.example.org/oauth/fullscript/callback \
    -e FULLSCRIPT_CLIENT_SECRET_FILE=/run/secrets/fullscript_client_secret \
    -e TOKEN_ENCRYPTION_KEY_FILE=/run/secrets/token_encryption_key \
    -e EHR_LAUNCH_SECRET_FILE=/run/secrets/ehr_launch_secret \
    --volume "$SECRETS:/run/secrets:ro" --
mapfile -d '' -t argv <"/proc/$PID/cmdline"
[[ "${argv[*]}" == "${ENTRYPOINT[*]} ${CMD[*]}" ]] || fail "PID 1 runs '${argv[*]}', not the image's ENTRYPOINT + CMD '${ENTRYPOINT[*]} ${CMD[*]}'"
say "PID 1 runs the image's ENTRYPOINT + CMD: ${argv[*]}"
wait_ready "$SERVE_PORT" "$SERVE_LOG"
say "/readyz 200 on :$SERVE_PORT (HOST=$(image_env HOST))"
check_identity
check_read_only
healthcheck_run || fail "podman healthcheck run: unhealthy against serve"
say "podman healthcheck run: healthy"
database=${VOLUME_DIRS[0]}/${DATABASE_PATH#"${VOLUMES[0]}"/}
[[ $(stat -c %u "$database" 2>/dev/null) == "$APP_UID" ]] || fail "no database owned by $APP_UID at $DATABASE_PATH"
say "database $DATABASE_PATH on the VOLUME, owned by $APP_UID"
stop_container "$SERVE_LOG"
step_done "serve (read-only): readyz, healthcheck, stop"

# --- size -------------------------------------------------------------------------------------------------
step "image size"
SIZE=$(pm image inspect --format '{{.Size}}' "$IMAGE")
BASE_SIZE=$(pm image inspect --format '{{.Size}}' "$DEBIAN_IMAGE")
# As a registry would store it: the layers gzip-compressed (what `docker push` sends and `docker pull` fetches).
LIMIT=600 bh push --quiet --compression-format gzip "$IMAGE" "oci:$WORK/oci" >/dev/null 2>>"$OUT/podman.log" || fail "buildah push oci:"
manifest=$(jq -r '.manifests[0].digest' "$WORK/oci/index.json")
COMPRESSED=$(jq '[.layers[].size] | add' "$WORK/oci/blobs/${manifest/://}")
rm -rf "$WORK/oci"
BINARY_SIZE=$(LIMIT=60 pm run "${ONE_OFF[@]}" --name "fsr-proof-size-$$" --network none --entrypoint /usr/bin/stat "$IMAGE" -c %s "$ENTRY_PATH" 2>>"$OUT/podman.log") || fail "stat $ENTRY_PATH"
CONTAINERS+=("fsr-proof-size-$$")
{
    echo "image        $IMAGE ($(pm image inspect --format '{{.Id}}' "$IMAGE" | cut -c1-12)), version $VERSION"
    echo "size         $(mb "$SIZE") uncompressed: debian:bookworm-slim $(mb "$BASE_SIZE") + $(mb $((SIZE - BASE_SIZE))) (binary $(mb "$BINARY_SIZE"))"
    echo "compressed   $(mb "$COMPRESSED") (gzip layers, as pushed to a registry)"
    echo "build        ${BUILD_SECONDS}s buildah bud of the Dockerfile (its swift build ${SWIFT_BUILD_SECONDS:-?}), base images not counted"
} >"$OUT/image.txt"
sed 's/^/    /' "$OUT/image.txt" >&2
step_done "image size"

if [[ $KEEP != 1 ]]; then
    step "removing the image storage ${STATE#"$ROOT"/} (DOCKER_PROOF_KEEP=1 keeps it)"
    drop_storage
    step_done "image storage removed"
fi
printf '%s\n' "${TIMINGS[@]}" "$(printf '%-50s %7ss' total "$(elapsed "$START")")" >"$OUT/timings.txt"
say "timings:"; sed 's/^/    /' "$OUT/timings.txt" >&2
say "OK: the Dockerfile builds with buildah, and its image runs the product under podman (details in ${OUT#"$ROOT"/}/)"
