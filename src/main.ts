/**
 * The entry point, and the only module with side effects: reads argv, wires the real process
 * (stdout, stderr, signals, clock, sockets) into the CLI and sets the exit code.
 */
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { MulticastBus } from './multicast/multicast-bus.js';
import { runCli } from './cli/run-cli.js';
import { createLogger } from './log/create-logger.js';
import { JOURNAL_PRIORITY, isJournalStream, prefixLines } from './systemd/journal-stream.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

// Every function gets baseline (Sparkplug) code when first called instead of running in the
// interpreter until it is hot: the frame path is fast from the first frame (bench/bridge-bench.ts,
// first-traffic step, shows the worst latencies of the first seconds with and without it).
// Set before the first frame; the functions it applies to are compiled lazily, at first call.
// (Compiling the whole program at load, --no-lazy set in bin/ before the import, made the first
// frame 33-48 ms instead of 82 ms, but cost 9 MB of RSS, and the VM's paced-flood test failed in
// 2 of 3 runs with it and in none of 4 without: not kept.)
setFlagsFromString('--always-sparkplug');

// V8's gc() for the daemon's one collection after start-up (DaemonDeps.settleHeap): the flag makes
// `gc` a global of contexts created from now on, such as this one; the main context stays as it is.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

const controller = new AbortController();
let signals = 0;
const onSignal = (signal: NodeJS.Signals): void => {
  // A second signal means "now": do not wait for a graceful close.
  if (++signals > 1) process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
  controller.abort();
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

// Under systemd (StandardOutput=journal, the default) every line is one journal entry at the
// unit's SyslogLevel= (info) unless it starts with a priority prefix: give the log lines their
// level and the CLI's stderr lines (the reason it stopped) SD_ERR, so `journalctl -p err` shows
// them. Elsewhere (a terminal, docker logs, a pipe) plain lines.
const journalStdout = isJournalStream(process.env, 1);
const stderr = isJournalStream(process.env, 2)
  ? prefixLines(process.stderr, JOURNAL_PRIORITY.error)
  : process.stderr;

const code = await runCli(
  process.argv.slice(2),
  {
    stdout: process.stdout,
    stderr,
    // Only `send -` reads it: a getter, so the other commands never open stdin.
    get stdin() {
      return process.stdin;
    },
    createLogger: (level) => createLogger({ level, journal: journalStdout }),
    createBus: (options, deps) => new MulticastBus(options, deps),
    clock: () => (performance.timeOrigin + performance.now()) / 1000,
    daemonDeps: { settleHeap: collectGarbage },
    signal: controller.signal,
    env: process.env,
  },
  pkg.version,
);
process.exitCode = code;
// Let stdout drain, then leave even if a stray handle is still open.
process.stdout.write('', () => process.exit(code));
