/**
 * Is this process's stdout (or stderr) the journal? And sd-daemon(3) priority prefixes for the
 * lines written there, so that `journalctl -p err` shows the daemon's own reasons.
 */
import { fstatSync } from 'node:fs';

/**
 * sd-daemon(3) prefixes ("<3>" = SD_ERR ... "<7>" = SD_DEBUG): journald reads them off the start
 * of each line of a stream (SyslogLevelPrefix= is on by default, systemd.exec(5)). pino's
 * levels (10 trace ... 60 fatal) mapped to the nearest syslog priority.
 */
export const JOURNAL_PRIORITY = {
  fatal: '<2>', // SD_CRIT: the daemon stops
  error: '<3>', // SD_ERR
  warn: '<4>', // SD_WARNING
  info: '<6>', // SD_INFO
  debug: '<7>', // SD_DEBUG
  trace: '<7>',
} as const;

export interface JournalStreamDeps {
  /** Device and inode of an open file descriptor; default fs.fstatSync. */
  fstat: (fd: number) => { dev: bigint; ino: bigint };
}

const defaultDeps: JournalStreamDeps = {
  fstat: (fd) => fstatSync(fd, { bigint: true }),
};

/**
 * True when `fd` is the stream systemd connected to the journal. systemd.exec(5), JOURNAL_STREAM:
 * "the device and inode numbers of the file descriptor, in the format device-number:inode-number",
 * decimal; compared with the fd itself because a child or a redirection inherits the variable
 * without the stream (`... | tee`, a container started from a service).
 */
export function isJournalStream(
  env: Readonly<Record<string, string | undefined>>,
  fd: number,
  deps: JournalStreamDeps = defaultDeps,
): boolean {
  const m = /^([0-9]+):([0-9]+)$/.exec(env.JOURNAL_STREAM ?? '');
  if (m === null) return false;
  try {
    const st = deps.fstat(fd);
    return st.dev === BigInt(m[1]!) && st.ino === BigInt(m[2]!);
  } catch {
    return false; // fd closed: nothing is written there anyway
  }
}

export interface LineWritable {
  write(chunk: string): unknown;
}

/**
 * Puts `prefix` at the start of every line written through the result: each line of a
 * multi-line message (a stack trace) is its own journal entry and needs its own prefix.
 */
export function prefixLines(
  target: LineWritable,
  prefix: string,
): { write(chunk: string): boolean } {
  let atLineStart = true;
  return {
    write(chunk: string): boolean {
      if (chunk === '') return target.write(chunk) !== false;
      let out = atLineStart ? prefix : '';
      const body = chunk.endsWith('\n') ? chunk.slice(0, -1) : chunk;
      out += body.replaceAll('\n', `\n${prefix}`);
      atLineStart = chunk.endsWith('\n');
      if (atLineStart) out += '\n';
      return target.write(out) !== false;
    },
  };
}
