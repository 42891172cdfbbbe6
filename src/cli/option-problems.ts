/**
 * Our own one-line words for what node:util parseArgs rejects (its texts span lines, one has an
 * unbalanced quote), and the one rewrite that lets `--timeout -1` reach the range check.
 */
import type { ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

/** A value that looks like a negative number: `-1`, `-0.5`, `-.5`. */
const NEGATIVE_NUMBER = /^-(\d|\.\d)/;

function optionByShort(options: Options, short: string): string | undefined {
  return Object.keys(options).find((name) => options[name]?.short === short);
}

/**
 * `--timeout -1` becomes `--timeout=-1` (and `-T -1` `-T-1`) for string options, so the value's
 * own check says what is wrong with it; parseArgs would take `-1` for an option and refuse.
 */
export function joinNegativeValues(args: readonly string[], options: Options): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const next = args[i + 1];
    if (arg === '--') {
      out.push(...args.slice(i));
      break;
    }
    let name: string | undefined;
    if (arg.startsWith('--') && !arg.includes('=')) name = arg.slice(2);
    else if (/^-[^-]$/.test(arg)) name = optionByShort(options, arg.slice(1));
    if (name !== undefined && options[name]?.type === 'string' && next !== undefined) {
      if (NEGATIVE_NUMBER.test(next)) {
        out.push(arg.startsWith('--') ? `${arg}=${next}` : `${arg}${next}`);
        i++;
        continue;
      }
    }
    out.push(arg);
  }
  return out;
}

/**
 * The first problem parseArgs would find in `args`, in one line, or undefined when we see none
 * (the caller then falls back to parseArgs' first line).
 */
export function describeOptionProblem(
  command: string,
  args: readonly string[],
  options: Options,
): string | undefined {
  const help = `see 'can-multicast-bridge ${command} --help'`;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--') return undefined;
    if (!arg.startsWith('-') || arg === '-') continue;
    const long = arg.startsWith('--');
    const eq = arg.indexOf('=');
    // A cluster of short options (-4j) or a short option with its value glued on (-T5).
    const letters = long ? [] : [...arg.slice(1)];
    const name = long
      ? arg.slice(2, eq < 0 ? undefined : eq)
      : optionByShort(options, letters[0] ?? '');
    const spelled = long ? `--${name}` : `-${letters[0]}`;
    const option = name === undefined ? undefined : options[name];
    if (option === undefined) return `unknown option ${spelled} (${help})`;
    let valueOf = name as string;
    let glued = long ? eq >= 0 : letters.length > 1;
    if (option.type === 'boolean') {
      if (long && eq >= 0) return `--${name} takes no value, got "${arg}"`;
      // The rest of a short cluster (-4j, -jT 5, -jT5): booleans, then perhaps one string option.
      glued = true;
      for (const [k, letter] of letters.entries()) {
        if (k === 0) continue;
        const other = optionByShort(options, letter);
        if (other === undefined) return `unknown option -${letter} in "${arg}" (${help})`;
        if (options[other]?.type === 'string') {
          valueOf = other;
          glued = k < letters.length - 1;
          break;
        }
      }
    }
    if (glued) continue;
    const next = args[i + 1];
    if (next === undefined) return `--${valueOf} needs a value (${help})`;
    if (next.startsWith('-') && next !== '-') {
      return `--${valueOf} needs a value, got the option "${next}" (a value starting with '-' is written --${valueOf}=${next})`;
    }
    i++;
  }
  return undefined;
}
