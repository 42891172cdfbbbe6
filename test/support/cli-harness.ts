/** Runs the CLI in-process on fake UDP sockets, capturing stdout and stderr. */
import type { CliIo } from '../../src/cli/cli-io.js';
import { runCli } from '../../src/cli/run-cli.js';
import { fakeBusFactory } from './fake-endpoints.js';
import { fakeSocketFactory } from './fake-udp-socket.js';
import type { FakeUdpSocket } from './fake-udp-socket.js';

export interface CliRun {
  /** Resolves with the exit code. */
  exit: Promise<number>;
  stdout: () => string;
  stderr: () => string;
  /** The fake sockets of every bus the command created: [rx, tx] per bus. */
  sockets: FakeUdpSocket[];
  abort: () => void;
}

export function runCliInProcess(
  argv: string[],
  clock = () => 1700000000.5,
  extra: Partial<CliIo> = {},
): CliRun {
  let out = '';
  let err = '';
  const { factory, sockets } = fakeSocketFactory();
  const controller = new AbortController();
  const exit = runCli(
    argv,
    {
      stdout: { write: (s: string) => ((out += s), true) },
      stderr: { write: (s: string) => ((err += s), true) },
      createBus: fakeBusFactory(factory),
      clock,
      signal: controller.signal,
      env: {},
      ...extra,
    },
    '9.9.9',
  );
  return { exit, stdout: () => out, stderr: () => err, sockets, abort: () => controller.abort() };
}
