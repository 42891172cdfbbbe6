/**
 * Drives a fixture child that speaks JSON lines (test/fixtures/python-can-peer.py,
 * test/fixtures/multicast-peer.ts): commands to its stdin, every stdout line kept as an event.
 */
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface PeerEvent {
  event: string;
  [key: string]: unknown;
}

export class JsonLinesPeer {
  readonly name: string;
  readonly child: ChildProcess;
  readonly events: PeerEvent[] = [];
  #stderr = '';
  #exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  #wake: (() => void)[] = [];

  constructor(name: string, child: ChildProcess) {
    this.name = name;
    this.child = child;
    if (child.stdout === null || child.stdin === null) throw new Error('peer needs piped stdio');
    createInterface({ input: child.stdout }).on('line', (line) => {
      try {
        this.events.push(JSON.parse(line) as PeerEvent);
      } catch {
        this.#stderr += `(stdout) ${line}\n`;
      }
      this.#notify();
    });
    child.stderr?.setEncoding('utf8').on('data', (s: string) => (this.#stderr += s));
    child.once('exit', (code, signal) => {
      this.#exit = { code, signal };
      this.#notify();
    });
  }

  #notify(): void {
    for (const wake of this.#wake.splice(0)) wake();
  }

  /** What the child wrote to stderr so far (for failure messages). */
  get stderr(): string {
    return this.#stderr;
  }

  command(cmd: Record<string, unknown>): void {
    this.child.stdin?.write(JSON.stringify(cmd) + '\n');
  }

  /** Events named `name`, from index `from` on. */
  all(name: string, from = 0): PeerEvent[] {
    return this.events.slice(from).filter((e) => e.event === name);
  }

  /**
   * Resolves with the first event named `name` at or after index `from` that satisfies `pred`;
   * rejects after `timeoutMs` or when the child exits first.
   */
  async waitFor(
    name: string,
    options: { from?: number; timeoutMs?: number; pred?: (e: PeerEvent) => boolean } = {},
  ): Promise<PeerEvent> {
    const deadline = Date.now() + (options.timeoutMs ?? 10_000);
    let from = options.from ?? 0;
    for (;;) {
      for (; from < this.events.length; from++) {
        const e = this.events[from] as PeerEvent;
        if (e.event === name && (options.pred?.(e) ?? true)) return e;
        if (e.event === 'error' && name !== 'error') {
          throw new Error(`${this.name} reported an error: ${JSON.stringify(e)}\n${this.#stderr}`);
        }
      }
      if (this.#exit !== null) {
        throw new Error(
          `${this.name} exited (${JSON.stringify(this.#exit)}) before '${name}'\n${this.#stderr}`,
        );
      }
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`${this.name}: no '${name}' within the timeout\n${this.#stderr}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Resolves once `count` events named `name` arrived (from index `from`), or rejects on timeout. */
  async waitForCount(
    name: string,
    count: number,
    timeoutMs = 10_000,
    from = 0,
  ): Promise<PeerEvent[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const got = this.all(name, from);
      if (got.length >= count) return got;
      const left = deadline - Date.now();
      if (left <= 0 || this.#exit !== null) {
        throw new Error(
          `${this.name}: ${got.length} of ${count} '${name}' events\n${this.#stderr}`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.#wake.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Sends `quit` and waits for the exit; kills the child after `timeoutMs`. */
  async quit(timeoutMs = 3000): Promise<void> {
    if (this.#exit !== null) return;
    this.command({ cmd: 'quit' });
    this.child.stdin?.end();
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(timer);
  }
}
