#!/usr/bin/env bash
# Build the sandbox's base image (rigtui-base:bookworm) offline when the engine lacks it:
# debootstrap a minimal Debian into a folder, tar it, `docker import` the tarball. The tarball
# is cached (RIGTUI_IMAGE_CACHE, default /var/cache/rigtui) so later runs skip debootstrap.
# Needs DOCKER_HOST pointing at a running engine (see .ci/dockerd.sh) and root for debootstrap.
set -euo pipefail

image="${RIGTUI_BASE_IMAGE:-rigtui-base:bookworm}"
suite="${RIGTUI_BASE_SUITE:-bookworm}"
cache="${RIGTUI_IMAGE_CACHE:-/var/cache/rigtui}"
tarball="$cache/rootfs-$suite-minbase.tar"

say() { echo "base-image.sh: $*" >&2; }

if docker image inspect "$image" >/dev/null 2>&1; then
    say "$image is present"
    exit 0
fi

if [[ ! -s "$tarball" ]]; then
    if ! command -v debootstrap >/dev/null 2>&1; then
        say "debootstrap is not installed (apt-get install debootstrap)"
        exit 1
    fi
    mkdir -p "$cache"
    work="$(mktemp -d "${TMPDIR:-/tmp}/rigtui-rootfs.XXXXXX")"
    trap 'rm -rf "$work"' EXIT
    say "debootstrap --variant=minbase $suite (a few minutes, once per machine)"
    debootstrap --variant=minbase "$suite" "$work/root" >"$work/debootstrap.log" 2>&1 || {
        tail -n 20 "$work/debootstrap.log" >&2
        say "debootstrap failed"
        exit 1
    }
    # Leave the package lists and caches out: they are large and useless in a sandbox.
    rm -rf "$work/root/var/cache/apt/archives/"*.deb "$work/root/var/lib/apt/lists/"*
    tar -C "$work/root" --numeric-owner -cf "$tarball.part" .
    mv "$tarball.part" "$tarball"  # atomic: a killed run never leaves a half tarball cached
fi

say "importing $tarball as $image"
docker import \
    --change 'CMD ["/bin/bash"]' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'WORKDIR /workspace' \
    "$tarball" "$image" >/dev/null
say "$image is ready"
