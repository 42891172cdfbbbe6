/**
 * Helpers for the real-kernel SocketCAN tests (run in the test VM or on a kernel with vcan):
 * unique vcan interfaces with cleanup, can-utils (cansend/candump/cangen) as the independent peer,
 * candump's log format (can-utils lib.c `sprint_canframe`) to and from `CanFrame`.
 */
import type { ChildProcess } from 'node:child_process';
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import type { CanFrame } from '../../src/frame.js';
import { makeFrame } from '../../src/frame.js';
import type { CanSocketLike } from '../../src/socketcan/can-socket-like.js';
import { CAN_ERR_FLAG } from '../../src/can/linux-can.js';

export const execFileP = promisify(execFile);

/**
 * True when this kernel can run the tests: the VM, or a host where scripts/test-can.mjs found (or
 * created) vcan0, as test/can/vm-smoke.test.ts decides.
 */
export const canAvailable = process.env.CMBTEST_IN_VM === '1' || existsSync('/sys/class/net/vcan0');

/** Skips the file visibly off the VM; in CI a skip is a failure. */
export function skipReason(): string | null {
  if (canAvailable) return null;
  const why =
    'no vcan0 here: run the CAN suite with `node scripts/test-can.mjs` (native or QEMU VM)';
  if (process.env.CI === 'true') throw new Error(`${why}; refusing to skip in CI`);
  console.log(`skipping: ${why}`);
  return why;
}

let serial = 0;

/** A unique interface name per process and call, within IFNAMSIZ - 1. */
export function uniqueIfname(tag: string): string {
  serial++;
  return `v${tag}${process.pid % 100000}${serial}`.slice(0, 15);
}

export async function ip(...args: string[]): Promise<void> {
  await execFileP('ip', args);
}

/** Creates a vcan interface (mtu 72 = CAN FD capable, or 16) and sets it up. */
export async function addVcan(name: string, mtu = 72, up = true): Promise<void> {
  await ip('link', 'add', 'dev', name, 'type', 'vcan');
  await ip('link', 'set', 'dev', name, 'mtu', String(mtu));
  if (up) await ip('link', 'set', 'dev', name, 'up');
}

export async function delLink(name: string): Promise<void> {
  await execFileP('ip', ['link', 'del', 'dev', name]).catch(() => undefined);
}

export function hex(data: Uint8Array): string {
  return Buffer.from(data).toString('hex').toUpperCase();
}

/** The frame as candump -L / cansend write it (can-utils lib.c). FD flags: BRS 1, ESI 2. */
export function toCanUtils(frame: CanFrame): string {
  let idValue = frame.arbitrationId;
  if (frame.isErrorFrame) idValue = (idValue | CAN_ERR_FLAG) >>> 0;
  const id =
    frame.isExtendedId || frame.isErrorFrame
      ? idValue.toString(16).toUpperCase().padStart(8, '0')
      : idValue.toString(16).toUpperCase().padStart(3, '0');
  if (frame.isRemoteFrame) return `${id}#R${frame.dlc > 0 ? String(frame.dlc) : ''}`;
  if (frame.isFd) {
    const flags = (frame.bitrateSwitch ? 1 : 0) | (frame.errorStateIndicator ? 2 : 0);
    return `${id}##${flags.toString(16).toUpperCase()}${hex(frame.data)}`;
  }
  return `${id}#${hex(frame.data)}`;
}

/** Parses a candump -L line "(ts) iface frame" into timestamp, interface and frame text. */
export function parseCandumpLine(line: string): { ts: number; iface: string; text: string } | null {
  const m = /^\((\d+\.\d+)\) (\S+) (\S+)/.exec(line.trim());
  if (m === null) return null;
  let text = m[3] ?? '';
  // Kernels >= 6.2 (and newer cansend) set CANFD_FDF (4): compare BRS/ESI only.
  text = text.replace(
    /##([0-9A-F])/,
    (_all, f: string) => `##${(Number.parseInt(f, 16) & 3).toString(16).toUpperCase()}`,
  );
  // candump prints RTR length 0 as "R" and e.g. 5 as "R5" (recent can-utils); normalise "R0".
  text = text.replace(/#R0$/, '#R');
  return { ts: Number(m[1]), iface: m[2] ?? '', text };
}

/** A running `candump -L` collecting lines. */
export class Candump {
  readonly lines: string[] = [];
  readonly child: ChildProcess;
  #buf = '';
  #waiters: (() => void)[] = [];

  /** `errorMask`: also receive these error classes (candump's `<iface>,#<mask>` filter). */
  constructor(iface: string, errorMask?: number) {
    const target = errorMask === undefined ? iface : `${iface},#${errorMask.toString(16)}`;
    this.child = spawn('candump', ['-L', target], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    this.child.stdout?.setEncoding('utf8');
    this.child.stdout?.on('data', (chunk: string) => {
      this.#buf += chunk;
      const parts = this.#buf.split('\n');
      this.#buf = parts.pop() ?? '';
      this.lines.push(...parts.filter((l) => l.length > 0));
      for (const w of this.#waiters.splice(0)) w();
    });
  }

  /** Waits until `predicate(lines)` holds (checked on every new output). */
  async waitFor(predicate: (lines: string[]) => boolean, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.lines)) {
      if (Date.now() > deadline) {
        throw new Error(`candump: timed out; last lines: ${this.lines.slice(-5).join(' | ')}`);
      }
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  }

  /** Frame texts (normalised) seen so far. */
  texts(): string[] {
    return this.lines.map((l) => parseCandumpLine(l)?.text ?? l);
  }

  stop(): void {
    this.child.kill('SIGTERM');
  }
}

/**
 * Starts candump and waits until it demonstrably receives: sends a sentinel frame (via cansend)
 * until it shows up, then forgets the sentinel lines.
 */
export async function startCandump(iface: string, errorMask?: number): Promise<Candump> {
  const dump = new Candump(iface, errorMask);
  const sentinel = '7FE#5E57';
  const deadline = Date.now() + 30_000;
  while (!dump.texts().includes(sentinel)) {
    if (Date.now() > deadline) throw new Error('candump never became ready');
    await execFileP('cansend', [iface, sentinel]);
    await new Promise((r) => setTimeout(r, 150));
  }
  dump.lines.length = 0;
  return dump;
}

/** Runs cansend for each frame text, all in one shell (one process start in the VM). */
export async function cansendAll(iface: string, texts: readonly string[]): Promise<void> {
  const script = texts.map((t) => `cansend ${iface} '${t}'`).join(' && ');
  await execFileP('sh', ['-c', script], { maxBuffer: 1 << 20 });
}

/** Collects frames from a socket until `count` arrived or the timeout passes. */
export function collectFrames(
  sock: CanSocketLike,
  count: number,
  timeoutMs = 30_000,
): Promise<CanFrame[]> {
  return collectUntil(sock, (got) => got.length >= count, timeoutMs);
}

/** Collects frames from a socket until `done(frames so far)` or the timeout passes. */
export function collectUntil(
  sock: CanSocketLike,
  done: (got: CanFrame[]) => boolean,
  timeoutMs = 30_000,
): Promise<CanFrame[]> {
  return new Promise((resolve, reject) => {
    const got: CanFrame[] = [];
    const onFrames = (frames: CanFrame[]): void => {
      got.push(...frames);
      if (done(got)) {
        cleanup();
        resolve(got);
      }
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`got only ${got.length} frames in ${timeoutMs} ms`));
    }, timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      sock.off('frames', onFrames);
    };
    sock.on('frames', onFrames);
  });
}

function payload(len: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: len }, (_, i) => (seed * 37 + i * 11 + 1) & 0xff);
}

/**
 * Every frame kind SocketCAN carries: classic and extended data frames of each length 0..8, remote
 * frames of each requested length, an error frame, and CAN FD of every length with every BRS/ESI
 * combination. Ids are distinct so that order and identity are checked.
 */
export function everyKernelFrameKind(): CanFrame[] {
  const frames: CanFrame[] = [];
  let id = 0x100;
  for (const isExtendedId of [false, true]) {
    for (let len = 0; len <= 8; len++) {
      frames.push(
        makeFrame({
          arbitrationId: isExtendedId ? 0x1abcd00 + id++ : id++,
          isExtendedId,
          data: payload(len, id),
        }),
      );
    }
    for (let len = 0; len <= 8; len++) {
      frames.push(
        makeFrame({
          arbitrationId: isExtendedId ? 0x1abcd00 + id++ : id++,
          isExtendedId,
          isRemoteFrame: true,
          dlc: len,
        }),
      );
    }
  }
  for (const len of [0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 20, 24, 32, 48, 64]) {
    for (const [brs, esi] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ] as const) {
      frames.push(
        makeFrame({
          arbitrationId: id++,
          isExtendedId: len % 2 === 1,
          isFd: true,
          bitrateSwitch: brs,
          errorStateIndicator: esi,
          data: payload(len, id),
        }),
      );
    }
  }
  return frames;
}

/** linux/can/error.h: CAN_ERR_CRTL (0x4) with CAN_ERR_CRTL_RX_WARNING (0x04) in data[1]. */
export const ERROR_FRAME: CanFrame = makeFrame({
  arbitrationId: 0x4,
  isExtendedId: false,
  isErrorFrame: true,
  data: Uint8Array.of(0, 4, 0, 0, 0, 0, 0, 0),
});
