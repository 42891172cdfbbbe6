/**
 * The health verdict behind `/healthz`: healthy when both sides are open, i.e. the CAN interface
 * is up and the multicast bus is started. Pure: the daemon supplies the snapshot.
 */
import type { CanBusState } from '../bridge/bus-state.js';
import type { CanSocketState } from '../socketcan/can-socket-like.js';

/** Where the multicast bus is: not started yet, open (joined, sending), or closed. */
export type MulticastSideState = 'idle' | 'open' | 'closed';

/** Both sides as the daemon sees them now. */
export interface HealthSnapshot {
  /**
   * `state`: the interface; `busState`: the controller's error state from error frames (reported,
   * not judged: a bus-off controller recovers by itself or by `ip link`), null before the bridge runs.
   */
  can: { interface: string; state: CanSocketState; busState: CanBusState | null };
  multicast: { group: string | null; port: number | null; state: MulticastSideState };
}

/** The `/healthz` body. */
export interface HealthReport extends HealthSnapshot {
  status: 'ok' | 'unavailable';
  /** One sentence per side that is not open; empty when healthy. */
  problems: string[];
}

export function assessHealth(snapshot: HealthSnapshot): HealthReport {
  const problems: string[] = [];
  const { can, multicast } = snapshot;
  if (can.state !== 'up') problems.push(`CAN interface ${can.interface} is ${can.state}`);
  if (multicast.state !== 'open') {
    problems.push(`multicast bus is ${multicast.state === 'idle' ? 'not started' : 'closed'}`);
  }
  return { status: problems.length === 0 ? 'ok' : 'unavailable', problems, ...snapshot };
}
