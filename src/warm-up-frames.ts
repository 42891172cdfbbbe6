/**
 * The common frame shapes the start-up warm-ups run through the hot paths before any traffic
 * (protocol/warm-up.ts for the codec, socketcan/kernel-frame-warm-up.ts for the kernel layout):
 * classic 8 and 2 bytes, extended, CAN FD with BRS at 64 bytes, remote. Fresh objects per call.
 */
import type { CanChannel, CanFrame } from './frame.js';
import { makeFrame } from './frame.js';

export function warmUpFrames(channel: CanChannel): CanFrame[] {
  return [
    makeFrame({ arbitrationId: 0x123, isExtendedId: false, data: new Uint8Array(8), channel }),
    makeFrame({ arbitrationId: 0x7f, isExtendedId: false, data: new Uint8Array(2), channel }),
    makeFrame({ arbitrationId: 0x1abcdef, isExtendedId: true, data: new Uint8Array(8), channel }),
    makeFrame({
      arbitrationId: 0x321,
      isExtendedId: false,
      isFd: true,
      bitrateSwitch: true,
      data: new Uint8Array(64),
      channel,
    }),
    makeFrame({ arbitrationId: 0x456, isExtendedId: false, isRemoteFrame: true, dlc: 8, channel }),
  ];
}
