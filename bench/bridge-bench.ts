/**
 * End-to-end bridge benchmark (issue 4 section 7): vcanA -> bridge A -> multicast over lo ->
 * bridge B -> vcanB, for our two daemons, two python-can 4.1 bridges (bench/python_bridge.py) and
 * the kernel's `cangw` as the limit, all in the same VM run. For each: the highest offered rate
 * without loss (a ladder of rates), latency p50/p99 at fixed rates (kernel receive timestamps on
 * both vcans), CPU time per frame of the bridge processes (/proc/PID/stat).
 *
 *   npm run build && node dist/bench/bridge-bench.js [options]     (re-runs itself in the test VM)
 *   test/vm/run.sh -- node dist/bench/bridge-bench.js [options]    (the same, explicitly)
 *
 *   --systems ours,python,cangw   which systems, in this order (default all three)
 *   --rates 250,500,...           the ladder of offered rates, frames/s (stops at the first loss)
 *   --step-seconds 3              seconds per ladder step
 *   --retries 1                   a lossy step is tried again this often before the ladder stops
 *   --latency-rates 1000,5000     fixed rates for latency and CPU per frame
 *   --latency-seconds 5
 *   --quick                       rates 500,2000,8000, 1.5 s steps, latency at 1000/s for 3 s
 *   --daemon-arg ARG              extra argument for our daemons (repeatable), e.g. --set k=v
 *   --daemon-node-arg ARG         extra node option for our daemons (repeatable), e.g. --cpu-prof
 *   --rmem-max BYTES              set net.core.rmem_max first (our daemon asks for 8 MiB of UDP
 *                                 receive buffer, which the kernel caps at rmem_max; python-can
 *                                 takes rmem_default either way)
 *   --json FILE                   also write every run as JSON
 *   --host-load "a b c"           the host's load average, for the report (the wrapper sets it)
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { backlogDrops, machineBusyTicks, processCpuTicks, udpErrors } from './bridge-bench-proc.js';
import { Receiver, tagCanId } from './bridge-bench-receiver.js';
import type { GeneratorReport, Measured } from './bridge-bench-report.js';
import { runLine, summarize, summaryTable } from './bridge-bench-report.js';
import type { BridgeSystem, SystemEnv } from './bridge-bench-systems.js';
import { KernelGateway, OurDaemons, PythonBridges } from './bridge-bench-systems.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');

const { values } = parseArgs({
  options: {
    systems: { type: 'string', default: 'ours,python,cangw' },
    rates: { type: 'string', default: '250,500,1000,2000,4000,8000,12000' },
    'step-seconds': { type: 'string', default: '3' },
    retries: { type: 'string', default: '1' },
    'latency-rates': { type: 'string', default: '1000,5000' },
    'latency-seconds': { type: 'string', default: '5' },
    quick: { type: 'boolean', default: false },
    'daemon-arg': { type: 'string', multiple: true, default: [] },
    'daemon-node-arg': { type: 'string', multiple: true, default: [] },
    group: { type: 'string', default: '239.74.163.2' },
    port: { type: 'string', default: '43113' },
    json: { type: 'string' },
    'rmem-max': { type: 'string' },
    'host-load': { type: 'string' },
  },
});

if (process.env.CMBTEST_IN_VM === undefined) {
  // Not in the test VM: run this same script there (needs root, vcan, can-gw, python3-can).
  const args = process.argv.slice(2);
  if (values['host-load'] === undefined) {
    args.push(
      '--host-load',
      loadavg()
        .map((x) => x.toFixed(1))
        .join(' '),
    );
  }
  const res = spawnSync(
    resolve(root, 'test/vm/run.sh'),
    ['--timeout', '1800', '--', 'node', fileURLToPath(import.meta.url), ...args],
    { stdio: 'inherit', cwd: root },
  );
  process.exit(res.status ?? 125);
}

const list = (s: string): number[] => s.split(',').filter(Boolean).map(Number);
const quick = values.quick;
const rates = quick ? [500, 2000, 8000] : list(values.rates);
const stepSeconds = quick ? 1.5 : Number(values['step-seconds']);
const retries = quick ? 0 : Number(values.retries);
const latencyRates = quick ? [1000] : list(values['latency-rates']);
const latencySeconds = quick ? 3 : Number(values['latency-seconds']);

/**
 * The paced generator: can-utils `cangen` (C: the cheapest sender there is; a Node sender costs
 * about 3x its CPU per frame in the VM). Frames leave in bursts of `-c` every `-g` ms, about one
 * burst per millisecond; under emulation the sleeps overshoot, so the achieved rate is measured.
 */
class Generator {
  constructor(readonly iface: string) {}

  async run(tag: number, rate: number, seconds: number): Promise<GeneratorReport> {
    const count = Math.round(rate * seconds);
    const burst = Math.max(1, Math.round(rate / 1000));
    const gapMs = (1000 * burst) / rate;
    const args = [this.iface, '-I', tagCanId(tag).toString(16), '-L', '8', '-D', 'i'];
    args.push('-n', String(count), '-g', gapMs.toFixed(3), '-c', String(burst), '-p', '100');
    const start = performance.now();
    const child = spawn('cangen', args, { stdio: ['ignore', 'ignore', 'inherit'] });
    const pid = child.pid ?? -1;
    let ticks = Number.NaN;
    const poll = setInterval(() => {
      const t = processCpuTicks(pid);
      if (!Number.isNaN(t)) ticks = t;
    }, 100);
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    clearInterval(poll);
    if (code !== 0) throw new Error(`cangen ${args.join(' ')} exited ${String(code)}`);
    return {
      sent: count,
      elapsedMs: performance.now() - start,
      ticks,
      maxBurst: burst,
      dropped: 0,
    };
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let tagCounter = 0;

async function measure(
  system: BridgeSystem,
  gen: Generator,
  rx: Receiver,
  kind: Measured['kind'],
  rate: number,
  seconds: number,
): Promise<Measured> {
  const tag = (tagCounter = (tagCounter % 250) + 1);
  const before = system.sample();
  const machine0 = machineBusyTicks();
  const self0 = processCpuTicks(process.pid);
  const backlog0 = backlogDrops();
  const udp0 = udpErrors().rcvbuf;
  rx.arm(tag, Math.ceil(rate * seconds) + 16);
  const report = await gen.run(tag, rate, seconds);
  // Drain: until everything arrived (plus a moment for duplicates) or B has been quiet for 1 s.
  const done = performance.now();
  for (;;) {
    const now = performance.now();
    const quiet = now - Math.max(rx.lastOnB, done);
    if (rx.framesOnB >= report.sent && quiet > 200) break;
    if (quiet > 1000 || now - done > 20_000) break;
    await sleep(50);
  }
  const drainMs = Math.max(0, Math.min(rx.lastOnB - done, performance.now() - done));
  const after = system.sample();
  return {
    system: system.name,
    kind,
    rate,
    seconds,
    gen: report,
    rx: rx.result(),
    cpuTicksA: after.cpuA - before.cpuA,
    cpuTicksB: after.cpuB - before.cpuB,
    machineTicks: machineBusyTicks() - machine0,
    generatorTicks: report.ticks,
    receiverTicks: processCpuTicks(process.pid) - self0,
    udpDropsA: after.udpDropsA - before.udpDropsA,
    udpDropsB: after.udpDropsB - before.udpDropsB,
    backlogDrops: backlogDrops() - backlog0,
    udpRcvbufErrors: udpErrors().rcvbuf - udp0,
    drainMs,
  };
}

async function benchSystem(
  system: BridgeSystem,
  gen: Generator,
  rx: Receiver,
  log: (s: string) => void,
): Promise<Measured[]> {
  const runs: Measured[] = [];
  const t0 = Date.now();
  await system.start();
  log(`# ${system.name}: started in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  try {
    const warm = await measure(system, gen, rx, 'warmup', 500, 1);
    log(runLine(warm));
    if (warm.rx.received === 0) throw new Error(`${system.name}: no frame reached B`);
    ladder: for (const rate of rates) {
      for (let attempt = 0; attempt <= retries; attempt++) {
        const m = await measure(system, gen, rx, 'step', rate, stepSeconds);
        runs.push(m);
        log(runLine(m));
        if (m.rx.received === m.gen.sent) continue ladder;
      }
      break;
    }
    for (const rate of latencyRates) {
      const m = await measure(system, gen, rx, 'latency', rate, latencySeconds);
      runs.push(m);
      log(runLine(m));
    }
  } finally {
    for (const line of await system.stop()) log(`#   ${line}`);
  }
  return runs;
}

function sh(cmd: string, args: string[]): void {
  execFileSync(cmd, args, { stdio: 'inherit' });
}

async function main(): Promise<void> {
  const log = (s: string): void => console.log(s);
  const ifaceA = `bbA${process.pid}`.slice(0, 15);
  const ifaceB = `bbB${process.pid}`.slice(0, 15);
  const env: SystemEnv = {
    ifaceA,
    ifaceB,
    group: values.group,
    port: Number(values.port),
    root,
  };
  const wanted = values.systems.split(',');
  const factories: Record<string, () => BridgeSystem> = {
    ours: () => new OurDaemons(env, values['daemon-arg'], values['daemon-node-arg']),
    python: () => new PythonBridges(env),
    cangw: () => new KernelGateway(env),
  };
  for (const name of [ifaceA, ifaceB]) {
    sh('ip', ['link', 'add', 'dev', name, 'type', 'vcan']);
    sh('ip', ['link', 'set', 'dev', name, 'mtu', '72', 'up']);
  }
  const rmemPath = '/proc/sys/net/core/rmem_max';
  if (values['rmem-max'] !== undefined) writeFileSync(rmemPath, values['rmem-max']);
  const rmem = (f: string): string => readFileSync(`/proc/sys/net/core/${f}`, 'utf8').trim();
  const started = new Date();
  const rx = new Receiver(ifaceA, ifaceB);
  const gen = new Generator(ifaceA);
  const all: Measured[] = [];
  try {
    rx.start();
    log(
      `# bridge bench ${started.toISOString()}: ${ifaceA} -> A -> ${env.group}:${env.port} (lo) -> B -> ${ifaceB}`,
    );
    log(`# net.core.rmem_max ${rmem('rmem_max')}, rmem_default ${rmem('rmem_default')}`);
    log(
      `# rates ${rates.join(',')} x ${stepSeconds} s (retries ${retries}); latency at ${latencyRates.join(',')} x ${latencySeconds} s`,
    );
    for (const name of wanted) {
      const make = factories[name];
      if (make === undefined) throw new Error(`unknown system ${name} (ours, python, cangw)`);
      all.push(...(await benchSystem(make(), gen, rx, log)));
    }
  } finally {
    await rx.close().catch(() => undefined);
    for (const name of [ifaceA, ifaceB]) spawnSync('ip', ['link', 'del', 'dev', name]);
  }
  const names = [...new Set(all.map((m) => m.system))];
  const summaries = names.map((n) =>
    summarize(
      n,
      all.filter((m) => m.system === n),
    ),
  );
  const minutes = ((Date.now() - started.getTime()) / 60_000).toFixed(1);
  log('');
  log(
    `## Bridge benchmark (VM, 2 vCPUs, TCG; ${minutes} min; host load ${values['host-load'] ?? 'unknown'}; VM load ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')})`,
  );
  log('');
  log(summaryTable(summaries, latencyRates));
  log('');
  log(
    'Latency: kernel receive timestamp on vcanB minus that on vcanA. CPU: utime+stime of both bridge\n' +
      'processes per frame delivered (cangw runs in softirq: no process); VM CPU: the whole VM incl.\n' +
      'generator and receiver. The VM flatters Node vs CPython by about 1.5-2x (CPython runs 14-20x\n' +
      'slower under TCG, Node 8-11x; ../shared/baselines.md): on real hardware the ours-vs-python ratios\n' +
      'are smaller by about that factor. A busy host makes every number pessimistic. "udp drops" is\n' +
      "the sockets' drop count (/proc/net/udp), which includes datagrams a socket filter refused: our\n" +
      "daemon A's are its own looped-back datagrams, dropped on purpose; 'rcvbuf errs' are overflows.",
  );
  if (values.json !== undefined) {
    writeFileSync(
      values.json,
      JSON.stringify(
        all.map((m) => ({ ...m, rx: { ...m.rx, latenciesUs: undefined } })),
        null,
        1,
      ),
    );
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
