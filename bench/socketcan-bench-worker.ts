/**
 * One side of bench/socketcan-bench.ts, in its own process so its CPU time is its own (all
 * threads: npm `socketcan` reads on a thread of its own). Prints "ready", then one JSON result.
 * Usage: node dist/bench/socketcan-bench-worker.js <rx-ours|rx-ours-4m|rx-npm|tx-ours|tx-npm> <iface> <frames> [npm dir]
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { makeFrame } from '../src/frame.js';
import { CanSocket } from '../src/socketcan/can-socket.js';

interface NpmChannel {
  addListener(event: 'onMessage', fn: (msg: unknown) => void): void;
  start(): void;
  stop(): void;
  send(msg: { id: number; ext: boolean; rtr: boolean; data: Buffer }): void;
}

interface WorkerResult {
  frames: number;
  /** Wall time from the first to the last frame (rx) or of the whole send loop (tx), ms. */
  wallMs: number;
  /** User + system CPU time of this process over the same span, microseconds. */
  cpuUs: number;
}

const [mode = '', iface = 'vcan0', countText = '0', npmDir = ''] = process.argv.slice(2);
const total = Number(countText);
const IDLE_MS = 3000;

function cpuUs(since: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(since);
  return d.user + d.system;
}

function npmSocketcan(): { createRawChannel(iface: string, timestamps?: boolean): NpmChannel } {
  return createRequire(join(npmDir, 'package.json'))('socketcan') as {
    createRawChannel(iface: string, timestamps?: boolean): NpmChannel;
  };
}

function finish(result: WorkerResult): never {
  console.log(JSON.stringify(result));
  process.exit(0);
}

/** Counts frames until `total` or IDLE_MS without any; CPU measured from the first frame. */
function receiver(subscribe: (onFrames: (n: number) => void) => void): void {
  let got = 0;
  let first = 0;
  let last = 0;
  let cpu0 = process.cpuUsage();
  let idle: NodeJS.Timeout | undefined;
  const done = (): void => finish({ frames: got, wallMs: last - first, cpuUs: cpuUs(cpu0) });
  subscribe((n) => {
    const now = performance.now();
    if (got === 0) {
      first = now;
      cpu0 = process.cpuUsage();
    }
    got += n;
    last = now;
    if (got >= total) done();
    if (idle !== undefined) idle.refresh();
    else idle = setTimeout(done, IDLE_MS);
  });
  console.log('ready');
}

const frame = makeFrame({ arbitrationId: 0x123, isExtendedId: false, data: new Uint8Array(8) });

switch (mode) {
  case 'rx-ours':
  case 'rx-ours-4m': {
    const sock = new CanSocket({
      interface: iface,
      rxBatchSize: 64,
      // The kernel's default buffer, as npm socketcan gets; or 4 MiB.
      receiveBufferBytes: mode === 'rx-ours-4m' ? 4 << 20 : 0,
    });
    await sock.start();
    receiver((on) => sock.on('frames', (f) => on(f.length)));
    break;
  }
  case 'rx-npm': {
    const ch = npmSocketcan().createRawChannel(iface, true);
    receiver((on) => ch.addListener('onMessage', () => on(1)));
    ch.start();
    break;
  }
  case 'tx-ours': {
    const sock = new CanSocket({ interface: iface, txQueueLimit: total, txMaxAgeMs: 0 });
    await sock.start();
    console.log('ready');
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < total; i++) sock.send(frame);
    const check = (): void => {
      if (sock.counters.txFrames + sock.counters.txDropped.rejected >= total) {
        finish({
          frames: sock.counters.txFrames,
          wallMs: performance.now() - t0,
          cpuUs: cpuUs(cpu0),
        });
      }
      setImmediate(check);
    };
    setImmediate(check);
    break;
  }
  case 'tx-npm': {
    const ch = npmSocketcan().createRawChannel(iface, false);
    ch.start();
    console.log('ready');
    const data = Buffer.alloc(8);
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    let sent = 0;
    for (let i = 0; i < total; i++) {
      try {
        ch.send({ id: 0x123, ext: false, rtr: false, data });
        sent++;
      } catch {
        // Counted as not sent.
      }
    }
    finish({ frames: sent, wallMs: performance.now() - t0, cpuUs: cpuUs(cpu0) });
    break;
  }
  default:
    console.error(`unknown mode ${mode}`);
    process.exit(2);
}
