/**
 * CanFrame <-> the JSON the interop fixtures exchange: python-can's field names, `data` as hex
 * (test/fixtures/python-can-peer.py `frame_to_json` / `frame_from_json`).
 */
import type { CanChannel, CanFrame } from '../../src/frame.js';

export interface FrameJson {
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

export function frameToJson(f: CanFrame): FrameJson {
  return {
    timestamp: f.timestamp,
    arbitration_id: f.arbitrationId,
    is_extended_id: f.isExtendedId,
    is_remote_frame: f.isRemoteFrame,
    is_error_frame: f.isErrorFrame,
    channel: f.channel,
    dlc: f.dlc,
    data: Buffer.from(f.data).toString('hex'),
    is_fd: f.isFd,
    bitrate_switch: f.bitrateSwitch,
    error_state_indicator: f.errorStateIndicator,
  };
}

export function frameFromJson(j: FrameJson): CanFrame {
  return {
    timestamp: j.timestamp,
    arbitrationId: j.arbitration_id,
    isExtendedId: j.is_extended_id,
    isRemoteFrame: j.is_remote_frame,
    isErrorFrame: j.is_error_frame,
    channel: j.channel,
    dlc: j.dlc,
    data: Uint8Array.from(Buffer.from(j.data, 'hex')),
    isFd: j.is_fd,
    bitrateSwitch: j.bitrate_switch,
    errorStateIndicator: j.error_state_indicator,
  };
}
