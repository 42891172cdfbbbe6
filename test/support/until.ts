/**
 * Waits until `cond()` holds, polling every `pollMs` (default 5 ms); rejects naming `what` after
 * `timeoutMs`, with `detail()` appended when given (e.g. a child's last log lines).
 */
export async function until(
  cond: () => boolean,
  what = 'the condition',
  timeoutMs = 5000,
  { pollMs = 5, detail }: { pollMs?: number; detail?: () => string } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) {
      const more = detail === undefined ? '' : `\n${detail()}`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${more}`);
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
