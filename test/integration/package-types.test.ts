// The public surface as a dependent program sees it (issue 13 §2): the package packed as npm would
// publish it (`npm pack`), installed from the tarball into a throw-away consumer project, and
// test/fixtures/package-consumer/consumer.ts type-checked there with tsc: imports of
// `can-multicast-bridge` and `can-multicast-bridge/socketcan` resolve through "exports" to the
// shipped .d.ts, the API compiles as used (and README.md's "SocketCAN in Node" example), each `@ts-expect-error` wrong use is an error, and an
// internal path outside "exports" does not resolve. Offline: the tarball's dependencies are this
// tree's node_modules, linked in before `npm install --offline` installs the tarball alone.
// Measured on the 2-core development machine: 9 s in all with dist/ fresh (pack and install 3 s,
// the two tsc runs 4 s and 2.5 s); a stale dist/ adds the build (about 25 s).
import { execFile } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readmeRecipe, REPO_ROOT } from '../support/readme-recipe.js';

const execFileP = promisify(execFile);
const FIXTURE = join(REPO_ROOT, 'test/fixtures/package-consumer');
const TSC = join(REPO_ROOT, 'node_modules/typescript/bin/tsc');

interface Run {
  code: number;
  out: string;
}

async function run(cmd: string, args: string[], cwd: string): Promise<Run> {
  try {
    const { stdout, stderr } = await execFileP(cmd, args, { cwd, maxBuffer: 1 << 22 });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, out: `${e.stdout}${e.stderr}` };
  }
}

describe('the packed package, compiled against by a consumer', () => {
  let dir = '';
  let consumer = '';

  beforeAll(async () => {
    // The tarball ships dist/: build it first when older than the sources (as test-can.mjs does).
    const build = await run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "import { buildIfStale } from './scripts/dist-stale.mjs'; process.exit(buildIfStale('.') ? 0 : 1);",
      ],
      REPO_ROOT,
    );
    expect(build, build.out).toMatchObject({ code: 0 });
    dir = mkdtempSync(join(tmpdir(), 'cmb-pack-'));
    // prepare (the build) ran above; the tarball holds "files" of package.json, as published.
    const pack = await run(
      'npm',
      ['pack', '--ignore-scripts', '--silent', '--pack-destination', dir],
      REPO_ROOT,
    );
    expect(pack, pack.out).toMatchObject({ code: 0 });
    const tarball = join(dir, pack.out.trim().split('\n').at(-1) ?? '');
    consumer = join(dir, 'consumer');
    mkdirSync(join(consumer, 'node_modules/@types'), { recursive: true });
    writeFileSync(
      join(consumer, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
    );
    const ours = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    for (const dep of Object.keys(ours.dependencies)) {
      symlinkSync(join(REPO_ROOT, 'node_modules', dep), join(consumer, 'node_modules', dep));
    }
    const install = await run(
      'npm',
      [
        'install',
        '--offline',
        '--no-save',
        '--no-package-lock',
        '--ignore-scripts',
        '--no-audit',
        '--no-fund',
        tarball,
      ],
      consumer,
    );
    expect(install, install.out).toMatchObject({ code: 0 });
    // After the install: npm removes what no package.json asks for, and @types/node is ours.
    symlinkSync(
      join(REPO_ROOT, 'node_modules/@types/node'),
      join(consumer, 'node_modules/@types/node'),
    );
    for (const f of ['consumer.ts', 'internal-import.ts', 'tsconfig.json']) {
      cpSync(join(FIXTURE, f), join(consumer, f));
    }
    // README.md "SocketCAN in Node": its example, as a user would paste it.
    writeFileSync(join(consumer, 'readme-example.ts'), readmeRecipe('socketcan-in-node'));
  }, 120_000);

  afterAll(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('installs the tarball with both entry points in its "exports"', () => {
    const pkg = JSON.parse(
      readFileSync(join(consumer, 'node_modules/can-multicast-bridge/package.json'), 'utf8'),
    ) as { exports: Record<string, string> };
    expect(pkg.exports).toEqual({
      '.': './dist/src/index.js',
      './socketcan': './dist/src/socketcan-api.js',
    });
    for (const target of Object.values(pkg.exports)) {
      const dts = join(
        consumer,
        'node_modules/can-multicast-bridge',
        target.replace(/\.js$/, '.d.ts'),
      );
      expect(readFileSync(dts, 'utf8')).toContain('export');
    }
  });

  it('type-checks the consumer and the README example (strict, skipLibCheck off), every @ts-expect-error an error', async () => {
    const tsc = await run(process.execPath, [TSC, '-p', 'tsconfig.json'], consumer);
    expect(tsc.out).toBe('');
    expect(tsc.code).toBe(0);
  });

  it('fails on a wrong use unguarded, and on an internal module outside "exports"', async () => {
    const src = readFileSync(join(consumer, 'consumer.ts'), 'utf8');
    const marker = '// @ts-expect-error write returns a Promise, not a boolean';
    expect(src).toContain(marker);
    // The same consumer without that one guard: the checks bite. One tsc run for both files
    // (libraries were checked above).
    writeFileSync(join(consumer, 'unguarded.ts'), src.replace(marker, ''));
    writeFileSync(
      join(consumer, 'tsconfig.wrong.json'),
      JSON.stringify({
        extends: './tsconfig.json',
        compilerOptions: { skipLibCheck: true },
        files: ['unguarded.ts', 'internal-import.ts'],
      }),
    );
    const tsc = await run(process.execPath, [TSC, '-p', 'tsconfig.wrong.json'], consumer);
    expect(tsc.code).not.toBe(0);
    const errors = tsc.out.trim().split('\n').sort();
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(
      /^internal-import\.ts\(\d+,\d+\): error TS2307: Cannot find module 'can-multicast-bridge\/dist\/src\/socketcan\/can-tx-writer\.js'/,
    );
    expect(errors[1]).toMatch(
      /^unguarded\.ts\(\d+,\d+\): error TS2322: Type 'Promise<void>' is not assignable to type 'boolean'/,
    );
  });
});
