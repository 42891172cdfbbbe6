import { mkdtempSync, openSync, closeSync, fstatSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isJournalStream, prefixLines } from '../../../src/systemd/journal-stream.js';

const dir = mkdtempSync(join(tmpdir(), `cmb-journal-${process.pid}-`));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function collector() {
  const chunks: string[] = [];
  return { chunks, target: { write: (c: string) => (chunks.push(c), true) } };
}

describe('isJournalStream', () => {
  it('is true when $JOURNAL_STREAM is the device:inode of the fd (a real file here)', () => {
    const fd = openSync(join(dir, 'a'), 'w');
    try {
      const st = fstatSync(fd, { bigint: true });
      expect(isJournalStream({ JOURNAL_STREAM: `${st.dev}:${st.ino}` }, fd)).toBe(true);
      // Inherited by a process whose stdout went elsewhere (a pipe, `| tee`): not the journal.
      expect(isJournalStream({ JOURNAL_STREAM: `${st.dev}:${st.ino + 1n}` }, fd)).toBe(false);
      expect(isJournalStream({ JOURNAL_STREAM: `${st.dev + 1n}:${st.ino}` }, fd)).toBe(false);
    } finally {
      closeSync(fd);
    }
  });

  it.each([undefined, '', 'abc', '12', '1:2:3', ' 1:2', '-1:2'])(
    'is false for JOURNAL_STREAM=%j',
    (value) => {
      const deps = { fstat: () => ({ dev: 1n, ino: 2n }) };
      expect(isJournalStream({ JOURNAL_STREAM: value }, 1, deps)).toBe(false);
    },
  );

  it('is false when the fd cannot be inspected', () => {
    const deps = {
      fstat: (): never => {
        throw Object.assign(new Error('EBADF'), { code: 'EBADF' });
      },
    };
    expect(isJournalStream({ JOURNAL_STREAM: '1:2' }, 9, deps)).toBe(false);
  });
});

describe('prefixLines', () => {
  it.each<[string, string[], string]>([
    ['one line', ['boom\n'], '<3>boom\n'],
    [
      'a stack trace: every line its own entry',
      ['a\n  at b\n  at c\n'],
      '<3>a\n<3>  at b\n<3>  at c\n',
    ],
    ['a line in pieces', ['ab', 'c\nd', 'e\n'], '<3>abc\n<3>de\n'],
    ['an empty write', ['', 'x\n'], '<3>x\n'],
    ['an empty line', ['\n'], '<3>\n'],
  ])('prefixes %s', (_what, writes, expected) => {
    const { chunks, target } = collector();
    const w = prefixLines(target, '<3>');
    for (const c of writes) expect(w.write(c)).toBe(true);
    expect(chunks.join('')).toBe(expected);
  });
});
