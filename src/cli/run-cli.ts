/** The command dispatcher: argv in, exit code out; every error becomes one line on stderr. */
import { exitStatusOf } from '../error-catalogue.js';
import { errorCode } from '../errors.js';
import type { CliIo } from './cli-io.js';
import { dumpCommand } from './dump-command.js';
import { EX_SOFTWARE, EX_USAGE, EXIT_OK } from './exit-codes.js';
import { checkConfigCommand } from './check-config-command.js';
import { runCommand } from './run-command.js';
import { sendCommand } from './send-command.js';

export const MAIN_HELP = `Usage: can-multicast-bridge <command> [options]

Carries CAN and CAN FD frames over UDP multicast, wire-compatible with python-can's
udp_multicast interface.

Commands:
  run           bridge a SocketCAN interface and a multicast group, both ways (the daemon)
  check-config  validate a configuration and print the effective one
  dump          print the frames on a multicast group (candump style, filters, --json)
  send          send frames in cansend syntax, or replay a candump log (send -), to a group

Options:
  -h, --help     show this help ('can-multicast-bridge <command> --help': a command's options)
  -V, --version  print the version

Exit status: 0 ok, 1 incomplete (dump --count not reached, send --keep-going skipped a line),
64 bad usage, 69 socket unavailable, 70 internal error, 78 bad configuration.`;

type Command = (args: string[], io: CliIo) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  run: runCommand,
  'check-config': checkConfigCommand,
  dump: dumpCommand,
  send: sendCommand,
};

export async function runCli(argv: string[], io: CliIo, version: string): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(`${MAIN_HELP}\n`);
    return name === undefined ? EX_USAGE : EXIT_OK;
  }
  if (name === '--version' || name === '-V') {
    io.stdout.write(`${version}\n`);
    return EXIT_OK;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    io.stderr.write(`can-multicast-bridge: unknown command "${name}" (try --help)\n`);
    return EX_USAGE;
  }
  try {
    return await command(args, io);
  } catch (err) {
    // The catalogue maps codes (never message text) to exit statuses; EX_SOFTWARE is a bug, and
    // so is a code that is not ours: both print the stack.
    const exit = exitStatusOf(errorCode(err));
    if (exit === undefined || exit === EX_SOFTWARE) {
      io.stderr.write(
        `can-multicast-bridge ${name}: internal error: ${(err as Error).stack ?? String(err)}\n`,
      );
      return EX_SOFTWARE;
    }
    io.stderr.write(`can-multicast-bridge ${name}: ${(err as Error).message}\n`);
    return exit;
  }
}
