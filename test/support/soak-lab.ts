/**
 * Spawning the built daemon and the traffic agent (bench/soak-agent.ts) inside network namespaces,
 * for the soak run (bench/soak.ts) and the daemon fault tests (test/can/daemon-faults.test.ts).
 * Works from the TypeScript sources (vitest) and from dist/ (node dist/bench/soak.js).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NetnsLab, Netns } from './netns.js';
import { JsonLinesPeer } from './json-lines-peer.js';
import { DaemonProcess, daemonEnv } from '../can/daemon-helpers.js';
import type { AgentReport } from '../../bench/soak-agent.js';

/** The repository root: the first directory up from here with a package.json. */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('no package.json above test/support/soak-lab');
    dir = up;
  }
  return dir;
}

export const ROOT = projectRoot();
export const DAEMON_BIN = join(ROOT, 'bin', 'can-multicast-bridge');
/** The agent runs compiled (a TS loader costs seconds per process in the VM). */
export const AGENT_JS = join(ROOT, 'dist', 'bench', 'soak-agent.js');

/** `can-multicast-bridge run ARGS` in `ns`, logging JSON at info. */
export function spawnDaemon(
  lab: NetnsLab,
  ns: Netns,
  name: string,
  args: readonly string[],
): DaemonProcess {
  const child = lab.spawn(
    ns,
    process.execPath,
    [DAEMON_BIN, 'run', '--log-level', 'info', ...args],
    { env: daemonEnv() },
  );
  return new DaemonProcess(name, child);
}

/** The traffic agent on `iface` in `ns`; wait for its 'ready' event before use. */
export function spawnAgent(lab: NetnsLab, ns: Netns, iface: string, name: string): JsonLinesPeer {
  return new JsonLinesPeer(
    name,
    lab.spawn(ns, process.execPath, [AGENT_JS, '--iface', iface], { env: daemonEnv() }),
  );
}

/** Asks an agent for its report and waits for it. */
export async function agentReport(
  agent: JsonLinesPeer,
  options: { reset?: boolean; ranges?: boolean } = {},
): Promise<AgentReport> {
  const from = agent.events.length;
  agent.command({ cmd: 'report', reset: options.reset ?? false, ranges: options.ranges ?? false });
  return (await agent.waitFor('report', { from, timeoutMs: 60_000 })) as unknown as AgentReport;
}

/** Waits until the agent received `count` distinct frames of stream `id`; returns the last report. */
export async function waitReceived(
  agent: JsonLinesPeer,
  id: number,
  count: number,
  timeoutMs = 60_000,
): Promise<AgentReport> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await agentReport(agent);
    if ((r.rx[String(id)]?.unique ?? 0) >= count || Date.now() > deadline) return r;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

/** Starts `count` frames of stream `id` at `rate`/s from `agent`; resolves when all were written. */
export async function agentSend(
  agent: JsonLinesPeer,
  id: number,
  count: number,
  rate: number,
): Promise<{ count: number; dropped: number }> {
  const from = agent.events.length;
  agent.command({ cmd: 'send', id, count, rate });
  const e = await agent.waitFor('sent', {
    from,
    pred: (ev) => ev.id === id,
    timeoutMs: 120_000 + (count / rate) * 3000,
  });
  return { count: Number(e.count), dropped: Number(e.dropped) };
}

/** Stops stream `id` and resolves with what it wrote. */
export async function agentStop(
  agent: JsonLinesPeer,
  id: number,
): Promise<{ count: number; dropped: number }> {
  const from = agent.events.length;
  agent.command({ cmd: 'stop', id });
  const e = await agent.waitFor('sent', { from, pred: (ev) => ev.id === id, timeoutMs: 60_000 });
  return { count: Number(e.count), dropped: Number(e.dropped) };
}
