/**
 * Starts and stops an Inkan server: deps, the server's readiness (what /readyz reports), the
 * request listeners (http/app.ts) and the sockets they answer on (the public one, and the
 * management one when MANAGEMENT_PORT is set; http/listener.ts hardens both), key scheduler, and
 * a graceful stop that turns /readyz false, stops accepting, lets accepted requests finish
 * (bounded), then closes the database. main.ts uses it for `npm start`; tests use it to run real servers on ephemeral ports.
 * With an OTEL_* exporter configured it also starts OpenTelemetry tracing (tracing/sdk.ts, loaded
 * only then) before the listeners, and flushes it last in the stop.
 */
import { ensureConsoleClient } from './admin/console.js';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { buildRequestListeners } from './http/app.js';
import { createListener } from './http/listener.js';
import { createDeps, type CoreOptions, type Deps } from './deps.js';
import { startKeyScheduler } from './keys/scheduler.js';
import { startHousekeeping } from './housekeeping/purge.js';
import { keyFaultHook } from './keys/fault-injection.js';
import { reloadKeysOnChange } from './keys/reload-on-change.js';
import type { Tracing } from './tracing/sdk.js';
import type { MetricsSnapshot } from './metrics/cluster-metrics.js';
import type { Exposition } from './metrics/metrics.js';
import type { FeedSlots } from './revocation/feed-slots.js';

export interface RunningServer {
  readonly deps: Deps;
  readonly url: string;
  readonly port: number;
  /** The management listener's URL and port (MANAGEMENT_PORT), when there is one. */
  readonly managementUrl: string | undefined;
  readonly managementPort: number | undefined;
  stop(graceMs?: number): Promise<void>;
}

export interface ServerOptions extends CoreOptions {
  /**
   * The safety-net polls of the key state (default 1000 ms) and of the revocation records (250 ms).
   * Change notifications (LISTEN/NOTIFY on PostgreSQL) deliver changes sooner; tests lengthen
   * these to prove that the notifications alone do.
   */
  readonly keyPollIntervalMs?: number;
  readonly revocationPollIntervalMs?: number;
  /** When this server is one worker of a cluster (WORKERS > 1, cluster/worker.ts). */
  readonly cluster?: ClusterMembership;
}

/**
 * What a worker's server shares with the rest of the machine through the primary
 * (cluster/worker.ts implements it; a lone server has none).
 */
export interface ClusterMembership {
  /**
   * Whether this worker runs the machine's schedules: the key lifecycle (pre-publish, promote,
   * drop) and the housekeeping purge. The other workers only follow the keys; every worker keeps
   * its own caches, status-list lease and syncs.
   */
  readonly schedules: boolean;
  /** What keeps the machine's other workers from serving, or undefined (health.ts `Readiness.workers`). */
  workersNotReady(): string | undefined;
  /** The metrics of every worker, gathered by the primary (metrics/cluster-metrics.ts). */
  gatherMetrics(): Promise<Exposition>;
  /** What this worker gives when the primary collects every worker's metrics. */
  offerMetrics(snapshot: () => Promise<MetricsSnapshot>): void;
  /** This worker serves (called once it listens). */
  announceReady(): void;
  /** This worker's graceful stop began. */
  announceStopping(): void;
  /** The machine's revocation-feed slots, counted by the primary for every worker. */
  readonly feedSlots: FeedSlots;
}

export async function startServer(config: Config, log: Logger, options: ServerOptions = {}): Promise<RunningServer> {
  // INKAN_FAULT_INJECTION (test-only) arms the key crash hook unless the caller passed its own.
  const beforeKeyApply = options.beforeKeyApply ?? keyFaultHook(config.faultInjection);
  const deps = await createDeps(config, log, { ...options, ...(beforeKeyApply === undefined ? {} : { beforeKeyApply }), ...(options.cluster === undefined ? {} : { feedSlots: options.cluster.feedSlots }) });
  // The operator console's own client (admin/console.ts), registered before the first request.
  if (config.operations.adminApi && !(await ensureConsoleClient(deps, config.issuer))) {
    log.warn({ event: 'admin_console.unavailable' }, 'the operator console needs an https issuer (or http on a loopback host): it stays closed');
  }
  // The server's own state, for /readyz (http/endpoints/health.ts): false once the graceful stop begins.
  const { cluster } = options;
  const readiness = { accepting: true, ...(cluster === undefined ? {} : { workers: () => cluster.workersNotReady() }) };
  if (cluster !== undefined) {
    cluster.offerMetrics(() => deps.metrics.snapshot());
    deps.metrics.gatherWith(() => cluster.gatherMetrics());
  }
  let tracing: Tracing | undefined;
  try {
    tracing = await startTracing(config, log);
  } catch (error) {
    await deps.statusLists.stop();
    await deps.stores.close();
    throw error;
  }
  const handlers = buildRequestListeners(deps, readiness);
  // While draining, every answer says `Connection: close`, so keep-alive clients stop reusing
  // their connections (a reused one could meet the close mid-request) and open new ones elsewhere.
  let draining = false;
  const listener = (handle: http.RequestListener): http.Server =>
    createListener(config.http, (req, res) => {
      if (draining) res.setHeader('Connection', 'close');
      handle(req, res);
    });
  const server = listener(handlers.public);
  const management = handlers.management === undefined ? undefined : listener(handlers.management);
  try {
    await listen(server, config.port, config.host);
    if (management !== undefined) await listen(management, config.http.managementPort!, config.http.managementHost);
  } catch (error) {
    // A port already taken: release what createDeps started before failing.
    server.close();
    deps.statusLists.stop();
    await deps.stores.close();
    await tracing?.shutdown();
    throw error;
  }
  const servers = management === undefined ? [server] : [server, management];
  const schedules = cluster?.schedules ?? true;
  const scheduler = startKeyScheduler(deps, options.keyPollIntervalMs, { applyLifecycle: schedules });
  // Change fan-out: another instance's key change or revocation reaches this one at once.
  const keyReloader = reloadKeysOnChange({ changes: deps.stores.changes, keyring: deps.keyring, log });
  const revocationPush = deps.stores.changes.subscribe('revocations', () => {
    deps.revocations.sync().catch((error: unknown) => log.warn({ err: error, event: 'revocations.sync_failed' }, 'revocation sync after a notification failed'));
  });
  const housekeeping = schedules ? startHousekeeping(deps) : undefined;
  if (schedules) deps.stores.startUpkeep((error) => log.warn({ err: error, event: 'database.checkpoint_failed' }, 'the SQLite WAL checkpoint failed; the next one retries'));
  // Shared Signals push delivery (shared-signals/transmitter.ts): leases keep one process per stream.
  deps.transmitter.start();
  // Follows revocations written by other processes (the CLI) every 250 ms, for the push feed.
  const revocationSync = deps.revocations.startSync(options.revocationPollIntervalMs, (error) => log.error({ err: error, event: 'revocations.sync_failed' }, 'revocation sync failed'));
  // Back-channel logout tokens queued by any process (this one, the CLI, another server): at once
  // when notified (PostgreSQL), otherwise at the deliverer's 250 ms poll.
  deps.logoutDeliverer.start();
  const logoutPush = deps.stores.changes.subscribe('logouts', () => deps.logoutDeliverer.wake());
  // A client removed by another process (the CLI, the admin API elsewhere) stops authenticating at once.
  const clientPush = deps.stores.changes.subscribe('clients', (clientId) => (clientId === undefined ? deps.clientLookup.forgetAll() : deps.clientLookup.forget(clientId)));
  const port = (server.address() as AddressInfo).port;
  const managementPort = management === undefined ? undefined : (management.address() as AddressInfo).port;
  log.info({ event: 'server.started', issuer: config.issuer, host: config.host, port, managementPort }, 'Inkan is listening');
  cluster?.announceReady();
  if (!deps.passkeyAvailability.available) {
    log.warn({ event: 'passkeys.unavailable', issuer: config.issuer, reason: deps.passkeyAvailability.reason }, `passkeys are not offered: ${deps.passkeyAvailability.reason}`);
  }

  let stopping: Promise<void> | undefined;
  /**
   * The graceful stop (SIGTERM, see main.ts), in order: /readyz answers 503; the listener closes
   * (new connections are refused); open revocation-feed streams end with a `retry:` hint; idle
   * keep-alive connections close at once and busy ones after their answer (`Connection: close`);
   * accepted requests finish within `graceMs` (SHUTDOWN_GRACE_SECONDS), after which whatever is
   * left is cut; then the schedulers, syncs and purges stop, and the database closes last.
   */
  const stop = (graceMs = config.operations.shutdownGraceSeconds * 1000): Promise<void> => {
    stopping ??= (async () => {
      readiness.accepting = false;
      cluster?.announceStopping();
      draining = true;
      const closed = Promise.all(servers.map((each) => new Promise<void>((resolve) => each.close(() => resolve()))));
      // Open revocation-feed streams would hold close() for the whole grace period.
      deps.revocationFeed.close();
      // Connections become idle as their last answer goes out (feed streams included): close them as they do.
      const closeIdle = () => servers.forEach((each) => each.closeIdleConnections());
      closeIdle();
      const sweeper = setInterval(closeIdle, 50);
      let cut = false;
      const timer = setTimeout(() => {
        cut = true;
        servers.forEach((each) => each.closeAllConnections());
      }, graceMs);
      await closed;
      clearInterval(sweeper);
      clearTimeout(timer);
      if (cut) log.warn({ event: 'server.grace_exceeded', graceMs }, 'requests still running after the shutdown grace period were cut');
      const schedulerStopped = scheduler.stop();
      revocationSync.stop();
      revocationPush();
      logoutPush();
      clientPush();
      const keyReloaderStopped = keyReloader.stop();
      await deps.statusLists.stop();
      await deps.logoutDeliverer.stop();
      await deps.transmitter.stop();
      await schedulerStopped;
      await keyReloaderStopped;
      await housekeeping?.stop();
      await deps.stores.close();
      // Last, so that the spans of the requests that finished during the grace period leave too.
      await tracing?.shutdown().catch((error: unknown) => log.warn({ err: error, event: 'tracing.shutdown_failed' }, 'the last spans could not be exported'));
      log.info({ event: 'server.stopped' }, 'Inkan stopped');
    })();
    return stopping;
  };
  return {
    deps,
    url: urlOf(config.host, port),
    port,
    managementUrl: managementPort === undefined ? undefined : urlOf(config.http.managementHost, managementPort),
    managementPort,
    stop,
  };
}

/** OpenTelemetry tracing when configured: the SDK is imported only then (tracing/sdk.ts). */
async function startTracing(config: Config, log: Logger): Promise<Tracing | undefined> {
  const { exporters } = config.tracing;
  if (exporters.length === 0) return undefined;
  const { startTracing: start } = await import('./tracing/sdk.js');
  const tracing = start(config.tracing, (message) => log.warn({ event: 'tracing.export_failed' }, message));
  log.info(
    { event: 'tracing.started', exporters: exporters.map((each) => (each.kind === 'otlp' ? `otlp ${each.protocol}` : each.kind)), sampler: config.tracing.sampler, serviceName: config.tracing.serviceName },
    'OpenTelemetry tracing is on',
  );
  return tracing;
}

function urlOf(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

function listen(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
