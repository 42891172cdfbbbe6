/**
 * Byte offsets of the addon's CAN RX record and TX slot (native/src/raw_can_socket.h `kRec*`,
 * `kTx*`), and its TX chunk: how many frames one sendmmsg(2) takes, which is also how many the
 * TX queue hands it at once. Written here so that nothing needs a built addon to read them;
 * test/unit/socketcan/native-addon.test.ts checks them against the addon's `layout`.
 */
import type { RecordLayout } from '../native/native-binding.js';

export const CAN_RECORD_LAYOUT: RecordLayout = {
  recordSize: 96,
  tsSec: 72,
  tsNsec: 80,
  drops: 84,
  msgLen: 88,
  msgFlags: 92,
  txStride: 80,
  txSizeOffset: 72,
  maxBatch: 1024,
  txChunk: 64,
};
