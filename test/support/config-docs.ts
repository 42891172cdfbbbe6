/**
 * The configuration reference, generated from the schema: config/README.md and
 * config/example.json are checked against these functions by test/unit/config/config-docs.test.ts,
 * so the docs cannot drift from the schema.
 */
import { FORMATS } from '../../src/config/formats.js';
import type { RawConfig } from '../../src/config/schema.js';
import { configKeys } from '../../src/config/schema.js';

/** A config file holding every key at its default value (config/example.json). */
export function exampleConfig(): RawConfig {
  const root: Record<string, unknown> = {};
  for (const { key, default: value } of configKeys()) {
    const parts = key.split('.');
    const leaf = parts.pop() as string;
    let node = root;
    for (const part of parts) node = (node[part] ??= {}) as Record<string, unknown>;
    node[leaf] = value;
  }
  return root as unknown as RawConfig;
}

const INTRO = `# Configuration

\`can-multicast-bridge\` reads one JSON file (\`run --config FILE\`, \`check-config FILE\`), then
environment variables, then command-line overrides; a later source wins. Every key has a default,
so \`{}\` is a valid file. [example.json](example.json) lists every key at its default value.

- **Environment variables**: \`CMB_\` and the key path in upper snake case, e.g. \`multicast.hopLimit\`
  is \`CMB_MULTICAST_HOP_LIMIT\`. Booleans are \`true\`/\`false\` (or \`1\`/\`0\`), lists are
  comma-separated (\`CMB_TO_CAN_FILTERS=123:7ff,400~700\`). Other \`CMB_\` variables are ignored;
  the daemon logs a warning naming each one (and the name it most resembles), so a misspelt name
  does not go unnoticed.
- **Validation is strict**: an unknown key, a wrong JSON type (\`"43113"\` for a number), an invalid
  group, filter or network stops the bridge before it opens anything, with one message naming each
  key, its value, where the value came from and what is expected; the exit code is 78 (EX_CONFIG),
  which systemd's \`RestartPreventExitStatus=78\` does not restart.
- \`can-multicast-bridge check-config FILE\` validates and prints the effective configuration (with
  the derived sender id) as JSON that is itself a valid config file.

## CAN id filters

\`toMulticast.filters\` and \`toCan.filters\` are written as candump writes them (can-utils
\`candump -h\`), in hex:

- \`<id>:<mask>\` passes a frame when \`frame_id & mask == id & mask\`; \`<id>~<mask>\` passes the others.
- The frame id includes the flags of \`linux/can.h\`: \`CAN_EFF_FLAG\` (80000000) for 29-bit ids and
  \`CAN_RTR_FLAG\` (40000000) for remote frames, so \`123:7ff\` passes id 123 in every form,
  \`123:c00007ff\` only the 11-bit data frame, \`12345678:dfffffff\` only that 29-bit data frame.
- An id with 8 digits is a 29-bit id (as in candump), and so is any id above 7ff.
- A frame passes when any filter of the list matches; an empty list passes every frame.
- Error frames are not subject to id filters: \`toMulticast.errorFrames\` and \`toCan.errorFrames\`
  switch them. candump's \`#<error_mask>\` and \`j\` (join) are not supported.

## Sender id

Every datagram the bridge sends carries its sender id in python-can's \`channel\` field; a bridge
drops datagrams with its own id and those with an id in \`sender.ignore\`. The default,
\`"<host name>/<CAN interface>"\` (e.g. \`gateway-1/can0\`), is unique as long as host names are:
give hosts that share a host name (cloned images) explicit ids.

## Keys
`;

function markdownValue(value: unknown): string {
  return `\`${JSON.stringify(value)}\``;
}

/** Keeps `<id>` and the like from being read as HTML. */
function markdownText(text: string): string {
  return text.replaceAll('<', '\\<');
}

/** The whole of config/README.md. */
export function renderConfigReadme(): string {
  const sections = configKeys().map((k) => {
    const expected = FORMATS[k.format].describe(k);
    return [
      `### \`${k.key}\``,
      '',
      markdownText(k.doc),
      '',
      `- Default: ${markdownValue(k.default)}`,
      `- Environment: \`${k.env}\``,
      `- Expected: ${markdownText(expected)}`,
      '',
    ].join('\n');
  });
  return `${INTRO}\n${sections.join('\n')}`;
}
