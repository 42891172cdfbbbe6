/** `can-multicast-bridge run`: the bridge daemon, until SIGTERM / SIGINT. */
import { rmSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig, unknownEnvVariables } from '../config/load-config.js';
import { Daemon } from '../daemon/daemon.js';
import { errorCode } from '../errors.js';
import { createLogger } from '../log/create-logger.js';
import { SystemdNotifier } from '../systemd/notify.js';
import type { CliIo } from './cli-io.js';
import { CONFIG_OPTIONS, CONFIG_OPTIONS_HELP, configOverrides } from './config-options.js';
import { EX_SOFTWARE, EXIT_OK } from './exit-codes.js';
import { parseCommandLine, STRICT } from './parse-command-line.js';
import { UsageError } from './usage-error.js';

export const RUN_HELP = `Usage: can-multicast-bridge run [options]

Bridges one SocketCAN interface and one multicast group, both ways, until SIGTERM or SIGINT:
every frame read from CAN goes out as a python-can datagram (channel = this bridge's sender id),
every valid frame from the group is written to CAN. Logs JSON lines to stdout.

Example: can-multicast-bridge run --can vcan0 --group 239.74.163.2

${CONFIG_OPTIONS_HELP}
      --ready-file FILE  write FILE (the process id) once both sides are open, and remove it at
                         exit: a script waits for it before sending (systemd: Type=notify instead)

On SIGTERM/SIGINT it stops reading, flushes what is queued (bounded), logs the final statistics
and exits 0. Exit status: 69 when the CAN interface, the multicast socket or the metrics port
cannot be opened, 70 on a fatal error while running, 78 for a bad configuration.`;

const RUN_OPTIONS = { ...CONFIG_OPTIONS, 'ready-file': { type: 'string' } } as const;

export async function runCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandLine('run', args, RUN_OPTIONS, (a) =>
    parseArgs({ args: a, options: RUN_OPTIONS, ...STRICT }),
  );
  if (values.help === true) {
    io.stdout.write(`${RUN_HELP}\n`);
    return EXIT_OK;
  }
  if (positionals.length > 0)
    throw new UsageError(`run takes no arguments, got "${positionals[0]}"`);
  const config = loadConfig({
    file: values.config,
    env: io.env,
    overrides: configOverrides(values),
  });
  const logger = io.createLogger?.(config.log.level) ?? createLogger({ level: config.log.level });
  // loadConfig ignores CMB_* variables that no key reads; a typo deserves a word all the same.
  for (const u of unknownEnvVariables(io.env)) {
    logger.warn(
      { variable: u.name, didYouMean: u.didYouMean },
      'unknown environment variable ignored',
    );
  }
  const daemon = new Daemon(config, { logger, ...io.daemonDeps });
  let fatal: Error | null = null;
  const stopped = new Promise<void>((resolve) => {
    daemon.once('error', (err) => {
      fatal = err;
      resolve();
    });
    io.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  // systemd: READY=1 once both sides are open, watchdog pings, STOPPING=1 (no-op without systemd).
  const notifier = new SystemdNotifier({ env: io.env, logger });
  await daemon.start();
  const m = config.multicast;
  notifier.ready(`bridging ${config.can.interface} and ${m.group} port ${m.port}`);
  const readyFile = values['ready-file'];
  if (readyFile !== undefined) {
    try {
      writeFileSync(readyFile, `${process.pid}\n`);
    } catch (err) {
      notifier.close();
      await daemon.close();
      throw new UsageError(
        `cannot write --ready-file ${readyFile}: ${errorCode(err) ?? String(err)}`,
        {
          cause: err,
        },
      );
    }
  }
  io.onReady?.();
  if (!io.signal.aborted) await stopped;
  notifier.stopping();
  await daemon.close();
  notifier.close();
  if (readyFile !== undefined) rmSync(readyFile, { force: true });
  return fatal === null ? EXIT_OK : EX_SOFTWARE;
}
