/**
 * The optional HTTP endpoint: `GET /metrics` (Prometheus text format) and `GET /healthz` (200 with
 * a small JSON body when both sides are open, 503 naming what is not). Nothing else is served.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { BridgeError } from '../errors.js';
import { assessHealth } from './health.js';
import type { HealthSnapshot } from './health.js';

export interface MetricsServerOptions {
  /** Address to listen on, e.g. 127.0.0.1 or ::1. */
  host: string;
  /** TCP port; 0 picks a free one. */
  port: number;
  registry: Registry;
  health: () => HealthSnapshot;
  logger?: Logger;
}

/** `host:port`, with brackets around an IPv6 address. */
function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** What `GET /` answers: links to the two endpoints. */
export const INDEX_PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>can-multicast-bridge</title></head>
<body><h1>can-multicast-bridge</h1>
<ul><li><a href="metrics">/metrics</a> (Prometheus text format)</li>
<li><a href="healthz">/healthz</a> (200 when both sides are open, else 503; JSON)</li></ul>
</body></html>
`;

export class MetricsServer {
  readonly #host: string;
  readonly #port: number;
  readonly #registry: Registry;
  readonly #health: () => HealthSnapshot;
  readonly #log: Logger;
  #server: Server | null = null;
  #address: AddressInfo | null = null;
  #closing: Promise<void> | null = null;

  constructor(options: MetricsServerOptions) {
    this.#host = options.host;
    this.#port = options.port;
    this.#registry = options.registry;
    this.#health = options.health;
    this.#log = (options.logger ?? pino({ level: 'silent' })).child({ component: 'metrics' });
  }

  /** The bound address and port; null until `start()` resolved. */
  get address(): AddressInfo | null {
    return this.#address;
  }

  /** Listens; rejects with ERR_METRICS_LISTEN (e.g. the port is in use), after which it is closed. */
  start(): Promise<void> {
    if (this.#server !== null || this.#closing !== null) {
      return Promise.reject(
        new BridgeError('ERR_METRICS_STARTED', 'the metrics server was already started'),
      );
    }
    const server = createServer((req, res) => this.#handle(req, res));
    this.#server = server;
    return new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => {
        this.#server = null;
        this.#closing = Promise.resolve();
        reject(
          new BridgeError(
            'ERR_METRICS_LISTEN',
            `cannot serve metrics on ${hostPort(this.#host, this.#port)}: ${err.message}`,
            { cause: err },
          ),
        );
      };
      server.once('error', onError);
      server.listen({ host: this.#host, port: this.#port }, () => {
        server.off('error', onError);
        // A late server error (rare: EMFILE on accept) is logged; the bridge carries on.
        server.on('error', (err) => this.#log.warn({ err }, 'metrics server error'));
        this.#address = server.address() as AddressInfo;
        this.#log.info(
          { host: this.#address.address, port: this.#address.port },
          'metrics endpoint listening',
        );
        resolve();
      });
    });
  }

  /** Stops accepting, lets requests in progress finish, closes idle keep-alive connections. */
  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      const server = this.#server;
      if (server === null) return resolve();
      server.close(() => resolve());
      server.closeIdleConnections();
    });
    return this.#closing;
  }

  /** Closes now, with every connection. */
  destroy(): void {
    const server = this.#server;
    void this.close();
    server?.closeAllConnections();
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' });
      res.end('method not allowed\n');
      return;
    }
    if (path === '/metrics') {
      this.#registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': this.#registry.contentType });
          res.end(text);
        },
        (err: unknown) => {
          this.#log.warn({ err }, 'metrics collection failed');
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end('metrics collection failed\n');
        },
      );
      return;
    }
    if (path === '/healthz') {
      const report = assessHealth(this.#health());
      res.writeHead(report.status === 'ok' ? 200 : 503, {
        'content-type': 'application/json',
        'cache-control': 'no-store',
      });
      res.end(`${JSON.stringify(report)}\n`);
      return;
    }
    if (path === '/') {
      // A browser pointed at the port finds its way (Prometheus exporters commonly serve this).
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(INDEX_PAGE);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found: try /metrics or /healthz\n');
  }
}
