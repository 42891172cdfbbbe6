/**
 * `CanSocket` as a library on a real kernel (issue 13 §2), through the addon on vcan: open by
 * name, `for await` over received frames (ends on close), `write()` promises under a full TX path
 * (a `tc` rate limit, as can-socket-tx-full.test.ts), 'drain' after a full queue, kernel filters,
 * CAN FD with BRS/ESI, kernel receive timestamps, interface state events, and README.md's
 * "SocketCAN in Node" example run as written.
 * Run it: flock /tmp/cmb-vm.lock node scripts/test-can.mjs test/can/can-socket-api.test.ts
 */
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readmeRecipe, REPO_ROOT } from '../support/readme-recipe.js';
import type { CanFrame } from '../../src/frame.js';
import { makeFrame } from '../../src/frame.js';
import type { CanStateChange } from '../../src/socketcan/can-socket-like.js';
import type { CanSocketOptions } from '../../src/socketcan/can-socket-options.js';
import { CanSocket } from '../../src/socketcan/can-socket.js';
import { CanTxDropError } from '../../src/socketcan/can-tx-drop-error.js';
import { CAN_EFF_FLAG, CAN_EFF_MASK, CAN_SFF_MASK } from '../../src/can/linux-can.js';
import { addVcan, delLink, execFileP, ip, skipReason, uniqueIfname } from './can-helpers.js';

const skip = skipReason();

function std(id: number, data: number[] = [id & 0xff]): CanFrame {
  return makeFrame({ arbitrationId: id, isExtendedId: false, data: Uint8Array.from(data) });
}

/** The first `n` frames of the socket's async iterator (a fresh iterator, opened now). */
async function take(sock: CanSocket, n: number): Promise<CanFrame[]> {
  const got: CanFrame[] = [];
  if (n === 0) return got;
  for await (const f of sock) {
    got.push(f);
    if (got.length >= n) break;
  }
  return got;
}

/** Rejects after `ms`: a hung iterator fails the test instead of the whole run. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([
    p,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms).unref(),
    ),
  ]);
}

/** A 20 kbit/s token bucket (tc tbf) on `name`'s TX path: the kernel pushes back (ENOBUFS). */
async function slowTx(name: string): Promise<void> {
  const tbf = ['rate', '20kbit', 'burst', '200', 'limit', '200'];
  await execFileP('tc', ['qdisc', 'add', 'dev', name, 'root', 'tbf', ...tbf]);
}

describe.skipIf(skip !== null)('CanSocket as a library (real vcan)', () => {
  const ifaces: string[] = [];
  const sockets: CanSocket[] = [];

  afterAll(async () => {
    for (const s of sockets) s.destroy();
    for (const i of ifaces) await delLink(i);
  });

  async function vcan(tag: string, mtu = 72): Promise<string> {
    const name = uniqueIfname(tag);
    ifaces.push(name);
    await addVcan(name, mtu);
    return name;
  }

  async function open(name: string, options: Omit<CanSocketOptions, 'interface'> = {}) {
    const s = await CanSocket.open(name, { interfacePollMs: 200, ...options });
    sockets.push(s);
    return s;
  }

  it('for await yields what another socket wrote, with kernel timestamps, and ends on close()', async () => {
    const name = await vcan('ai');
    const rx = await open(name);
    const tx = await open(name);
    const before = Date.now() / 1000;
    const got: CanFrame[] = [];
    const loop = (async () => {
      for await (const f of rx) got.push(f);
      return 'ended';
    })();
    await Promise.all([1, 2, 3].map((i) => tx.write(std(0x100 + i))));
    const deadline = Date.now() + 20_000;
    while (got.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const after = Date.now() / 1000;
    await rx.close();
    await expect(within(loop, 10_000, 'the iterator to end')).resolves.toBe('ended');
    expect(got.map((f) => f.arbitrationId)).toEqual([0x101, 0x102, 0x103]);
    expect(got.every((f) => f.channel === name)).toBe(true);
    // SO_TIMESTAMPNS: the kernel's receive time, between our clock readings (1 ms of slack for
    // Date.now()'s millisecond resolution), in order, with sub-millisecond digits.
    for (const f of got) {
      expect(f.timestamp).toBeGreaterThanOrEqual(before - 0.001);
      expect(f.timestamp).toBeLessThanOrEqual(after + 0.001);
    }
    expect(got.map((f) => f.timestamp)).toEqual(
      [...got.map((f) => f.timestamp)].sort((a, b) => a - b),
    );
    expect(got.some((f) => Math.round(f.timestamp * 1e6) % 1000 !== 0)).toBe(true);
  });

  it('kernel filters pass only the matching ids (standard, extended, inverted)', async () => {
    const name = await vcan('af');
    const rx = await open(name, {
      filters: [
        { id: 0x123, mask: CAN_SFF_MASK | CAN_EFF_FLAG },
        { id: (CAN_EFF_FLAG | 0x1abcd) >>> 0, mask: (CAN_EFF_FLAG | CAN_EFF_MASK) >>> 0 },
      ],
    });
    const notSeven = await open(name, { filters: [{ id: 0x700, mask: 0x700, inverted: true }] });
    const tx = await open(name);
    const got = within(take(rx, 2), 20_000, 'filtered frames');
    const others = within(take(notSeven, 2), 20_000, 'inverted-filter frames');
    const ext = makeFrame({ arbitrationId: 0x1abcd, isExtendedId: true, data: Uint8Array.of(9) });
    for (const f of [
      std(0x124),
      std(0x723),
      std(0x123),
      makeFrame({ ...ext, arbitrationId: 0x1abce }),
      ext,
    ]) {
      await tx.write(f);
    }
    expect((await got).map((f) => [f.arbitrationId, f.isExtendedId])).toEqual([
      [0x123, false],
      [0x1abcd, true],
    ]);
    expect((await others).map((f) => f.arbitrationId)).toEqual([0x124, 0x123]);
  });

  it('carries CAN FD with BRS and ESI on an FD socket; a classic socket refuses FD with a coded error', async () => {
    const name = await vcan('ad');
    const rx = await open(name, { fd: true });
    const tx = await open(name, { fd: true });
    const classic = await open(name);
    expect([tx.fdCapable, tx.mtu, classic.fdCapable]).toEqual([true, 72, false]);
    const fd = makeFrame({
      arbitrationId: 0x321,
      isExtendedId: false,
      isFd: true,
      bitrateSwitch: true,
      errorStateIndicator: true,
      data: Uint8Array.from({ length: 64 }, (_, i) => i),
    });
    const got = within(take(rx, 1), 20_000, 'the FD frame');
    await tx.write(fd);
    const [f] = await got;
    expect(f).toMatchObject({
      isFd: true,
      bitrateSwitch: true,
      errorStateIndicator: true,
      dlc: 64,
    });
    expect(f?.data).toEqual(fd.data);
    const err = await classic.write(fd).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CanTxDropError);
    expect(err).toMatchObject({
      code: 'ERR_CAN_TX_DROPPED',
      reason: 'fd_unsupported',
      cause: { code: 'ERR_CAN_FD_UNSUPPORTED' },
    });
  });

  it('write() promises wait out a full TX path (tc tbf: ENOBUFS), all settle in order, no loss', async () => {
    const name = await vcan('aw');
    await slowTx(name);
    const total = 200;
    const tx = await open(name, { txQueueLimit: total, txMaxAgeMs: 0 });
    const rx = await open(name);
    const got = within(take(rx, total), 90_000, 'all frames');
    const settled: number[] = [];
    const writes = Array.from({ length: total }, (_, i) =>
      tx.write(std(0x200, [i >> 8, i & 0xff])).then(() => settled.push(i)),
    );
    // The kernel pushes back: some writes are still pending after the first turn.
    await new Promise((r) => setTimeout(r, 50));
    expect(settled.length).toBeLessThan(total);
    await within(Promise.all(writes), 90_000, 'the writes');
    expect(settled).toEqual(Array.from({ length: total }, (_, i) => i));
    const frames = await got;
    expect(frames.map((f) => ((f.data[0] ?? 0) << 8) | (f.data[1] ?? 0))).toEqual(settled);
    const c = tx.counters;
    expect(c.txBackoffs).toBeGreaterThan(0);
    expect(c).toMatchObject({ txFrames: total, txQueued: 0 });
    console.log(
      `write() under tbf: ${JSON.stringify({ backoffs: c.txBackoffs, batches: c.txBatches })}`,
    );
  });

  it("a full queue rejects write() as queue_full at once, and 'drain' says when to go on", async () => {
    const name = await vcan('aq');
    await slowTx(name);
    const tx = await open(name, { txQueueLimit: 20, txMaxAgeMs: 0 });
    const writes = Array.from({ length: 30 }, (_, i) => tx.write(std(0x300, [i])));
    const results = await Promise.allSettled(writes.slice(20));
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    expect((results[0] as PromiseRejectedResult).reason).toMatchObject({
      code: 'ERR_CAN_TX_DROPPED',
      reason: 'queue_full',
    });
    await within(new Promise<void>((r) => tx.once('drain', r)), 60_000, "'drain'");
    expect(tx.counters).toMatchObject({ txFrames: 20, txQueued: 0, txDropped: { queue_full: 10 } });
    await expect(Promise.all(writes.slice(0, 20))).resolves.toHaveLength(20);
    await expect(tx.write(std(0x301))).resolves.toBeUndefined();
  });

  it('reports down and up as state events; the same iterator goes on receiving after up', async () => {
    const name = await vcan('as');
    const rx = await open(name);
    const states: CanStateChange[] = [];
    rx.on('state', (s) => states.push(s));
    const it = rx.frames();
    await ip('link', 'set', 'dev', name, 'down');
    let deadline = Date.now() + 20_000;
    while (rx.state !== 'down' && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    expect(rx.state).toBe('down');
    await ip('link', 'set', 'dev', name, 'up');
    deadline = Date.now() + 20_000;
    while (rx.state !== 'up' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(states).toEqual(['down', 'up']);
    const tx = await open(name);
    await tx.write(std(0x444));
    const next = await within(it.next(), 20_000, 'a frame after up');
    expect(next.done === true ? null : next.value.arbitrationId).toBe(0x444);
    await rx.close();
    await expect(within(it.next(), 10_000, 'the end')).resolves.toEqual({
      value: undefined,
      done: true,
    });
  });

  it('runs the README example ("SocketCAN in Node") as written, on vcan0', async () => {
    // Inside the package (dist/), so `can-multicast-bridge/socketcan` resolves to this tree's
    // build through its own "exports" (Node's package self-reference); the code is plain JS.
    const file = join(REPO_ROOT, 'dist', `readme-socketcan-${process.pid}.mjs`);
    writeFileSync(file, readmeRecipe('socketcan-in-node'));
    const tx = await open('vcan0');
    try {
      const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      // The example ends on `123#FF`: send it until it has (its start-up takes a while here).
      let running = true;
      void exited.then(() => (running = false));
      const deadline = Date.now() + 60_000;
      while (running && Date.now() < deadline) {
        await tx.write(std(0x124, [0xff])); // filtered out by the example's kernel filter
        await tx.write(std(0x123, [0xff]));
        await new Promise((r) => setTimeout(r, 300));
      }
      if (running) child.kill('SIGKILL');
      expect(await exited, `stdout: ${out}\nstderr: ${err}`).toBe(0);
      expect(err).toBe('');
      const lines = out.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^\d{10}\.\d+ 123 Uint8Array\(1\) \[ 255 \]$/);
    } finally {
      rmSync(file, { force: true });
    }
  });
});
