/**
 * Receive and send throughput and CPU time per frame on a real kernel's vcan: our CanSocket vs the
 * npm `socketcan` package (4.0.7, as `npm install socketcan` gives it on Node 20; installed by this
 * script into .cache/socketcan-npm, never a dependency) vs can-utils candump/cangen (C).
 * On a host without CAN it prepares the scratch install and re-runs itself in the test VM.
 * Usage: npm run build && node dist/bench/socketcan-bench.js   (CMBTEST_BENCH_FRAMES, default 100000)
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, existsSync(resolve(here, '../../package.json')) ? '../..' : '..');
const npmDir = join(root, '.cache/socketcan-npm');
const workerJs = join(root, 'dist/bench/socketcan-bench-worker.js');
const FRAMES = Number(process.env.CMBTEST_BENCH_FRAMES ?? 100_000);
/** The current phase: frames per run and cangen's gap between frames (ms, 0 = flat out). */
let frames = FRAMES;
let gapMs = '0';
const NPM_VERSION = '4.0.7';

interface Row {
  name: string;
  frames: number;
  wallMs: number;
  cpuUs: number;
}

function ensureNpmSocketcan(): void {
  if (existsSync(join(npmDir, 'node_modules/socketcan/build/Release/can.node'))) return;
  mkdirSync(npmDir, { recursive: true });
  // npm 11 runs a dependency's install script only when allowScripts lists it.
  writeFileSync(
    join(npmDir, 'package.json'),
    JSON.stringify({
      name: 'socketcan-bench-scratch',
      private: true,
      allowScripts: { socketcan: true },
    }),
  );
  console.log(`bench: npm install socketcan@${NPM_VERSION} into ${npmDir}`);
  // Build against this Node's own headers: nothing is downloaded but the package itself.
  const nodedir = resolve(dirname(process.execPath), '..');
  execFileSync('npm', ['install', `socketcan@${NPM_VERSION}`, '--no-audit', '--no-fund'], {
    cwd: npmDir,
    stdio: 'inherit',
    env: { ...process.env, npm_config_nodedir: nodedir },
  });
}

function sh(cmd: string, args: string[]): void {
  execFileSync(cmd, args, { stdio: 'inherit' });
}

function addVcan(name: string): void {
  sh('ip', ['link', 'add', 'dev', name, 'type', 'vcan']);
  sh('ip', ['link', 'set', 'dev', name, 'mtu', '72', 'up']);
}

function delVcan(name: string): void {
  spawnSync('ip', ['link', 'del', 'dev', name]);
}

/** Starts a bench worker; resolves its result after `afterReady()` has run. */
function runWorker(mode: string, iface: string, afterReady: () => Promise<void>): Promise<Row> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [workerJs, mode, iface, String(frames), npmDir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    let started = false;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      if (!started && out.includes('ready\n')) {
        started = true;
        afterReady().catch(reject);
      }
    });
    child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (code !== 0 || line === undefined) {
        reject(new Error(`${mode} worker exited ${String(code)}: ${out}`));
        return;
      }
      resolvePromise({ name: mode, ...(JSON.parse(line) as Omit<Row, 'name'>) });
    });
  });
}

/** Runs a shell command line and returns its children's CPU time (bash `times`) and wall time. */
function timed(script: string): { cpuUs: number; wallMs: number } {
  const t0 = performance.now();
  const r = spawnSync('bash', ['-c', `${script}; times`], { encoding: 'utf8' });
  const wallMs = performance.now() - t0;
  const lines = r.stdout.trim().split('\n');
  const children = lines.at(-1) ?? '';
  const secs = [...children.matchAll(/(\d+)m([\d.]+)s/g)].map(
    (m) => Number(m[1]) * 60 + Number(m[2]),
  );
  return { cpuUs: Math.round(((secs[0] ?? 0) + (secs[1] ?? 0)) * 1e6), wallMs };
}

function cangenArgs(iface: string): string {
  // -g: gap (0 = none); -p 10: poll on ENOBUFS instead of failing; fixed id and length, counting data.
  return `cangen ${iface} -g ${gapMs} -n ${frames} -I 123 -L 8 -D i -p 10`;
}

async function pause(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

async function receiveRows(): Promise<Row[]> {
  const rows: Row[] = [];
  for (const [name, mode] of [
    ['CanSocket (ours), default SO_RCVBUF', 'rx-ours'],
    [`npm socketcan ${NPM_VERSION}`, 'rx-npm'],
    ['CanSocket (ours), SO_RCVBUF 4 MiB', 'rx-ours-4m'],
  ] as const) {
    const iface = `vbr${process.pid % 10000}${rows.length}`;
    addVcan(iface);
    try {
      const row = await runWorker(mode, iface, async () => {
        await pause(500);
        timed(cangenArgs(iface));
      });
      rows.push({ ...row, name });
    } finally {
      delVcan(iface);
    }
  }
  const iface = `vbr${process.pid % 10000}c`;
  addVcan(iface);
  try {
    const out = `/tmp/candump-${process.pid}.log`;
    const dump = new Promise<{ cpuUs: number; wallMs: number }>((res) =>
      setImmediate(() => res(timed(`candump -L -n ${frames} -T 5000 ${iface} > ${out}`))),
    );
    // timed() is synchronous: run the generator from a second shell started just before.
    const gen = spawn('bash', ['-c', `sleep 1; ${cangenArgs(iface)}`], { stdio: 'ignore' });
    const t = await dump;
    await new Promise((r) => gen.on('exit', r));
    const got = readFileSync(out, 'utf8')
      .split('\n')
      .filter((l) => l.length > 0).length;
    // candump -L formats and writes every frame (to a file in the guest's tmpfs).
    // Wall: from the generator's start (after its 1 s sleep) until candump has all frames.
    rows.push({
      name: 'candump (C)',
      frames: got,
      // Short of all frames, candump ended after -T 5000 ms without any.
      wallMs: Math.max(1, t.wallMs - 1000 - (got < frames ? 5000 : 0)),
      cpuUs: t.cpuUs,
    });
  } finally {
    delVcan(iface);
  }
  return rows;
}

async function sendRows(): Promise<Row[]> {
  const rows: Row[] = [];
  for (const [name, mode] of [
    ['CanSocket (ours)', 'tx-ours'],
    [`npm socketcan ${NPM_VERSION}`, 'tx-npm'],
  ] as const) {
    const iface = `vbt${process.pid % 10000}${rows.length}`;
    addVcan(iface);
    try {
      rows.push({ ...(await runWorker(mode, iface, () => Promise.resolve())), name });
    } finally {
      delVcan(iface);
    }
  }
  const iface = `vbt${process.pid % 10000}c`;
  addVcan(iface);
  try {
    const t = timed(cangenArgs(iface));
    rows.push({ name: 'cangen (C)', frames, ...t });
  } finally {
    delVcan(iface);
  }
  return rows;
}

function table(title: string, rows: Row[]): void {
  console.log(`\n${title} (${frames} frames, classic 8-byte, cangen -g ${gapMs})`);
  console.log(
    '| implementation | frames | lost | frames/s (wall) | CPU µs/frame | frames/s per CPU-second |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows) {
    const perFrame = r.cpuUs / Math.max(1, r.frames);
    console.log(
      `| ${r.name} | ${r.frames} | ${frames - r.frames} | ${Math.round((r.frames / r.wallMs) * 1000)} | ${perFrame.toFixed(2)} | ${Math.round(1e6 / perFrame)} |`,
    );
  }
  const [ours, npm] = rows;
  const c = rows.find((r) => r.name.includes('(C)'));
  if (ours === undefined || npm === undefined || c === undefined) return;
  const per = (r: Row): number => r.cpuUs / Math.max(1, r.frames);
  console.log(
    `ratios (CPU per frame): npm socketcan / ours = ${(per(npm) / per(ours)).toFixed(2)}x; ours / ${c.name} = ${(per(ours) / per(c)).toFixed(2)}x`,
  );
}

async function main(): Promise<void> {
  if (process.env.CMBTEST_IN_VM !== '1' && !existsSync('/proc/net/can/version')) {
    ensureNpmSocketcan();
    const r = spawnSync(
      join(root, 'test/vm/run.sh'),
      [
        '--timeout',
        '900',
        '--env',
        'CMBTEST_BENCH_FRAMES',
        '--',
        process.execPath,
        fileURLToPath(import.meta.url),
      ],
      {
        stdio: 'inherit',
        cwd: root,
      },
    );
    process.exit(r.status ?? 1);
  }
  ensureNpmSocketcan();
  const t0 = performance.now();
  table('receive, flat out', await receiveRows());
  // Paced below every receiver's capacity: nothing should be lost.
  frames = Math.round(FRAMES / 5);
  gapMs = '0.2';
  table('receive, paced', await receiveRows());
  frames = FRAMES;
  gapMs = '0';
  table('send', await sendRows());
  console.log(
    `\nbench: ${((performance.now() - t0) / 1000).toFixed(1)} s inside ${process.env.CMBTEST_IN_VM === '1' ? 'the test VM (emulated CPU)' : 'this kernel'}`,
  );
}

await main();
