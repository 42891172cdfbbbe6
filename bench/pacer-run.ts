/**
 * Runs bench/can-pacer.c once (one benchmark step) and returns its report: frames written at
 * absolute deadlines, how late the worst one was, and its own CPU time.
 */
import { execFile } from 'node:child_process';
import type { PacerReport } from './bench-stats.js';

/** Writes `count` frames with `canId` to `iface` at `rate` frames/s; resolves when done. */
export function runPacer(
  bin: string,
  iface: string,
  canId: number,
  rate: number,
  count: number,
): Promise<PacerReport> {
  const args = [iface, `0x${canId.toString(16)}`, String(rate), String(count)];
  return new Promise((resolve, reject) => {
    execFile(bin, args, { encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err !== null) {
        reject(new Error(`can-pacer ${args.join(' ')}: ${err.message} ${stderr}`, { cause: err }));
        return;
      }
      try {
        resolve(JSON.parse(stdout) as PacerReport);
      } catch (cause) {
        reject(new Error(`can-pacer printed no report: ${stdout} ${stderr}`, { cause }));
      }
    });
  });
}
