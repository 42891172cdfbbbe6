/**
 * The code blocks of README.md marked `<!-- recipe: NAME ... -->`, so tests run them as written
 * (issue 12: a recipe that was never run had lost its first frame).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/dist\/?$/, '');

/** The body of the fenced block right after `<!-- recipe: name ...-->` in README.md. */
export function readmeRecipe(name: string): string {
  const readme = readFileSync(`${REPO_ROOT}/README.md`, 'utf8');
  const marker = `<!-- recipe: ${name} `;
  const at = readme.indexOf(marker);
  if (at < 0) throw new Error(`README.md has no recipe "${name}"`);
  const m = /```[a-z]*\n([\s\S]*?)```/.exec(readme.slice(at));
  if (m === null) throw new Error(`README.md recipe "${name}" has no code block`);
  return m[1] ?? '';
}
