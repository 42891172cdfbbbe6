/**
 * The C helpers of bench/bridge-bench.ts (bench/can-pacer.c, bench/can-stamp-rx.c), compiled with
 * the system's `cc` into dist/bench/bin/ when missing or older than their source. Compiled on the
 * host before the VM starts (the VM shares the project folder; cc under emulation is slow).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const BENCH_TOOLS = ['can-pacer', 'can-stamp-rx'] as const;
export type BenchTool = (typeof BENCH_TOOLS)[number];

/** Where the compiled `tool` lives under the project root. */
export function benchToolPath(root: string, tool: BenchTool): string {
  return join(root, 'dist/bench/bin', tool);
}

/** Compiles what is stale; returns the paths. Throws with cc's message when it fails. */
export function buildBenchTools(root: string): Record<BenchTool, string> {
  mkdirSync(join(root, 'dist/bench/bin'), { recursive: true });
  const out = {} as Record<BenchTool, string>;
  for (const tool of BENCH_TOOLS) {
    const src = join(root, 'bench', `${tool}.c`);
    const bin = benchToolPath(root, tool);
    out[tool] = bin;
    if (existsSync(bin) && statSync(bin).mtimeMs >= statSync(src).mtimeMs) continue;
    const cc = process.env.CC ?? 'cc';
    execFileSync(cc, ['-O2', '-std=c11', '-Wall', '-Wextra', '-Werror', '-o', bin, src], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
  }
  return out;
}
