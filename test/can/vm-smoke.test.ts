// Smoke test of the SocketCAN test environment (test/vm/run.sh, or a native kernel with vcan):
// proves the kernel facts the other test/can/** files rely on, with can-utils and python-can as
// independent peers. Run it: node scripts/test-can.mjs test/can/vm-smoke.test.ts
import { execFile, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const ci = process.env.CI === 'true' || process.env.CI === '1';
const inVm = process.env.CMBTEST_IN_VM === '1';
const hasVcan0 = existsSync('/sys/class/net/vcan0');
const noCan = hasVcan0
  ? null
  : 'no vcan0 here: run the CAN suite with `node scripts/test-can.mjs` (native or QEMU VM)';
if (noCan !== null) {
  if (ci) throw new Error(`vm-smoke: ${noCan} (CI=true: this must run)`);
  console.log(`vm-smoke: SKIPPED: ${noCan}`);
}
const noVmNet = inVm ? null : 'the lo multicast route and dummy0 are set up only in the test VM';
if (noCan === null && noVmNet !== null) console.log(`vm-smoke: network checks SKIPPED: ${noVmNet}`);

/** Sends `cansend vcan0 <frame>` every 200 ms until `candump -L -n 1 vcan0` prints one line. */
async function sendUntilDumped(frame: string): Promise<string> {
  const dump = spawn('candump', ['-L', '-n', '1', 'vcan0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  dump.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  const exited = new Promise<void>((resolve) => dump.on('close', () => resolve()));
  let running = true;
  void exited.then(() => (running = false));
  try {
    const deadline = Date.now() + 60_000;
    while (running && Date.now() < deadline) {
      await exec('cansend', ['vcan0', frame]);
      await Promise.race([exited, new Promise((r) => setTimeout(r, 200))]);
    }
  } finally {
    if (running) dump.kill();
  }
  await exited;
  return out.trim();
}

/** Binds a UDP socket; resolves once bound. */
function bind(sock: dgram.Socket, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(port, address, () => {
      sock.off('error', reject);
      resolve();
    });
  });
}

/** Sends `payload` every 200 ms from tx to group:port until rx receives it (UDP may drop). */
async function multicastRoundTrip(
  rx: dgram.Socket,
  tx: dgram.Socket,
  group: string,
  port: number,
): Promise<Buffer> {
  const payload = Buffer.from(`cmb-smoke-${process.pid}`);
  const got = new Promise<Buffer>((resolve) => rx.once('message', (msg: Buffer) => resolve(msg)));
  let received = false;
  void got.then(() => (received = true));
  const deadline = Date.now() + 30_000;
  while (!received && Date.now() < deadline) {
    tx.send(payload, port, group);
    await Promise.race([got, new Promise((r) => setTimeout(r, 200))]);
  }
  return Promise.race([got, Promise.resolve(Buffer.alloc(0))]);
}

describe.skipIf(noCan !== null)('SocketCAN test environment', () => {
  // Python starts slowly under emulation (about 10-40 s for `import can` in the VM): start it
  // first, check it last. python-can 4.1 and msgpack from Debian, always /usr/bin/python3.
  let python: Promise<{ ok: boolean; out: string }>;
  const netns = `cmbsmoke${process.pid}`;

  beforeAll(() => {
    const code = [
      'import can, msgpack, socket',
      's = socket.socket(socket.AF_CAN, socket.SOCK_RAW, socket.CAN_RAW)',
      "s.bind(('vcan0',))",
      'print(can.__version__)',
    ].join('; ');
    python = exec('/usr/bin/python3', ['-c', code]).then(
      (r) => ({ ok: true, out: r.stdout.trim() }),
      (err: Error) => ({ ok: false, out: err.message }),
    );
  });

  afterAll(async () => {
    await exec('ip', ['netns', 'del', netns]).catch(() => undefined);
  });

  it('has vcan0 up with mtu 72 (CAN FD capable, linux/can.h CANFD_MTU)', () => {
    expect(readFileSync('/sys/class/net/vcan0/mtu', 'utf8').trim()).toBe('72');
    const flags = Number.parseInt(readFileSync('/sys/class/net/vcan0/flags', 'utf8'), 16);
    expect(flags & 0x1).toBe(0x1); // IFF_UP (linux/if.h)
  });

  it('carries a classic frame from cansend to candump', async () => {
    const line = await sendUntilDumped('123#DEADBEEF');
    expect(line).toMatch(/^\(\d+\.\d+\) vcan0 123#DEADBEEF$/);
  });

  it('carries a CAN FD frame (BRS, 12 bytes) from cansend to candump', async () => {
    const line = await sendUntilDumped('1ABCDEF0##1000102030405060708090A0B');
    // Flags nibble 5 = CANFD_BRS | CANFD_FDF: since Linux 6.0 the kernel marks every FD frame
    // with CANFD_FDF (0x04, linux/can.h), so a received FD frame shows 5 where cansend said 1.
    expect(line).toMatch(/^\(\d+\.\d+\) vcan0 1ABCDEF0##5000102030405060708090A0B$/);
  });

  it('creates a network namespace with its own vcan', async () => {
    await exec('ip', ['netns', 'add', netns]);
    await exec('ip', ['-n', netns, 'link', 'add', 'vcan0', 'type', 'vcan']);
    const { stdout } = await exec('ip', ['-n', netns, '-br', 'link', 'show', 'vcan0']);
    expect(stdout).toMatch(/^vcan0\s/);
  });

  it('rate-limits a vcan with tc tbf', async () => {
    const dev = `vcsm${process.pid % 100000}`;
    await exec('ip', ['link', 'add', dev, 'type', 'vcan']);
    try {
      await exec('tc', [
        'qdisc',
        'add',
        'dev',
        dev,
        'root',
        'tbf',
        'rate',
        '100kbit',
        'burst',
        '1600',
        'latency',
        '50ms',
      ]);
      const { stdout } = await exec('tc', ['qdisc', 'show', 'dev', dev]);
      expect(stdout).toMatch(/^qdisc tbf /);
    } finally {
      await exec('ip', ['link', 'del', dev]);
    }
  });

  describe.skipIf(noVmNet !== null)('multicast inside the VM', () => {
    const port = 40000 + (process.pid % 20000);
    const sockets: dgram.Socket[] = [];
    const udp = (type: 'udp4' | 'udp6'): dgram.Socket => {
      const s = dgram.createSocket({ type, reuseAddr: true });
      sockets.push(s);
      return s;
    };
    afterAll(() => {
      for (const s of sockets) s.close();
    });

    it('delivers IPv4 multicast over lo (python-can group 239.74.163.2)', async () => {
      const rx = udp('udp4');
      await bind(rx, port, '0.0.0.0');
      rx.addMembership('239.74.163.2', '127.0.0.1');
      const tx = udp('udp4');
      await bind(tx, 0, '127.0.0.1'); // setMulticastInterface throws EBADF before bind
      tx.setMulticastInterface('127.0.0.1');
      tx.setMulticastLoopback(true);
      const msg = await multicastRoundTrip(rx, tx, '239.74.163.2', port);
      expect(msg.toString()).toBe(`cmb-smoke-${process.pid}`);
    });

    it('delivers IPv6 multicast over dummy0 (python-can group ff15:7079:...)', async () => {
      const group = 'ff15:7079:7468:6f6e:6465:6d6f:6d63:6173';
      const rx = udp('udp6');
      await bind(rx, port + 1, '::');
      rx.addMembership(group, '::%dummy0');
      const tx = udp('udp6');
      await bind(tx, 0, '::');
      tx.setMulticastInterface('::%dummy0');
      tx.setMulticastLoopback(true);
      const msg = await multicastRoundTrip(rx, tx, group, port + 1);
      expect(msg.toString()).toBe(`cmb-smoke-${process.pid}`);
    });
  });

  it('runs python-can 4.1 with an AF_CAN socket on vcan0 (/usr/bin/python3)', async () => {
    const res = await python;
    expect(res.out).toMatch(/^4\.1\./);
    expect(res.ok).toBe(true);
  });
});
