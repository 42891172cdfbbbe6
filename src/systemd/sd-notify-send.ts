/**
 * The one datagram of sd_notify(3), sent by the addon's `sdNotify` (native/src/sd_notify.cc): Node's
 * dgram has no AF_UNIX datagram sockets. The addon is loaded on the first send, never on import.
 */
import { loadNativeBinding } from '../native/native-binding.js';

/** Sends `message` to `address` ("/path" or "@abstract"); throws a Node-style system error. */
export type NotifySend = (address: string, message: string) => void;

/** The default `NotifySend`: the addon's `sdNotify`, non-blocking (MSG_DONTWAIT). */
export const nativeNotifySend: NotifySend = (address, message) => {
  loadNativeBinding().sdNotify(address, message);
};
