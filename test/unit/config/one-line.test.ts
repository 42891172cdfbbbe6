import { describe, expect, it } from 'vitest';
import { oneLine, quote, showName } from '../../../src/config/one-line.js';

describe('user text in messages', () => {
  it('oneLine escapes controls, line and paragraph separators and format characters', () => {
    expect(oneLine('a\nb\r\u0085\u2028\u2029\u001b\u007f\u200b\ufeff\u202e')).toBe(
      'a\\u000ab\\u000d\\u0085\\u2028\\u2029\\u001b\\u007f\\u200b\\ufeff\\u202e',
    );
    expect(oneLine('plain text, é 😀')).toBe('plain text, é 😀');
  });

  it('quote gives a JSON literal that parses back to the text', () => {
    for (const text of ['x\ny', '\u2028\u0085', 'a"b\\c', '\ud800', '😀']) {
      const q = quote(text);
      expect(q).not.toMatch(/[\n\r\u0085\u2028\u2029]/);
      expect(JSON.parse(q)).toBe(text);
    }
  });

  it('showName leaves plain names alone and quotes the rest', () => {
    expect(showName('can.interface')).toBe('can.interface');
    expect(showName('/etc/can-multicast-bridge/vcan0.json')).toBe(
      '/etc/can-multicast-bridge/vcan0.json',
    );
    expect(showName('/etc/café.json')).toBe('/etc/café.json');
    expect(showName('')).toBe('""');
    expect(showName('my config.json')).toBe('"my config.json"');
    expect(showName('a\nb')).toBe('"a\\nb"');
    expect(showName('x\u2028')).toBe('"x\\u2028"');
  });
});
