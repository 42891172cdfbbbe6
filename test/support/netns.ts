/**
 * Network namespace helpers for integration tests: throwaway namespaces joined by veth pairs, with
 * IPv4 and IPv6 addresses and multicast routes, and children run inside them (`ip netns exec`).
 * Needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN). Everything created is recorded and removed by
 * `NetnsLab.destroy()`, and again, synchronously, at process exit if a test forgot.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** The `ip` binary (iproute2). */
const IP = 'ip';

/** True when this process can create network namespaces. */
export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/**
 * Why netns tests cannot run here, or null when they can. When they cannot and `CI=true`, throws:
 * in CI a skipped interop test is a failure, not a skip.
 */
export function netnsSkipReason(what: string): string | null {
  let reason: string | null = null;
  if (process.platform !== 'linux') reason = 'network namespaces need Linux';
  else if (!isRoot()) reason = 'network namespaces need root (run the tests as root or in CI)';
  else {
    try {
      execFileSync(IP, ['-V'], { stdio: 'ignore' });
    } catch {
      reason = "iproute2's `ip` is not installed (apt-get install iproute2)";
    }
  }
  if (reason === null) return null;
  if (process.env.CI === 'true') throw new Error(`${what}: cannot run in CI: ${reason}`);
  console.warn(`SKIPPED ${what}: ${reason}`);
  return reason;
}

/** Runs `ip ARGS...`; rejects with stderr in the message. */
export async function ip(args: readonly string[]): Promise<string> {
  try {
    const { stdout } = await execFileAsync(IP, args, { encoding: 'utf8' });
    return stdout;
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new Error(`ip ${args.join(' ')} failed: ${stderr.trim()}`, { cause: err });
  }
}

/**
 * Waits until `ifname` in `ns` is operationally up (`state UP`): the kernel sets operstate and
 * IFF_RUNNING through linkwatch, up to a second after both veth ends are up, and until then
 * `os.networkInterfaces()` (libuv lists interfaces up and running only) does not show it.
 */
export async function waitRunning(ns: Netns, ifname: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const out = await ip(['-n', ns.name, '-o', 'link', 'show', 'dev', ifname]);
    if (/ state UP /.test(out)) return;
    if (Date.now() > deadline) throw new Error(`${ifname} in ${ns.name} is not up: ${out}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Addresses of one end of a link. */
export interface LinkAddresses {
  /** IPv4 address with prefix, e.g. '10.200.0.1/24'; also adds the route 224.0.0.0/4 via the link. */
  ipv4?: string;
  /** IPv6 address with prefix, e.g. 'fd00:200::1/64'; added with `nodad`, DAD off on the link. */
  ipv6?: string;
}

/** One network namespace created by a `NetnsLab`. */
export interface Netns {
  readonly name: string;
}

/** The result of a finished child run inside a namespace. */
export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const labs = new Set<NetnsLab>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const lab of labs) lab.destroySync();
  });
}

/**
 * A set of namespaces, links and children owned by one test file. Names are
 * `<prefix><index>-<pid>`, short enough for interface names (15 bytes).
 */
export class NetnsLab {
  readonly #prefix: string;
  readonly #namespaces: Netns[] = [];
  readonly #children = new Set<ChildProcess>();
  #counter = 0;

  /** `prefix`: a few letters naming the test file, so parallel files never collide. */
  constructor(prefix: string) {
    if (!/^[a-z]{1,4}$/.test(prefix)) throw new Error('prefix must be 1..4 lowercase letters');
    this.#prefix = prefix;
    labs.add(this);
    installExitHook();
  }

  /**
   * Deletes namespaces of this prefix left behind by test processes that no longer exist (killed
   * before their cleanup ran). Names end in `-<pid>`; those of live processes are kept.
   */
  async removeStale(): Promise<string[]> {
    const removed: string[] = [];
    const list = await ip(['netns', 'list']).catch(() => '');
    for (const line of list.split('\n')) {
      const name = line.split(' ')[0] ?? '';
      const m = new RegExp(`^${this.#prefix}[a-z]\\d+-(\\d+)$`).exec(name);
      if (m === null || Number(m[1]) === process.pid || pidAlive(Number(m[1]))) continue;
      await ip(['netns', 'del', name]).then(
        () => removed.push(name),
        () => undefined,
      );
    }
    return removed;
  }

  /** A unique name for a namespace or interface, at most 15 bytes (IFNAMSIZ - 1). */
  uniqueName(tag: string): string {
    const name = `${this.#prefix}${tag}${this.#counter++}-${process.pid}`;
    if (name.length > 15) throw new Error(`name too long for an interface: ${name}`);
    return name;
  }

  /** Creates a namespace with `lo` up. */
  async createNamespace(): Promise<Netns> {
    if (this.#namespaces.length === 0) await this.removeStale();
    const name = this.uniqueName('n');
    // A namespace left over from an earlier run with the same pid would make `add` fail.
    await ip(['netns', 'del', name]).catch(() => undefined);
    await ip(['netns', 'add', name]);
    const ns: Netns = { name };
    this.#namespaces.push(ns);
    await ip(['-n', name, 'link', 'set', 'lo', 'up']);
    return ns;
  }

  /**
   * Creates a veth pair with one end in `a` and the other in `b`, both up with multicast on and
   * the given addresses. Returns the two interface names: new unique ones, or `names` (to
   * re-create a deleted pair under its old names; the kernel gives them new indexes).
   */
  async addVethPair(
    a: Netns,
    aAddrs: LinkAddresses,
    b: Netns,
    bAddrs: LinkAddresses,
    names?: [string, string],
  ): Promise<[string, string]> {
    const [ifA, ifB] = names ?? [this.uniqueName('a'), this.uniqueName('b')];
    await ip(['link', 'add', ifA, 'netns', a.name, 'type', 'veth', 'peer', ifB, 'netns', b.name]);
    await this.#configureLink(a, ifA, aAddrs);
    await this.#configureLink(b, ifB, bAddrs);
    await Promise.all([waitRunning(a, ifA), waitRunning(b, ifB)]);
    return [ifA, ifB];
  }

  /**
   * Creates a `dummy` interface in `ns` (multicast works on it, IPv6 too, unlike on `lo`). Needs
   * the kernel's dummy driver, which not every kernel has (this host's does not): prefer veth.
   */
  async addDummy(ns: Netns, addrs: LinkAddresses): Promise<string> {
    const name = this.uniqueName('d');
    await ip(['-n', ns.name, 'link', 'add', name, 'type', 'dummy']);
    await this.#configureLink(ns, name, addrs);
    return name;
  }

  async #configureLink(ns: Netns, ifname: string, addrs: LinkAddresses): Promise<void> {
    const n = ['-n', ns.name];
    if (addrs.ipv6 !== undefined) {
      // No duplicate address detection: the address is usable at once (else bind fails for ~1 s).
      await this.#sysctl(ns, `net.ipv6.conf.${ifname}.accept_dad`, '0');
    }
    await ip([...n, 'link', 'set', ifname, 'multicast', 'on', 'up']);
    if (addrs.ipv4 !== undefined) {
      await ip([...n, 'addr', 'add', addrs.ipv4, 'dev', ifname]);
      // A fresh namespace has no route for multicast: sendto() would fail with ENETUNREACH.
      await ip([...n, 'route', 'add', '224.0.0.0/4', 'dev', ifname]);
    }
    if (addrs.ipv6 !== undefined) {
      await ip([...n, '-6', 'addr', 'add', addrs.ipv6, 'dev', ifname, 'nodad']);
    }
  }

  async #sysctl(ns: Netns, key: string, value: string): Promise<void> {
    await execFileAsync(IP, ['netns', 'exec', ns.name, 'sysctl', '-q', '-w', `${key}=${value}`]);
  }

  /** Spawns `command args...` inside `ns`; the child is killed by `destroy()` if still running. */
  spawn(
    ns: Netns,
    command: string,
    args: readonly string[],
    options: SpawnOptions = {},
  ): ChildProcess {
    const child = spawn(IP, ['netns', 'exec', ns.name, command, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      ...options,
    });
    this.#children.add(child);
    child.once('exit', () => this.#children.delete(child));
    return child;
  }

  /** Runs `command args...` inside `ns` to completion, with optional stdin, killed after `timeoutMs`. */
  run(
    ns: Netns,
    command: string,
    args: readonly string[],
    options: { input?: string; timeoutMs?: number } = {},
  ): Promise<RunResult> {
    const child = this.spawn(ns, command, args);
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.stdin?.end(options.input ?? '');
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
    return new Promise((resolve, reject) => {
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stdout, stderr });
      });
    });
  }

  /** Kills remaining children and deletes every namespace (which deletes their interfaces). */
  async destroy(): Promise<void> {
    for (const child of this.#children) child.kill('SIGKILL');
    this.#children.clear();
    const namespaces = this.#namespaces.splice(0);
    for (const ns of namespaces) {
      await ip(['netns', 'del', ns.name]).catch((err: unknown) => {
        console.warn(`could not delete netns ${ns.name}: ${String(err)}`);
      });
    }
    labs.delete(this);
  }

  /** `destroy()` for the process 'exit' hook, where nothing asynchronous runs any more. */
  destroySync(): void {
    for (const child of this.#children) child.kill('SIGKILL');
    this.#children.clear();
    for (const ns of this.#namespaces.splice(0)) {
      try {
        execFileSync(IP, ['netns', 'del', ns.name], { stdio: 'ignore' });
      } catch {
        // Already gone.
      }
    }
    labs.delete(this);
  }
}
