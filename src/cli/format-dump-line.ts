/** One received frame as a line of `dump` output: candump's log style, or NDJSON. */
import type { CanFrame } from '../frame.js';
import { formatFrameString } from '../frame-string.js';

/** `(1700000000.123456) vcan0 123#DEADBEEF`, as `candump -L` writes it; an absent channel is `-`. */
export function formatCandumpLine(frame: CanFrame): string {
  const channel = frame.channel === null ? '-' : String(frame.channel);
  const line = `(${frame.timestamp.toFixed(6)}) ${channel} ${formatFrameString(frame)}`;
  // candump -e marks error frames in words; the id already carries CAN_ERR_FLAG (2xxxxxxx).
  return frame.isErrorFrame ? `${line}   ERRORFRAME` : line;
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
