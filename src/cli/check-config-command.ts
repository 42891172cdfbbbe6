/** `can-multicast-bridge check-config`: validate a configuration and print the effective one. */
import { parseArgs } from 'node:util';
import { formatConfig } from '../config/bridge-config.js';
import { loadConfig } from '../config/load-config.js';
import type { CliIo } from './cli-io.js';
import { CONFIG_OPTIONS, CONFIG_OPTIONS_HELP, configOverrides } from './config-options.js';
import { EXIT_OK } from './exit-codes.js';
import { parseCommandLine } from './parse-command-line.js';
import { UsageError } from './usage-error.js';

export const CHECK_CONFIG_HELP = `Usage: can-multicast-bridge check-config [FILE] [options]

Loads the configuration exactly as 'run' would (FILE is the same as --config FILE), validates it
and prints the effective configuration as JSON. Exit status 0 when valid, 78 (EX_CONFIG) with one
message naming each bad key, its value and what is expected.

${CONFIG_OPTIONS_HELP}`;

export function checkConfigCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandLine((strict) =>
    parseArgs({ args, options: CONFIG_OPTIONS, ...strict }),
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
  io.stdout.write(formatConfig(config));
  return Promise.resolve(EXIT_OK);
}
