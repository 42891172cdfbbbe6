/**
 * What bench/bridge-bench.ts reads from /proc: CPU time of a process and of the whole machine (in
 * ticks, bench-stats.ts CLK_TCK), and where datagrams and frames were dropped in the kernel (per
 * UDP socket, backlog).
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

/** utime + stime of all threads of `pid`, in ticks (proc(5) /proc/PID/stat fields 14 and 15). */
export function processCpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may contain spaces.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(rest[11]) + Number(rest[12]);
  } catch {
    return Number.NaN;
  }
}

/** Busy ticks of the whole machine (proc(5) /proc/stat "cpu": all but idle and iowait). */
export function machineBusyTicks(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal
  return (f[0] ?? 0) + (f[1] ?? 0) + (f[2] ?? 0) + (f[5] ?? 0) + (f[6] ?? 0) + (f[7] ?? 0);
}

/** Socket inodes held open by `pid` (its /proc/PID/fd links "socket:[INODE]"). */
function socketInodes(pid: number): Set<string> {
  const out = new Set<string>();
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return out;
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m?.[1] !== undefined) out.add(m[1]);
    } catch {
      // Closed meanwhile.
    }
  }
  return out;
}

/** The rows of /proc/net/udp and udp6 (one UDP socket each), split into fields. */
function udpSocketRows(): string[][] {
  const rows: string[][] = [];
  for (const file of ['/proc/net/udp', '/proc/net/udp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length >= 13) rows.push(f);
    }
  }
  return rows;
}

/**
 * Datagrams the kernel dropped on the UDP sockets of `pid` because their receive buffer was full
 * (the "drops" column of /proc/net/udp and udp6, linux/net/ipv4/udp.c udp4_format_sock).
 */
export function udpSocketDrops(pid: number): number {
  const inodes = socketInodes(pid);
  let drops = 0;
  for (const f of udpSocketRows()) {
    if (inodes.has(f[9] ?? '')) drops += Number(f[f.length - 1]);
  }
  return drops;
}

/** Packets dropped because a CPU's input backlog was full (/proc/net/softnet_stat column 2). */
export function backlogDrops(): number {
  let sum = 0;
  for (const line of readFileSync('/proc/net/softnet_stat', 'utf8').trim().split('\n')) {
    sum += parseInt(line.trim().split(/\s+/)[1] ?? '0', 16);
  }
  return sum;
}

/** UDP counters of the whole machine (/proc/net/snmp "Udp:"): RcvbufErrors, SndbufErrors. */
export function udpErrors(): { rcvbuf: number; sndbuf: number } {
  const lines = readFileSync('/proc/net/snmp', 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('Udp:'));
  const names = (lines[0] ?? '').split(/\s+/);
  const values = (lines[1] ?? '').split(/\s+/).map(Number);
  const get = (name: string): number => values[names.indexOf(name)] ?? 0;
  return { rcvbuf: get('RcvbufErrors'), sndbuf: get('SndbufErrors') };
}

/** Whether some UDP socket is bound to local `port` (/proc/net/udp and udp6 local_address). */
export function udpPortBound(port: number): boolean {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return udpSocketRows().some((f) => f[1]?.endsWith(hex) === true);
}
