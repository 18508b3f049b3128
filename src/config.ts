/**
 * The only reader of `process.env`.
 *
 * Every variable of the operator contract is parsed and validated here, once, into a frozen typed
 * object that the rest of Inkan receives as an argument. A bad value becomes a `ConfigError` whose
 * message is one line naming the variable, so `main` can print it and exit without a stack trace.
 */
import os from 'node:os';
import path from 'node:path';
import { normalizeEmail } from './storage/people.js';
import { DEFAULT_DATABASE_TUNING, type DatabaseConfig, type DatabaseTuning } from './storage/database.js';
import { SAMPLER_NAMES, TRACING_OFF, type BatchSettings, type OtlpExport, type SamplerName, type SpanExport, type TracingConfig } from './tracing/settings.js';

export interface Config {
  /**
   * WORKERS (default: the cores this process may use, `os.availableParallelism()`): how many worker
   * processes `npm start` runs on the shared listener (cluster/primary.ts); 1 runs one process.
   */
  readonly workers: number;
  readonly port: number;
  readonly host: string;
  readonly issuer: string;
  readonly database: DatabaseConfig;
  readonly databaseTuning: DatabaseTuning;
  readonly keysDir: string;
  /** base64 of 32 bytes; when set it replaces the `kek` file in `keysDir`. Never logged. */
  readonly keyEncryptionKey: string | undefined;
  readonly accessTokenTtlSeconds: number;
  readonly idTokenTtlSeconds: number;
  readonly refreshTokenTtlSeconds: number;
  /** REFRESH_TOKEN_IDLE_TTL (default 14 days): a refresh token unused this long expires (never after REFRESH_TOKEN_TTL). */
  readonly refreshTokenIdleTtlSeconds: number;
  readonly keyRotationIntervalSeconds: number;
  readonly jwksMaxAgeSeconds: number;
  /** CLOCK_SKEW (default 60): how far a verifier's clock may run behind; retired keys stay published this much longer. */
  readonly clockSkewSeconds: number;
  readonly logLevel: LogLevel;
  /**
   * TRUST_PROXY (`off` default, `on` = 1, or a number of proxy hops): how many reverse proxies in
   * front of Inkan append to X-Forwarded-For. With any, the client address (login throttling, logs)
   * is the entry that many places from the right of that header; off, it is the TCP peer.
   */
  readonly trustedProxyHops: number;
  /**
   * FEED_MAX_STREAMS_PER_CLIENT (default 16): how many revocation-feed streams one client may hold
   * open at once on the server, every worker's together (each instance of a resource server holds
   * one); one more is refused with 429.
   */
  readonly feedMaxStreamsPerClient: number;
  /** Operability (see src/metrics, src/audit, src/http/endpoints/admin.ts). */
  readonly operations: OperationsConfig;
  /** What the listeners allow a client (server.ts): slow clients are cut, connections capped. */
  readonly http: HttpServerConfig;
  /** PENDING_SIGNINS_PER_ADDRESS (default 100): live pending sign-ins one client address may start (login/authorizer.ts). */
  readonly pendingSignInsPerAddress: number;
  /** Back-channel logout deliveries (backchannel-logout/). */
  readonly backchannelLogout: BackchannelLogoutConfig;
  /** What every page shows of the organisation running Inkan (BRAND_NAME, BRAND_LOGO_URL, BRAND_ACCENT_COLOR). */
  readonly brand: BrandConfig;
  /** OpenTelemetry tracing (tracing/): off unless an OTEL_* variable below asks for an exporter. */
  readonly tracing: TracingConfig;
  /** TEST-ONLY (INKAN_FAULT_INJECTION): makes the process SIGKILL itself during a key change; see keys/fault-injection.ts. */
  readonly faultInjection: FaultInjection | undefined;
}

export interface OperationsConfig {
  /** METRICS_TOKEN: when set, GET /metrics needs `Authorization: Bearer <it>`. Never logged. */
  readonly metricsToken: string | undefined;
  /** SHUTDOWN_GRACE_SECONDS (default 10): how long SIGTERM waits for accepted requests before cutting connections. */
  readonly shutdownGraceSeconds: number;
  /** ADMIN_API (`on`/`off`, default off): serves the admin API under /admin/v1 on the same listener. */
  readonly adminApi: boolean;
  /**
   * ADMIN_OPERATORS (comma-separated emails, default none): the people who may sign in to the
   * operator console at /admin (with ADMIN_API=on), compared as `normalizeEmail` does. Nobody else
   * can, whatever tokens they hold.
   */
  readonly adminOperators: readonly string[];
  /** CLI_AUDIT_LOG (default ./data/cli-audit.log): where the CLI appends its audit lines; `stderr` for standard error. */
  readonly cliAuditLog: string;
}

export interface HttpServerConfig {
  /** HEADERS_TIMEOUT (default 10 s): a request whose headers have not all arrived by then gets 408 and is closed. */
  readonly headersTimeoutSeconds: number;
  /** REQUEST_TIMEOUT (default 30 s, ≥ HEADERS_TIMEOUT): the same for the whole request, body included; an answered stream (the revocation feed) is not cut. */
  readonly requestTimeoutSeconds: number;
  /** MAX_CONNECTIONS (default 1000): connections open at once per listener; more are closed as they arrive. */
  readonly maxConnections: number;
  /**
   * MANAGEMENT_PORT (unset by default; 0 picks a free port): when set, /metrics, /healthz and
   * /readyz are served on this port (of MANAGEMENT_HOST, default HOST) and no longer on PORT.
   */
  readonly managementPort: number | undefined;
  readonly managementHost: string;
}

export interface BackchannelLogoutConfig {
  /**
   * BACKCHANNEL_LOGOUT_RETRY_SCHEDULE (default `5,30,120,600,1800,3600,7200,14400`): seconds to wait
   * before each retry of a failed delivery; after the last one fails the delivery is given up.
   */
  readonly retrySeconds: readonly number[];
  /** BACKCHANNEL_LOGOUT_MAX_AGE (default 86400): a delivery still waiting this long after its logout is given up. */
  readonly maxAgeSeconds: number;
  /** BACKCHANNEL_LOGOUT_TIMEOUT (default 5): seconds one POST may take, answer included. */
  readonly timeoutSeconds: number;
  /** BACKCHANNEL_LOGOUT_CONCURRENCY (default 8): POSTs in flight at once per process. */
  readonly concurrency: number;
  /** BACKCHANNEL_LOGOUT_MAX_PENDING_PER_CLIENT (default 10000): waiting deliveries per client; more are dropped (audited). */
  readonly maxPendingPerClient: number;
}

export interface BrandConfig {
  /** BRAND_NAME (default `Inkan`, at most 100 characters): in every page's title and header. */
  readonly name: string;
  /**
   * BRAND_LOGO_URL (unset: Inkan's seal): an https URL, or a path on Inkan's own origin (`/logo.svg`,
   * served by whatever fronts Inkan). The pages' CSP allows images from its origin.
   */
  readonly logoUrl: string | undefined;
  /** BRAND_ACCENT_COLOR (unset: Inkan's red): a CSS hex colour (`#rgb`, `#rrggbb`), for buttons and marks. */
  readonly accentColor: string | undefined;
}

export const DEFAULT_BRAND_NAME = 'Inkan';
const BRAND_NAME_MAX_LENGTH = 100;
const BRAND_LOGO_URL_MAX_LENGTH = 2048;

function brand(env: Env): BrandConfig {
  const rawName = (env.BRAND_NAME ?? '').trim();
  // Control characters would end up in <title> and the header.
  if (rawName.length > BRAND_NAME_MAX_LENGTH || /[\x00-\x1f\x7f]/.test(rawName)) {
    throw new ConfigError(`BRAND_NAME must be at most ${BRAND_NAME_MAX_LENGTH} characters without control characters`);
  }
  const logo = env.BRAND_LOGO_URL === undefined || env.BRAND_LOGO_URL === '' ? undefined : env.BRAND_LOGO_URL;
  if (logo !== undefined) {
    const problem = `BRAND_LOGO_URL must be an https URL or a path starting with "/" (at most ${BRAND_LOGO_URL_MAX_LENGTH} characters), got ${JSON.stringify(logo.slice(0, 200))}`;
    if (logo.length > BRAND_LOGO_URL_MAX_LENGTH || /[\s"'<>\\]/.test(logo)) throw new ConfigError(problem);
    if (logo.startsWith('/')) {
      // `//host/…` would be another origin, scheme-relative.
      if (logo.startsWith('//')) throw new ConfigError(problem);
    } else {
      let url: URL;
      try {
        url = new URL(logo);
      } catch {
        throw new ConfigError(problem);
      }
      if (url.protocol !== 'https:' || url.username !== '' || url.password !== '') throw new ConfigError(problem);
    }
  }
  const accent = env.BRAND_ACCENT_COLOR === undefined || env.BRAND_ACCENT_COLOR === '' ? undefined : env.BRAND_ACCENT_COLOR;
  // CSS Color 4 §5.2 hex colours without alpha: a translucent accent would make buttons unreadable.
  if (accent !== undefined && !/^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/.test(accent)) {
    throw new ConfigError(`BRAND_ACCENT_COLOR must be a CSS hex colour like #1a5fb4 or #15b, got ${JSON.stringify(accent.slice(0, 50))}`);
  }
  return Object.freeze({ name: rawName === '' ? DEFAULT_BRAND_NAME : rawName, logoUrl: logo, accentColor: accent?.toLowerCase() });
}

export const DEFAULT_LOGOUT_RETRY_SECONDS: readonly number[] = Object.freeze([5, 30, 120, 600, 1800, 3600, 7200, 14400]);

function retrySchedule(env: Env, name: string): readonly number[] {
  const raw = env[name];
  if (raw === undefined || raw === '') return DEFAULT_LOGOUT_RETRY_SECONDS;
  const parts = raw.split(',');
  if (parts.length > 20 || !parts.every((part) => /^[0-9]{1,6}$/.test(part) && Number(part) > 0)) {
    throw new ConfigError(`${name} must be 1 to 20 comma-separated positive integers of seconds, got ${JSON.stringify(raw)}`);
  }
  return Object.freeze(parts.map(Number));
}

function backchannelLogout(env: Env): BackchannelLogoutConfig {
  return Object.freeze({
    retrySeconds: retrySchedule(env, 'BACKCHANNEL_LOGOUT_RETRY_SCHEDULE'),
    maxAgeSeconds: positiveSeconds(env, 'BACKCHANNEL_LOGOUT_MAX_AGE', 86_400),
    timeoutSeconds: wholeNumber(env, 'BACKCHANNEL_LOGOUT_TIMEOUT', 'seconds', 5, 1, 60),
    concurrency: wholeNumber(env, 'BACKCHANNEL_LOGOUT_CONCURRENCY', 'requests', 8, 1, 256),
    maxPendingPerClient: wholeNumber(env, 'BACKCHANNEL_LOGOUT_MAX_PENDING_PER_CLIENT', 'deliveries', 10_000, 1, 10_000_000),
  });
}

/** Crash points the key crash tests use; never set these in production. */
export type FaultInjection = 'kill-before-key-commit' | 'kill-during-key-commit';
const FAULT_INJECTIONS: readonly FaultInjection[] = ['kill-before-key-commit', 'kill-during-key-commit'];

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type Env = Readonly<Record<string, string | undefined>>;

function positiveSeconds(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^[0-9]+$/.test(raw) || Number(raw) <= 0 || !Number.isSafeInteger(Number(raw))) {
    throw new ConfigError(`${name} must be a positive integer of seconds, got ${JSON.stringify(raw)}`);
  }
  return Number(raw);
}

function port(env: Env, name = 'PORT'): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!/^[0-9]+$/.test(raw) || value > 65535) {
    throw new ConfigError(`${name} must be an integer from 0 to 65535, got ${JSON.stringify(raw)}`);
  }
  return value;
}

function issuer(env: Env, listenPort: number): string {
  const raw = env.ISSUER;
  if (raw === undefined || raw === '') return `http://localhost:${listenPort}`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`ISSUER must be an absolute http(s) URL, got ${JSON.stringify(raw)}`);
  }
  // OpenID Connect Discovery §3 / RFC 8414 §2: https, no query, no fragment. Plain http is
  // tolerated so that a developer can run Inkan locally.
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.search || url.hash || raw.includes('#')) {
    throw new ConfigError(`ISSUER must be an http(s) URL without query or fragment, got ${JSON.stringify(raw)}`);
  }
  // The issuer is compared as a string by relying parties, so keep the operator's exact spelling
  // apart from a trailing slash, which would make every endpoint URL contain "//".
  return raw.endsWith('/') ? raw.slice(0, -1) : raw;
}

function database(env: Env, cwd: string): DatabaseConfig {
  const raw = env.DATABASE_URL === undefined || env.DATABASE_URL === '' ? 'sqlite:./data/inkan.sqlite' : env.DATABASE_URL;
  if (raw.startsWith('sqlite:')) {
    const file = raw.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (file === '') throw new ConfigError(`DATABASE_URL must name a file after "sqlite:", got ${JSON.stringify(raw)}`);
    return { engine: 'sqlite', filename: file === ':memory:' ? file : path.resolve(cwd, file) };
  }
  if (raw.startsWith('postgres://') || raw.startsWith('postgresql://')) {
    try {
      new URL(raw);
    } catch {
      throw new ConfigError('DATABASE_URL is not a valid postgres:// URL');
    }
    return { engine: 'postgres', url: raw };
  }
  // Never echo a postgres URL: it may hold a password.
  throw new ConfigError('DATABASE_URL must start with "sqlite:" or "postgres://"');
}

function wholeNumber(env: Env, name: string, unit: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^[0-9]+$/.test(raw) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max} (${unit}), got ${JSON.stringify(raw)}`);
  }
  return value;
}

/**
 * An in-memory SQLite database lives inside one process, so it is served by one worker: the
 * default becomes 1, and asking for more is an error rather than N servers with N databases.
 */
function workers(env: Env, database: DatabaseConfig): number {
  const inMemory = database.engine === 'sqlite' && database.filename === ':memory:';
  const count = wholeNumber(env, 'WORKERS', 'processes', inMemory ? 1 : os.availableParallelism(), 1, 256);
  if (inMemory && count > 1) throw new ConfigError('WORKERS must be 1 with an in-memory database (sqlite::memory:): workers share the database');
  return count;
}

function databaseTuning(env: Env): DatabaseTuning {
  return Object.freeze({
    poolMax: wholeNumber(env, 'DATABASE_POOL_MAX', 'connections', DEFAULT_DATABASE_TUNING.poolMax, 1, 1000),
    statementTimeoutMs: wholeNumber(env, 'DATABASE_STATEMENT_TIMEOUT', 'milliseconds, 0 for none', DEFAULT_DATABASE_TUNING.statementTimeoutMs, 0, 3_600_000),
    connectTimeoutSeconds: wholeNumber(env, 'DATABASE_CONNECT_TIMEOUT', 'seconds', DEFAULT_DATABASE_TUNING.connectTimeoutSeconds, 0, 3600),
  });
}

function trustedProxyHops(env: Env): number {
  const raw = env.TRUST_PROXY;
  if (raw === undefined || raw === '' || raw === 'off') return 0;
  if (raw === 'on') return 1;
  if (!/^[0-9]{1,2}$/.test(raw)) throw new ConfigError(`TRUST_PROXY must be off, on or a number of proxy hops, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

function logLevel(env: Env): LogLevel {
  const raw = env.LOG_LEVEL;
  if (raw === undefined || raw === '') return 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(raw)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(raw)}`);
  }
  return raw as LogLevel;
}

function keyEncryptionKey(env: Env): string | undefined {
  const raw = env.KEY_ENCRYPTION_KEY;
  if (raw === undefined || raw === '') return undefined;
  if (Buffer.from(raw, 'base64').length !== 32) {
    throw new ConfigError('KEY_ENCRYPTION_KEY must be the base64 encoding of exactly 32 bytes');
  }
  return raw;
}

function operations(env: Env, cwd: string): OperationsConfig {
  const metricsToken = env.METRICS_TOKEN === undefined || env.METRICS_TOKEN === '' ? undefined : env.METRICS_TOKEN;
  if (metricsToken !== undefined && (metricsToken.length < 16 || !/^[\x21-\x7E]+$/.test(metricsToken))) {
    throw new ConfigError('METRICS_TOKEN must be at least 16 printable characters without spaces');
  }
  const admin = env.ADMIN_API === undefined || env.ADMIN_API === '' ? 'off' : env.ADMIN_API;
  if (admin !== 'on' && admin !== 'off') throw new ConfigError(`ADMIN_API must be on or off, got ${JSON.stringify(admin)}`);
  const operators = (env.ADMIN_OPERATORS ?? '').split(',').map(normalizeEmail).filter((email) => email !== '');
  for (const email of operators) {
    if (!/^[^\s@]+@[^\s@]+$/.test(email)) throw new ConfigError(`ADMIN_OPERATORS must be comma-separated emails, got ${JSON.stringify(email)}`);
  }
  if (operators.length > 0 && admin !== 'on') throw new ConfigError('ADMIN_OPERATORS needs ADMIN_API=on (the console is part of the admin API)');
  const audit = env.CLI_AUDIT_LOG === undefined || env.CLI_AUDIT_LOG === '' ? './data/cli-audit.log' : env.CLI_AUDIT_LOG;
  return Object.freeze({
    metricsToken,
    shutdownGraceSeconds: wholeNumber(env, 'SHUTDOWN_GRACE_SECONDS', 'seconds', 10, 0, 3600),
    adminApi: admin === 'on',
    adminOperators: Object.freeze([...new Set(operators)]),
    cliAuditLog: audit === 'stderr' ? audit : path.resolve(cwd, audit),
  });
}

function httpServer(env: Env, host: string, listenPort: number): HttpServerConfig {
  const headersTimeoutSeconds = wholeNumber(env, 'HEADERS_TIMEOUT', 'seconds', 10, 1, 3600);
  const requestTimeoutSeconds = wholeNumber(env, 'REQUEST_TIMEOUT', 'seconds', 30, 1, 3600);
  // node refuses a headers timeout longer than the request timeout.
  if (headersTimeoutSeconds > requestTimeoutSeconds) {
    throw new ConfigError(`HEADERS_TIMEOUT (${headersTimeoutSeconds}) must not be longer than REQUEST_TIMEOUT (${requestTimeoutSeconds})`);
  }
  const managementPort = port(env, 'MANAGEMENT_PORT');
  if (managementPort !== undefined && managementPort !== 0 && managementPort === listenPort) {
    throw new ConfigError(`MANAGEMENT_PORT must differ from PORT (both are ${listenPort})`);
  }
  return Object.freeze({
    headersTimeoutSeconds,
    requestTimeoutSeconds,
    maxConnections: wholeNumber(env, 'MAX_CONNECTIONS', 'connections', 1000, 1, 1_000_000),
    managementPort,
    managementHost: env.MANAGEMENT_HOST === undefined || env.MANAGEMENT_HOST === '' ? host : env.MANAGEMENT_HOST,
  });
}

/**
 * The OpenTelemetry variables (OpenTelemetry specification: "Environment Variable Specification"
 * and "OTLP Exporter Configuration"). Tracing starts only when asked for: OTEL_TRACES_EXPORTER
 * names an exporter, or it is unset and an OTLP endpoint is set (the specification's default
 * exporter is `otlp`, but an identity provider that posts to localhost:4318 on its own is a
 * surprise). OTEL_SDK_DISABLED=true and OTEL_TRACES_EXPORTER=none turn it off. Header values and
 * endpoints are never echoed in an error: they may carry a collector's API key.
 */
function tracing(env: Env): TracingConfig {
  const set = (name: string): string | undefined => (env[name] === undefined || env[name] === '' ? undefined : env[name]!.trim());
  if (set('OTEL_SDK_DISABLED')?.toLowerCase() === 'true') return TRACING_OFF;
  const endpoint = set('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') ?? set('OTEL_EXPORTER_OTLP_ENDPOINT');
  const named = set('OTEL_TRACES_EXPORTER')?.split(',').map((each) => each.trim().toLowerCase()) ?? (endpoint === undefined ? [] : ['otlp']);
  for (const each of named) {
    if (each !== 'otlp' && each !== 'console' && each !== 'none') throw new ConfigError(`OTEL_TRACES_EXPORTER must be otlp, console or none (comma-separated), got ${JSON.stringify(each)}`);
  }
  if (named.includes('none') && named.length > 1) throw new ConfigError('OTEL_TRACES_EXPORTER=none cannot be combined with another exporter');
  const exporters: SpanExport[] = [...new Set(named)].flatMap((each): SpanExport[] => (each === 'otlp' ? [otlpExport(env, set)] : each === 'console' ? [{ kind: 'console' }] : []));
  const sampler = set('OTEL_TRACES_SAMPLER') ?? 'parentbased_always_on';
  if (!(SAMPLER_NAMES as readonly string[]).includes(sampler)) throw new ConfigError(`OTEL_TRACES_SAMPLER must be one of ${SAMPLER_NAMES.join(', ')}, got ${JSON.stringify(sampler)}`);
  // The argument means something to the ratio samplers only; the others ignore it (the specification).
  const ratioText = sampler.endsWith('traceidratio') ? set('OTEL_TRACES_SAMPLER_ARG') : undefined;
  const samplerRatio = ratioText === undefined ? 1 : Number(ratioText);
  if (!/^[0-9]*\.?[0-9]+$/.test(ratioText ?? '1') || samplerRatio > 1) {
    throw new ConfigError(`OTEL_TRACES_SAMPLER_ARG must be a ratio from 0 to 1, got ${JSON.stringify(ratioText)}`);
  }
  return Object.freeze({
    exporters: Object.freeze(exporters),
    serviceName: set('OTEL_SERVICE_NAME') ?? 'inkan',
    resourceAttributes: keyValuePairs(set('OTEL_RESOURCE_ATTRIBUTES'), 'OTEL_RESOURCE_ATTRIBUTES'),
    sampler: sampler as SamplerName,
    samplerRatio,
    batch: batchSettings(env),
  });
}

function batchSettings(env: Env): BatchSettings {
  const defaults = TRACING_OFF.batch;
  const maxQueueSize = wholeNumber(env, 'OTEL_BSP_MAX_QUEUE_SIZE', 'spans', defaults.maxQueueSize, 1, 1_000_000);
  const maxExportBatchSize = wholeNumber(env, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 'spans', Math.min(defaults.maxExportBatchSize, maxQueueSize), 1, 1_000_000);
  if (maxExportBatchSize > maxQueueSize) throw new ConfigError(`OTEL_BSP_MAX_EXPORT_BATCH_SIZE (${maxExportBatchSize}) must not be larger than OTEL_BSP_MAX_QUEUE_SIZE (${maxQueueSize})`);
  return Object.freeze({
    scheduledDelayMillis: wholeNumber(env, 'OTEL_BSP_SCHEDULE_DELAY', 'milliseconds', defaults.scheduledDelayMillis, 1, 3_600_000),
    exportTimeoutMillis: wholeNumber(env, 'OTEL_BSP_EXPORT_TIMEOUT', 'milliseconds', defaults.exportTimeoutMillis, 1, 3_600_000),
    maxQueueSize,
    maxExportBatchSize,
  });
}

/** The OTLP/HTTP exporter's settings; a TRACES_ variable wins over the general one (OTLP Exporter Configuration). */
function otlpExport(env: Env, set: (name: string) => string | undefined): OtlpExport {
  const either = (suffix: string) => {
    const specific = `OTEL_EXPORTER_OTLP_TRACES_${suffix}`;
    return set(specific) === undefined ? { name: `OTEL_EXPORTER_OTLP_${suffix}`, value: set(`OTEL_EXPORTER_OTLP_${suffix}`) } : { name: specific, value: set(specific) };
  };
  // The signal-specific endpoint is used as given; the general one is a base URL for every signal.
  const tracesEndpoint = set('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const base = set('OTEL_EXPORTER_OTLP_ENDPOINT');
  const url = tracesEndpoint ?? (base === undefined ? 'http://localhost:4318/v1/traces' : `${base}${base.endsWith('/') ? '' : '/'}v1/traces`);
  const endpointName = tracesEndpoint === undefined ? 'OTEL_EXPORTER_OTLP_ENDPOINT' : 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT';
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) throw new ConfigError(`${endpointName} must be an absolute http(s) URL`);
  const protocol = either('PROTOCOL');
  const protocolValue = protocol.value ?? 'http/protobuf';
  if (protocolValue === 'grpc') throw new ConfigError(`${protocol.name}=grpc is not supported: use http/protobuf (port 4318 of a collector) or http/json`);
  if (protocolValue !== 'http/protobuf' && protocolValue !== 'http/json') throw new ConfigError(`${protocol.name} must be http/protobuf or http/json, got ${JSON.stringify(protocolValue)}`);
  const timeout = either('TIMEOUT');
  const compression = either('COMPRESSION');
  const compressionValue = compression.value ?? 'none';
  if (compressionValue !== 'gzip' && compressionValue !== 'none') throw new ConfigError(`${compression.name} must be gzip or none, got ${JSON.stringify(compressionValue)}`);
  const headers = either('HEADERS');
  return Object.freeze({
    kind: 'otlp',
    url,
    protocol: protocolValue,
    headers: keyValuePairs(headers.value, headers.name),
    timeoutMs: wholeNumber({ [timeout.name]: timeout.value }, timeout.name, 'milliseconds', 10_000, 1, 600_000),
    compression: compressionValue,
  });
}

/** `key1=value1,key2=value2` with percent-encoded values (the W3C Baggage format the specification uses). */
function keyValuePairs(raw: string | undefined, name: string): Readonly<Record<string, string>> {
  const pairs: Record<string, string> = {};
  if (raw === undefined) return Object.freeze(pairs);
  for (const item of raw.split(',')) {
    if (item.trim() === '') continue;
    const equals = item.indexOf('=');
    const key = equals <= 0 ? '' : item.slice(0, equals).trim();
    if (key === '') throw new ConfigError(`${name} must be comma-separated key=value pairs`);
    try {
      pairs[key] = decodeURIComponent(item.slice(equals + 1).trim());
    } catch {
      throw new ConfigError(`${name} has a value that is not valid percent-encoding (key ${JSON.stringify(key)})`);
    }
  }
  return Object.freeze(pairs);
}

function faultInjection(env: Env): FaultInjection | undefined {
  const raw = env.INKAN_FAULT_INJECTION;
  if (raw === undefined || raw === '') return undefined;
  if (!(FAULT_INJECTIONS as readonly string[]).includes(raw)) {
    throw new ConfigError(`INKAN_FAULT_INJECTION (test-only) must be one of ${FAULT_INJECTIONS.join(', ')}, got ${JSON.stringify(raw)}`);
  }
  return raw as FaultInjection;
}

export function loadConfig(env: Env = process.env, cwd: string = process.cwd()): Config {
  const listenPort = port(env) ?? 3000;
  const host = env.HOST === undefined || env.HOST === '' ? '127.0.0.1' : env.HOST;
  const databaseConfig = database(env, cwd);
  return Object.freeze({
    workers: workers(env, databaseConfig),
    port: listenPort,
    host,
    issuer: issuer(env, listenPort),
    database: Object.freeze(databaseConfig),
    databaseTuning: databaseTuning(env),
    keysDir: path.resolve(cwd, env.KEYS_DIR === undefined || env.KEYS_DIR === '' ? './keys' : env.KEYS_DIR),
    keyEncryptionKey: keyEncryptionKey(env),
    accessTokenTtlSeconds: positiveSeconds(env, 'ACCESS_TOKEN_TTL', 900),
    idTokenTtlSeconds: positiveSeconds(env, 'ID_TOKEN_TTL', 3600),
    refreshTokenTtlSeconds: positiveSeconds(env, 'REFRESH_TOKEN_TTL', 2592000),
    refreshTokenIdleTtlSeconds: positiveSeconds(env, 'REFRESH_TOKEN_IDLE_TTL', 1209600),
    keyRotationIntervalSeconds: positiveSeconds(env, 'KEY_ROTATION_INTERVAL', 2592000),
    jwksMaxAgeSeconds: positiveSeconds(env, 'JWKS_MAX_AGE', 300),
    clockSkewSeconds: positiveSeconds(env, 'CLOCK_SKEW', 60),
    logLevel: logLevel(env),
    trustedProxyHops: trustedProxyHops(env),
    feedMaxStreamsPerClient: wholeNumber(env, 'FEED_MAX_STREAMS_PER_CLIENT', 'streams', 16, 1, 100_000),
    operations: operations(env, cwd),
    http: httpServer(env, host, listenPort),
    pendingSignInsPerAddress: wholeNumber(env, 'PENDING_SIGNINS_PER_ADDRESS', 'requests', 100, 1, 1_000_000),
    backchannelLogout: backchannelLogout(env),
    brand: brand(env),
    tracing: tracing(env),
    faultInjection: faultInjection(env),
  });
}
