#!/usr/bin/env node
// `npm run soak -- --minutes N [--rate R] [--interval S] [--max-rss-growth-mib M] [--json]`:
// the soak run (bench/soak.ts, issue 5 §6) against a real kernel: natively when this process is
// root and the kernel can create a vcan, otherwise inside the QEMU test VM (test/vm/run.sh).
// Builds dist/ first when the sources are newer. Exit status: the soak's (0 pass, 1 loss /
// duplicates / RSS growth, 2 could not run), 124/125 when the VM timed out or failed.
import { buildIfStale } from './dist-stale.mjs';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
const args = process.argv.slice(2);
const say = (msg) => console.log(`soak: ${msg}`);

function minutesArg() {
  const i = args.indexOf('--minutes');
  const v = i >= 0 ? Number(args[i + 1]) : 1;
  return Number.isFinite(v) && v > 0 ? v : 1;
}

function canRunNative() {
  if (process.env.CMBTEST_IN_VM === '1') return true;
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  const probe = `cmbs${process.pid % 100000}`;
  const add = spawnSync('ip', ['link', 'add', probe, 'type', 'vcan'], { stdio: 'ignore' });
  if (add.status !== 0) return false;
  spawnSync('ip', ['link', 'del', probe], { stdio: 'ignore' });
  return true;
}

function run(cmd, cmdArgs) {
  return new Promise((resolve) => {
    const child = spawn(cmd, cmdArgs, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
    const forward = (sig) => () => child.kill(sig);
    process.on('SIGINT', forward('SIGINT'));
    process.on('SIGTERM', forward('SIGTERM'));
    child.on('error', (err) => {
      say(`cannot run ${cmd}: ${err.message}`);
      resolve(2);
    });
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

if (!buildIfStale(root, { marker: join('dist', 'bench', 'soak.js'), say })) process.exit(2);
const soak = join('dist', 'bench', 'soak.js');
let status;
if (canRunNative()) {
  status = await run(process.execPath, [soak, ...args]);
} else {
  // Setup, boot and start-up take minutes on a loaded machine: a generous margin.
  const timeout = String(Math.ceil(minutesArg() * 60 + 900));
  say(`running in the QEMU test VM (no vcan here, or not root); VM timeout ${timeout} s`);
  status = await run('bash', [
    join(root, 'test/vm/run.sh'),
    '--timeout',
    timeout,
    '--',
    process.execPath,
    soak,
    ...args,
  ]);
}
process.exit(status);
