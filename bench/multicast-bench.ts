/**
 * Multicast receive benchmark: our `MulticastBus` vs python-can 4.1's `UdpMulticastBus` receiving
 * the same paced stream at 10k, 20k and 40k frames/s, then our endpoint's memory over a million
 * frames. Runs in two network namespaces it creates (sender in one, both receivers in the other,
 * joined by a veth pair); needs root, python3-can and `npm run build`.
 *
 *   node dist/bench/multicast-bench.js [--rates 10000,20000,40000] [--seconds 3] [--million 1000000]
 *     [--million-rate 40000] [--group 239.74.163.2] [--nice -10]
 *
 * --nice runs the sender and both receivers at that nice level, to shield the comparison from
 * other work on a busy host (all three get the same priority).
 *
 * Each receiver keeps its default receive buffer: ours asks for 8 MiB (the kernel grants up to
 * net.core.rmem_max, printed), python-can takes the kernel default (net.core.rmem_default).
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { makeFrame } from '../src/frame.js';
import { DEFAULT_GROUP_IPV4 } from '../src/multicast/defaults.js';
import { encodeFrame } from '../src/protocol/encode-frame.js';
import { JsonLinesPeer } from '../test/support/json-lines-peer.js';
import type { PeerEvent } from '../test/support/json-lines-peer.js';
import { NetnsLab, isRoot } from '../test/support/netns.js';

const PYTHON = '/usr/bin/python3';
const SENDER = fileURLToPath(new URL('./multicast-sender.js', import.meta.url));
const NODE_PEER = fileURLToPath(new URL('../test/fixtures/multicast-peer.js', import.meta.url));
const PYTHON_PEER = fileURLToPath(
  new URL('../../test/fixtures/python-can-peer.py', import.meta.url),
);

interface NodeStats {
  stats: { received: number; datagrams: number; dropped: Record<string, number> };
  memory: NodeJS.MemoryUsage;
  cpu: NodeJS.CpuUsage;
  firstAt: number;
  lastAt: number;
}

const { values } = parseArgs({
  options: {
    rates: { type: 'string', default: '10000,20000,40000' },
    seconds: { type: 'string', default: '3' },
    million: { type: 'string', default: '1000000' },
    'million-rate': { type: 'string', default: '40000' },
    group: { type: 'string', default: DEFAULT_GROUP_IPV4 },
    nice: { type: 'string', default: '0' },
  },
});
const rates = values.rates.split(',').map(Number);
const seconds = Number(values.seconds);
const millionCount = Number(values.million);
const group = values.group;
const nice = Number(values.nice);

/** `command args` under `nice -n N` when --nice is given (the same for all three processes). */
function niced(command: string, args: string[]): [string, string[]] {
  return nice === 0 ? [command, args] : ['nice', ['-n', String(nice), command, ...args]];
}

function readSysctl(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '?';
  }
}

async function stats(peer: JsonLinesPeer, reset: boolean): Promise<NodeStats> {
  const from = peer.events.length;
  peer.command({ cmd: 'stats', reset });
  return (await peer.waitFor('stats', { from })) as unknown as NodeStats;
}

function pct(lost: number, offered: number): string {
  return `${((100 * lost) / offered).toFixed(2)}%`;
}

function k(n: number): string {
  return `${(n / 1000).toFixed(1)}k`;
}

function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows
    .map((r, i) => {
      const line = r.map((cell, c) => cell.padStart(widths[c] ?? 0)).join(' | ');
      return i === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('-|-')}` : line;
    })
    .join('\n');
}

async function main(): Promise<void> {
  if (!isRoot()) {
    console.log('multicast-bench: skipped, needs root (network namespaces)');
    return;
  }
  const lab = new NetnsLab('mcb');
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      lab.destroySync();
      process.exit(130);
    });
  }
  const peers: JsonLinesPeer[] = [];
  try {
    const rx = await lab.createNamespace();
    const tx = await lab.createNamespace();
    const [ifRx, ifTx] = await lab.addVethPair(
      rx,
      { ipv4: '10.78.0.1/24', ipv6: 'fd78::1/64' },
      tx,
      { ipv4: '10.78.0.2/24', ipv6: 'fd78::2/64' },
    );
    const start = async (p: JsonLinesPeer): Promise<JsonLinesPeer> => {
      peers.push(p);
      await p.waitFor('ready');
      return p;
    };
    const datagram = encodeFrame(
      makeFrame({
        timestamp: 1700000000.5,
        arbitrationId: 0x123,
        isExtendedId: false,
        data: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8),
        channel: 'vcan0',
      }),
    );
    const nodeOpts = (iface: string, quiet: boolean): string =>
      JSON.stringify({ group, interface: iface, quiet });
    const [ours, python] = await Promise.all([
      start(
        new JsonLinesPeer(
          'ours',
          lab.spawn(rx, ...niced(process.execPath, [NODE_PEER, nodeOpts(ifRx, true)])),
        ),
      ),
      start(
        new JsonLinesPeer(
          'python-can',
          lab.spawn(rx, ...niced(PYTHON, [PYTHON_PEER, '--group', group])),
        ),
      ),
    ]);
    /** Runs the paced sender in the other namespace to completion. */
    const send = async (
      rate: number,
      count: number,
    ): Promise<{ sent: number; seconds: number }> => {
      const opts = {
        group,
        port: 43113,
        iface: group.includes(':') ? `::%${ifTx}` : '10.78.0.2',
        rate,
        count,
        datagram: datagram.toString('hex'),
      };
      const res = await lab.run(tx, ...niced(process.execPath, [SENDER, JSON.stringify(opts)]), {
        timeoutMs: (count / rate) * 4000 + 30_000,
      });
      if (res.code !== 0) throw new Error(`sender failed: ${res.stderr}`);
      return JSON.parse(res.stdout) as { sent: number; seconds: number };
    };
    const info = ours.events[0]?.info as { receiveBufferBytes: number } | undefined;
    console.log(
      `multicast receive benchmark: group ${group}, 8-byte classic frames, sender (bench/multicast-sender.ts) paced in another netns over veth; ` +
        `receive buffers: ours ${mib(info?.receiveBufferBytes ?? 0)} (asked 8 MiB; net.core.rmem_max ${readSysctl('/proc/sys/net/core/rmem_max')}), ` +
        `python-can default ${readSysctl('/proc/sys/net/core/rmem_default')} bytes`,
    );

    const rows: string[][] = [
      [
        'offered/s',
        'sent at/s',
        'frames',
        'ours recv',
        'ours loss',
        'ours rx/s',
        'python recv',
        'python loss',
        'python rx/s',
        'delivered ours/python',
        'CPU/frame ours',
        'CPU/frame python',
        'CPU python/ours',
      ],
    ];
    for (const rate of rates) {
      const count = Math.round(rate * seconds);
      const o0 = await stats(ours, true);
      const pyFrom = python.events.length;
      python.command({ cmd: 'recv', count, timeout: 1.5, quiet: true });
      await python.waitFor('receiving', { from: pyFrom });
      const sent = await send(rate, count);
      const py = (await python.waitFor('received', {
        from: pyFrom,
        timeoutMs: 30_000,
      })) as PeerEvent & {
        count: number;
        seconds: number;
        cpu_seconds: number;
      };
      const o = await stats(ours, true);
      const ourCount = o.stats.received - o0.stats.received;
      const ourSpan = o.lastAt - o.firstAt;
      // CPU time per received frame: what each receiver costs, whatever else the host runs.
      const ourCpuUs =
        (o.cpu.user + o.cpu.system - o0.cpu.user - o0.cpu.system) / Math.max(ourCount, 1);
      const pyCpuUs = (py.cpu_seconds * 1e6) / Math.max(py.count, 1);
      rows.push([
        k(rate),
        k(sent.sent / sent.seconds),
        String(sent.sent),
        String(ourCount),
        pct(sent.sent - ourCount, sent.sent),
        k(ourCount / (ourSpan || 1)),
        String(py.count),
        pct(sent.sent - py.count, sent.sent),
        k(py.count / (py.seconds || 1)),
        `${(ourCount / Math.max(py.count, 1)).toFixed(2)}x`,
        `${ourCpuUs.toFixed(1)} us`,
        `${pyCpuUs.toFixed(1)} us`,
        `${(pyCpuUs / ourCpuUs).toFixed(2)}x`,
      ]);
    }
    console.log('\n' + table(rows));
    console.log(
      `nice ${nice}; load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')} on ${cpus().length} CPUs (other work on the host skews both receivers)`,
    );

    // Memory over a million frames: python-can off, our receiver alone, sampled every ~second.
    await python.quit();
    const memRate = Number(values['million-rate']);
    const before = await stats(ours, true);
    const samples: string[][] = [['received', 'rss', 'heap used', 'external']];
    const base = before.stats.received;
    let last = before;
    samples.push([
      '0',
      mib(before.memory.rss),
      mib(before.memory.heapUsed),
      mib(before.memory.external),
    ]);
    const done = send(memRate, millionCount);
    let finished = false;
    void done.then(() => (finished = true));
    let nextSample = 100_000;
    const heap: number[] = [];
    while (!finished) {
      await new Promise((r) => setTimeout(r, 500));
      last = await stats(ours, false);
      const n = last.stats.received - base;
      if (n >= nextSample) {
        samples.push([
          String(n),
          mib(last.memory.rss),
          mib(last.memory.heapUsed),
          mib(last.memory.external),
        ]);
        heap.push(last.memory.heapUsed);
        nextSample += 100_000;
      }
    }
    const memSent = await done;
    await new Promise((r) => setTimeout(r, 500));
    last = await stats(ours, false);
    const n = last.stats.received - base;
    samples.push([
      `${n} (end)`,
      mib(last.memory.rss),
      mib(last.memory.heapUsed),
      mib(last.memory.external),
    ]);
    console.log(
      `\nour receiver over ${millionCount} frames offered at ${k(memRate)}/s (sent at ${k(memSent.sent / memSent.seconds)}/s): received ${n} (${pct(millionCount - n, millionCount)} lost)`,
    );
    console.log(table(samples));
    if (heap.length >= 3) {
      const after = heap.slice(1);
      console.log(
        `heap used after the first 100k: min ${mib(Math.min(...after))}, max ${mib(Math.max(...after))}`,
      );
    }
  } finally {
    await Promise.all(peers.map((p) => p.quit().catch(() => undefined)));
    await lab.destroy();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
