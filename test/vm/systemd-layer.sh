#!/usr/bin/env bash
# Builds the overlay layer that lets the test VM boot systemd as PID 1 (test/vm/run.sh --systemd):
# Debian's udev with the systemd it belongs to, unpacked (never installed on this machine).
# Why (../../../shared/systemd-vm.md): this machine has the systemd package but not udev, and
# without udevd systemd makes no sys-subsystem-net-devices-*.device units, which the service
# unit is ordered after and started by; installing udev here would upgrade this host's systemd.
# Cached under $CMBTEST_VM_CACHE (like setup.sh), keyed by apt's package lists; flock'ed.
# Usage: test/vm/systemd-layer.sh   (prints the layer's path on stdout; progress on stderr)
set -euo pipefail
{
CACHE=${CMBTEST_VM_CACHE:-${HOME:-/root}/.cache/can-multicast-bridge/vm}
PACKAGES=(udev libudev1 systemd libsystemd-shared libsystemd0)
log() { printf 'vm-systemd-layer: %s\n' "$*" >&2; }
mkdir -p "$CACHE"
LISTS_KEY=$(stat -c '%n %Y %s' /var/lib/apt/lists/*Packages* 2>/dev/null | sha256sum | cut -c1-12)
KEY=$( (echo "$LISTS_KEY ${PACKAGES[*]}"; cat "${BASH_SOURCE[0]}") | sha256sum | cut -c1-12)
LAYER=$CACHE/systemd-layer-$KEY
exec 9>"$CACHE/.systemd-layer.lock"
flock 9
if [[ ! -f $LAYER/.done ]]; then
  t0=$(date +%s.%N)
  tmp=$(mktemp -d "$CACHE/.systemd-layer.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && apt-get download "${PACKAGES[@]}" >/dev/null 2>&1) || {
    log "apt-get download failed; apt-get update and once more"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    (cd "$tmp" && apt-get download "${PACKAGES[@]}" >&2)
  }
  mkdir -p "$tmp/root/usr"
  for deb in "$tmp"/*.deb; do dpkg -x "$deb" "$tmp/root"; done
  # Merged /usr (this host's /bin, /sbin, /lib are symlinks into /usr): a real lib/ directory in
  # this layer would hide the host's lib -> usr/lib link, so move the debs' top-level trees.
  for d in bin sbin lib lib64; do
    if [[ -d $tmp/root/$d && ! -L $tmp/root/$d ]]; then
      mkdir -p "$tmp/root/usr/$d"
      cp -a "$tmp/root/$d/." "$tmp/root/usr/$d/"
      rm -rf "${tmp:?}/root/$d"
    fi
  done
  find "$CACHE" -maxdepth 1 -name 'systemd-layer-*' ! -path "$LAYER" -exec rm -rf {} +
  rm -rf "$LAYER"
  mv "$tmp/root" "$LAYER"
  touch "$LAYER/.done"
  log "built $LAYER ($(ls "$tmp"/*.deb | xargs -n1 basename | tr '\n' ' ')) in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
  rm -rf "$tmp"
  trap - EXIT
fi
echo "$LAYER"
}
