// --peer HOST[:PORT] (issue 13 section 1) on dump, send, run and check-config: one option table
// (src/cli/multicast-options.ts), checked as the config key multicast.peers is.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeDatagram } from '../../../src/protocol/decode-datagram.js';
import { runCliInProcess } from '../../support/cli-harness.js';

const dir = mkdtempSync(join(tmpdir(), 'cmb-peer-'));

describe('--peer', () => {
  it.each([['dump'], ['send'], ['run'], ['check-config']])('is in %s --help', async (command) => {
    const run = runCliInProcess([command, '--help']);
    expect(await run.exit).toBe(0);
    expect(run.stdout()).toMatch(/--peer HOST\[:PORT\]/);
  });

  it('send goes to the group and, by unicast, to every --peer', async () => {
    const run = runCliInProcess([
      'send',
      '-4',
      '--peer',
      '10.2.0.5',
      '--peer',
      '10.3.0.6:43200',
      '123#01',
    ]);
    expect(await run.exit).toBe(0);
    const sent = run.sockets.flatMap((s) =>
      s.sent.map((d) => ({ address: d.address, port: d.port, ok: decodeDatagram(d.msg).ok })),
    );
    expect(sent).toEqual([
      { address: '239.74.163.2', port: 43113, ok: true },
      { address: '10.2.0.5', port: 43113, ok: true },
      { address: '10.3.0.6', port: 43200, ok: true },
    ]);
  });

  it('send with --group none goes to the peers only', async () => {
    const run = runCliInProcess(['send', '-g', 'none', '--peer', '10.2.0.5', '123#01']);
    expect(await run.exit).toBe(0);
    const sent = run.sockets.flatMap((s) => s.sent.map((d) => d.address));
    expect(sent).toEqual(['10.2.0.5']);
  });

  it.each([
    [['send', '--peer', '10.0.0.300', '123#00'], '--peer must be a list of unicast peers'],
    [['send', '--peer', 'fd00::1', '123#00'], 'in brackets'],
    [['dump', '--peer', 'a:0'], 'from 1 to 65535'],
    [['send', '-4', '--peer', '[fd00::1]', '123#00'], 'is IPv6 but the group'],
    [['send', '-g', 'none', '123#00'], 'group "none" needs at least one peer'],
  ])('rejects %j with one line and exit 64, sending nothing', async (argv, message) => {
    const run = runCliInProcess(argv);
    expect(await run.exit).toBe(64);
    expect(run.stderr()).toContain(message);
    expect(run.stderr().trim().split('\n')).toHaveLength(1);
    expect(run.sockets.flatMap((s) => s.sent)).toEqual([]);
  });

  it('check-config takes --peer (repeatable) as multicast.peers, replacing the file list', async () => {
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ multicast: { peers: ['old.example'] } }));
    const run = runCliInProcess([
      'check-config',
      file,
      '--peer',
      'site-b.example',
      '--peer',
      '[fd00::7]:43114',
    ]);
    expect(await run.exit).toBe(0);
    const cfg = JSON.parse(run.stdout()) as {
      multicast: { peers: string[]; peerResolveMs: number };
    };
    expect(cfg.multicast.peers).toEqual(['site-b.example', '[fd00::7]:43114']);
    expect(cfg.multicast.peerResolveMs).toBe(30000);
  });

  it('check-config refuses a bad peer in the file with exit 78 naming the key and the item', async () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ multicast: { peers: ['ok.example', 'bad_name'] } }));
    const run = runCliInProcess(['check-config', file]);
    expect(await run.exit).toBe(78);
    expect(run.stderr()).toContain('multicast.peers');
    expect(run.stderr()).toContain('item 2: "bad_name"');
  });
});
