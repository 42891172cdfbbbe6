/**
 * The Dockerfile built and run with a real engine (issue 11): docker where a daemon answers,
 * else podman, installed by scripts/container-engine.sh, with the base images pulled or built as
 * local stand-ins. The built image's user, contents, CLI, health check and multicast round trips
 * with the host (the container with `--network host` inside a namespace this test made). The
 * daemon itself needs a CAN interface, which this host's kernel lacks: the daemon container runs
 * in the test VM (systemd-vm.test.ts). Recipe and pitfalls: ../../../shared/container.md.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_GROUP_IPV4, DEFAULT_GROUP_IPV6 } from '../../src/multicast/defaults.js';
import { NetnsLab, netnsSkipReason } from '../support/netns.js';
import type { Netns } from '../support/netns.js';
import { ROOT, buildArgs, run, setUpEngine } from './container-engine.js';
import type { Engine } from './container-engine.js';

const IMAGE = `localhost/can-multicast-bridge-test:${process.pid}`;
const BIN = join(ROOT, 'bin/can-multicast-bridge');
const dir = mkdtempSync(join(tmpdir(), `cmb-image-${process.pid}-`));
const names: string[] = [];

const set = setUpEngine();
const problem = typeof set === 'string' ? set : netnsSkipReason('container image tests');
if (typeof set === 'string') {
  // The image is a promise of the product (README "In a container"): CI must build and run it.
  if (process.env.CI === 'true') throw new Error(`container image tests cannot run: ${set}`);
  console.log(`container image tests SKIPPED: ${set}`);
}
const engine = set as Engine;

let build: { status: number | null; output: string; seconds: number };
beforeAll(() => {
  if (problem !== null) return;
  console.log(
    `container engine: ${engine.command}, base images ${engine.baseImages}, set-up ${engine.setupSeconds.toFixed(1)} s\n${engine.setupLog}`,
  );
  const t0 = Date.now();
  const args = buildArgs(engine, IMAGE);
  const secret = args.includes('--secret');
  console.log(
    secret
      ? `image build with the build secret npm_ca (NODE_EXTRA_CA_CERTS=${process.env.NODE_EXTRA_CA_CERTS})`
      : 'image build without a build secret (NODE_EXTRA_CA_CERTS unset): the secret test checks the env and history only',
  );
  const res = run(engine, args, 900_000);
  build = {
    status: res.status,
    output: `${res.stdout}${res.stderr}`,
    seconds: (Date.now() - t0) / 1000,
  };
  console.log(`image build: ${build.seconds.toFixed(1)} s`);
}, 900_000);
afterAll(() => {
  if (problem !== null) return;
  for (const n of names) run(engine, ['rm', '-f', n]);
  run(engine, ['rmi', '-f', IMAGE]);
  rmSync(dir, { recursive: true, force: true });
});

/** `engine run --rm IMAGE ARGS...` (options before the image in `opts`). */
const inImage = (args: string[], opts: string[] = []) =>
  run(engine, ['run', '--rm', '--no-healthcheck', ...opts, IMAGE, ...args]);

describe.skipIf(problem !== null)('the container image', () => {
  it('builds, with the HEALTHCHECK kept', () => {
    if (build.status !== 0) throw new Error(`build failed:\n${build.output}`);
    expect(build.output).not.toMatch(/HEALTHCHECK is not supported/);
    const hc = run(engine, ['image', 'inspect', '--format', '{{json .Config.Healthcheck}}', IMAGE]);
    expect(JSON.parse(hc.stdout)).toMatchObject({
      Test: ['CMD', 'node', '/opt/can-multicast-bridge/docker/healthcheck.mjs'],
    });
  });

  it('is small, and says how big', () => {
    const size = Number(run(engine, ['image', 'inspect', '--format', '{{.Size}}', IMAGE]).stdout);
    const layers = run(engine, ['image', 'inspect', '--format', '{{len .RootFS.Layers}}', IMAGE]);
    console.log(`image size: ${(size / 1e6).toFixed(1)} MB, ${layers.stdout.trim()} layers`);
    expect(size).toBeGreaterThan(50e6);
    expect(size).toBeLessThan(450e6);
  });

  it('keeps the build secret (a proxy CA) out of the runtime image', () => {
    // The secret is mounted for the npm ci step only: no file of it in the image.
    const secretFile = inImage(['-e', '/run/secrets/npm_ca'], ['--entrypoint', 'test']);
    expect(secretFile.status).toBe(1);
    const env = run(engine, ['image', 'inspect', '--format', '{{json .Config.Env}}', IMAGE]);
    expect(env.stdout).not.toContain('NODE_EXTRA_CA_CERTS');
    const history = run(engine, ['history', '--no-trunc', '--format', '{{.CreatedBy}}', IMAGE]);
    expect(history.status).toBe(0);
    expect(history.stdout).not.toMatch(/BEGIN CERTIFICATE/);
  });

  it('runs as a non-root user, the CLI as its entry point', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(inImage(['--version']).stdout.trim()).toBe(pkg.version);
    expect(inImage(['-u'], ['--entrypoint', 'id']).stdout.trim()).toBe('1000');
  });

  it('holds production dependencies only, and no compiler or build tools', () => {
    const ls = inImage(['node_modules'], ['--entrypoint', 'ls']);
    expect(ls.stdout).toMatch(/^pino$/m);
    expect(ls.stdout).not.toMatch(/^(vitest|typescript|eslint|prettier|fast-check)$/m);
    const tools = inImage(
      ['-c', 'for t in gcc g++ cc c++ make python3 node-gyp; do command -v $t; done; true'],
      ['--entrypoint', 'sh'],
    );
    expect(tools.status).toBe(0);
    expect(tools.stdout).toBe('');
  });

  it('loads its addon: a missing CAN interface is exit 69, not a load error', () => {
    const res = inImage(
      ['run', '--can', 'cmbnosuch0', '--log-level', 'silent'],
      ['--network', 'none'],
    );
    expect(res.stderr).toMatch(/^can-multicast-bridge run: cannot open CAN interface cmbnosuch0/m);
    expect(res.stderr).not.toMatch(/addon|can_socket\.node/);
    expect(res.status).toBe(69);
  });

  it('check-config: the example is exit 0; a bad file is exit 78 with one line naming the key', () => {
    const ok = inImage(
      ['check-config', '/etc/can-multicast-bridge/example.json'],
      ['-v', `${join(ROOT, 'config')}:/etc/can-multicast-bridge:ro`],
    );
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ can: { interface: 'can0' } });
    // The image's user (1000) must be able to read it: mkdtemp makes the folder 0700.
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, 'bad.json'), '{ "multicast": { "hopLimit": "far" } }\n', {
      mode: 0o644,
    });
    const bad = inImage(
      ['check-config', '/etc/can-multicast-bridge/bad.json'],
      ['-v', `${dir}:/etc/can-multicast-bridge:ro`],
    );
    expect(bad.status).toBe(78);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/multicast\.hopLimit/);
  });

  it('fails the build at npm ci when npm ci did not build, with the message (not at COPY --from)', () => {
    // A context whose npm ci "succeeds" without building anything, as npm 10.8.2 does after
    // "Exit handler never called!" (container.md): the check after npm ci must stop the build.
    const pkg = { name: 'x', version: '0.0.0' };
    writeFileSync(join(dir, 'Dockerfile.copy'), readFileSync(join(ROOT, 'Dockerfile')));
    for (const [f, body] of [
      ['package.json', JSON.stringify(pkg)],
      [
        'package-lock.json',
        JSON.stringify({ ...pkg, lockfileVersion: 3, requires: true, packages: { '': pkg } }),
      ],
    ] as const) {
      writeFileSync(join(dir, f), body);
    }
    const res = run(
      engine,
      [
        'build',
        '-f',
        join(dir, 'Dockerfile.copy'),
        ...buildArgs(engine, `${IMAGE}-broken`, dir).slice(1),
      ],
      300_000,
    );
    const out = `${res.stdout}${res.stderr}`;
    expect(res.status).not.toBe(0);
    expect(out).toContain('npm ci failed (see its messages above)');
    expect(out).not.toMatch(/COPY --from/);
  });

  describe('round trips with the host over multicast (container --network host in a namespace)', () => {
    const lab = new NetnsLab('ctr');
    let nsC: Netns;
    let nsH: Netns;
    let ifC: string;
    let ifH: string;
    beforeAll(async () => {
      nsC = await lab.createNamespace();
      nsH = await lab.createNamespace();
      [ifC, ifH] = await lab.addVethPair(nsC, { ipv4: '10.79.0.1/24', ipv6: 'fd79::1/64' }, nsH, {
        ipv4: '10.79.0.2/24',
        ipv6: 'fd79::2/64',
      });
    });
    afterAll(async () => {
      await lab.destroy();
    });
    /**
     * `ENGINE run --network host ...` started inside `ns` (nsenter: `ip netns exec` would mount a
     * fresh /sys, where runc finds no cgroup mount, container.md), as users run the daemon.
     */
    const hostNet = (ns: Netns, args: string[]): [string, string[]] => [
      'nsenter',
      [`--net=/run/netns/${ns.name}`, engine.command, 'run', '--network', 'host', ...args],
    ];

    /** Starts a command, resolves with its output once `ready` shows on stderr, and its end. */
    function start(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
      const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const exit = new Promise<number | null>((r) => child.once('close', r));
      const listening = async (): Promise<void> => {
        const deadline = Date.now() + 60_000;
        while (!err.includes('listening')) {
          if (Date.now() > deadline) throw new Error(`not listening: ${err}`);
          await new Promise((r) => setTimeout(r, 50));
        }
      };
      return { exit, listening, out: () => out, err: () => err };
    }

    describe.each([
      { family: 'IPv4', group: DEFAULT_GROUP_IPV4 },
      { family: 'IPv6', group: DEFAULT_GROUP_IPV6 },
    ])('$family', ({ group }) => {
      it('host send -> container dump', async () => {
        const dump = start(
          ...hostNet(nsC, [
            '--rm',
            '--no-healthcheck',
            IMAGE,
            'dump',
            '--group',
            group,
            '--interface',
            ifC,
            '--count',
            '1',
            '--timeout',
            '30',
          ]),
          engine.env,
        );
        await dump.listening();
        const send = await lab.run(nsH, process.execPath, [
          BIN,
          'send',
          '--group',
          group,
          '--interface',
          ifH,
          '1F334455##1112233445566778899AABBCC',
        ]);
        expect(send.code).toBe(0);
        expect(await dump.exit).toBe(0);
        expect(dump.out()).toMatch(/\) \S+ 1F334455##1112233445566778899AABBCC\n$/);
      });

      it('container send -> host dump', async () => {
        const dump = start('ip', [
          'netns',
          'exec',
          nsH.name,
          process.execPath,
          BIN,
          'dump',
          '--group',
          group,
          '--interface',
          ifH,
          '--count',
          '1',
          '--timeout',
          '30',
        ]);
        await dump.listening();
        const [cmd, args] = hostNet(nsC, [
          '--rm',
          '--no-healthcheck',
          IMAGE,
          'send',
          '--group',
          group,
          '--interface',
          ifC,
          '123#DEADBEEF',
        ]);
        const send = spawnSync(cmd, args, { encoding: 'utf8', env: engine.env, timeout: 60_000 });
        expect(send.stderr).toBe('');
        expect(send.status).toBe(0);
        expect(await dump.exit).toBe(0);
        expect(dump.out()).toMatch(/\) \S+ 123#DEADBEEF\n$/);
      });
    });

    it('stop: SIGTERM to the CLI as PID 1, exit 0 with its closing line', async () => {
      const name = `cmb-test-stop-${process.pid}`;
      names.push(name);
      const [cmd, args] = hostNet(nsC, [
        '-d',
        '--no-healthcheck',
        '--name',
        name,
        IMAGE,
        'dump',
        '-4',
        '--interface',
        ifC,
      ]);
      const started = spawnSync(cmd, args, { encoding: 'utf8', env: engine.env, timeout: 60_000 });
      expect(started.status).toBe(0);
      const deadline = Date.now() + 30_000;
      while (!run(engine, ['logs', name]).stderr.includes('listening') && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      const t0 = Date.now();
      expect(run(engine, ['stop', '-t', '10', name]).status).toBe(0);
      console.log(`stop took ${Date.now() - t0} ms`);
      expect(run(engine, ['inspect', '--format', '{{.State.ExitCode}}', name]).stdout.trim()).toBe(
        '0',
      );
      expect(run(engine, ['logs', name]).stderr).toMatch(/dump: 0 frames\n/);
    });
  });

  it.skipIf(engine.command !== 'podman')(
    'health check: unhealthy when the CAN interface is missing',
    () => {
      // The daemon exits 69 at once without its interface; a stand-in PID 1 with the daemon's
      // command line stands for one whose interface went away while it ran.
      const name = `cmb-test-health-${process.pid}`;
      names.push(name);
      const started = run(engine, [
        'run',
        '-d',
        '--name',
        name,
        '--network',
        'none',
        '--entrypoint',
        'node',
        IMAGE,
        '-e',
        'setInterval(() => {}, 1000)',
        'run',
        '--can',
        'cmbnosuch0',
      ]);
      expect(started.status).toBe(0);
      const hc = run(engine, ['healthcheck', 'run', name]);
      expect(hc.stdout).toContain('unhealthy');
      expect(hc.status).toBe(1);
      // What the HEALTHCHECK command printed: the reason, from docker/healthcheck.mjs.
      const log = run(engine, ['inspect', '--format', '{{json .State.Health.Log}}', name]);
      expect(log.stdout).toContain('unhealthy: CAN interface cmbnosuch0: no such interface');
    },
  );
});
