/**
 * The convict schema of the bridge configuration: every key has a doc string, a format (a `cmb-*`
 * name from formats.ts, with limits next to it), a default and an environment variable
 * (`CMB_` + the key path in upper snake case).
 */
import { BridgeError } from '../errors.js';
import type convict from 'convict';
import type { FormatLimits, FormatName, LogLevel } from './formats.js';
import { isFormatName } from './formats.js';
import {
  DEFAULT_GROUP_IPV4,
  DEFAULT_GROUP_IPV6,
  DEFAULT_HOP_LIMIT,
  DEFAULT_PORT,
  DEFAULT_RECEIVE_BUFFER_BYTES,
} from '../multicast/defaults.js';

/** The configuration as written in the JSON file (filters and networks still as text). */
export interface RawConfig {
  can: { interface: string; fd: boolean; receiveBufferBytes: number };
  multicast: {
    group: string;
    port: number;
    interface: string;
    hopLimit: number;
    loopback: boolean;
    receiveBufferBytes: number;
    allowSources: string[];
    interfaceCheckMs: number;
    peers: string[];
    peerResolveMs: number;
  };
  sender: { id: string; ignore: string[] };
  toMulticast: RawDirection;
  toCan: RawDirection;
  txQueue: { size: number; staleMs: number };
  log: { level: LogLevel };
  stats: { intervalMs: number };
  metrics: { enabled: boolean; host: string; port: number };
}

export interface RawDirection {
  enabled: boolean;
  filters: string[];
  errorFrames: boolean;
}

/** Prefix of every environment variable the configuration reads. */
export const ENV_PREFIX = 'CMB_';

const MAX_BUFFER_BYTES = 1 << 30;
const DAY_MS = 86_400_000;

function direction(
  name: 'toMulticast' | 'toCan',
  env: string,
  what: string,
): convict.Schema<RawDirection> {
  return {
    enabled: {
      doc: `Relay ${what}.`,
      format: 'cmb-boolean',
      default: true,
      env: `${env}_ENABLED`,
    },
    filters: {
      doc:
        `CAN id filters for frames relayed ${what}, written as candump writes them: "<id>:<mask>" passes a frame ` +
        'when id & mask == frame id & mask, "<id>~<mask>" passes the others; hex; an 8-digit id or one above 7ff ' +
        'is a 29-bit id. A frame passes when any filter matches; [] passes every frame. ' +
        (name === 'toMulticast'
          ? 'Installed as kernel filters on the CAN socket.'
          : 'Applied to frames received from the group.'),
      format: 'cmb-can-filters',
      default: [],
      env: `${env}_FILTERS`,
    },
    errorFrames: {
      doc: `Relay CAN error frames ${what} (linux/can/error.h); id filters do not apply to them.`,
      format: 'cmb-boolean',
      default: false,
      env: `${env}_ERROR_FRAMES`,
    },
  };
}

/** A fresh copy of the convict schema. */
export function configSchema(): convict.Schema<RawConfig> {
  return {
    can: {
      interface: {
        doc: 'The SocketCAN interface to bridge, e.g. "can0" or "vcan0".',
        format: 'cmb-interface',
        default: 'can0',
        env: 'CMB_CAN_INTERFACE',
      },
      fd: {
        doc: 'Open the CAN socket for CAN FD frames (CAN_RAW_FD_FRAMES); FD frames are never written to a classic-MTU interface.',
        format: 'cmb-boolean',
        default: true,
        env: 'CMB_CAN_FD',
      },
      receiveBufferBytes: {
        doc:
          'SO_RCVBUF of the CAN socket in bytes; 0 keeps the kernel default. The kernel caps SO_RCVBUF at net.core.rmem_max; ' +
          'with CAP_NET_ADMIN (root) the bridge goes past it (SO_RCVBUFFORCE), otherwise raise the sysctl or bursts may be lost.',
        format: 'cmb-integer',
        min: 0,
        max: MAX_BUFFER_BYTES,
        default: 4 * 1024 * 1024,
        env: 'CMB_CAN_RECEIVE_BUFFER_BYTES',
      },
    },
    multicast: {
      group: {
        doc:
          "The multicast group, IPv4 or IPv6. The default is python-can's default group (UdpMulticastBus.DEFAULT_GROUP_IPv6), " +
          `so python-can programs that open the bus without a channel see the traffic; python-can's IPv4 group is ${DEFAULT_GROUP_IPV4}.`,
        format: 'cmb-multicast-group',
        default: DEFAULT_GROUP_IPV6,
        env: 'CMB_MULTICAST_GROUP',
      },
      port: {
        doc: `The UDP port of the group (python-can's default is ${DEFAULT_PORT}).`,
        format: 'cmb-integer',
        min: 1,
        max: 65535,
        default: DEFAULT_PORT,
        env: 'CMB_MULTICAST_PORT',
      },
      interface: {
        doc: 'The network interface that joins the group and sends to it; "" lets the kernel choose by its routes.',
        format: 'cmb-interface',
        allowEmpty: true,
        default: '',
        env: 'CMB_MULTICAST_INTERFACE',
      },
      hopLimit: {
        doc: `IPv6 hop limit / IPv4 TTL of sent datagrams; ${DEFAULT_HOP_LIMIT} stays on the local link (python-can's default).`,
        format: 'cmb-integer',
        min: 0,
        max: 255,
        default: DEFAULT_HOP_LIMIT,
        env: 'CMB_MULTICAST_HOP_LIMIT',
      },
      loopback: {
        doc:
          'Multicast loop (IP_MULTICAST_LOOP / IPV6_MULTICAST_LOOP) on the send socket: true lets python-can programs on this ' +
          'host hear the bridge; false for hosts with no local listeners (the kernel then skips a copy of every datagram).',
        format: 'cmb-boolean',
        default: true,
        env: 'CMB_MULTICAST_LOOPBACK',
      },
      receiveBufferBytes: {
        doc:
          'SO_RCVBUF of the multicast socket in bytes; 0 keeps the kernel default. The kernel caps SO_RCVBUF at net.core.rmem_max; ' +
          'with CAP_NET_ADMIN (root) the bridge goes past it (SO_RCVBUFFORCE), otherwise raise the sysctl or bursts may be lost.',
        format: 'cmb-integer',
        min: 0,
        max: MAX_BUFFER_BYTES,
        default: DEFAULT_RECEIVE_BUFFER_BYTES,
        env: 'CMB_MULTICAST_RECEIVE_BUFFER_BYTES',
      },
      allowSources: {
        doc: 'Accept datagrams only from these source networks (CIDR, e.g. "192.168.7.0/24"); [] accepts every source.',
        format: 'cmb-cidr-list',
        default: [],
        env: 'CMB_MULTICAST_ALLOW_SOURCES',
      },
      interfaceCheckMs: {
        doc:
          'How often to look whether the network interface carrying the group went away or came back (the group is then ' +
          'joined again by itself), in milliseconds; failed sends make it look at once. 0 turns the check off.',
        format: 'cmb-integer',
        min: 0,
        max: DAY_MS,
        default: 1000,
        env: 'CMB_MULTICAST_INTERFACE_CHECK_MS',
      },
      peers: {
        doc:
          'Unicast peers for links multicast does not cross (VPNs, routed or cloud networks): every datagram sent to the ' +
          'group also goes to each peer, and unicast datagrams on the port are accepted from peers only (and from ' +
          'allowSources when set). HOST[:PORT], the port defaulting to multicast.port; a name is resolved in the ' +
          'group\'s family at start and every peerResolveMs. With group "none" only the peers are used.',
        format: 'cmb-peer-list',
        default: [],
        env: 'CMB_MULTICAST_PEERS',
      },
      peerResolveMs: {
        doc: 'How often the DNS names in peers are resolved again, in milliseconds; a failed lookup keeps the last answer.',
        format: 'cmb-integer',
        min: 1000,
        max: DAY_MS,
        default: 30_000,
        env: 'CMB_MULTICAST_PEER_RESOLVE_MS',
      },
    },
    sender: {
      id: {
        doc:
          'This bridge\'s sender id, sent in the python-can "channel" field of every datagram and used to drop its own ' +
          'datagrams; "" derives "<host name>/<CAN interface>". Set it when two hosts share a host name.',
        format: 'cmb-sender-id',
        default: '',
        env: 'CMB_SENDER_ID',
      },
      ignore: {
        doc: 'Sender ids whose datagrams are dropped, e.g. other bridges attached to the same CAN bus.',
        format: 'cmb-sender-id-list',
        default: [],
        env: 'CMB_SENDER_IGNORE',
      },
    },
    toMulticast: direction('toMulticast', 'CMB_TO_MULTICAST', 'from CAN to the multicast group'),
    toCan: direction('toCan', 'CMB_TO_CAN', 'from the multicast group to CAN'),
    txQueue: {
      size: {
        doc: 'Frames waiting for the CAN interface (its TX queue full) at most; more are dropped and counted.',
        format: 'cmb-integer',
        min: 1,
        max: 1_000_000,
        default: 4096,
        env: 'CMB_TX_QUEUE_SIZE',
      },
      staleMs: {
        doc: 'A frame that waited this long for the CAN interface is dropped as stale (counted), in milliseconds; 0 never.',
        format: 'cmb-integer',
        min: 0,
        max: DAY_MS,
        default: 1000,
        env: 'CMB_TX_QUEUE_STALE_MS',
      },
    },
    log: {
      level: {
        doc: 'The pino log level; per-frame detail is logged at debug and trace only.',
        format: 'cmb-log-level',
        default: 'info',
        env: 'CMB_LOG_LEVEL',
      },
    },
    stats: {
      intervalMs: {
        doc: 'Interval of the statistics log line in milliseconds; 0 logs statistics only at exit.',
        format: 'cmb-integer',
        min: 0,
        max: DAY_MS,
        default: 60_000,
        env: 'CMB_STATS_INTERVAL_MS',
      },
    },
    metrics: {
      enabled: {
        doc: 'Serve Prometheus metrics at /metrics and a health check at /healthz.',
        format: 'cmb-boolean',
        default: false,
        env: 'CMB_METRICS_ENABLED',
      },
      host: {
        doc: 'The address the metrics endpoint listens on; keep it on localhost unless a firewall guards it.',
        format: 'cmb-ip-address',
        default: '127.0.0.1',
        env: 'CMB_METRICS_HOST',
      },
      port: {
        doc: "The metrics endpoint's TCP port (9464 is the OpenTelemetry Prometheus exporter's default); 0 picks a free one.",
        format: 'cmb-integer',
        min: 0,
        max: 65535,
        default: 9464,
        env: 'CMB_METRICS_PORT',
      },
    },
  };
}

/** One leaf of the schema. */
export interface ConfigKey extends FormatLimits {
  /** Dotted path, e.g. "multicast.port". */
  key: string;
  doc: string;
  format: FormatName;
  default: unknown;
  env: string;
}

function isLeaf(node: object): node is convict.SchemaObj {
  return 'default' in node;
}

/** Every key of the schema in schema order. */
export function configKeys(): ConfigKey[] {
  const keys: ConfigKey[] = [];
  const walk = (node: object, prefix: string): void => {
    for (const [name, child] of Object.entries(node) as [string, object][]) {
      const key = prefix === '' ? name : `${prefix}.${name}`;
      if (!isLeaf(child)) {
        walk(child, key);
        continue;
      }
      const { doc, format, env, min, max, allowEmpty } = child as convict.SchemaObj & FormatLimits;
      if (!isFormatName(format) || typeof doc !== 'string' || typeof env !== 'string') {
        throw new BridgeError('ERR_SCHEMA', `schema key ${key} lacks a cmb-* format, doc or env`);
      }
      keys.push({ key, doc, format, default: child.default, env, min, max, allowEmpty });
    }
  };
  walk(configSchema(), '');
  return keys;
}

/** The group keys (objects holding keys), e.g. "multicast". */
export function configGroups(): string[] {
  const groups = new Set<string>();
  for (const { key } of configKeys()) {
    const parts = key.split('.');
    for (let i = 1; i < parts.length; i++) groups.add(parts.slice(0, i).join('.'));
  }
  return [...groups];
}
