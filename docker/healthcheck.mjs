#!/usr/bin/env node
// The container's HEALTHCHECK: is the bridge in this container healthy? Exit 0 yes, 1 no, with one
// line saying why. It asks what the daemon itself was started with (its command line in
// /proc/<pid>/cmdline, PID 1 by default, `--pid N` otherwise), loads that configuration with
// `can-multicast-bridge check-config` (same file, CMB_* variables and options), then:
//   - metrics.enabled: GET http://<metrics.host>:<metrics.port>/healthz must answer 200;
//   - otherwise: the CAN interface must exist and be up (/sys/class/net/<iface>/operstate "up",
//     or "unknown" as virtual interfaces report, and IFF_UP in flags), as the bridge needs it.
// It does not see frames flow; enable metrics for a check of both sides.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '../bin/can-multicast-bridge');
const IFF_UP = 0x1; // linux/if.h

function fail(why) {
  console.log(`unhealthy: ${why}`);
  process.exit(1);
}

const pidAt = process.argv.indexOf('--pid');
const pid = pidAt >= 0 ? process.argv[pidAt + 1] : '1';
let args;
try {
  args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, -1);
} catch (err) {
  fail(`no daemon process ${pid}: ${err.code}`);
}
const run = args.indexOf('run');
if (run < 0) fail(`process ${pid} is not \`can-multicast-bridge run\`: ${args.join(' ')}`);

let config;
try {
  const out = execFileSync(process.execPath, [BIN, 'check-config', ...args.slice(run + 1)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 20_000,
  });
  config = JSON.parse(out);
} catch (err) {
  fail(`check-config: ${String(err.stderr ?? err.message).trim()}`);
}

if (config.metrics.enabled) {
  const host = config.metrics.host.includes(':') ? `[${config.metrics.host}]` : config.metrics.host;
  const url = `http://${host}:${config.metrics.port}/healthz`;
  try {
    const res = await globalThis.fetch(url, { signal: globalThis.AbortSignal.timeout(5000) });
    if (res.status !== 200) fail(`${url} answered ${res.status}: ${(await res.text()).trim()}`);
  } catch (err) {
    fail(`${url}: ${err.cause?.code ?? err.message}`);
  }
  console.log(`healthy: ${url} answered 200`);
} else {
  const iface = config.can.interface;
  let operstate;
  let flags;
  try {
    operstate = readFileSync(`/sys/class/net/${iface}/operstate`, 'utf8').trim();
    flags = Number(readFileSync(`/sys/class/net/${iface}/flags`, 'utf8').trim());
  } catch (err) {
    fail(`CAN interface ${iface}: ${err.code === 'ENOENT' ? 'no such interface' : err.code}`);
  }
  if ((flags & IFF_UP) === 0 || !['up', 'unknown'].includes(operstate))
    fail(`CAN interface ${iface} is ${operstate}`);
  console.log(`healthy: CAN interface ${iface} is ${operstate}`);
}
