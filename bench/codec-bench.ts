/**
 * Codec speed: our encodeFrame / decodeDatagram vs python-can's pack_message /
 * unpack_message(check=True), measured in the same run on the same frame. Prints a table with
 * ratios. Run: `node dist/bench/codec-bench.js [seconds]` (or `npm run bench`).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { makeFrame } from '../src/frame.js';
import { decodeDatagram } from '../src/protocol/decode-datagram.js';
import { encodeFrame, encodeFrameInto } from '../src/protocol/encode-frame.js';
import { MAX_DATAGRAM_BYTES } from '../src/protocol/wire-keys.js';

const seconds = Number(process.argv[2] ?? '1');

const frames = {
  'classic 8 B': makeFrame({
    timestamp: 1700000000.123456,
    arbitrationId: 0x123,
    isExtendedId: false,
    data: Uint8Array.from([0, 1, 2, 3, 4, 5, 6, 7]),
    channel: 'vcan0',
  }),
  'FD 64 B': makeFrame({
    timestamp: 1700000000.123456,
    arbitrationId: 0x1abcdef,
    isFd: true,
    bitrateSwitch: true,
    data: new Uint8Array(64).fill(7),
    channel: 'vcan0',
  }),
};

function rate(fn: () => unknown): number {
  // Warm up so the JIT has compiled the path, then measure in batches of 10k.
  for (let i = 0; i < 200_000; i++) fn();
  let n = 0;
  let sink = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(seconds * 1e9));
  for (;;) {
    for (let i = 0; i < 10_000; i++) sink += fn() === null ? 1 : 0;
    n += 10_000;
    const now = process.hrtime.bigint();
    if (now >= deadline) {
      if (sink < 0) console.log(sink); // keeps the calls from being optimised away
      return (n / Number(now - start)) * 1e9;
    }
  }
}

function python(): { pack_per_s: number; unpack_per_s: number } | null {
  const script = fileURLToPath(new URL('../../bench/python_codec_bench.py', import.meta.url));
  const res = spawnSync('/usr/bin/python3', [script, String(seconds)], { encoding: 'utf8' });
  if (res.status !== 0) {
    console.log(`python-can not measured: ${res.stderr.trim() || res.error?.message}`);
    return null;
  }
  return JSON.parse(res.stdout) as { pack_per_s: number; unpack_per_s: number };
}

const fmt = (n: number) => `${(n / 1000).toFixed(0)}k/s`;
const py = python();
console.log(`codec benchmark (${seconds} s per measure, Node ${process.version})`);
console.log('| frame | operation | ours | python-can 4.1 | ratio |');
console.log('|---|---|---|---|---|');
for (const [name, frame] of Object.entries(frames)) {
  const datagram = encodeFrame(frame);
  const enc = rate(() => encodeFrame(frame));
  // The same bytes written into a reused buffer: no allocation per datagram (what a sender that
  // batches datagrams into one slab pays).
  const target = new Uint8Array(MAX_DATAGRAM_BYTES);
  const encInto = rate(() => encodeFrameInto(frame, target, 0));
  const dec = rate(() => decodeDatagram(datagram, 1.0));
  const pyRow = (ours: number, theirs: number | undefined) =>
    theirs === undefined ? '| n/a | n/a |' : `| ${fmt(theirs)} | ${(ours / theirs).toFixed(1)}x |`;
  const isClassic = name.startsWith('classic');
  console.log(
    `| ${name} | encode | ${fmt(enc)} ${pyRow(enc, isClassic ? py?.pack_per_s : undefined)}`,
  );
  console.log(
    `| ${name} | encode into a buffer | ${fmt(encInto)} ${pyRow(encInto, isClassic ? py?.pack_per_s : undefined)}`,
  );
  console.log(
    `| ${name} | decode + check | ${fmt(dec)} ${pyRow(dec, isClassic ? py?.unpack_per_s : undefined)}`,
  );
}
