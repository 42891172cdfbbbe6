/**
 * docker/healthcheck.mjs, the image's HEALTHCHECK, on the host: it reads the daemon's command line
 * from /proc/<pid>/cmdline (a stand-in process here, named like the daemon), loads the same
 * configuration and checks the CAN interface, or /healthz when metrics are enabled.
 */
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const HEALTHCHECK = fileURLToPath(new URL('../../../docker/healthcheck.mjs', import.meta.url));
const children: ChildProcess[] = [];
const servers: Server[] = [];
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  for (const s of servers) s.close();
});

/** A process whose command line reads `... run ARGS`, as the daemon's does. */
function standIn(...args: string[]): number {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', 'run', ...args], {
    stdio: 'ignore',
  });
  children.push(child);
  return child.pid!;
}

/** Runs the health check (asynchronously: the /healthz stand-in lives in this process). */
function healthcheck(pid: number): Promise<{ status: number; stdout: string }> {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('CMB_')),
  );
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [HEALTHCHECK, '--pid', String(pid)],
      { encoding: 'utf8', env, timeout: 60_000 },
      (err, stdout) => resolve({ status: err === null ? 0 : Number(err.code), stdout }),
    );
  });
}

async function healthz(status: number): Promise<number> {
  const server = createServer((_req, res) => res.writeHead(status).end('state\n'));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

describe('docker/healthcheck.mjs', () => {
  it('is healthy when the CAN interface of the daemon is up (lo stands in)', async () => {
    const res = await healthcheck(standIn('--can', 'lo'));
    expect(res.stdout).toBe('healthy: CAN interface lo is unknown\n');
    expect(res.status).toBe(0);
  });

  it('is unhealthy when the interface does not exist', async () => {
    const res = await healthcheck(standIn('--set', 'can.interface=cmbnosuch0'));
    expect(res.stdout).toBe('unhealthy: CAN interface cmbnosuch0: no such interface\n');
    expect(res.status).toBe(1);
  });

  it('is unhealthy when the process is not the daemon or does not exist', async () => {
    expect((await healthcheck(process.pid)).status).toBe(1);
    const gone = await healthcheck(2 ** 22 + 1);
    expect(gone.stdout).toMatch(/^unhealthy: no daemon process/);
    expect(gone.status).toBe(1);
  });

  it('asks /healthz when metrics are enabled: 200 healthy, 503 or nobody listening unhealthy', async () => {
    const okPort = await healthz(200);
    const sickPort = await healthz(503);
    const metrics = (port: number) => [
      '--can',
      'lo',
      '--set',
      'metrics.enabled=true',
      '--set',
      `metrics.port=${port}`,
    ];
    const ok = await healthcheck(standIn(...metrics(okPort)));
    expect(ok.stdout).toBe(`healthy: http://127.0.0.1:${okPort}/healthz answered 200\n`);
    expect(ok.status).toBe(0);
    const sick = await healthcheck(standIn(...metrics(sickPort)));
    expect(sick.stdout).toBe(
      `unhealthy: http://127.0.0.1:${sickPort}/healthz answered 503: state\n`,
    );
    expect(sick.status).toBe(1);
    servers.pop()?.close();
    const gone = await healthcheck(standIn(...metrics(sickPort)));
    expect(gone.stdout).toMatch(/^unhealthy: .*ECONNREFUSED/);
    expect(gone.status).toBe(1);
  }, 90_000);
});
