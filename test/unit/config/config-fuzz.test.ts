// Property-based tests (issue 5 section 2): the filter and network parsers and the config loader
// never let an exception other than their own syntax / ERR_CONFIG errors escape.
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CanFilterSyntaxError,
  canFilterMatches,
  parseCanFilter,
} from '../../../src/can/can-filter.js';
import { CidrSyntaxError, cidrContains, parseCidr } from '../../../src/net/cidr.js';
import { exampleConfig } from '../../support/config-docs.js';
import { showName } from '../../../src/config/one-line.js';
import { ConfigError, loadConfig } from '../../../src/config/load-config.js';
import { configKeys } from '../../../src/config/schema.js';

const dir = mkdtempSync(join(tmpdir(), `cmb-config-fuzz-${process.pid}-`));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const hex = (max: number): fc.Arbitrary<string> =>
  fc.integer({ min: 0, max }).map((n) => n.toString(16));
const filterLike = fc.oneof(
  fc.string(),
  fc
    .tuple(hex(0xffffffff), fc.constantFrom(':', '~', '-', ''), hex(0xffffffff))
    .map((p) => p.join('')),
  fc.stringMatching(/^[0-9a-fA-FxX#j:~ ]{0,20}$/),
);

function throwsOnly<E>(fn: () => unknown, type: new (...args: never[]) => E): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(type);
  }
}

describe('fuzzing the parsers', () => {
  it('parseCanFilter returns a well-formed filter or throws CanFilterSyntaxError', () => {
    fc.assert(
      fc.property(filterLike, (text) => {
        throwsOnly(() => {
          const f = parseCanFilter(text);
          for (const n of [f.id, f.mask]) expect(n >>> 0).toBe(n);
          expect(f.id & 0x20000000).toBe(0);
          expect(f.mask & 0x20000000).toBe(0);
          expect(f.extended).toBe((f.id & 0x80000000) !== 0);
        }, CanFilterSyntaxError);
      }),
      { numRuns: 2000 },
    );
  });

  it('a filter passes the frame id it names and its inverse does not', () => {
    fc.assert(
      fc.property(hex(0x1fffffff), hex(0xffffffff), (id, mask) => {
        const plain = parseCanFilter(`${id}:${mask}`);
        const inverted = parseCanFilter(`${id}~${mask}`);
        expect(canFilterMatches(plain, plain.id)).toBe(true);
        expect(canFilterMatches(inverted, inverted.id)).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('parseCidr returns a network or throws CidrSyntaxError', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^[0-9a-f:./%]{0,45}$/)), (text) =>
        throwsOnly(() => parseCidr(text), CidrSyntaxError),
      ),
      { numRuns: 2000 },
    );
  });

  it('a network contains every address it was written with', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 32 })),
          fc.tuple(fc.ipV6(), fc.integer({ min: 0, max: 128 })),
        ),
        ([address, prefix]) => {
          expect(cidrContains(parseCidr(`${address}/${prefix}`), address)).toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('fuzzing loadConfig', () => {
  const keys = configKeys().map((k) => k.key);
  let runs = 0;

  function mutate(base: unknown, path: string[], value: unknown): unknown {
    const [head, ...rest] = path;
    if (head === undefined) return value;
    const node =
      typeof base === 'object' && base !== null && !Array.isArray(base)
        ? (base as Record<string, unknown>)
        : {};
    return { ...node, [head]: mutate(node[head], rest, value) };
  }

  it('a mutated config file loads or throws ConfigError naming every bad key', () => {
    const mutation = fc.tuple(
      fc.oneof(fc.constantFrom(...keys), fc.string({ maxLength: 12 })),
      fc.oneof(
        fc.jsonValue({ maxDepth: 2 }),
        fc.string(),
        filterLike.map((f) => [f]),
      ),
    );
    fc.assert(
      fc.property(fc.array(mutation, { maxLength: 4 }), (mutations) => {
        let config: unknown = exampleConfig();
        for (const [key, value] of mutations) config = mutate(config, key.split('.'), value);
        const path = join(dir, `fuzz-${++runs}.json`);
        writeFileSync(path, JSON.stringify(config));
        try {
          loadConfig({ file: path, env: {}, hostname: 'fuzz' });
        } catch (err) {
          expect(err).toBeInstanceOf(ConfigError);
          const e = err as ConfigError;
          expect(e.problems.length).toBeGreaterThan(0);
          // Keys show as is, or quoted when they hold whitespace, quotes or controls (one line).
          for (const p of e.problems) expect(e.message).toContain(showName(p.key));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('random CMB_ variables and overrides load or throw ConfigError', () => {
    const envs = configKeys().map((k) => k.env);
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom(...envs), fc.oneof(fc.string(), filterLike), { maxKeys: 4 }),
        fc.dictionary(fc.constantFrom(...keys), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
        (env, overrides) => {
          throwsOnly(() => loadConfig({ env, overrides, hostname: 'fuzz' }), ConfigError);
        },
      ),
      { numRuns: 500 },
    );
  });
});
