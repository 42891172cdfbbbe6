#!/usr/bin/env bash
# Prepare the can-multicast-bridge test VM: Debian packages, Debian's kernel (not installed, only
# extracted into a cache) and an initramfs. Idempotent and cached; safe to run concurrently.
# Recipe and measurements: ../../../shared/socketcan-vm.md; usage and timings: ./README.md.
#
# Usage: test/vm/setup.sh [--print]
#   Progress goes to stderr. With --print, stdout gets shell assignments for test/vm/run.sh:
#     CMBTEST_VM_KERNEL=<ELF vmlinux>  CMBTEST_VM_INITRD=<newc cpio>  CMBTEST_VM_KVER=<kernel version>
# Environment:
#   CMBTEST_VM_CACHE   cache folder (default: $HOME/.cache/can-multicast-bridge/vm)
#   CMBTEST_VM_OFFLINE=1  never call apt: use the newest kernel already in the cache
set -euo pipefail

# The body is one compound command, parsed whole before it runs: editing this file while a run
# is in progress (several people share the work tree) cannot derail that run.
{
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${CMBTEST_VM_CACHE:-${HOME:-/root}/.cache/can-multicast-bridge/vm}
PRINT=0
[[ ${1:-} == --print ]] && PRINT=1

log() { printf 'vm-setup: %s\n' "$*" >&2; }
die() {
  printf 'vm-setup: ERROR: %s\n' "$*" >&2
  exit 1
}
now() { date +%s.%N; }
T0=$(now)
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# Modules to load in the guest (dependencies are added from each module's depends= field).
# can-isotp is cheap and useful; sch_tbf/sch_netem/sch_htb serve `tc qdisc ... tbf/netem/htb`
# (rate-limiting a vcan to provoke a full TX queue); veth/dummy/vxcan serve network namespaces.
MODULES=(virtio_pci virtio_mmio 9pnet_virtio 9p overlay virtio_console
  can can-raw can-bcm can-gw can-isotp vcan vxcan veth dummy sch_tbf sch_netem sch_htb)
# Host packages: qemu, the guest's tools (the guest runs this machine's root filesystem).
PACKAGES=(qemu-system-x86 busybox-static can-utils python3-can python3-msgpack iproute2 kmod
  xz-utils)

as_root() {
  if [[ $(id -u) == 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    sudo -n "$@"
  else
    die "need root (or passwordless sudo) to run: $*"
  fi
}

# --- 1. Debian packages ---------------------------------------------------------------------
missing=()
for p in "${PACKAGES[@]}"; do
  st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ $st == "install ok installed" ]] || missing+=("$p")
done
if ((${#missing[@]})); then
  [[ ${CMBTEST_VM_OFFLINE:-0} == 1 ]] && die "missing packages (offline): ${missing[*]}"
  log "installing: ${missing[*]}"
  t=$(now)
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >&2
  log "packages installed in $(elapsed "$t") s"
fi

# --- 2. The kernel package (resolved, downloaded and extracted; never installed) -------------
mkdir -p "$CACHE"
resolve_kpkg() {
  # linux-image-amd64 depends on the versioned image package, e.g. linux-image-6.1.0-56-amd64.
  apt-cache depends linux-image-amd64 2>/dev/null |
    awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }'
}
# apt-cache takes seconds here (no pkgcache.bin: it re-reads the lists), so remember its answer
# for as long as the package lists stay the same.
LISTS_KEY=$(stat -c '%n %Y %s' /var/lib/apt/lists/*Packages* 2>/dev/null | sha256sum | cut -c1-12)
KPKG=""
if [[ ${CMBTEST_VM_OFFLINE:-0} != 1 ]]; then
  KPKG=$(cat "$CACHE/kpkg-$LISTS_KEY" 2>/dev/null || true)
  [[ -n $KPKG ]] || KPKG=$(resolve_kpkg)
  if [[ -z $KPKG ]]; then
    log "apt-cache does not know linux-image-amd64; running apt-get update"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || true
    KPKG=$(resolve_kpkg)
  fi
fi
if [[ -z $KPKG ]]; then
  # Offline or apt unusable: fall back to the newest kernel in the cache.
  KDIR=$(ls -d "$CACHE"/kernel-*/ 2>/dev/null | sort -V | tail -n 1 || true)
  [[ -n $KDIR ]] || die "cannot resolve the kernel package (linux-image-amd64) and none is cached"
  KPKG=$(basename "$KDIR")
  KPKG=linux-image-${KPKG#kernel-}
  log "using cached $KPKG"
fi
[[ -f $CACHE/kpkg-$LISTS_KEY ]] || {
  rm -f "$CACHE"/kpkg-*
  echo "$KPKG" >"$CACHE/kpkg-$LISTS_KEY"
}
KVER=${KPKG#linux-image-}
KDIR=$CACHE/kernel-$KVER

exec 9>"$CACHE/.lock"
flock 9 # one builder at a time; the others wait, then find the cache ready

if [[ ! -f $KDIR/.done ]]; then
  t=$(now)
  log "fetching $KPKG (apt-get download + dpkg -x)"
  tmp=$(mktemp -d "$CACHE/.kernel.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && apt-get download "$KPKG" >&2 2>/dev/null) ||
    (cd "$tmp" && as_root apt-get download "$KPKG" >&2) || die "apt-get download $KPKG failed"
  dpkg -x "$tmp"/*.deb "$tmp/pkg"
  vmlinuz=$(ls "$tmp"/pkg/boot/vmlinuz-*)
  # Boot the ELF vmlinux, not the bzImage: decompressing under emulation costs seconds.
  # The bzImage carries it as an xz stream; find the xz magic (FD 37 7A 58 5A 00) and unpack.
  off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$vmlinuz" | head -n 1 | cut -d: -f1)
  [[ -n $off ]] || die "no xz payload found in $vmlinuz"
  tail -c +$((off + 1)) "$vmlinuz" | xz -dc --single-stream >"$tmp/vmlinux" 2>/dev/null || true
  [[ $(head -c 4 "$tmp/vmlinux" | od -An -tx1 | tr -d ' ') == 7f454c46 ]] ||
    die "the payload of $vmlinuz is not an ELF vmlinux"
  rm -f "$tmp"/*.deb
  chmod 755 "$tmp"
  rm -rf "$KDIR"
  mv "$tmp" "$KDIR"
  trap - EXIT
  touch "$KDIR/.done"
  log "kernel $KVER ready in $(elapsed "$t") s"
fi
MODDIR=$(ls -d "$KDIR"/pkg/lib/modules/*/)
MODDIR=${MODDIR%/}

# --- 3. The initramfs (keyed by kernel version + hash of /init, module list and this script) --
KEY=$(cat "$HERE/init" "$HERE/setup.sh" | sha256sum | cut -c1-12)
INITRD=$CACHE/initramfs-$KVER-$KEY.cpio
if [[ ! -f $INITRD ]]; then
  t=$(now)
  tmp=$(mktemp -d "$CACHE/.initramfs.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  root=$tmp/root
  mkdir -p "$root"/{bin,dev,proc,sys,lib/modules}
  cp /bin/busybox "$root/bin/busybox"
  ! command -v file >/dev/null || file -L /bin/busybox | grep -q "statically linked" ||
    die "/bin/busybox is not static (install busybox-static)"
  install -m 755 "$HERE/init" "$root/init"

  # Map module names (dashes and underscores are equivalent) to their files.
  declare -A path=()
  while IFS=' ' read -r n f; do
    n=${n%%.ko*}
    path[${n//-/_}]=$f
  done < <(find "$MODDIR/kernel" -name '*.ko*' -printf '%f %p\n')
  declare -A seen=()
  order=()
  visit() { # depth-first: dependencies first
    local n=${1//-/_} dep deps
    [[ -n ${seen[$n]:-} ]] && return 0
    seen[$n]=1
    if [[ -z ${path[$n]:-} ]]; then
      grep -q "/$n.ko\$\|/${1}.ko\$" "$MODDIR/modules.builtin" 2>/dev/null && return 0
      die "module $1 is neither in $KPKG nor built in"
    fi
    deps=$(modinfo -F depends "${path[$n]}")
    for dep in ${deps//,/ }; do visit "$dep"; done
    order+=("$n")
  }
  for m in "${MODULES[@]}"; do visit "$m"; done

  for n in "${order[@]}"; do
    f=${path[$n]}
    dst=$root/lib/modules/$n.ko
    case $f in
    *.ko.xz) xz -dc "$f" >"$dst" ;;
    *.ko.zst) zstd -qdc "$f" >"$dst" ;;
    *.ko.gz) gzip -dc "$f" >"$dst" ;;
    *) cp "$f" "$dst" ;;
    esac
    # Strip the appended signature (linux/module_signature.h: ... struct module_signature
    # (12 bytes, sig_len big-endian in its last 4) + "~Module signature appended~\n" (28)):
    # loading is faster under emulation; the kernel only taints (enforcement is off).
    size=$(stat -c %s "$dst")
    if [[ $(tail -c 28 "$dst") == "~Module signature appended~" ]]; then
      siglen=$((16#$(tail -c 32 "$dst" | head -c 4 | od -An -tx1 | tr -d ' \n')))
      truncate -s $((size - 28 - 12 - siglen)) "$dst"
    fi
    echo "$n" >>"$root/modules.order"
  done

  # Console and null nodes when we may create them; otherwise /init mounts devtmpfs first.
  if [[ $(id -u) == 0 ]]; then
    mknod -m 600 "$root/dev/console" c 5 1
    mknod -m 666 "$root/dev/null" c 1 3
  fi
  # Plain newc, uncompressed: nothing to decompress under emulation.
  (cd "$root" && find . -mindepth 1 | LC_ALL=C sort | busybox cpio -o -H newc -R 0:0 2>/dev/null) \
    >"$tmp/initramfs.cpio"
  mv "$tmp/initramfs.cpio" "$INITRD"
  # Older builds (other keys): qemu reads the initramfs whole at start, so runs in flight are safe.
  find "$CACHE" -maxdepth 1 -name 'initramfs-*.cpio' ! -path "$INITRD" -delete
  rm -rf "$tmp"
  trap - EXIT
  log "initramfs built in $(elapsed "$t") s (${#order[@]} modules: ${order[*]})"
fi

log "ready in $(elapsed "$T0") s (kernel $KVER, cache $CACHE)"
if ((PRINT)); then
  printf 'CMBTEST_VM_KERNEL=%q\nCMBTEST_VM_INITRD=%q\nCMBTEST_VM_KVER=%q\n' "$KDIR/vmlinux" "$INITRD" "$KVER"
fi
}
