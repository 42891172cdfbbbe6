/** Conversions between the project's CanFrame and python-can's keyword names (data as hex). */
import type { CanChannel, CanFrame } from '../../src/frame.js';

export interface PythonFields {
  timestamp: number;
  arbitration_id: number;
  is_extended_id: boolean;
  is_remote_frame: boolean;
  is_error_frame: boolean;
  channel: CanChannel;
  dlc: number;
  data: string;
  is_fd: boolean;
  bitrate_switch: boolean;
  error_state_indicator: boolean;
}

export function toPythonFields(frame: CanFrame): PythonFields {
  return {
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
  };
}

export function fromPythonFields(f: PythonFields): CanFrame {
  return {
    timestamp: f.timestamp,
    arbitrationId: f.arbitration_id,
    isExtendedId: f.is_extended_id,
    isRemoteFrame: f.is_remote_frame,
    isErrorFrame: f.is_error_frame,
    channel: f.channel,
    dlc: f.dlc,
    data: new Uint8Array(Buffer.from(f.data, 'hex')),
    isFd: f.is_fd,
    bitrateSwitch: f.bitrate_switch,
    errorStateIndicator: f.error_state_indicator,
  };
}
