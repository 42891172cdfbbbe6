/**
 * Runs the kernel frame layout's hot paths (kernel-frame.ts) on made-up frames before any traffic,
 * as protocol/warm-up.ts does for the codec: V8 has optimized them by the time the first real
 * frames arrive, instead of compiling them in the background during the first seconds of traffic,
 * where under emulation those compiles (40-160 ms of CPU each, --trace-opt) compete with the frame
 * path for the CPUs (issue 9 §4). Pure: own buffers, no sockets.
 */
import { CANFD_MTU } from '../can/linux-can.js';
import type { CanChannel, CanFrame } from '../frame.js';
import { warmUpFrames } from '../warm-up-frames.js';
import { decodeKernelBatch, encodeKernelFrame } from './kernel-frame.js';
import { CAN_RECORD_LAYOUT } from './record-layout.js';

/**
 * Writes each common frame shape as a TX slot and reads it back as an RX record, `rounds` times;
 * returns the frames read back whose id and length match the ones written.
 */
export function warmUpKernelFrames(channel: CanChannel, rounds = 1500): number {
  const shapes = warmUpFrames(channel);
  const layout = CAN_RECORD_LAYOUT;
  const tx = new Uint8Array(layout.txStride * shapes.length);
  const txView = new DataView(tx.buffer);
  const rx = new Uint8Array(layout.recordSize * shapes.length);
  const rxView = new DataView(rx.buffer);
  let matched = 0;
  for (let i = 0; i < rounds; i++) {
    shapes.forEach((frame, n) => {
      const slot = n * layout.txStride;
      encodeKernelFrame(frame, tx, txView, slot, layout);
      // The TX slot's struct canfd_frame is the RX record's; the addon adds the rest.
      const at = n * layout.recordSize;
      rx.set(tx.subarray(slot, slot + CANFD_MTU), at);
      rxView.setUint32(at + layout.msgLen, tx[slot + layout.txSizeOffset] ?? 0, true);
      // A kernel stamp as SO_TIMESTAMPNS gives it, nanoseconds included: with whole seconds only,
      // TurboFan compiled the timestamp as an integer and deoptimized at the first real frame
      // (--trace-deopt: "lost precision"), to compile it again during the first second of traffic.
      rxView.setFloat64(at + layout.tsSec, 1_764_000_000 + i, true);
      rxView.setUint32(at + layout.tsNsec, 123_456_789 + n * 1000 + i, true);
    });
    for (const [n, frame] of decodeKernelBatch(rx, rxView, shapes.length, channel, 0).entries()) {
      const sent = shapes[n] as CanFrame;
      if (frame.arbitrationId === sent.arbitrationId && frame.dlc === sent.dlc) matched++;
    }
  }
  return matched;
}
