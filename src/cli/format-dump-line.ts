/** One received frame as a line of `dump` output: candump's log or human style, or NDJSON. */
import { CAN_ERR_FLAG } from '../can/linux-can.js';
import type { CanFrame } from '../frame.js';
import { formatFrameString } from '../frame-string.js';

/** A frame's channel as candump's interface column: `-` when python-can's `channel` is empty. */
export function channelColumn(frame: CanFrame): string {
  return frame.channel === null ? '-' : String(frame.channel);
}

/** `(1700000000.123456) vcan0 123#DEADBEEF`, as `candump -L` writes it; an absent channel is `-`. */
export function formatCandumpLine(frame: CanFrame, timestamp?: string): string {
  const ts = timestamp ?? `(${frame.timestamp.toFixed(6)}) `;
  return `${ts}${channelColumn(frame)} ${formatFrameString(frame)}`;
}

const hex2 = (b: number) => b.toString(16).toUpperCase().padStart(2, '0');

/**
 * The frame as candump prints it without -L (can-utils 2020.11 lib.c `sprint_long_canframe`, the
 * version Debian ships): `123   [4]  DE AD BE EF`, 29-bit ids in 8 digits, `[12]` for CAN FD,
 * `remote request`, `ERRORFRAME` after an error frame's data; 11-bit ids are indented by 5 once
 * a 29-bit frame was seen (`indentSff`, candump's CANLIB_VIEW_INDENT_SFF).
 */
export function formatLongFrame(frame: CanFrame, indentSff: boolean): string {
  let id: string;
  if (frame.isErrorFrame) {
    id = ((frame.arbitrationId | CAN_ERR_FLAG) >>> 0).toString(16).toUpperCase().padStart(8, '0');
  } else if (frame.isExtendedId) {
    id = frame.arbitrationId.toString(16).toUpperCase().padStart(8, '0');
  } else {
    const sff = frame.arbitrationId.toString(16).toUpperCase().padStart(3, '0');
    id = indentSff ? `     ${sff}` : sff;
  }
  // lib.c: the id field is 5 wide (3 digits) or 10 (8 digits or indented), space-filled.
  const field = id.padEnd(id.length > 3 ? 10 : 5, ' ');
  const len = frame.isRemoteFrame ? frame.dlc : frame.data.length;
  if (!frame.isFd) {
    const head = `${field} [${len}] `;
    if (frame.isRemoteFrame) return `${head} remote request`;
    const data = Array.from(frame.data, (b) => ` ${hex2(b)}`).join('');
    // lib.c: sprintf("%*s", dlen*(8-len)+13, "ERRORFRAME") with dlen 3 per byte.
    const tail = frame.isErrorFrame ? 'ERRORFRAME'.padStart(3 * (8 - len) + 13, ' ') : '';
    return `${head}${data}${tail}`;
  }
  const data = Array.from(frame.data, (b) => ` ${hex2(b)}`).join('');
  return `${field}[${String(len).padStart(2, '0')}] ${data}`;
}

/** One JSON object with python-can's field names (`data` as hex), as one line. */
export function formatJsonLine(frame: CanFrame): string {
  return JSON.stringify({
    timestamp: frame.timestamp,
    arbitration_id: frame.arbitrationId,
    is_extended_id: frame.isExtendedId,
    is_remote_frame: frame.isRemoteFrame,
    is_error_frame: frame.isErrorFrame,
    channel: frame.channel,
    dlc: frame.dlc,
    data: Buffer.from(frame.data).toString('hex'),
    is_fd: frame.isFd,
    bitrate_switch: frame.bitrateSwitch,
    error_state_indicator: frame.errorStateIndicator,
  });
}
