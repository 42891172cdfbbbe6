/**
 * The CAN controller's error state, followed from the error frames SocketCAN delivers
 * (linux/can/error.h), and what it means for the TX side: when the controller goes bus-off the
 * frames waiting to be sent are dropped, and so is every new one until it recovers, rather than
 * being flushed as stale frames when the bus comes back (counted as the drop reason 'bus_off').
 *
 * The CAN socket must receive these error classes: `BUS_STATE_ERROR_MASK` in its CAN_RAW_ERR_FILTER.
 */
import { pino } from 'pino';
import type { Logger } from 'pino';
import type { CanFrame } from '../frame.js';
import type { CanSocketLike, CanStateChange } from '../socketcan/can-socket-like.js';

/** linux/can/error.h: controller problems, details in data[1]. */
const CAN_ERR_CRTL = 0x00000004;
/** linux/can/error.h: bus off. */
const CAN_ERR_BUSOFF = 0x00000040;
/** linux/can/error.h: controller restarted. */
const CAN_ERR_RESTARTED = 0x00000100;

/** The error classes the watch needs in the socket's error mask. */
export const BUS_STATE_ERROR_MASK = CAN_ERR_CRTL | CAN_ERR_BUSOFF | CAN_ERR_RESTARTED;

/** linux/can/error.h, data[1] of CAN_ERR_CRTL. */
const CAN_ERR_CRTL_RX_WARNING = 0x04;
const CAN_ERR_CRTL_TX_WARNING = 0x08;
const CAN_ERR_CRTL_RX_PASSIVE = 0x10;
const CAN_ERR_CRTL_TX_PASSIVE = 0x20;
const CAN_ERR_CRTL_ACTIVE = 0x40;

/** The controller states of linux/can/netlink.h `enum can_state` that error frames report. */
export type CanBusState = 'error-active' | 'error-warning' | 'error-passive' | 'bus-off';

/**
 * The state an error frame reports, or null when it says nothing about the state (e.g. a
 * protocol violation, or a CAN_ERR_CRTL overflow report).
 */
export function busStateOf(frame: CanFrame): CanBusState | null {
  if (!frame.isErrorFrame) return null;
  const cls = frame.arbitrationId;
  if ((cls & CAN_ERR_BUSOFF) !== 0) return 'bus-off';
  if ((cls & CAN_ERR_RESTARTED) !== 0) return 'error-active';
  if ((cls & CAN_ERR_CRTL) !== 0) {
    const crtl = frame.data[1] ?? 0;
    if ((crtl & (CAN_ERR_CRTL_RX_PASSIVE | CAN_ERR_CRTL_TX_PASSIVE)) !== 0) return 'error-passive';
    if ((crtl & (CAN_ERR_CRTL_RX_WARNING | CAN_ERR_CRTL_TX_WARNING)) !== 0) return 'error-warning';
    if ((crtl & CAN_ERR_CRTL_ACTIVE) !== 0) return 'error-active';
  }
  return null;
}

export interface BusStateWatchOptions {
  can: CanSocketLike;
  logger?: Logger;
}

/** Follows the bus state of one CAN socket; logs every transition once. */
export class BusStateWatch {
  readonly #can: CanSocketLike;
  readonly #log: Logger;
  #state: CanBusState = 'error-active';
  #transitions = 0;
  #started = false;

  constructor(options: BusStateWatchOptions) {
    this.#can = options.can;
    this.#log = (options.logger ?? pino({ level: 'silent' })).child({ component: 'bus-state' });
  }

  get state(): CanBusState {
    return this.#state;
  }

  /** State changes seen so far. */
  get transitions(): number {
    return this.#transitions;
  }

  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#can.on('frames', this.#onFrames);
    this.#can.on('state', this.#onInterface);
  }

  close(): void {
    if (!this.#started) return;
    this.#started = false;
    this.#can.off('frames', this.#onFrames);
    this.#can.off('state', this.#onInterface);
  }

  #onFrames = (frames: CanFrame[]): void => {
    for (const frame of frames) {
      if (!frame.isErrorFrame) continue;
      const next = busStateOf(frame);
      if (next === null) continue;
      // Out of bus-off only by a restart (CAN_ERR_RESTARTED, CAN_ERR_CRTL_ACTIVE) or the
      // interface being set up again: a warning or passive report cannot end it.
      if (this.#state === 'bus-off' && next !== 'error-active' && next !== 'bus-off') continue;
      this.#set(next, 'error frame');
    }
  };

  /** `ip link set up` restarts a controller (drivers/net/can/dev: error-active after open). */
  #onInterface = (change: CanStateChange): void => {
    if (change === 'up' || change === 'back') this.#set('error-active', `interface ${change}`);
  };

  #set(next: CanBusState, cause: string): void {
    const previous = this.#state;
    if (next === previous) return;
    this.#state = next;
    this.#transitions++;
    let dropped = 0;
    if (next === 'bus-off') {
      this.#can.setTxBlocked('bus_off');
      dropped = this.#can.dropQueued('bus_off');
    } else if (previous === 'bus-off') {
      this.#can.setTxBlocked(null);
    }
    const fields = { iface: this.#can.interfaceName, state: next, previous, cause, dropped };
    if (next === 'bus-off' || next === 'error-passive') this.#log.warn(fields, 'CAN bus state');
    else this.#log.info(fields, 'CAN bus state');
  }
}
