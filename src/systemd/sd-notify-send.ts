/**
 * The one datagram of sd_notify(3), sent by the addon's `sdNotify` (native/src/sd_notify.cc): Node's
 * dgram has no AF_UNIX datagram sockets. The addon is loaded on the first send, never on import.
 */
import { BridgeError } from '../errors.js';
import { loadNativeBinding } from '../socketcan/native-binding.js';

/** Sends `message` to `address` ("/path" or "@abstract"); throws a Node-style system error. */
export type NotifySend = (address: string, message: string) => void;

type SdNotifyFn = (address: string, message: string | Uint8Array) => number;

let sdNotify: SdNotifyFn | undefined;

/** The default `NotifySend`: the addon's `sdNotify`, non-blocking (MSG_DONTWAIT). */
export const nativeNotifySend: NotifySend = (address, message) => {
  if (sdNotify === undefined) {
    const binding: unknown = loadNativeBinding();
    const fn = (binding as { sdNotify?: unknown }).sdNotify;
    if (typeof fn !== 'function') {
      throw new BridgeError(
        'ERR_SD_NOTIFY_UNAVAILABLE',
        'the SocketCAN addon has no sdNotify: rebuild it with `node native/build.mjs`',
      );
    }
    sdNotify = fn as SdNotifyFn;
  }
  sdNotify(address, message);
};
