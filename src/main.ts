/**
 * The entry point, and the only module with side effects: reads argv, wires the real process
 * (stdout, stderr, signals, clock, sockets) into the CLI and sets the exit code.
 */
import { readFileSync } from 'node:fs';
import { MulticastBus } from './multicast/multicast-bus.js';
import { runCli } from './cli/run-cli.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

const controller = new AbortController();
let signals = 0;
const onSignal = (signal: NodeJS.Signals): void => {
  // A second signal means "now": do not wait for a graceful close.
  if (++signals > 1) process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
  controller.abort();
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

const code = await runCli(
  process.argv.slice(2),
  {
    stdout: process.stdout,
    stderr: process.stderr,
    // Only `send -` reads it: a getter, so the other commands never open stdin.
    get stdin() {
      return process.stdin;
    },
    createBus: (options) => new MulticastBus(options),
    clock: () => (performance.timeOrigin + performance.now()) / 1000,
    signal: controller.signal,
    env: process.env,
  },
  pkg.version,
);
process.exitCode = code;
// Let stdout drain, then leave even if a stray handle is still open.
process.stdout.write('', () => process.exit(code));
