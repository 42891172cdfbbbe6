/**
 * Helpers for the daemon's end-to-end tests on a real kernel: the built daemon (`bin/`) and
 * can-utils run inside network namespaces, each namespace a "host" with its own vcan.
 */
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import type { NetnsLab, Netns } from '../support/netns.js';
import { ip } from '../support/netns.js';
import { until } from '../support/until.js';

export const BIN = fileURLToPath(new URL('../../bin/can-multicast-bridge', import.meta.url));

/** The environment of spawned daemons: ours without CMB_* (the test tooling's own variables). */
export function daemonEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('CMB_')) env[k] = v;
  return { ...env, ...extra };
}

/** Creates `name` (vcan) inside `ns`, up, with the given MTU (72 = CAN FD, 16 = classic). */
export async function addVcanIn(ns: Netns, name: string, mtu = 72): Promise<void> {
  await ip(['-n', ns.name, 'link', 'add', name, 'type', 'vcan']);
  await ip(['-n', ns.name, 'link', 'set', name, 'mtu', String(mtu), 'up']);
}

/** A running daemon: its JSON log lines and exit. */
export class DaemonProcess {
  readonly logs: Record<string, unknown>[] = [];
  stderr = '';
  exitCode: number | null = null;
  readonly exited: Promise<number | null>;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    if (child.stdout === null) throw new Error('daemon needs piped stdout');
    createInterface({ input: child.stdout }).on('line', (line) => {
      try {
        this.logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        this.stderr += `(stdout) ${line}\n`;
      }
    });
    child.stderr?.setEncoding('utf8').on('data', (s: string) => (this.stderr += s));
    this.exited = new Promise((resolve) =>
      child.once('close', (code) => {
        this.exitCode = code;
        resolve(code);
      }),
    );
  }

  log(msg: string): Record<string, unknown> | undefined {
    return this.logs.find((l) => l.msg === msg);
  }

  detail(): string {
    return `${this.name} logs:\n${this.logs.map((l) => JSON.stringify(l)).join('\n')}\nstderr: ${this.stderr}`;
  }

  async ready(timeoutMs = 120_000): Promise<void> {
    await until(
      () => this.log('bridge running') !== undefined || this.exitCode !== null,
      `${this.name} to run`,
      timeoutMs,
      { pollMs: 50, detail: () => this.detail() },
    );
    if (this.exitCode !== null)
      throw new Error(`${this.name} exited ${this.exitCode}\n${this.detail()}`);
  }

  /** SIGTERM, then the exit code and the final stats line. */
  async stop(): Promise<{ code: number | null; stats: Record<string, unknown> | undefined }> {
    if (this.exitCode === null) this.child.kill('SIGTERM');
    const code = await this.exited;
    return { code, stats: this.log('final stats') };
  }
}

export function startDaemon(
  lab: NetnsLab,
  ns: Netns,
  name: string,
  args: readonly string[],
): DaemonProcess {
  const child = lab.spawn(ns, process.execPath, [BIN, 'run', '--log-level', 'info', ...args], {
    env: daemonEnv(),
  });
  return new DaemonProcess(name, child);
}

/** `candump -L -e IFACE` inside `ns`, collecting frame texts (`123#DEAD`, as formatFrameString). */
export class NsCandump {
  readonly frames: string[] = [];
  readonly child: ChildProcess;

  constructor(lab: NetnsLab, ns: Netns, iface: string) {
    // `,#1FFFFFFF`: error frames too (every class of CAN_ERR_MASK), which candump leaves out by
    // default. Not `-e`: candump refuses it together with the log format -L and exits.
    this.child = lab.spawn(ns, 'candump', ['-L', `${iface},#1FFFFFFF`]);
    if (this.child.stdout === null) throw new Error('candump needs piped stdout');
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      const m = /^\(\d+\.\d+\) \S+ (\S+)/.exec(line);
      // Kernels >= 6.2 write CANFD_FDF (4) into candump's flags digit: keep only BRS/ESI.
      if (m?.[1] !== undefined) {
        this.frames.push(
          m[1].replace(
            /##([0-9A-F])/,
            (_a, f: string) => `##${(parseInt(f, 16) & 3).toString(16).toUpperCase()}`,
          ),
        );
      }
    });
  }

  async waitFor(count: number, timeoutMs = 60_000): Promise<string[]> {
    await until(() => this.frames.length >= count, `${count} frames from candump`, timeoutMs, {
      pollMs: 50,
      detail: () => this.frames.join('\n'),
    });
    return this.frames;
  }

  stop(): void {
    this.child.kill('SIGTERM');
  }
}

/** Writes every frame text with cansend inside `ns`, in order, in one shell. */
export async function cansendIn(
  lab: NetnsLab,
  ns: Netns,
  iface: string,
  texts: readonly string[],
): Promise<void> {
  const res = await lab.run(
    ns,
    'sh',
    [
      '-c',
      'i=$1; shift; for f in "$@"; do cansend "$i" "$f" || exit 1; done',
      'sh',
      iface,
      ...texts,
    ],
    {
      timeoutMs: 120_000,
    },
  );
  if (res.code !== 0) throw new Error(`cansend failed (${res.code}): ${res.stderr}`);
}

/** Sorted copy, for comparing multisets of frame texts. */
export function sorted(texts: readonly string[]): string[] {
  return [...texts].sort();
}

/** 20 frames per bus, ids distinct per bus: classic, extended, remote and FD. */
export function framesFor(bus: number): string[] {
  const texts: string[] = [];
  for (let i = 0; i < 5; i++) {
    texts.push(`${(0x100 * (bus + 1) + i).toString(16).toUpperCase()}#0${i}`);
    texts.push(
      `${(0x1000000 * (bus + 1) + i).toString(16).toUpperCase().padStart(8, '0')}#DEADBEEF`,
    );
    texts.push(`${(0x100 * (bus + 1) + 0x10 + i).toString(16).toUpperCase()}#R${i + 1}`);
    texts.push(`${(0x100 * (bus + 1) + 0x20 + i).toString(16).toUpperCase()}##1${'AB'.repeat(12)}`);
  }
  return texts;
}
