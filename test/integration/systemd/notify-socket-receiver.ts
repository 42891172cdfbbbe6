/**
 * A real AF_UNIX datagram socket standing in for systemd's $NOTIFY_SOCKET: /usr/bin/python3 binds
 * it (Node's dgram has no AF_UNIX) and prints every datagram as one JSON string line.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createInterface } from 'node:readline';

const RECEIVER_PY = `
import json, socket, sys
address = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
# "@name" is an abstract socket: the leading NUL of sun_path (unix(7), sd_notify(3)).
s.bind("\\0" + address[1:] if address.startswith("@") else address)
print("bound", flush=True)
while True:
    data = s.recv(65536)
    print(json.dumps(data.decode("utf-8", "replace")), flush=True)
`;

export class NotifySocketReceiver {
  /** The $NOTIFY_SOCKET value: a path, or "@name" for an abstract socket. */
  readonly address: string;
  /** Every datagram received, in order. */
  readonly messages: string[] = [];
  #child: ChildProcess | null = null;
  #waiters: (() => void)[] = [];

  constructor(address: string) {
    this.address = address;
  }

  /** Resolves once the socket is bound. */
  async start(): Promise<void> {
    const child = spawn('/usr/bin/python3', ['-u', '-c', RECEIVER_PY, this.address], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    this.#child = child;
    const lines = createInterface({ input: child.stdout });
    await new Promise<void>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`notify receiver exited with ${code}`)));
      lines.on('line', (line) => {
        if (line === 'bound') return resolve();
        this.messages.push(JSON.parse(line) as string);
        for (const w of this.#waiters.splice(0)) w();
      });
    });
  }

  /** Waits until `count` datagrams have arrived; rejects after `timeoutMs`. */
  async waitForCount(count: number, timeoutMs = 10_000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.messages.length < count) {
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`expected ${count} datagrams, got ${JSON.stringify(this.messages)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.messages;
  }

  /** Stops the receiver and removes a path socket. Idempotent. */
  close(): void {
    this.#child?.kill('SIGKILL');
    this.#child = null;
    if (!this.address.startsWith('@')) rmSync(this.address, { force: true });
  }
}

/**
 * Every datagram received so far (cumulative), up to a marker sent now through `send`: sends
 * are synchronous and one socket's queue keeps order, so this is "everything sent so far",
 * with no sleeping.
 */
export async function receivedSoFar(
  receiver: NotifySocketReceiver,
  send: (address: string, message: string) => void,
): Promise<string[]> {
  const marker = `X_TEST_MARKER=${Math.random()}`;
  send(receiver.address, marker);
  for (;;) {
    const at = receiver.messages.indexOf(marker);
    if (at >= 0) {
      receiver.messages.splice(at, 1);
      return receiver.messages.slice(0, at);
    }
    await receiver.waitForCount(receiver.messages.length + 1);
  }
}
