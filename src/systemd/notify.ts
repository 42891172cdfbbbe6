/**
 * systemd readiness and watchdog over the sd_notify(3) datagram protocol, without libsystemd or an
 * external helper: READY=1 once both sides are open, STATUS= lines, STOPPING=1 on shutdown and
 * WATCHDOG=1 from the event loop at half of WatchdogSec, so a blocked loop misses its pings and
 * systemd restarts the service. Without $NOTIFY_SOCKET every call is a no-op. Send failures are
 * counted and logged (rate-limited), never thrown: systemd notification must not stop the bridge.
 */
import type { Logger } from 'pino';
import { RateLimitedLog } from '../log/rate-limited-log.js';
import { nativeNotifySend } from './sd-notify-send.js';
import type { NotifySend } from './sd-notify-send.js';

/** setInterval's delay is a signed 32-bit millisecond count; longer delays fire after 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface SystemdNotifierOptions {
  /** Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID (sd_notify(3), sd_watchdog_enabled(3)). */
  env: Readonly<Record<string, string | undefined>>;
  /** The root logger; the notifier logs as `component: 'systemd'`. */
  logger: Logger;
  /** This process's id, compared with WATCHDOG_PID; default `process.pid`. */
  pid?: number;
  /** Sends one datagram; default the addon's `sdNotify`. */
  send?: NotifySend;
}

export interface SystemdNotifierStats {
  /** Datagrams sent. */
  sent: number;
  /** Datagrams that could not be sent. */
  errors: number;
  /** WATCHDOG=1 pings sent. */
  watchdogPings: number;
}

/** The watchdog timeout WATCHDOG_USEC/WATCHDOG_PID ask this process to keep, in ms, or null. */
export function watchdogTimeoutMs(
  env: Readonly<Record<string, string | undefined>>,
  pid: number,
): number | null {
  // sd_watchdog_enabled(3): WATCHDOG_USEC is a positive integer of microseconds; when WATCHDOG_PID
  // is set, the watchdog is meant for that process only (not for our children).
  const usec = env.WATCHDOG_USEC;
  if (usec === undefined || !/^[1-9][0-9]*$/.test(usec)) return null;
  const watchdogPid = env.WATCHDOG_PID;
  if (watchdogPid !== undefined && watchdogPid !== '' && Number(watchdogPid) !== pid) return null;
  return Number(usec) / 1000;
}

export class SystemdNotifier {
  /** $NOTIFY_SOCKET, or null when systemd is not listening (then nothing is ever sent). */
  readonly socket: string | null;
  /** The watchdog timeout (WatchdogSec) in ms, or null without a watchdog; pings at half. */
  readonly watchdogTimeoutMs: number | null;
  readonly #log: Logger;
  readonly #warn: RateLimitedLog;
  readonly #send: NotifySend;
  #watchdogTimer: NodeJS.Timeout | null = null;
  #closed = false;
  #stats: SystemdNotifierStats = { sent: 0, errors: 0, watchdogPings: 0 };

  constructor(options: SystemdNotifierOptions) {
    const socket = options.env.NOTIFY_SOCKET;
    this.socket = socket === undefined || socket === '' ? null : socket;
    this.watchdogTimeoutMs =
      this.socket === null ? null : watchdogTimeoutMs(options.env, options.pid ?? process.pid);
    this.#log = options.logger.child({ component: 'systemd' });
    this.#warn = new RateLimitedLog(this.#log, { intervalMs: 60_000 });
    this.#send = options.send ?? nativeNotifySend;
  }

  /** Whether $NOTIFY_SOCKET is set. */
  get enabled(): boolean {
    return this.socket !== null;
  }

  /** READY=1 (with STATUS= when given), then WATCHDOG=1 pings every half timeout. */
  ready(status?: string): void {
    if (this.#closed || this.socket === null) return;
    this.#notify(status === undefined ? 'READY=1' : `READY=1\n${statusLine(status)}`);
    this.#startWatchdog();
    this.#log.debug(
      { socket: this.socket, watchdogTimeoutMs: this.watchdogTimeoutMs },
      'notified systemd: ready',
    );
  }

  /** STATUS=`text`, shown by `systemctl status`. */
  status(text: string): void {
    if (this.#closed || this.socket === null) return;
    this.#notify(statusLine(text));
  }

  /** STOPPING=1: the service is shutting down (the watchdog keeps pinging until `close()`). */
  stopping(status?: string): void {
    if (this.#closed || this.socket === null) return;
    this.#notify(status === undefined ? 'STOPPING=1' : `STOPPING=1\n${statusLine(status)}`);
  }

  /** Counters of datagrams sent and failed. */
  stats(): SystemdNotifierStats {
    return { ...this.#stats };
  }

  /** Stops the watchdog pings; nothing is sent afterwards. Idempotent. */
  close(): void {
    this.#closed = true;
    if (this.#watchdogTimer !== null) clearInterval(this.#watchdogTimer);
    this.#watchdogTimer = null;
  }

  #startWatchdog(): void {
    if (this.watchdogTimeoutMs === null || this.#watchdogTimer !== null) return;
    // sd_watchdog_enabled(3): "send WATCHDOG=1 ... half of the returned interval". From a timer on
    // the event loop, so a loop that blocks for longer than that is caught. unref: the pings alone
    // do not keep the process alive.
    const periodMs = Math.min(Math.max(this.watchdogTimeoutMs / 2, 1), MAX_TIMER_MS);
    this.#watchdogTimer = setInterval(() => {
      if (this.#notify('WATCHDOG=1')) this.#stats.watchdogPings++;
    }, periodMs);
    this.#watchdogTimer.unref();
  }

  #notify(message: string): boolean {
    const socket = this.socket;
    if (socket === null) return false;
    try {
      this.#send(socket, message);
      this.#stats.sent++;
      return true;
    } catch (err) {
      this.#stats.errors++;
      const code = (err as NodeJS.ErrnoException).code ?? 'unknown';
      this.#warn.warn(
        `notify:${code}`,
        { err, socket, message: message.split('\n')[0], errors: this.#stats.errors },
        'cannot notify systemd',
      );
      return false;
    }
  }
}

/** STATUS= takes one line: newlines would start new assignments (sd_notify(3)). */
function statusLine(text: string): string {
  return `STATUS=${text.replace(/[\r\n]+/g, ' ')}`;
}
