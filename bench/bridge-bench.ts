/**
 * End-to-end bridge benchmark (issue 9 section 6), all systems in one VM run on the same path
 * vcanA -> A -> UDP over lo -> B -> vcanB: our two daemons (`run`, default config), cannelloni at
 * `-t 1000` and at its defaults, two python-can 4.1 bridges (bench/python_bridge.py), and the
 * kernel's `cangw` as the limit.
 *
 * Every system gets the same ladder of 10 s steps (500, 1k, 2k, 4k, 8k, 16k frames/s) from the
 * same paced generator (bench/can-pacer.c: absolute deadlines, a sequence number in every frame;
 * a step whose achieved rate is below 98 % of the offered one is reported as invalid, not as a
 * result), and the same receiver (bench/can-stamp-rx.c: kernel receive timestamps, SO_TIMESTAMPNS,
 * on both vcans; one-way latency = stamp on B - stamp on A; loss, duplicates, reordering by
 * sequence number). Every rate up to the highest column rate (4k) runs; above it a system's ladder
 * stops after its first lossy step. A 1 s warm-up at 500/s before the ladder checks the path and
 * is not a result. CPU = utime + stime of both bridge processes (/proc/PID/stat) over the step and
 * its drain, per frame delivered to B.
 *
 *   npm run bench -- --only bridge [--quick] [--json FILE]     (builds, then as below)
 *   node dist/bench/bridge-bench.js [options]                  (re-runs itself in the test VM)
 *
 *   --systems LIST        ours,cannelloni-t1000,cannelloni,python,cangw (default: all, this order);
 *                         also ours-pinned: our daemons with A on CPU 0 and B on CPU 1 (taskset),
 *                         the reordering experiment (see OurDaemons)
 *   --rates LIST          the ladder, offered frames/s (default 500,1000,2000,4000,8000,16000)
 *   --seconds N           seconds per step (default 10)
 *   --columns LIST        rates whose latency and CPU the table shows (default 1000,4000)
 *   --quick               2 s steps: checks the harness end to end, not a result
 *   --no-first-traffic    skip the first-traffic step (6 s at 1000/s right after start-up, each
 *                         second's worst latency: issue 9 section 4)
 *   --cannelloni PATH     the cannelloni binary (default $CANNELLONI, else
 *                         /work/shared/peers/cannelloni/cannelloni when it exists; when there is
 *                         none, the cannelloni systems are left out and the report says so)
 *   --json FILE           also write every step and summary as JSON
 *   --daemon-arg ARG      extra argument for our daemons (repeatable), e.g. --set k=v
 *   --daemon-node-arg ARG extra node option for our daemons (repeatable), e.g. --cpu-prof
 *   --rmem-max BYTES      set net.core.rmem_max first
 *   --netdev-max-backlog N  set net.core.netdev_max_backlog first (default 10000; 0 keeps the
 *                         kernel's 1000). vcan and lo hand every frame and datagram to the
 *                         per-CPU input backlog, which a real NIC's ring stands in front of; under
 *                         emulation the whole VM stalls for 0.1-0.5 s when the host is busy, and
 *                         1000 entries then overflow: frames lost before any system saw them
 *   --host-load "a b c"   the host's load average, for the report (the host side sets it)
 *
 * Environment: CMBTEST_BENCH_DUMP=PREFIX writes each bridge process's output (stdout lines, then
 * stderr) to PREFIX.A.log and PREFIX.B.log when it stops, e.g. with --daemon-node-arg=--trace-gc.
 * CMBTEST_BENCH_LATENCIES=PREFIX writes each system's first-traffic step frame by frame to
 * PREFIX.<system>.txt (`seq msSinceFirstOnA latencyMs`), to see when in the first seconds a stall
 * fell.
 *
 * Progress (one line per step) goes to stderr, the tables to stdout. Exit status 0 when every
 * system ran, 1 when one failed (the others are still reported).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { StepMeasure } from './bench-stats.js';
import { ladderContinues, latencySummary, summarize } from './bench-stats.js';
import { benchToolPath, buildBenchTools } from './bench-tools.js';
import { backlogDrops, machineBusyTicks, processCpuTicks, udpErrors } from './bridge-bench-proc.js';
import { StampReceiver } from './bridge-bench-receiver.js';
import { jsonReport, progressLine, ratioTable, summaryTable } from './bridge-bench-report.js';
import type { BridgeSystem, SystemEnv } from './bridge-bench-systems.js';
import {
  CannelloniPair,
  KernelGateway,
  OurDaemons,
  PythonBridges,
} from './bridge-bench-systems.js';
import { runPacer } from './pacer-run.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const SHARED_CANNELLONI = '/work/shared/peers/cannelloni/cannelloni';

const { values } = parseArgs({
  options: {
    systems: { type: 'string', default: 'ours,cannelloni-t1000,cannelloni,python,cangw' },
    rates: { type: 'string', default: '500,1000,2000,4000,8000,16000' },
    seconds: { type: 'string', default: '10' },
    columns: { type: 'string', default: '1000,4000' },
    quick: { type: 'boolean', default: false },
    // Node 20's parseArgs has no negated booleans (allowNegative came in Node 22): the flag itself.
    'no-first-traffic': { type: 'boolean', default: false },
    cannelloni: { type: 'string' },
    'daemon-arg': { type: 'string', multiple: true, default: [] },
    'daemon-node-arg': { type: 'string', multiple: true, default: [] },
    group: { type: 'string', default: '239.74.163.2' },
    port: { type: 'string', default: '43113' },
    json: { type: 'string' },
    'rmem-max': { type: 'string' },
    'netdev-max-backlog': { type: 'string', default: '10000' },
    'host-load': { type: 'string' },
  },
});

/** The cannelloni binary and how it was found, or why there is none. */
function findCannelloni(): { path: string | null; note: string } {
  const given = values.cannelloni ?? process.env.CANNELLONI;
  const from = values.cannelloni !== undefined ? '--cannelloni' : 'CANNELLONI';
  if (given !== undefined && given !== '') {
    return existsSync(given)
      ? { path: given, note: `cannelloni: ${given} (from ${from})` }
      : { path: null, note: `cannelloni: ${from}=${given} does not exist: cannelloni left out` };
  }
  if (existsSync(SHARED_CANNELLONI)) {
    return { path: SHARED_CANNELLONI, note: `cannelloni: ${SHARED_CANNELLONI} (the default)` };
  }
  return {
    path: null,
    note: `cannelloni: not found (CANNELLONI unset, ${SHARED_CANNELLONI} absent): cannelloni left out`,
  };
}

if (process.env.CMBTEST_IN_VM === undefined) {
  // Host: compile the C helpers here, then run this same script in the test VM (root, vcan,
  // can-gw, python3-can), with the JSON file's folder shared so the file reaches the host.
  buildBenchTools(root);
  const args = process.argv
    .slice(2)
    .filter((a, i, all) => a !== '--json' && all[i - 1] !== '--json' && !a.startsWith('--json='));
  const vmArgs = ['--timeout', '2700'];
  if (values.json !== undefined) {
    const json = resolve(values.json);
    args.push('--json', json);
    // test/vm/run.sh shares the project folder and the current directory already.
    const shared = [root, process.cwd()].some((d) => !relative(d, json).startsWith('..'));
    if (!shared) vmArgs.push('--share', dirname(json));
  }
  // The VM sees this machine's root read-only at the same paths: it finds the same cannelloni.
  if (process.env.CANNELLONI !== undefined) vmArgs.push('--env', 'CANNELLONI');
  process.stderr.write(`bridge bench: ${findCannelloni().note}\n`);
  if (values['host-load'] === undefined) {
    // Other test VMs share this machine's CPUs and slow the emulated one: the report says so.
    const vms = spawnSync('pgrep', ['-fc', '^qemu-system-x86_64 .*mount_tag=cmbjob'], {
      encoding: 'utf8',
    }).stdout.trim();
    const load = loadavg()
      .map((x) => x.toFixed(1))
      .join(' ');
    args.push('--host-load', `${load} with ${Number(vms) || 0} other test VM(s) at the start`);
  }
  const res = spawnSync(
    resolve(root, 'test/vm/run.sh'),
    [...vmArgs, '--', 'node', fileURLToPath(import.meta.url), ...args],
    { stdio: 'inherit', cwd: root },
  );
  process.exit(res.status ?? 125);
}

const list = (s: string): number[] => s.split(',').filter(Boolean).map(Number);
const rates = list(values.rates).sort((a, b) => a - b);
const seconds = values.quick ? 2 : Number(values.seconds);
const firstTraffic = !values['no-first-traffic'];
/** One line per system: the worst latency of each second of its first traffic. */
const firstTrafficNotes: string[] = [];

/** "worst per second 12/3.1/2.9/... ms; first three within 2x of the steady state (s 4+): yes". */
function firstTrafficText(m: StepMeasure): string {
  const worst = m.worstBySecondUs ?? [];
  const ms = worst.map((us) => (Number.isNaN(us) ? '-' : (us / 1000).toFixed(1)));
  const steady = worst.slice(3).filter((us) => !Number.isNaN(us));
  const steadyUs = steady.length === 0 ? Number.NaN : Math.max(...steady);
  const early = worst.slice(0, 3);
  const within = early.length === 3 && early.every((us) => us <= 2 * steadyUs);
  return `first traffic at 1000/s: worst per second ${ms.join(' / ')} ms; first three within 2x of seconds 4+ (${(steadyUs / 1000).toFixed(1)} ms): ${within ? 'yes' : 'no'}`;
}
const columns = list(values.columns);
const t0 = Date.now();

function progress(line: string): void {
  const s = Math.round((Date.now() - t0) / 1000);
  const stamp = `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
  process.stderr.write(`[${stamp}] ${line}\n`);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let stepCounter = 0;

/** One step: `offered` frames/s for `secs` through `system`, then its drain. */
async function measure(
  system: BridgeSystem,
  rx: StampReceiver,
  kind: StepMeasure['kind'],
  offered: number,
  secs: number,
): Promise<StepMeasure> {
  // A CAN id per step (0x101 .. 0x1fa): frames of an earlier step never count in this one.
  const canId = 0x100 + (stepCounter = (stepCounter % 250) + 1);
  const count = Math.round(offered * secs);
  const before = system.sample();
  const machine0 = machineBusyTicks();
  const rx0 = processCpuTicks(rx.pid);
  const backlog0 = backlogDrops();
  const udp0 = udpErrors().rcvbuf;
  rx.arm(canId, count);
  const pacer = await runPacer(benchToolPath(root, 'can-pacer'), rx.ifaceA, canId, offered, count);
  // Drain: until everything arrived and B was quiet 300 ms, or B was quiet 1 s (cannelloni's
  // default buffer holds frames 100 ms; can-stamp-rx hands records on every 100 ms), or 20 s.
  const done = performance.now();
  for (;;) {
    const now = performance.now();
    const quiet = now - Math.max(rx.lastOnB, done);
    if (rx.framesOnB >= pacer.sent && quiet > 300) break;
    if (quiet > 1000 || now - done > 20_000) break;
    await sleep(50);
  }
  const after = system.sample();
  const { latenciesUs, receiverDrops, lastAUs, lastBUs, worstBySecondUs, ...match } = rx.result();
  // From the kernel's stamps: the last frame on B after the last frame on A.
  const drainMs = Number.isFinite(lastBUs - lastAUs) ? Math.max(0, lastBUs - lastAUs) / 1000 : 0;
  return {
    system: system.name,
    kind,
    offered,
    seconds: secs,
    pacer,
    match,
    latency: latencySummary(latenciesUs),
    cpuTicksA: after.cpuA - before.cpuA,
    cpuTicksB: after.cpuB - before.cpuB,
    receiverDrops,
    receiverTicks: processCpuTicks(rx.pid) - rx0,
    machineTicks: machineBusyTicks() - machine0,
    backlogDrops: backlogDrops() - backlog0,
    udpRcvbufErrors: udpErrors().rcvbuf - udp0,
    udpDropsA: after.udpDropsA - before.udpDropsA,
    udpDropsB: after.udpDropsB - before.udpDropsB,
    drainMs,
    worstBySecondUs,
  };
}

async function benchSystem(system: BridgeSystem, rx: StampReceiver): Promise<StepMeasure[]> {
  const steps: StepMeasure[] = [];
  const started = Date.now();
  await system.start();
  progress(`${system.name}: started in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  try {
    if (firstTraffic) {
      // The first frames after start-up, at a steady 1000/s: each second's worst latency, to see
      // whether anything runs late at first traffic (issue 9 section 4).
      const first = await measure(system, rx, 'first', 1000, 6);
      const latencies = process.env.CMBTEST_BENCH_LATENCIES;
      if (latencies !== undefined && latencies !== '') {
        const file = `${latencies}.${system.name.replace(/[^A-Za-z0-9-]+/g, '_')}.txt`;
        writeFileSync(file, `${rx.perFrameLines().join('\n')}\n`);
        progress(`${system.name}: first-traffic frames in ${file}`);
      }
      progress(`${progressLine(first)} | ${firstTrafficText(first)}`);
      firstTrafficNotes.push(`${system.name}: ${firstTrafficText(first)}`);
      await sleep(500);
    }
    const warm = await measure(system, rx, 'warmup', 500, 1);
    progress(progressLine(warm));
    if (warm.match.received === 0) throw new Error(`${system.name}: no frame reached B`);
    for (const rate of rates) {
      if (!ladderContinues(steps, rate, columns)) break;
      await sleep(500);
      const m = await measure(system, rx, 'step', rate, seconds);
      steps.push(m);
      progress(progressLine(m));
    }
  } finally {
    for (const line of await system.stop()) progress(`${system.name}: ${line}`);
  }
  return steps;
}

function sh(cmd: string, args: string[]): void {
  execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
}

async function main(): Promise<number> {
  const ifaceA = `bbA${process.pid}`.slice(0, 15);
  const ifaceB = `bbB${process.pid}`.slice(0, 15);
  const env: SystemEnv = { ifaceA, ifaceB, group: values.group, port: Number(values.port), root };
  const cannelloni = findCannelloni();
  const notes: string[] = [cannelloni.note];
  const factories: Record<string, () => BridgeSystem | null> = {
    ours: () => new OurDaemons(env, values['daemon-arg'], values['daemon-node-arg']),
    'ours-pinned': () =>
      new OurDaemons(env, values['daemon-arg'], values['daemon-node-arg'], [0, 1]),
    'cannelloni-t1000': () =>
      cannelloni.path === null ? null : new CannelloniPair(env, cannelloni.path, 1000),
    cannelloni: () =>
      cannelloni.path === null ? null : new CannelloniPair(env, cannelloni.path, undefined),
    python: () => new PythonBridges(env),
    cangw: () => new KernelGateway(env),
  };
  const wanted = values.systems.split(',').filter(Boolean);
  for (const name of wanted) {
    if (!(name in factories))
      throw new Error(`unknown system ${name} (${Object.keys(factories).join(', ')})`);
  }
  for (const name of [ifaceA, ifaceB]) {
    sh('ip', ['link', 'add', 'dev', name, 'type', 'vcan']);
    sh('ip', ['link', 'set', 'dev', name, 'mtu', '72', 'up']);
  }
  if (values['rmem-max'] !== undefined) {
    writeFileSync('/proc/sys/net/core/rmem_max', values['rmem-max']);
  }
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], {
      encoding: 'utf8',
    }).trim();
  } catch {
    // Not a git checkout: the report says "unknown".
  }
  if (values['netdev-max-backlog'] !== '0') {
    writeFileSync('/proc/sys/net/core/netdev_max_backlog', values['netdev-max-backlog']);
  }
  const rmem = (f: string): string => readFileSync(`/proc/sys/net/core/${f}`, 'utf8').trim();
  const rx = new StampReceiver(benchToolPath(root, 'can-stamp-rx'), ifaceA, ifaceB);
  const all: StepMeasure[] = [];
  const failed: string[] = [];
  const started = new Date();
  try {
    await rx.start();
    progress(`bridge bench: ${ifaceA} -> A -> UDP (lo) -> B -> ${ifaceB}`);
    progress(`rates ${rates.join(',')} x ${seconds} s; ${notes.join('; ')}`);
    for (const name of wanted) {
      const system = factories[name]?.() ?? null;
      if (system === null) {
        progress(`${name}: left out (${cannelloni.note})`);
        continue;
      }
      try {
        all.push(...(await benchSystem(system, rx)));
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        progress(`${system.name}: FAILED: ${msg}`);
        failed.push(`${system.name}: ${msg.split('\n')[0] ?? ''}`);
      }
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
      columns,
    ),
  );
  const minutes = ((Date.now() - started.getTime()) / 60_000).toFixed(1);
  const vmLoad = loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');
  const out: string[] = [
    `## Bridge benchmark ${started.toISOString()} (VM, TCG; ${minutes} min; ${seconds} s steps${values.quick ? ', --quick: not a result' : ''})`,
    '',
    `ours at commit ${commit}; host load ${values['host-load'] ?? 'unknown'}, VM load ${vmLoad}; net.core.rmem_max ${rmem('rmem_max')}, rmem_default ${rmem('rmem_default')}, netdev_max_backlog ${rmem('netdev_max_backlog')}; ${notes.join('; ')}`,
    '',
    summaryTable(summaries, columns),
    '',
    ratioTable(summaries, columns),
    '',
    ...(firstTrafficNotes.length > 0 ? [...firstTrafficNotes.map((n) => `- ${n}`), ''] : []),
    'Lossless up to: the rate the generator achieved in the highest lossless step below the first',
    'lossy one (">=": no step lost a frame); a step whose generator achieved < 98% of the offered rate',
    'or whose frames did not all reach the origin bus is invalid and not a result. Latency: kernel',
    'receive stamp on B minus that on A. CPU: utime+stime of both bridge processes per frame',
    'delivered (cangw runs in softirq: no process). Reordered: the most arrivals in one step whose',
    'sequence number is below the one before. Ratios: ours / theirs (lossless: > 1x is better for',
    'ours; latency and CPU: < 1x is better for ours). Compare only inside one run.',
  ];
  for (const f of failed) out.push('', `FAILED: ${f}`);
  process.stdout.write(`${out.join('\n')}\n`);
  if (values.json !== undefined) {
    const meta = {
      started: started.toISOString(),
      commit,
      minutes: Number(minutes),
      seconds,
      rates,
      columns,
      hostLoad: values['host-load'] ?? null,
      vmLoad,
      sysctl: Object.fromEntries(
        ['rmem_max', 'rmem_default', 'netdev_max_backlog'].map((k) => [k, Number(rmem(k))]),
      ),
      notes,
      failed,
    };
    writeFileSync(values.json, jsonReport(meta, all, summaries));
    progress(`json: ${values.json}`);
  }
  return failed.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
