/**
 * The systems bench/bridge-bench.ts compares on the path vcanA -> A -> UDP (lo) -> B -> vcanB:
 * our two daemons (default config), two cannelloni processes (point to point UDP, its own wire
 * format; ../shared/peers/cannelloni/), two python-can 4.1 bridges (bench/python_bridge.py), and
 * the kernel's gateway (`cangw`, can-utils; the can-gw module) as the limit.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { processCpuTicks, udpPortBound, udpSocketDrops } from './bridge-bench-proc.js';
import { OURS } from './bridge-bench-report.js';

export interface SystemEnv {
  ifaceA: string;
  ifaceB: string;
  group: string;
  port: number;
  /** Project root (bench/python_bridge.py is not compiled). */
  root: string;
}

export interface ProcessSample {
  /** CPU ticks of A and B (NaN when the system has no process: cangw). */
  cpuA: number;
  cpuB: number;
  /** Datagrams dropped on the UDP sockets of A and B (receive buffer full). */
  udpDropsA: number;
  udpDropsB: number;
}

export interface BridgeSystem {
  readonly name: string;
  start(): Promise<void>;
  sample(): ProcessSample;
  /** Stops; returns what the bridges said at exit (their final counters), for diagnosis. */
  stop(): Promise<string[]>;
}

const BIN = fileURLToPath(new URL('../../bin/can-multicast-bridge', import.meta.url));

/** Our daemon's environment: without CMB_* (the VM sets CMBTEST_IN_VM; the config rejects it). */
function daemonEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('CMB_')) env[k] = v;
  return env;
}

/** A bridge process that prints a line matching `ready` once it relays. */
class BridgeProcess {
  readonly lines: string[] = [];
  stderr = '';
  readonly exited: Promise<number | null>;
  #exitCode: number | null | undefined = undefined;

  constructor(
    readonly label: string,
    readonly child: ChildProcess,
  ) {
    if (child.stdout === null) throw new Error(`${label}: no stdout`);
    createInterface({ input: child.stdout }).on('line', (l) => this.lines.push(l));
    child.stderr?.setEncoding('utf8').on('data', (s: string) => (this.stderr += s));
    this.exited = new Promise((resolve) =>
      child.once('close', (code) => {
        this.#exitCode = code;
        resolve(code);
      }),
    );
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Resolves once a line matches `match` (or `match()` is true); throws at exit or timeout. */
  async ready(match: RegExp | (() => boolean), timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const isReady =
      typeof match === 'function' ? match : () => this.lines.some((l) => match.test(l));
    while (!isReady()) {
      if (this.#exitCode !== undefined || Date.now() > deadline) {
        throw new Error(
          `${this.label} did not start (exit ${String(this.#exitCode)}):\n` +
            `${this.lines.join('\n')}\n${this.stderr}`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(): Promise<void> {
    if (this.#exitCode === undefined) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(timer);
    const dump = process.env.CMBTEST_BENCH_DUMP;
    if (dump !== undefined)
      writeFileSync(`${dump}.${this.label}.log`, `${this.lines.join('\n')}\n${this.stderr}`);
  }
}

abstract class ProcessPair implements BridgeSystem {
  abstract readonly name: string;
  protected a: BridgeProcess | null = null;
  protected b: BridgeProcess | null = null;

  abstract start(): Promise<void>;

  sample(): ProcessSample {
    const a = this.a?.pid ?? -1;
    const b = this.b?.pid ?? -1;
    return {
      cpuA: processCpuTicks(a),
      cpuB: processCpuTicks(b),
      udpDropsA: udpSocketDrops(a),
      udpDropsB: udpSocketDrops(b),
    };
  }

  protected abstract summary(p: BridgeProcess): string;

  async stop(): Promise<string[]> {
    const procs = [this.a, this.b].filter((p): p is BridgeProcess => p !== null);
    await Promise.all(procs.map((p) => p.stop()));
    this.a = this.b = null;
    return procs.map((p) => `${p.label}: ${this.summary(p)}`);
  }
}

/** Our daemons: A on vcanA, B on vcanB, distinct sender ids, the same group and port. */
export class OurDaemons extends ProcessPair {
  readonly name: string;
  /**
   * `pin`: the CPUs A and B run on (taskset -c), for the reordering experiment: a vcan write is
   * echoed through the writing CPU's input backlog (vcan_tx -> netif_rx), so a writer that moves
   * between CPUs can overtake its own earlier frames; pinned daemons cannot.
   */
  constructor(
    readonly env: SystemEnv,
    readonly extraArgs: readonly string[] = [],
    readonly nodeArgs: readonly string[] = [],
    readonly pin: readonly [number, number] | null = null,
  ) {
    super();
    this.name = pin === null ? OURS : `${OURS} pinned`;
  }

  #spawn(label: string, iface: string, cpu: number | null): BridgeProcess {
    const { group, port } = this.env;
    const args = [
      ...this.nodeArgs,
      BIN,
      'run',
      '--can',
      iface,
      '--group',
      group,
      '--port',
      String(port),
    ];
    args.push('--sender-id', `bench-${label}`, '--log-level', 'info', ...this.extraArgs);
    // taskset execs node in place: the child's pid stays the daemon's (CPU and drop sampling).
    const [cmd, argv] =
      cpu === null
        ? [process.execPath, args]
        : ['taskset', ['-c', String(cpu), process.execPath, ...args]];
    const child = spawn(cmd, argv, {
      env: daemonEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new BridgeProcess(label, child);
  }

  async start(): Promise<void> {
    this.a = this.#spawn('A', this.env.ifaceA, this.pin?.[0] ?? null);
    this.b = this.#spawn('B', this.env.ifaceB, this.pin?.[1] ?? null);
    await Promise.all([
      this.a.ready(/"bridge running"/, 120_000),
      this.b.ready(/"bridge running"/, 120_000),
    ]);
  }

  protected summary(p: BridgeProcess): string {
    const line = p.lines.find((l) => l.includes('"final stats"'));
    return line ?? `(no final stats) ${p.stderr.slice(0, 500)}`;
  }
}

/**
 * Two cannelloni processes as its README starts them over loopback: A on vcanA sends to B's port,
 * B on vcanB sends to A's; `bufferTimeoutUs` is `-t` (undefined: cannelloni's default, 100 ms).
 */
export class CannelloniPair extends ProcessPair {
  readonly name: string;
  constructor(
    readonly env: SystemEnv,
    readonly bin: string,
    readonly bufferTimeoutUs: number | undefined,
    readonly ports: readonly [number, number] = [20000, 20001],
  ) {
    super();
    this.name =
      bufferTimeoutUs === undefined ? 'cannelloni defaults' : `cannelloni -t ${bufferTimeoutUs}`;
  }

  #spawn(label: string, iface: string, local: number, remote: number): BridgeProcess {
    const args = ['-I', iface, '-R', '127.0.0.1', '-l', String(local), '-r', String(remote)];
    if (this.bufferTimeoutUs !== undefined) args.push('-t', String(this.bufferTimeoutUs));
    const child = spawn(this.bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    return new BridgeProcess(label, child);
  }

  async start(): Promise<void> {
    const [pa, pb] = this.ports;
    this.a = this.#spawn('A', this.env.ifaceA, pa, pb);
    this.b = this.#spawn('B', this.env.ifaceB, pb, pa);
    // It prints nothing when ready: its UDP socket is bound once it relays.
    await Promise.all([
      this.a.ready(() => udpPortBound(pa), 30_000),
      this.b.ready(() => udpPortBound(pb), 30_000),
    ]);
  }

  protected summary(p: BridgeProcess): string {
    return `exit; ${p.lines.slice(-3).join(' / ')} ${p.stderr.slice(-300)}`.trim();
  }
}

/** Two python-can 4.1 bridges (bench/python_bridge.py). */
export class PythonBridges extends ProcessPair {
  readonly name = 'python-can 4.1';
  constructor(readonly env: SystemEnv) {
    super();
  }

  #spawn(label: string, iface: string): BridgeProcess {
    const { group, port, root } = this.env;
    const script = `${root}/bench/python_bridge.py`;
    const args = [script, '--can', iface, '--group', group, '--port', String(port)];
    args.push('--sender-id', `py-${label}`);
    const child = spawn('/usr/bin/python3', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    return new BridgeProcess(label, child);
  }

  async start(): Promise<void> {
    this.a = this.#spawn('A', this.env.ifaceA);
    this.b = this.#spawn('B', this.env.ifaceB);
    // `import can` takes ~30 s in the VM (test/vm README).
    await Promise.all([this.a.ready(/^ready$/, 180_000), this.b.ready(/^ready$/, 180_000)]);
  }

  protected summary(p: BridgeProcess): string {
    return p.lines.find((l) => l.startsWith('{')) ?? `(no counters) ${p.stderr.slice(0, 500)}`;
  }
}

/** The kernel's CAN gateway: one rule vcanA -> vcanB, with local echo (-e) so sockets on B see it. */
export class KernelGateway implements BridgeSystem {
  readonly name = 'cangw (kernel)';
  constructor(readonly env: SystemEnv) {}

  start(): Promise<void> {
    try {
      execFileSync('modprobe', ['can-gw'], { stdio: 'ignore' });
    } catch {
      // Built in, or loaded already; cangw below says if it is missing.
    }
    execFileSync('cangw', ['-A', '-s', this.env.ifaceA, '-d', this.env.ifaceB, '-e']);
    return Promise.resolve();
  }

  sample(): ProcessSample {
    return { cpuA: Number.NaN, cpuB: Number.NaN, udpDropsA: 0, udpDropsB: 0 };
  }

  stop(): Promise<string[]> {
    // cangw -L exits non-zero even when it lists (can-utils 2022.11); its output is what counts.
    const list = spawnSync('cangw', ['-L'], { encoding: 'utf8' }).stdout.trim();
    execFileSync('cangw', ['-D', '-s', this.env.ifaceA, '-d', this.env.ifaceB, '-e']);
    return Promise.resolve([`cangw -L: ${list.replace(/\n/g, ' | ')}`]);
  }
}
