/**
 * `dump --stats`: frames per second per id, and the bus load those frames would put on a CAN bus
 * of a given bit rate, estimated as canbusload does by default (worst-case bit stuffing; can-utils
 * canframelen.c `can_frame_length` / `can_frame_dbitrate_length`, canbusload.c `printstats`).
 */
import type { CanFrame } from '../frame.js';

/** Bits on the wire at the nominal rate, all of them (canframelen.c CFL_WORSTCASE). */
export function frameBits(frame: CanFrame): number {
  const eff = frame.isExtendedId;
  const len = frame.isRemoteFrame ? frame.dlc : frame.data.length;
  if (!frame.isFd) return (eff ? 80 : 55) + len * 10;
  // "not correct, but close ?" (canframelen.c), then * 5 / 4 in integers.
  const plain = 1 + (eff ? 29 : 11) + (len >= 16 ? 21 : 17) + 5 + 12 + len * 8;
  return Math.floor((plain * 5) / 4);
}

/** Of `frameBits`, those sent at the data bit rate: a CAN FD frame with BRS only. */
export function frameDataPhaseBits(frame: CanFrame): number {
  if (!frame.isFd || !frame.bitrateSwitch) return 0;
  const len = frame.data.length;
  const plain = 1 + 1 + 4 + (len >= 16 ? 21 : 17) + len * 8;
  return Math.floor((plain * 5) / 4);
}

export interface BusRates {
  /** Nominal (arbitration) bit rate, bit/s. */
  bitrate: number;
  /** Data-phase bit rate for CAN FD frames with BRS; default the nominal one. */
  dataBitrate?: number;
}

/** Frame and bit counts of one interval, by id. */
export class BusLoadCounter {
  #frames = 0;
  #bits = 0;
  #dataBits = 0;
  readonly #byId = new Map<string, number>();

  add(frame: CanFrame): void {
    this.#frames++;
    this.#bits += frameBits(frame);
    this.#dataBits += frameDataPhaseBits(frame);
    const id = frame.isErrorFrame
      ? `ERR ${frame.arbitrationId.toString(16).toUpperCase().padStart(3, '0')}`
      : frame.arbitrationId
          .toString(16)
          .toUpperCase()
          .padStart(frame.isExtendedId ? 8 : 3, '0');
    this.#byId.set(id, (this.#byId.get(id) ?? 0) + 1);
  }

  /**
   * The interval's report lines and a reset. Load in %: canbusload's
   * `(bits - dbits) * 100 / bitrate + dbits * 100 / dbitrate`, per second of the interval.
   */
  report(intervalS: number, rates: BusRates | null): string[] {
    const perS = (n: number) => n / intervalS;
    let head = `dump: stats over ${intervalS} s: ${perS(this.#frames).toFixed(1)} frames/s`;
    if (rates !== null) {
      const dbitrate = rates.dataBitrate ?? rates.bitrate;
      // Two integer divisions, as canbusload.c does them.
      const load =
        Math.floor((perS(this.#bits - this.#dataBits) * 100) / rates.bitrate) +
        Math.floor((perS(this.#dataBits) * 100) / dbitrate);
      head += `, ${Math.round(perS(this.#bits))} bit/s, bus load ${load}% at ${rates.bitrate}`;
      if (rates.dataBitrate !== undefined) head += `/${rates.dataBitrate}`;
      head += ' bit/s (worst-case bit stuffing, as canbusload)';
    }
    const ids = [...this.#byId.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const lines = [head, ...ids.map(([id, n]) => `  ${id.padStart(8)}  ${perS(n).toFixed(1)}/s`)];
    this.#frames = 0;
    this.#bits = 0;
    this.#dataBits = 0;
    this.#byId.clear();
    return lines;
  }
}
