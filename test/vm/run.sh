#!/usr/bin/env bash
# Run a command inside the can-multicast-bridge test VM (QEMU + Debian's kernel with SocketCAN)
# and exit with its status. Usage and timings: ./README.md; recipe: ../../../shared/socketcan-vm.md
#
# Usage: test/vm/run.sh [options] -- CMD [ARGS...]
#   --timeout SECONDS  hard limit for the whole VM run (default $CMBTEST_VM_TIMEOUT or 900)
#   --mem MB           guest memory (default $CMBTEST_VM_MEM or 2048)
#   --smp N            vCPUs (default $CMBTEST_VM_SMP or 2)
#   --share DIR        also share DIR read-write at the same path (repeatable)
#   --env NAME         also pass environment variable NAME (repeatable)
#   --quiet            no "vm:" progress lines on stderr
#   --systemd          boot systemd as PID 1 (with udev: test/vm/systemd-layer.sh); the command
#                      runs as cmb-job.service after basic.target
#   --layer DIR        stack this machine's folder DIR over the root, read-only (repeatable;
#                      the first is topmost), e.g. a tree with /opt and /etc files to install
#
# Inside: cwd = the current directory; the project folder (and the current directory, and
# $TMPDIR when set) are shared read-write at the same path; the rest of this machine's root is
# read-only with a tmpfs overlay (writes vanish). Network: lo (multicast, 224.0.0.0/4 route),
# dummy0 (multicast, IPv6), vcan0 and vcan1 (mtu 72). CMBTEST_IN_VM=1 is set.
# Exit status: the command's; 124 on timeout; 125 when the VM failed (console tail printed).
set -uo pipefail

# The body is one compound command, parsed whole before it runs: editing this file while a run
# is in progress (several people share the work tree) cannot derail that run.
{
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROJECT=$(cd "$HERE/../.." && pwd)
# The knobs were CMB_VM_* and CMB_CAN_MODE before issue 12 renamed them: an old name set would
# otherwise be ignored here (CMB_VM_ACCEL=kvm quietly giving TCG) and passed to the guest.
for old in $(compgen -e | grep -E '^(CMB_VM_|CMB_CAN_MODE$)'); do
  echo "vm: $old was renamed CMBTEST_${old#CMB_}; set that instead" >&2
  exit 125
done
TIMEOUT=${CMBTEST_VM_TIMEOUT:-900}
MEM=${CMBTEST_VM_MEM:-2048}
SMP=${CMBTEST_VM_SMP:-2}
QUIET=${CMBTEST_VM_QUIET:-0}
SHARES=()
ENVS=()
LAYERS=()
SYSTEMD=0

usage() {
  sed -n '4,16p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 125
}
while (($#)); do
  case $1 in
  --timeout) TIMEOUT=$2 && shift 2 ;;
  --mem) MEM=$2 && shift 2 ;;
  --smp) SMP=$2 && shift 2 ;;
  --share) SHARES+=("$(cd "$2" && pwd)") && shift 2 ;;
  --env) ENVS+=("$2") && shift 2 ;;
  --quiet) QUIET=1 && shift ;;
  --systemd) SYSTEMD=1 && shift ;;
  --layer) LAYERS+=("$(cd "$2" && pwd)") && shift 2 ;;
  --) shift && break ;;
  -h | --help) usage ;;
  *) break ;;
  esac
done
(($#)) || usage

log() { ((QUIET)) || printf 'vm: %s\n' "$*" >&2; }
now() { date +%s.%N; }
diff_s() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
T0=$(now)

# Kernel and initramfs: from the environment when a caller already ran setup.sh --print
# (scripts/test-can.mjs does), else from setup.sh (cached: about 2 s when nothing changed).
if [[ ! -f ${CMBTEST_VM_KERNEL:-} || ! -f ${CMBTEST_VM_INITRD:-} ]]; then
  setup_log=$(mktemp)
  setup_out=$("$HERE/setup.sh" --print 2>"$setup_log")
  setup_rc=$?
  if ((setup_rc != 0)) || ((!QUIET)); then
    sed 's/^/  /' "$setup_log" >&2
  fi
  rm -f "$setup_log"
  ((setup_rc == 0)) || {
    echo "vm: ERROR: test/vm/setup.sh failed" >&2
    exit 125
  }
  eval "$setup_out"
fi

APPEND_EXTRA=""
if ((SYSTEMD)); then
  systemd_layer=$("$HERE/systemd-layer.sh") || {
    echo "vm: ERROR: test/vm/systemd-layer.sh failed" >&2
    exit 125
  }
  LAYERS+=("$systemd_layer")
  # Only failures on the (slow, emulated) serial console.
  APPEND_EXTRA+=" cmb.systemd=1 systemd.show_status=error"
fi
# Each layer its own read-only 9p export (tag cmblayerN; test/vm/init stacks them, 0 topmost).
LAYER_DEVS=()
for ((l = 0; l < ${#LAYERS[@]}; l++)); do
  LAYER_DEVS+=(-fsdev "local,id=cmblayer$l,path=${LAYERS[l]},security_model=none,multidevs=remap,readonly=on"
    -device "virtio-9p-pci,fsdev=cmblayer$l,mount_tag=cmblayer$l")
done
((${#LAYERS[@]} == 0)) || APPEND_EXTRA+=" cmb.layers=${#LAYERS[@]}"
T1=$(now)

JOB=$(mktemp -d "${TMPDIR:-/tmp}/cmb-vm.XXXXXX")
QPID=""
cleanup() {
  [[ -n $QPID ]] && kill -TERM "$QPID" 2>/dev/null
  [[ -n ${RELAY:-} ]] && kill "$RELAY" 2>/dev/null
  [[ ${CMBTEST_VM_KEEP:-0} == 1 ]] && echo "vm: kept $JOB" >&2 || rm -rf "$JOB"
}
trap cleanup EXIT
cp "$HERE/guest.sh" "$JOB/guest.sh"
if ((SYSTEMD)); then
  # test/vm/init copies these into /etc/systemd/system and boots systemd --unit=cmb-job.target.
  cat >"$JOB/cmb-job.target" <<'UNIT'
[Unit]
Description=can-multicast-bridge test VM job (test/vm/run.sh --systemd)
Requires=basic.target cmb-job.service
After=basic.target
UNIT
  cat >"$JOB/cmb-job.service" <<'UNIT'
[Unit]
Description=The test VM's command (test/vm/guest.sh run: status file, then reboot)
After=basic.target
[Service]
Type=oneshot
TimeoutStartSec=infinity
ExecStart=/bin/bash /run/cmb-vm/guest.sh run
UNIT
fi

# Read-write shares, mounted at the same path inside: the project, the cwd, $TMPDIR, --share.
# 9p cache mode CMBTEST_VM_SHARE_CACHE: "loose" (default) caches reads and lookups in the guest, which
# halves the start-up of node/vitest (node_modules is read through it); guest writes still reach
# the host (flushed before the VM exits), but changes the host makes while the VM runs may stay
# unseen inside. "mmap" is coherent and about 2x slower (test/vm/README.md).
CWD=$(pwd)
SHARES=("$PROJECT" "$CWD" ${TMPDIR:+"$TMPDIR"} "${SHARES[@]}")
declare -a FSDEV=()
declare -A shared=()
i=0
# Shortest paths first, so that a parent folder is shared (and mounted) before its children,
# which are then skipped as visible through it.
mapfile -t SHARES < <(for d in "${SHARES[@]}"; do realpath -m "$d"; done | awk '{ print length($0) "\t" $0 }' | sort -n -s | cut -f2-)
for d in "${SHARES[@]}"; do
  [[ -d $d && -z ${shared[$d]:-} && $d != / ]] || continue
  # Skip a folder already inside another share (it is visible through it).
  inside=0
  for s in "${!shared[@]}"; do [[ $d == "$s"/* ]] && inside=1; done
  ((inside)) && continue
  shared[$d]=1
  FSDEV+=(-fsdev "local,id=cmbrw$i,path=$d,security_model=none,multidevs=remap"
    -device "virtio-9p-pci,fsdev=cmbrw$i,mount_tag=cmbrw$i")
  printf 'cmbrw%s %s\n' "$i" "$d" >>"$JOB/shares"
  i=$((i + 1))
done
touch "$JOB/shares"
echo "${CMBTEST_VM_SHARE_CACHE:-loose}" >"$JOB/share-cache"

# The job: cwd, environment (a allow-list plus CMB_* but the harness's, VITEST*, npm_config_*,
# --env), command.
{
  printf 'cd %q || exit 125\n' "$CWD"
  while IFS= read -r name; do
    case $name in
    # The harness's own variables are CMBTEST_*, outside the daemon's CMB_* namespace, so that no
    # daemon warns about them (issue 12); its VM knobs are read on this side only.
    CMBTEST_VM_* | CMBTEST_CAN_MODE) ;;
    PATH | HOME | USER | LOGNAME | LANG | LC_* | TZ | TERM | CI | FORCE_COLOR | NO_COLOR | \
      NODE_OPTIONS | NODE_ENV | NODE_PATH | DEBUG | TMPDIR | GITHUB_* | CMB_* | CMBTEST_* | \
      VITEST* | npm_config_*)
      printf 'export %s=%q\n' "$name" "${!name}"
      ;;
    esac
  done < <(compgen -e)
  for name in "${ENVS[@]}"; do
    [[ -v $name ]] && printf 'export %s=%q\n' "$name" "${!name}"
  done
  printf 'export CMBTEST_IN_VM=1\n'
  printf 'exec'
  printf ' %q' "$@"
  printf '\n'
} >"$JOB/job.sh"

# When stdout and stderr are the same file, the guest merges them (2>&1) onto one port.
if [[ $(stat -L -c %d:%i /dev/fd/1 2>/dev/null) == $(stat -L -c %d:%i /dev/fd/2 2>/dev/null) ]]; then
  touch "$JOB/merge"
fi

# qemu's stdin: a FIFO opened read-write, which never reaches EOF (EOF on the stdio chardev
# would block the guest's writes to that port; CI runs with stdin closed).
mkfifo "$JOB/stdin"
exec 3<>"$JOB/stdin"

ACCEL=(-accel tcg,thread=multi)
CPU=${CMBTEST_VM_CPU:-max}
case ${CMBTEST_VM_ACCEL:-tcg} in
kvm) ACCEL=(-accel kvm) CPU=${CMBTEST_VM_CPU:-host,-arch-capabilities} ;;
tcg) ;;
*) echo "vm: CMBTEST_VM_ACCEL must be tcg or kvm" >&2 && exit 125 ;;
esac

QEMU=(qemu-system-x86_64 "${ACCEL[@]}" -cpu "$CPU" -smp "$SMP" -m "$MEM"
  -machine pc -nodefaults -no-user-config -display none -monitor none -no-reboot
  -kernel "$CMBTEST_VM_KERNEL" -initrd "$CMBTEST_VM_INITRD"
  -append "console=ttyS0 quiet loglevel=5 panic=-1 rdinit=/init mitigations=off tsc=reliable$APPEND_EXTRA"
  -serial "file:$JOB/console.log"
  -fsdev "local,id=cmbroot,path=/,security_model=none,multidevs=remap,readonly=on"
  -device virtio-9p-pci,fsdev=cmbroot,mount_tag=cmbroot
  -fsdev "local,id=cmbjob,path=$JOB,security_model=none"
  -device virtio-9p-pci,fsdev=cmbjob,mount_tag=cmbjob
  "${FSDEV[@]}" "${LAYER_DEVS[@]}"
  -device virtio-serial-pci
  -chardev stdio,id=cout,signal=off
  -device virtserialport,chardev=cout,name=cmb.stdout,nr=1)
RELAY=""
if [[ ! -e $JOB/merge ]]; then
  # stderr goes through a FIFO and a `cat` that writes to our own fd 2: qemu reopening
  # /dev/fd/2 would get its own file offset and, on a regular file, clobber (or be clobbered by)
  # what we and our parent write there. (A "pipe" chardev reads X.in and writes X.out.)
  mkfifo "$JOB/stderr.in" "$JOB/stderr.out"
  QEMU+=(-chardev "pipe,id=cerr,path=$JOB/stderr"
    -device virtserialport,chardev=cerr,name=cmb.stderr,nr=2)
fi

others=$(pgrep -fc '^qemu-system-x86_64 .*mount_tag=cmbjob' 2>/dev/null || true)
if ((${others:-0} > 0)); then
  log "note: $others other test VM(s) running on this $(nproc)-CPU machine: expect slower runs"
fi
log "setup $(diff_s "$T0" "$T1") s; booting (timeout ${TIMEOUT} s, ${SMP} vCPU, ${MEM} MB)"

# One boot: sets qrc (qemu's exit, 124 = timeout) and T2; the trap (below) sets interrupted.
boot() {
  rm -f "$JOB/console.log" "$JOB/uptime-start" "$JOB/uptime-end" "$JOB/status"
  if [[ -e $JOB/stderr.out ]]; then
    cat <"$JOB/stderr.out" >&2 &
    RELAY=$!
  fi
  # timeout puts its child in its own process group; --foreground keeps it in ours so that ^C
  # and CI cancellation reach it; the trap forwards TERM/INT/HUP to it.
  timeout --foreground -k 10 "$TIMEOUT" "${QEMU[@]}" <&3 &
  QPID=$!
  WATCH=""
  if ((!QUIET)); then
    # Progress for long runs (CI logs): say when the guest starts the command.
    (
      while [[ ! -e $JOB/uptime-start ]]; do
        sleep 0.5
        kill -0 "$QPID" 2>/dev/null || exit 0
      done
      log "booted: command started $(diff_s "$T1" "$(now)") s after qemu started"
    ) &
    WATCH=$!
  fi
  wait "$QPID"
  qrc=$?
  while ((interrupted)) && kill -0 "$QPID" 2>/dev/null; do
    wait "$QPID"
    qrc=$?
  done
  QPID=""
  T2=$(now)
  [[ -n $WATCH ]] && kill "$WATCH" 2>/dev/null && wait "$WATCH" 2>/dev/null
  if [[ -n $RELAY ]]; then
    # qemu has exited, so the relay sees EOF; if qemu never opened the FIFO, unblock the relay.
    exec 4<>"$JOB/stderr.out"
    exec 4>&-
    wait "$RELAY" 2>/dev/null
    RELAY=""
  fi
}

interrupted=0
trap 'kill -TERM $QPID 2>/dev/null; interrupted=1' TERM INT HUP
boot
# A VM that died before the command started (a boot-time crash or silent reset, seen once under
# heavy load) is booted once more: nothing of the command has run yet, so this is safe.
if [[ ! -f $JOB/status && ! -f $JOB/uptime-start ]] && ((qrc != 124 && !interrupted)); then
  echo "vm: WARNING: the VM ended before the command started (qemu exit $qrc); console tail:" >&2
  tail -n 15 "$JOB/console.log" 2>/dev/null | sed 's/^/  | /' >&2
  echo "vm: booting once more" >&2
  T1=$(now)
  boot
fi

if [[ -f $JOB/status ]]; then
  rc=$(<"$JOB/status")
  if ((!QUIET)) && [[ -f $JOB/uptime-start ]]; then
    # Host clock: qemu start -> the guest wrote uptime-start (9p, cache=mmap: at once). The
    # guest's own uptime misses the firmware and kernel loading before its clock starts.
    read -r init_up cmd_up <"$JOB/uptime-start"
    end_up=$(cat "$JOB/uptime-end" 2>/dev/null || echo "$cmd_up")
    boot=$(diff_s "$T1" "$(stat -c %.3Y "$JOB/uptime-start")")
    log "exit $rc; boot-to-command $boot s (guest uptime: /init ${init_up} s, command ${cmd_up} s), command $(diff_s "$cmd_up" "$end_up") s, VM $(diff_s "$T1" "$T2") s, total $(diff_s "$T0" "$T2") s"
  fi
  exit "$rc"
fi

if [[ -f $JOB/uptime-start ]]; then
  stage="the command had started $(cut -d' ' -f2 "$JOB/uptime-start") s after boot"
else
  stage="the command had not started"
fi
if ((qrc == 124)); then
  echo "vm: ERROR: the VM did not finish within ${TIMEOUT} s, killed ($stage); last console lines:" >&2
  rc=124
elif ((interrupted)); then
  echo "vm: ERROR: interrupted ($stage); last console lines:" >&2
  rc=130
else
  echo "vm: ERROR: the VM ended without an exit status (qemu exit $qrc: guest crash or reset; $stage); last console lines:" >&2
  rc=125
fi
tail -n 40 "$JOB/console.log" 2>/dev/null | sed 's/^/  | /' >&2
exit "$rc"
}
