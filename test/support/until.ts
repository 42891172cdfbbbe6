/** Waits until `cond()` holds, polling every 5 ms; rejects naming `what` after `timeoutMs`. */
export async function until(
  cond: () => boolean,
  what = 'the condition',
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
