#!/bin/bash
# Inside the test VM, under systemd as PID 1 (test/vm/run.sh --systemd), with the package
# installed by systemd/install.sh (a layer: /opt/can-multicast-bridge and the unit in
# /etc/systemd/system). Drives the real unit and prints what it saw as "fact NAME VALUE" lines;
# test/deploy/systemd-vm.test.ts asserts on them (no verdicts here: only observations).
# Interfaces ready (test/vm/guest.sh): vcan0, vcan1 (mtu 72), lo with IPv4 multicast.
U=can-multicast-bridge@
BIN=/opt/can-multicast-bridge/bin/can-multicast-bridge
CONF=/etc/can-multicast-bridge
T0=$(date +%s%N)

fact() { printf 'fact %s %s\n' "$1" "$(printf '%s' "$2" | tr '\n' '\034')"; }
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }
show() { systemctl show -P "$2" "$U$1.service"; }
# The facts about an instance's state, prefixed.
state() {
  local p
  for p in ActiveState SubState Result NRestarts ExecMainStatus StatusText; do
    fact "$2.$p" "$(show "$1" "$p")"
  done
}
# wait_until SECONDS COMMAND...: polls every 0.5 s; false on timeout.
wait_until() {
  local end=$((SECONDS + $1))
  shift
  until "$@"; do
    ((SECONDS < end)) || return 1
    sleep 0.5
  done
}
journal() { # journal INSTANCE [journalctl args]: its lines, message text only
  local i=$1
  shift
  journalctl --sync 2>/dev/null
  journalctl -q --no-pager -o cat -u "$U$i.service" "$@"
}
config() { # config NAME MODE JSON
  printf '%s\n' "$3" >"$CONF/$1.json" && chmod "$2" "$CONF/$1.json"
}
# frames FROM TO: sends a classic and an FD (BRS) frame on FROM, prints what TO received.
frames() {
  local out
  out=$(mktemp)
  candump -L -n 2 -T 20000 "$2" >"$out" &
  local dump=$!
  sleep 1
  cansend "$1" 123#DEADBEEF
  cansend "$1" 1F334455##1112233445566778899AABBCC
  wait "$dump"
  cut -d' ' -f2- "$out" | tr '\n' ' '
  rm -f "$out"
}

fact installed "$([[ -x $BIN ]] && "$BIN" --version)"
fact fragment "$(systemctl show -P FragmentPath "${U}vcan0.service")"

# README "Install as a service": config files 0644, then enable --now.
install -d -m 0755 "$CONF"
GOOD='{ "multicast": { "group": "239.74.163.2" }, "stats": { "intervalMs": 600000 } }'
for i in vcan0 vcan1 vcan3 vcan5 nosuch0; do config "$i" 0644 "$GOOD"; done
t=$(date +%s%N)
fact enable.output "$(systemctl enable --now "${U}vcan0" "${U}vcan1" 2>&1)"
fact enable.ms "$(ms_since "$t")"
state vcan0 start.vcan0
state vcan1 start.vcan1

pid=$(show vcan0 MainPID)
fact proc.uid "$(stat -c %u "/proc/$pid")"
fact proc.user "$(show vcan0 User)"
fact proc.status "$(grep -E '^(CapEff|CapPrm|NoNewPrivs|Seccomp):' "/proc/$pid/status" | tr -s '\t ' ' ' | tr '\n' ';')"

fact frames.0to1 "$(frames vcan0 vcan1)"
fact frames.1to0 "$(frames vcan1 vcan0)"

# Journal priorities (sd-daemon(3) prefixes): the rmem_max warning at -p warning, no info there.
fact journal.all.info "$(journal vcan0 | grep -c '"level":"info"')"
fact journal.warning.warn "$(journal vcan0 -p warning | grep -c '"level":"warn"')"
fact journal.warning.info "$(journal vcan0 -p warning | grep -c '"level":"info"')"
fact journal.err.lines "$(journal vcan0 -p err | wc -l)"
fact journal.prefix.left "$(journal vcan0 | grep -c '^<[0-9]>')"

# Watchdog: a stopped (SIGSTOP) daemon sends no WATCHDOG=1; systemd kills and restarts it.
pid=$(show vcan0 MainPID)
t=$(date +%s%N)
kill -STOP "$pid"
new_pid() { local p; p=$(show vcan0 MainPID); [[ $p != 0 && $p != "$pid" && $(show vcan0 SubState) == running ]]; }
wait_until 90 new_pid
fact watchdog.ms "$(ms_since "$t")"
state vcan0 watchdog
fact watchdog.journal "$(journal vcan0 | grep -c 'Watchdog timeout')"

pid=$(show vcan0 MainPID)
t=$(date +%s%N)
kill -KILL "$pid"
wait_until 60 new_pid
fact kill.ms "$(ms_since "$t")"
state vcan0 kill
fact frames.after.restarts "$(frames vcan0 vcan1)"

t=$(date +%s%N)
systemctl stop "${U}vcan0"
fact stop.ms "$(ms_since "$t")"
state vcan0 stop
fact stop.code "$(show vcan0 ExecMainCode)"
fact stop.final.stats "$(journal vcan0 | grep -c '"msg":"final stats"')"

# A bad config: 78, failed, not restarted; the reason naming the key at -p err.
ip link add vcan2 type vcan && ip link set vcan2 mtu 72 up
config vcan2 0644 '{ "can": { "fd": "yes" } }'
systemctl start "${U}vcan2" 2>/dev/null
sleep 8 # longer than RestartSec=5s: a restart would show
state vcan2 badconfig
fact badconfig.err "$(journal vcan2 -p err)"

# A config the dynamic user cannot read (0600 root): 78 and how to fix it.
ip link add vcan3 type vcan && ip link set vcan3 mtu 72 up
chmod 0600 "$CONF/vcan3.json"
systemctl start "${U}vcan3" 2>/dev/null
sleep 2
state vcan3 unreadable
fact unreadable.err "$(journal vcan3 -p err)"

# An interface that does not exist (a typo): failed within a minute, restarts stop.
t=$(date +%s%N)
systemctl start --no-block "${U}nosuch0"
failed() { [[ $(show nosuch0 ActiveState) == failed ]]; }
wait_until 120 failed
fact missing.ms "$(ms_since "$t")"
state nosuch0 missing
sleep 15
fact missing.later.NRestarts "$(show nosuch0 NRestarts)"
fact missing.later.ActiveState "$(show nosuch0 ActiveState)"
fact missing.err "$(journal nosuch0 -p err | sort | uniq -c)"

# Hot plug: enabled before the interface exists, started when it appears, kept when it goes.
fact hotplug.enable "$(systemctl enable "${U}vcan5" 2>&1)"
sleep 2
fact hotplug.before "$(show vcan5 ActiveState)"
t=$(date +%s%N)
ip link add vcan5 type vcan && ip link set vcan5 mtu 72 up
running5() { [[ $(show vcan5 SubState) == running ]]; }
wait_until 60 running5
fact hotplug.start.ms "$(ms_since "$t")"
ip link del vcan5
sleep 5
state vcan5 hotplug.deleted

fact security "$(systemd-analyze security --no-pager "${U}vcan1.service" 2>&1 | tail -n 1)"

# The image (built on the host, read from its store: CMBTEST_DEPLOY_STORE) as a daemon container with --network host
# on vcan0, bridging with the systemd instance on vcan1. Podman in the guest (container.md): its
# own store on a tmpfs with the host's as a read-only additional image store, runc, cgroupfs.
if [[ -n ${CMBTEST_DEPLOY_IMAGE:-} && -n ${CMBTEST_DEPLOY_STORE:-} ]]; then
  P=/run/cmb-podman
  mkdir -p "$P/graph" "$P/run" && mount -t tmpfs tmpfs "$P/graph"
  cat >"$P/storage.conf" <<CONF
[storage]
driver = "overlay"
graphroot = "$P/graph"
runroot = "$P/run"
[storage.options]
additionalimagestores = ["$CMBTEST_DEPLOY_STORE"]
CONF
  cat >"$P/containers.conf" <<'CONF'
[containers]
log_driver = "k8s-file"
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
  export CONTAINERS_STORAGE_CONF=$P/storage.conf CONTAINERS_CONF=$P/containers.conf
  config ctr 0644 "$GOOD"
  t=$(date +%s%N)
  # --workdir /: `podman exec` (the health check) failed in this guest with "chdir to cwd
  # (/opt/can-multicast-bridge) ... no such file or directory" (container.md).
  fact ctr.run "$(podman run -d --name cmb-ctr --network host --workdir / \
    -v "$CONF:/etc/can-multicast-bridge:ro" "$CMBTEST_DEPLOY_IMAGE" \
    run --config /etc/can-multicast-bridge/ctr.json --can vcan0 2>&1 | tail -n 1)"
  ready() { podman logs cmb-ctr 2>/dev/null | grep -q '"msg":"bridge running"'; }
  wait_until 120 ready
  fact ctr.start.ms "$(ms_since "$t")"
  fact ctr.frames.0to1 "$(frames vcan0 vcan1)"
  fact ctr.frames.1to0 "$(frames vcan1 vcan0)"
  fact ctr.health "$(podman healthcheck run cmb-ctr 2>&1; echo "exit $?")"
  t=$(date +%s%N)
  podman stop -t 20 cmb-ctr >/dev/null 2>&1
  fact ctr.stop.ms "$(ms_since "$t")"
  fact ctr.exit "$(podman inspect --format '{{.State.ExitCode}}' cmb-ctr 2>&1)"
  fact ctr.final.stats "$(podman logs cmb-ctr 2>&1 | grep -c '"msg":"final stats"')"
  fact ctr.log.head "$(podman logs cmb-ctr 2>&1 | head -n 3)"
fi
fact total.ms "$(ms_since "$T0")"
