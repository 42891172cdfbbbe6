/**
 * Issue 5, config robustness: a UTF-8 byte order mark, interface names checked as the kernel does
 * (bytes, not characters), and error messages that stay one line whatever the user wrote.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { configError } from '../../support/config-error.js';
import { runCliInProcess } from '../../support/cli-harness.js';

const dir = mkdtempSync(join(tmpdir(), `cmb-config-robust-${process.pid}-`));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
let count = 0;
function file(content: string | Buffer, name = `c${++count}.json`): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

const load = (path: string) => loadConfig({ file: path, env: {}, hostname: 'h' });

describe('a config file with a UTF-8 byte order mark', () => {
  it('loads (the BOM is stripped)', () => {
    const path = file(Buffer.concat([BOM, Buffer.from('{"can": {"interface": "vcan7"}}')]));
    expect(load(path).can.interface).toBe('vcan7');
  });

  it('a BOM alone is an empty file; after a BOM, JSON errors point past it', () => {
    expect(configError(() => load(file(BOM))).message).toContain('the file is empty');
    const message = configError(() => load(file(Buffer.concat([BOM, Buffer.from('{x}')])))).message;
    expect(message).toContain(
      'expected a key in double quotes or "}" but found "x" (line 1 column 2)',
    );
  });

  it.each([
    ['LE', [0xff, 0xfe, 0x7b, 0x00, 0x7d, 0x00]],
    ['BE', [0xfe, 0xff, 0x00, 0x7b, 0x00, 0x7d]],
  ])('a UTF-16 %s file is refused, saying so', (_endian, bytes) => {
    expect(configError(() => load(file(Buffer.from(bytes)))).message).toMatch(
      /is not valid JSON: it is UTF-16 \(byte order mark (FFFE|FEFF)\); save it as UTF-8$/,
    );
  });
});

describe('a config file that is not valid UTF-8', () => {
  it.each([
    ['a Latin-1 byte in a value', '{"sender": {"id": "caf', [0xe9], '"}}', 22, 1],
    ['a truncated sequence on line 3', '{\n"sender":\n{"id": "', [0xe2, 0x82], '"}}', 20, 3],
    ['a lone continuation byte', '{"can": ', [0x80], '{}}', 8, 1],
  ])('is refused, naming the byte and line: %s', (_name, head, bad, tail, at, line) => {
    const path = file(Buffer.concat([Buffer.from(head), Buffer.from(bad), Buffer.from(tail)]));
    const error = configError(() => load(path));
    expect(error.message).toMatch(
      new RegExp(`is not valid UTF-8 \\(byte ${at}, line ${line}\\); save it as UTF-8$`),
    );
    expect(error.message).not.toContain('\n');
  });

  it('valid multi-byte UTF-8 still loads', () => {
    const path = file('{"sender": {"id": "caf\u00e9-\u20ac"}}');
    expect(load(path).sender.id).toBe('caf\u00e9-\u20ac');
  });
});

describe('can.interface and multicast.interface are Linux interface names', () => {
  it.each([
    ['abcdefghijklmno', 'vcan0'],
    ['ééééééé', 'ééééééé'], // 14 bytes
    ['€€€€€', 'x'], // 15 bytes
  ])('accepts %j (up to 15 bytes in UTF-8)', (name, multicastIf) => {
    const cfg = loadConfig({
      env: {},
      overrides: { 'can.interface': name, 'multicast.interface': multicastIf },
    });
    expect(cfg.can.interface).toBe(name);
  });

  it.each([
    ['éééééééé', '16 bytes in UTF-8 is too long'], // 8 characters
    ['€€€€€a', '16 bytes in UTF-8 is too long'],
    ['abcdefghijklmnop', '16 bytes in UTF-8 is too long'],
    ['vcan0\u0000x', 'it contains NUL'],
    ['\u0000', 'it contains NUL'],
    ['.', 'expected a network interface name'],
    ['..', 'expected a network interface name'],
    ['a/b', 'it contains "/"'],
    ['a:b', 'it contains ":"'],
    ['a b', 'it contains whitespace'],
    ['a\u000bb', 'it contains whitespace'],
    ['a\u2003b', 'it contains whitespace'],
    ['à', 'the byte 0xA0'], // UTF-8 C3 A0: the kernel's isspace() takes 0xA0 for a space
    ['a\ud800', 'lone UTF-16 surrogate'],
  ])('refuses %j: %s', (name, why) => {
    for (const key of ['can.interface', 'multicast.interface']) {
      const err = configError(() => loadConfig({ env: {}, overrides: { [key]: name } }));
      expect(err.problems.map((p) => p.key)).toEqual([key]);
      expect(err.message).toContain(
        'expected a network interface name (1 to 15 bytes in UTF-8; no "/", ":", NUL or whitespace; not "." or "..")',
      );
      expect(err.message).toContain(why);
      expect(err.message).not.toMatch(/[\n\r\u2028]/);
      expect(err.message).not.toContain('\u0000');
    }
  });

  it('refuses NUL written as \\u0000 in the file, naming the key and showing it escaped', () => {
    const err = configError(() => load(file('{"can": {"interface": "vcan0\\u0000x"}}')));
    expect(err.message).toMatch(
      /^invalid configuration: can\.interface = "vcan0\\u0000x" \(from file /,
    );
    expect(err.message).toContain('it contains NUL');
  });

  it('can.interface may not be "", multicast.interface may (the kernel chooses)', () => {
    const err = configError(() => loadConfig({ env: {}, overrides: { 'can.interface': '' } }));
    expect(err.message).toContain('can.interface = "" (from command line): expected a network');
    expect(err.message).toContain('; it is empty');
    const cfg = loadConfig({ env: {}, overrides: { 'multicast.interface': '' } });
    expect(cfg.multicast.interface).toBe('');
  });
});

describe('error messages stay on one line', () => {
  it.each([
    ['a newline', 'x\ny', '"x\\ny"'],
    ['CR and an ANSI escape', 'x\r\u001b[31m', '"x\\r\\u001b[31m"'],
    ['NEL, U+2028 and U+2029', 'x\u0085\u2028\u2029', '"x\\u0085\\u2028\\u2029"'],
    ['a BOM and a bidi override', '\ufeffx\u202e', '"\\ufeffx\\u202e"'],
  ])('a value with %s is shown escaped', (_what, value, shown) => {
    const err = configError(() => loadConfig({ env: {}, overrides: { 'log.level': value } }));
    expect(err.message).toBe(
      `invalid configuration: log.level = ${shown} (from command line): expected one of "fatal", "error", "warn", "info", "debug", "trace", "silent"`,
    );
  });

  it('a key with a newline is quoted, in a one-problem and in a many-problem message', () => {
    const one = configError(() => load(file('{"a\\nb": 1}')));
    expect(one.message).toMatch(/^invalid configuration: "a\\nb" = 1 \(from file [^\n]*$/);
    const many = configError(() =>
      load(file('{"a\\nb": 1, "can": {"interface": "x\\ny", "fd\\r": 2}, "x\\u2028": 3}')),
    );
    expect(many.problems).toHaveLength(4);
    // The list keeps one line per problem; no value adds a line.
    expect(many.message.split('\n')).toHaveLength(5);
    expect(many.message).not.toMatch(/[\r\u2028]/);
    expect(many.message).toContain('  - "x\\u2028" = 3 (from file ');
    expect(many.message).toContain('  - "can.fd\\r" = 2 (from file ');
  });

  it('a dotted key with a newline gets a quoted nesting hint', () => {
    const err = configError(() => load(file('{"can.inter\\nface": "vcan0"}')));
    expect(err.message).toContain('e.g. {"can": {"inter\\nface": ...}}');
    expect(err.message).not.toContain('\n');
  });

  it('a file name with a newline is quoted', () => {
    const path = file('{"log": {"level": "loud"}}', 'odd\nname.json');
    const err = configError(() => load(path));
    expect(err.message).toContain(`(from file ${JSON.stringify(path)})`);
    expect(err.message).not.toContain('\n');
    const missing = configError(() => load(join(dir, 'gone\n.json')));
    expect(missing.message).toBe(
      `cannot read config file ${JSON.stringify(join(dir, 'gone\n.json'))}: it does not exist`,
    );
  });

  it.each([
    [
      'an unexpected token (V8 quotes the text, newlines included, and gives no position)',
      '{\n  "can": {\n    "interface": vcan0\n  }\n}',
      'expected a value but found "v" (line 3 column 18)',
    ],
    [
      'a trailing comma',
      '{\n  "can": {"fd": true,}\n}',
      'expected a key in double quotes but found "}" (line 2 column 22): JSON has no comma before "}"',
    ],
    [
      'a raw newline in a string',
      '{"can": {"interface": "vcan\n0"}}',
      'expected a character allowed in a string but found "\\n" (line 1 column 28): control characters must be escaped, e.g. \\n',
    ],
    [
      'a truncated file',
      '{"can": {"interf',
      `expected a closing '"' but found the end of the file (line 1 column 17)`,
    ],
    [
      'a comment',
      '{\n  // the bus\n}',
      'expected a key in double quotes or "}" but found "/" (line 2 column 3): JSON has no comments',
    ],
  ])('a JSON syntax error names the file and the place: %s', (_what, text, why) => {
    const path = file(text);
    const err = configError(() => load(path));
    expect(err.message).toBe(`config file ${path} is not valid JSON: ${why}`);
  });

  it('the CLI exits 78 (EX_CONFIG) with one stderr line', async () => {
    for (const content of [
      '{\n "can": {\n "interface": x\n }\n}',
      '{"can": {"interface": "a\\nb"}}',
    ]) {
      const run = runCliInProcess(['check-config', file(content)]);
      expect(await run.exit).toBe(78);
      expect(run.stderr().split('\n')).toEqual([
        expect.stringContaining('can-multicast-bridge check-config: '),
        '',
      ]);
      expect(run.stdout()).toBe('');
    }
  });
});
