// README.md's "Exit status" table and the main help's exit line say what src/error-catalogue.ts
// says: the same statuses with the same meanings, and every catalogue code's status among them.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MAIN_HELP } from '../../src/cli/run-cli.js';
import { ERROR_CATALOGUE, EXIT_STATUSES } from '../../src/error-catalogue.js';

const README = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');

/** The rows of the table under "### Exit status", as { status, meaning }. */
function readmeExitTable(): { status: number; meaning: string }[] {
  const start = README.indexOf('\n### Exit status\n');
  expect(start, 'README.md has a "### Exit status" section').toBeGreaterThan(0);
  const section = README.slice(start + 1).split(/\n#{2,3} /)[0] as string;
  return section
    .split('\n')
    .filter((line) => /^\|\s*\d+\s*\|/.test(line))
    .map((line) => {
      const [, status = '', meaning = ''] = line.split('|');
      return { status: Number(status.trim()), meaning: meaning.trim() };
    });
}

describe('README.md "### Exit status"', () => {
  it('lists the exit statuses of src/error-catalogue.ts EXIT_STATUSES, in order, word for word', () => {
    expect(readmeExitTable()).toEqual(EXIT_STATUSES);
  });

  it('has a row for the exit status of every catalogue code', () => {
    const statuses = new Set(EXIT_STATUSES.map((s) => s.status));
    for (const [code, entry] of Object.entries(ERROR_CATALOGUE)) {
      expect(statuses.has(entry.exit), `${code} exits ${entry.exit}`).toBe(true);
    }
  });

  it("agrees with the main help's exit status line", () => {
    const line = MAIN_HELP.slice(MAIN_HELP.indexOf('Exit status:'));
    const numbers = [...line.matchAll(/(?:: |, |\n)(\d+) /g)].map((m) => Number(m[1]));
    expect(numbers).toEqual(EXIT_STATUSES.map((s) => s.status));
  });
});
