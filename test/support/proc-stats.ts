/** What the soak run and the fault tests read of a process from /proc (proc(5)). */
import { readFileSync } from 'node:fs';

/** Resident set size of `pid` in bytes (/proc/PID/status VmRSS), NaN when it is gone. */
export function rssBytes(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1] === undefined ? Number.NaN : Number(m[1]) * 1024;
  } catch {
    return Number.NaN;
  }
}

/** utime + stime of `pid` in milliseconds (/proc/PID/stat fields 14 and 15, USER_HZ = 100). */
export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The fields after the command name, which is in parentheses and may contain spaces.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

export const MiB = 1024 * 1024;
