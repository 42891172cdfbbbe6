#!/bin/bash
# Stage 2 of the test VM, run by test/vm/init inside the chroot (this machine's root filesystem,
# read-only 9p + tmpfs overlay). test/vm/run.sh copies it into the job folder (/run/cmb-vm) with:
#   shares       "<9p tag> <path>" per line: read-write shares mounted at the same path as on the host
#   job.sh       cd + environment + exec of the command
#   share-cache  9p cache mode of the shares (loose or mmap, see run.sh)
#   merge        present when the host's stdout and stderr are the same file (then 2>&1 here: a
#                virtio port can be opened only once per side)
# It sets up the network (recipe: ../../../shared/socketcan-vm.md, "/init, in order", 4-5), runs
# job.sh with stdout/stderr on virtio-serial ports and returns its exit status to test/vm/init.
# With an argument it does one half (test/vm/run.sh --systemd): "setup" (shares and network,
# from test/vm/init before it hands over to systemd) or "run" (the job, as cmb-job.service under
# systemd; it then writes the status and reboots itself).
J=/run/cmb-vm
MODE=${1:-all}
up=$(cut -d' ' -f1 /proc/uptime)
if [[ $MODE != run ]]; then

P9="trans=virtio,version=9p2000.L,msize=512000,cache=$(cat "$J/share-cache" 2>/dev/null || echo loose)"
while read -r tag dir; do
  [[ -n $tag ]] || continue
  mkdir -p "$dir" && mount -t 9p -o "$P9" "$tag" "$dir" || echo "cmb-vm: cannot mount $dir" >&2
done <"$J/shares"

# Network. IPv4 multicast on lo needs multicast on + a 224.0.0.0/4 route; IPv6 multicast is
# never delivered over lo, so dummy0 (multicast, no DAD so its link-local address is usable at
# once) carries it. vcan0/vcan1 with mtu 72 = CAN FD capable (linux/can.h CANFD_MTU).
{
  hostname cmb-vm
  ip link set lo multicast on up
  ip route replace 224.0.0.0/4 dev lo
  sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
  [[ -e /sys/class/net/dummy0 ]] || ip link add dummy0 type dummy # dummy.ko makes one itself
  ip link set dummy0 multicast on up
  for c in vcan0 vcan1; do
    ip link add "$c" type vcan && ip link set "$c" mtu 72 up
  done
  mkdir -p /run/netns # `ip netns add` bind-mounts into it (made shared by ip itself)
} 2>&1 | sed 's/^/cmb-vm: /' >&2
fi
[[ $MODE == setup ]] && exit 0

port() { # the /dev node of the virtio-serial port named $1
  local p
  for p in /sys/class/virtio-ports/*; do
    [[ $(cat "$p/name" 2>/dev/null) == "$1" ]] && echo "/dev/${p##*/}" && return 0
  done
  return 1
}
out=$(port cmb.stdout) || out=/dev/console
err=$(port cmb.stderr) || err=/dev/console
echo "$up $(cut -d' ' -f1 /proc/uptime)" >"$J/uptime-start"
if [[ -e $J/merge ]]; then
  /bin/bash "$J/job.sh" </dev/null >"$out" 2>&1
else
  /bin/bash "$J/job.sh" </dev/null >"$out" 2>"$err"
fi
rc=$?
cut -d' ' -f1 /proc/uptime >"$J/uptime-end"
if [[ $MODE == run ]]; then
  echo $rc >"$J/status.tmp" && mv "$J/status.tmp" "$J/status"
  sync
  systemctl reboot -ff # immediate: qemu runs with -no-reboot, so the VM exits
fi
exit $rc
