#!/usr/bin/env bash
# Runs a command the way a new user on a fresh, minimal Debian 12 machine would: in a chroot made
# by `debootstrap --variant=minbase bookworm` (no compiler, no python3, no curl), as root, in a
# fresh clone of this repository's committed HEAD. Needs root and debootstrap.
#
# Usage: scripts/minroot.sh ROOT [COMMAND]     (COMMAND default: scripts/test.sh)
#   ROOT     a directory that does not exist yet; made here and left in place afterwards
#   ASYNCLOAD_MINROOT_TAR=FILE   unpack ROOT from FILE, a tarball of debootstrap's output; if FILE
#            does not exist, debootstrap and save its output there first (so reruns skip it)
#   ASYNCLOAD_MIRROR=URL         the Debian archive (default http://deb.debian.org/debian)
#   ASYNCLOAD_SECURITY_MIRROR=URL          (default http://deb.debian.org/debian-security)
#
# The clone is made with this machine's git (a new user has git; the root does not). proc, sys,
# dev, dev/pts and a private dev/shm (Chromium needs it) are mounted into ROOT for the command
# and unmounted on exit, whatever happens.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
root="${1:?usage: scripts/minroot.sh ROOT [COMMAND]}"
command="${2:-scripts/test.sh}"
mirror="${ASYNCLOAD_MIRROR:-http://deb.debian.org/debian}"
security="${ASYNCLOAD_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
tarball="${ASYNCLOAD_MINROOT_TAR:-}"
[ "$(id -u)" -eq 0 ] || { echo "minroot: run as root (debootstrap, mount, chroot)" >&2; exit 1; }
[ ! -e "$root" ] || { echo "minroot: $root exists; give a new directory" >&2; exit 1; }

if [ -n "$tarball" ] && [ -f "$tarball" ]; then
  mkdir -p "$root"
  tar -C "$root" -xpf "$tarball"
else
  debootstrap --variant=minbase bookworm "$root" "$mirror"
  if [ -n "$tarball" ]; then
    tar -C "$root" -cpf "$tarball" .
    echo "minroot: saved debootstrap's output as $tarball" >&2
  fi
fi
# What the Debian installer sets up and debootstrap does not: security updates, /etc/hosts, DNS.
printf 'deb %s bookworm main\ndeb %s bookworm-updates main\ndeb %s bookworm-security main\n' \
  "$mirror" "$mirror" "$security" >"$root/etc/apt/sources.list"
printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
cp /etc/resolv.conf "$root/etc/resolv.conf"

git clone --quiet --no-hardlinks "$repo" "$root/root/asyncload"

mounted=()
cleanup() {
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
    umount "${mounted[i]}" 2>/dev/null || umount -l "${mounted[i]}" ||
      echo "minroot: could not unmount ${mounted[i]}" >&2
  done
}
trap cleanup EXIT
mount_in() {  # mount_in DIR MOUNT-ARGUMENTS...: made private, so nothing propagates to this machine
  local target="$root/$1"
  shift
  mount "$@" "$target"
  mounted+=("$target")
  mount --make-private "$target"
}
mount_in proc -t proc proc
mount_in sys -t sysfs sysfs
mount_in dev --bind /dev
mount_in dev/pts --bind /dev/pts
mount_in dev/shm -t tmpfs -o mode=1777,nosuid,nodev shm

echo "minroot: running '$command' in $root/root/asyncload" >&2
start=$SECONDS
status=0
chroot "$root" /usr/bin/env -i HOME=/root TERM="${TERM:-dumb}" \
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  /bin/bash -c "cd /root/asyncload && $command" || status=$?
echo "minroot: '$command' exited with $status after $((SECONDS - start)) s" >&2
exit "$status"
