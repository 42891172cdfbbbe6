import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { exampleConfig, renderConfigReadme } from '../../support/config-docs.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { configKeys } from '../../../src/config/schema.js';

const README = fileURLToPath(new URL('../../../config/README.md', import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../../../config/example.json', import.meta.url));

// `UPDATE_CONFIG_DOCS=1 npx vitest run test/unit/config/config-docs.test.ts` rewrites both files
// from the schema (then run prettier on them); never in CI.
if (process.env.UPDATE_CONFIG_DOCS === '1' && process.env.CI !== 'true') {
  writeFileSync(README, renderConfigReadme());
  writeFileSync(EXAMPLE, `${JSON.stringify(exampleConfig(), null, 2)}\n`);
}

function leafPaths(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [prefix];
  return Object.entries(value).flatMap(([k, v]) => leafPaths(v, prefix ? `${prefix}.${k}` : k));
}

describe('config/README.md and config/example.json', () => {
  it('README.md is exactly what the schema generates', () => {
    expect(readFileSync(README, 'utf8')).toBe(renderConfigReadme());
  });

  it.each(configKeys().map((k) => [k.key, k.env]))('README.md documents %s and %s', (key, env) => {
    const readme = readFileSync(README, 'utf8');
    expect(readme).toContain(`### \`${key}\``);
    expect(readme).toContain(`\`${env}\``);
  });

  it('example.json lists every key of the schema and no other', () => {
    const example: unknown = JSON.parse(readFileSync(EXAMPLE, 'utf8'));
    expect(leafPaths(example).sort()).toEqual(
      configKeys()
        .map((k) => k.key)
        .sort(),
    );
  });

  it('example.json holds every key at its default value', () => {
    expect(JSON.parse(readFileSync(EXAMPLE, 'utf8'))).toEqual(exampleConfig());
  });

  it('example.json loads without error under strict validation', () => {
    const cfg = loadConfig({ file: EXAMPLE, env: {}, hostname: 'docs' });
    expect(cfg.can.interface).toBe('can0');
    expect(cfg.sender.id).toBe('docs/can0');
  });
});
