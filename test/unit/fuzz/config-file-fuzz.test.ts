// Fuzzing the config file path end to end (complements test/unit/config/config-fuzz.test.ts, which
// mutates parsed values): mutated file *text* (truncation, byte edits, random JSON documents, odd
// encodings) loads or throws ConfigError (ERR_CONFIG) with one message; mutated filter strings
// parse or throw CanFilterSyntaxError, and every filter that parses converts to a kernel filter.
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CanFilterSyntaxError, parseCanFilter } from '../../../src/can/can-filter.js';
import { CAN_INV_FILTER } from '../../../src/can/linux-can.js';
import { kernelFilterArray } from '../../../src/socketcan/kernel-filter.js';
import { exampleConfig } from '../../support/config-docs.js';
import { ConfigError, loadConfig } from '../../../src/config/load-config.js';
import { errorCode } from '../../../src/errors.js';
import { applyMutations, fuzzParams, mutation, readCorpus } from './fuzz-support.js';

const dir = mkdtempSync(join(tmpdir(), `cmb-config-file-fuzz-${process.pid}-`));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

/** Loads `content` as a config file: 'ok', or the ConfigError; anything else fails the test. */
function load(content: Uint8Array | string): 'ok' | ConfigError {
  const file = join(dir, `f${++files}.json`);
  writeFileSync(file, content);
  try {
    loadConfig({ file, env: {}, hostname: 'fuzz' });
    return 'ok';
  } catch (err) {
    if (!(err instanceof ConfigError)) {
      throw new Error(`loadConfig threw a non-ConfigError for ${JSON.stringify(String(content))}`, {
        cause: err,
      });
    }
    expect(errorCode(err)).toBe('ERR_CONFIG');
    return err;
  }
}

const exampleText = JSON.stringify(exampleConfig(), null, 2);
const exampleBytes = new TextEncoder().encode(exampleText);

describe('fuzzing config files', () => {
  it('the example config loads', () => {
    expect(load(exampleText)).toBe('ok');
  });

  it('mutated example files load or throw ConfigError', () => {
    let refused = 0;
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (muts) => {
        if (load(applyMutations(exampleBytes, muts)) !== 'ok') refused++;
      }),
      fuzzParams(250),
    );
    expect(refused).toBeGreaterThan(60);
  });

  it('arbitrary JSON documents load or throw ConfigError with a one-problem-per-line message', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (doc) => {
        const result = load(JSON.stringify(doc));
        if (result !== 'ok') {
          const lines = result.message.split('\n');
          expect(lines.length).toBe(result.problems.length <= 1 ? 1 : result.problems.length + 1);
        }
      }),
      fuzzParams(250),
    );
  });

  it('arbitrary bytes load or throw ConfigError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        load(bytes);
      }),
      fuzzParams(300),
    );
  });
});

interface ConfigCase {
  name: string;
  /** File content; `base64` instead for bytes that are not text. */
  text?: string;
  base64?: string;
  /** 'ok', or a substring of the ConfigError message. */
  expect: string;
}

describe('config file fuzz corpus', () => {
  const cases = readCorpus<ConfigCase>('config-files.json');
  it('has cases', () => expect(cases.length).toBeGreaterThan(5));
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const content = c.base64 !== undefined ? Buffer.from(c.base64, 'base64') : (c.text ?? '');
    const result = load(content);
    if (c.expect === 'ok') expect(result).toBe('ok');
    else expect(result === 'ok' ? 'ok' : result.message).toContain(c.expect);
  });
});

describe('fuzzing filter strings', () => {
  const valid = fc
    .tuple(
      fc.integer({ min: 0, max: 0x1fffffff }),
      fc.constantFrom(':', '~'),
      fc.integer({ min: 0, max: 0x1fffffff }),
      fc.boolean(),
    )
    .map(([id, sep, mask, wide]) => {
      const pad = (n: number) => n.toString(16).padStart(wide ? 8 : 3, '0');
      return `${pad(id)}${sep}${pad(mask)}`;
    });
  const edit = fc.tuple(
    fc.nat(),
    fc.constantFrom('', '0', 'f', 'F', ':', '~', '#', 'x', ' ', '-', '8', '\u0661', 'ffffffff'),
  );

  it('a mutated filter parses to one the kernel takes or throws CanFilterSyntaxError', () => {
    fc.assert(
      fc.property(valid, fc.array(edit, { maxLength: 3 }), (text, edits) => {
        let s = text;
        for (const [at, insert] of edits) {
          const i = at % (s.length + 1);
          s = insert === '' ? s.slice(0, i) + s.slice(i + 1) : s.slice(0, i) + insert + s.slice(i);
        }
        let filter;
        try {
          filter = parseCanFilter(s);
        } catch (err) {
          expect(err).toBeInstanceOf(CanFilterSyntaxError);
          return;
        }
        // The fields are 32-bit unsigned as struct can_filter's, and reach the kernel unchanged.
        const canId = (filter.id | (filter.inverted ? CAN_INV_FILTER : 0)) >>> 0;
        for (const n of [filter.id, filter.mask]) expect(n >>> 0).toBe(n);
        expect([...kernelFilterArray([filter])]).toEqual([canId, filter.mask]);
      }),
      fuzzParams(1500),
    );
  });
});
