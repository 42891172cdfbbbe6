/**
 * RejoinPolicy (issue 10 §1): the multicast endpoint's reading of the interface monitor's events.
 * The bus-level behaviour is in multicast-rejoin.test.ts; these are the decisions alone.
 */
import { describe, expect, it } from 'vitest';
import type { InterfaceEvent, InterfaceSnapshot } from '../../../src/net/interface-monitor.js';
import { RejoinPolicy } from '../../../src/multicast/rejoin-policy.js';

function snap(
  ifindex: number | null,
  addresses: string[],
  up = true,
  name = 'eth0',
): InterfaceSnapshot {
  return { name, ifindex, up, addresses, link: null };
}

function event(
  kind: InterfaceEvent['kind'],
  now: InterfaceSnapshot,
  previous: InterfaceSnapshot | null,
): InterfaceEvent {
  return { ...now, kind, previous };
}

const joined = snap(7, ['10.0.0.1']);

describe('RejoinPolicy, named interface', () => {
  it.each<[string, InterfaceEvent, unknown]>([
    [
      'a new index',
      event('back', snap(9, ['10.0.0.1']), joined),
      { reason: 'index_changed', reopenReceive: true, reopenSend: true },
    ],
    [
      'an address lost',
      event('up', snap(7, ['10.0.0.2']), joined),
      { reason: 'address_lost', reopenReceive: false, reopenSend: true },
    ],
    ['an address gained', event('up', snap(7, ['10.0.0.1', '10.0.0.2']), joined), null],
    ['an index known at last', event('up', snap(7, ['10.0.0.1']), snap(null, ['10.0.0.1'])), null],
  ])('%s', (_what, e, expected) => {
    const p = new RejoinPolicy(true);
    p.markUp(joined);
    const change = p.onChanges([e]);
    if (expected === null) expect(change).toBeNull();
    else expect(change).toEqual({ kind: 'rejoin', ...(expected as object) });
  });

  it('gone once, then back: the same index keeps the sockets, a new one reopens both', () => {
    const p = new RejoinPolicy(true);
    p.markUp(joined);
    expect(p.onChanges([event('down', snap(7, [], false), joined)])).toEqual({ kind: 'gone' });
    expect(p.onChanges([event('gone', snap(7, [], false), null)])).toBeNull();
    expect(p.state).toBe('gone');
    expect(p.onChanges([event('up', snap(7, ['10.0.0.1']), null)])).toMatchObject({
      reason: 'reappeared',
      reopenReceive: false,
      reopenSend: false,
    });
    expect(p.onChanges([event('back', snap(8, ['10.0.0.1']), null)])).toMatchObject({
      reason: 'reappeared',
      reopenReceive: true,
      reopenSend: true,
    });
  });

  it('a failed re-join is news once', () => {
    const p = new RejoinPolicy(true);
    p.markUp(joined);
    expect(p.markGone()).toBe(true);
    expect(p.markGone()).toBe(false);
    p.markUp(joined);
    expect(p.state).toBe('up');
  });
});

describe("RejoinPolicy, the kernel's choice", () => {
  const lo = snap(1, ['127.0.0.1'], true, 'lo');
  const veth = snap(50, ['172.17.0.1'], true, 'veth5');

  it('ignores a new interface and re-joins once when several went away or changed in one look', () => {
    const p = new RejoinPolicy(false);
    p.markUp(undefined);
    expect(p.onChanges([event('back', veth, null)])).toBeNull();
    const change = p.onChanges([
      event('gone', snap(1, [], false, 'lo'), lo),
      event('back', snap(51, ['172.17.0.1'], true, 'veth5'), veth),
    ]);
    expect(change).toEqual({
      kind: 'rejoin',
      reason: 'interfaces_changed',
      reopenReceive: true,
      reopenSend: true,
    });
  });

  it('while a join fails, any interface or address added is worth a retry', () => {
    const p = new RejoinPolicy(false);
    p.markUp(undefined);
    p.markGone();
    expect(p.onChanges([event('back', veth, null)])).toMatchObject({
      reason: 'interfaces_changed',
    });
    expect(
      p.onChanges([event('up', snap(50, ['172.17.0.1', '172.17.0.2'], true, 'veth5'), veth)]),
    ).toMatchObject({ reason: 'interfaces_changed' });
  });
});
