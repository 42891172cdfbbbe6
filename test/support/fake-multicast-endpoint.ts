/** An in-memory multicast side for relay tests: records sends, injects received frames. */
import { EventEmitter } from 'node:events';
import type { MulticastEndpoint } from '../../src/bridge/bridge.js';
import type { CanFrame } from '../../src/frame.js';
import { encodeFrame } from '../../src/protocol/encode-frame.js';
import type {
  MulticastBusEvents,
  MulticastBusStats,
} from '../../src/multicast/multicast-bus-types.js';

export class FakeMulticastEndpoint
  extends EventEmitter<MulticastBusEvents>
  implements MulticastEndpoint
{
  readonly sent: CanFrame[] = [];

  send(frame: CanFrame): void {
    encodeFrame(frame); // the real bus refuses what python-can would reject; so does the fake
    this.sent.push(frame);
  }

  stats(): MulticastBusStats {
    return {
      datagrams: 0,
      received: 0,
      sent: this.sent.length,
      sendErrors: 0,
      receiveErrors: 0,
      rejoins: 0,
      kernelDrops: 0,
      receiveBatches: 0,
      receiveBatchMax: 0,
      sendBatches: 0,
      sendBatchMax: 0,
      dropped: {},
    };
  }

  /** Delivers a frame as if it had arrived from `address`. */
  receive(frame: CanFrame, address = '10.0.0.9'): void {
    this.emit('frame', {
      frame,
      senderTimestamp: frame.timestamp,
      source: { address, port: 43113, family: 'IPv4', size: 100 },
    });
  }
}
