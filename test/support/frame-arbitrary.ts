/** fast-check arbitraries for valid CAN frames of every kind (python-can's rules). */
import fc from 'fast-check';
import { CANFD_LENGTHS } from '../../src/frame.js';
import type { CanFrame } from '../../src/frame.js';

const channel = fc.oneof(
  fc.constant(null),
  fc.string({ maxLength: 40 }),
  fc.integer({ min: -1000, max: 100000 }),
);
const timestamp = fc.oneof(
  fc.constant(0),
  fc.double({ min: 0, max: 4e9, noNaN: true }),
  fc.integer({ min: 0, max: 2 ** 32 }),
);
const id = (extended: boolean) => fc.integer({ min: 0, max: extended ? 0x1fffffff : 0x7ff });

/** Any frame python-can's Message(check=True) accepts. */
export const validFrame: fc.Arbitrary<CanFrame> = fc
  .record({
    kind: fc.constantFrom('classic', 'remote', 'error', 'fd', 'fd_odd'),
    isExtendedId: fc.boolean(),
    timestamp,
    channel,
    brs: fc.boolean(),
    esi: fc.boolean(),
    seed: fc.uint8Array({ minLength: 64, maxLength: 64 }),
    len: fc.integer({ min: 0, max: 64 }),
  })
  .chain((r) =>
    id(r.isExtendedId).map((arbitrationId): CanFrame => {
      const fd = r.kind === 'fd' || r.kind === 'fd_odd';
      let len =
        r.kind === 'fd'
          ? (CANFD_LENGTHS[r.len % 16] ?? 0)
          : r.kind === 'fd_odd'
            ? r.len
            : r.len % 9;
      if (r.kind === 'error') len = 8;
      const remote = r.kind === 'remote';
      return {
        timestamp: r.timestamp,
        arbitrationId,
        isExtendedId: r.isExtendedId,
        isRemoteFrame: remote,
        isErrorFrame: r.kind === 'error',
        channel: r.channel,
        dlc: len,
        data: remote ? new Uint8Array(0) : r.seed.slice(0, len),
        isFd: fd,
        bitrateSwitch: fd && r.brs,
        errorStateIndicator: fd && r.esi,
      };
    }),
  );
