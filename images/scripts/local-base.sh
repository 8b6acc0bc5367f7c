#!/usr/bin/env bash
# Make (or reuse) the local stand-in for the public base image `debian:<suite>-slim`, for machines that
# cannot reach a container registry: debootstrap's minbase of the suite with the suite's updates and security
# updates applied, the slim images' dpkg excludes (no docs/man pages/locales), imported into Docker.
#
#   images/scripts/local-base.sh [SUITE]      prints the image tag, caec-base/debian:<suite>-<YYYYMMDD>
#
# Cached twice, keyed by suite and day (a new day re-makes it, ~1 min, picking up security updates):
# the Docker image itself, and its root filesystem tarball in $CAEC_IMAGES_CACHE (default
# ~/.cache/caec/images), which survives a wiped Docker state. CAEC_BASE_DATE=YYYYMMDD reuses an older one.
# Needs root (debootstrap) only when neither cache has it.
set -euo pipefail

suite="${1:-bookworm}"
day="${CAEC_BASE_DATE:-$(date -u +%Y%m%d)}"
docker="${DOCKER:-docker}"
cache="${CAEC_IMAGES_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/caec/images}"
tag="caec-base/debian:$suite-$day"
tarball="$cache/debian-$suite-minbase-$day.tar"

if "$docker" image inspect "$tag" >/dev/null 2>&1; then
  echo "$tag"
  exit 0
fi

if [ ! -s "$tarball" ]; then
  if [ "$(id -u)" != 0 ] || ! command -v debootstrap >/dev/null; then
    echo "local-base: $tarball is not cached and making it needs root and debootstrap (apt-get install debootstrap)" >&2
    exit 1
  fi
  mkdir -p "$cache"
  rootfs="$(mktemp -d "${TMPDIR:-/tmp}/caec-base.XXXXXX")"
  chmod 0755 "$rootfs" # apt downloads as _apt inside the chroot
  trap 'rm -rf "$rootfs"' EXIT
  echo "local-base: debootstrap --variant=minbase $suite (about a minute)" >&2
  debootstrap --variant=minbase "$suite" "$rootfs" >"$rootfs.log" 2>&1 \
    || { tail -20 "$rootfs.log" >&2; rm -f "$rootfs.log"; exit 1; }
  rm -f "$rootfs.log"
  # The slim images' excludes, for every package installed from here on (the upgrade below, the images).
  cat >"$rootfs/etc/dpkg/dpkg.cfg.d/caec-slim" <<'CFG'
# As in debian:*-slim: no documentation, man pages or translations in images (copyright files stay).
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/groff/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/*
CFG
  # The suite's updates and security archives, derived from the mirror debootstrap used (the public slim
  # images carry both).
  mirror="$(awk '$1 == "deb" { print $2; exit }' "$rootfs/etc/apt/sources.list")"
  {
    echo "deb $mirror $suite main"
    echo "deb $mirror $suite-updates main"
    echo "deb $mirror-security $suite-security main"
  } >"$rootfs/etc/apt/sources.list"
  chroot "$rootfs" apt-get update -qq
  chroot "$rootfs" env DEBIAN_FRONTEND=noninteractive apt-get upgrade -y -qq >/dev/null 2>&1
  chroot "$rootfs" apt-get clean
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc/*/changelog* "$rootfs"/usr/share/man/* \
    "$rootfs"/var/log/*.log "$rootfs"/var/cache/debconf/*-old
  tar --numeric-owner -C "$rootfs" -cf "$tarball.tmp" .
  mv "$tarball.tmp" "$tarball"
  # Older days of the same suite are superseded.
  find "$cache" -maxdepth 1 -name "debian-$suite-minbase-*.tar" ! -name "$(basename "$tarball")" -delete
fi

# The settings of the public image that a plain import lacks.
"$docker" import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["bash"]' \
  "$tarball" "$tag" >/dev/null
echo "$tag"
