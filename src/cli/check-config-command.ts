/** `can-multicast-bridge check-config`: validate a configuration and print the effective one. */
import { parseArgs } from 'node:util';
import { formatConfig } from '../config/bridge-config.js';
import { loadConfig, unknownEnvVariables } from '../config/load-config.js';
import type { CliIo } from './cli-io.js';
import { CONFIG_OPTIONS, CONFIG_OPTIONS_HELP, configOverrides } from './config-options.js';
import { EXIT_OK } from './exit-codes.js';
import { parseCommandLine, STRICT } from './parse-command-line.js';
import { UsageError } from './usage-error.js';

export const CHECK_CONFIG_HELP = `Usage: can-multicast-bridge check-config [FILE] [options]

Loads the configuration exactly as 'run' would (FILE is the same as --config FILE), validates it
and prints the effective configuration as JSON. Exit status 0 when valid, 78 (EX_CONFIG) with one
message naming each bad key, its value and what is expected. A CMB_* environment variable that no
key reads is reported on stderr (with the name it probably means), as 'run' logs it.

${CONFIG_OPTIONS_HELP}`;

export function checkConfigCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandLine('check-config', args, CONFIG_OPTIONS, (a) =>
    parseArgs({ args: a, options: CONFIG_OPTIONS, ...STRICT }),
  );
  if (values.help === true) {
    io.stdout.write(`${CHECK_CONFIG_HELP}\n`);
    return Promise.resolve(EXIT_OK);
  }
  if (positionals.length > 1) throw new UsageError('check-config takes at most one FILE');
  if (positionals.length === 1 && values.config !== undefined) {
    throw new UsageError('give the config file either as FILE or as --config, not both');
  }
  const config = loadConfig({
    file: positionals[0] ?? values.config,
    env: io.env,
    overrides: configOverrides(values),
  });
  // As `run` warns (its log line "unknown environment variable ignored"): a typo in a CMB_* name
  // would otherwise pass unnoticed here, though check-config promises to load what run loads.
  for (const u of unknownEnvVariables(io.env)) {
    const hint = u.didYouMean === undefined ? '' : ` (did you mean ${u.didYouMean}?)`;
    io.stderr.write(
      `can-multicast-bridge check-config: warning: unknown environment variable ${u.name} ignored${hint}\n`,
    );
  }
  io.stdout.write(formatConfig(config));
  return Promise.resolve(EXIT_OK);
}
