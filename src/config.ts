/**
 * The only reader of `process.env`.
 *
 * Every variable of the operator contract is parsed and validated here, once, into a frozen typed
 * object that the rest of Inkan receives as an argument. A bad value becomes a `ConfigError` whose
 * message is one line naming the variable, so `main` can print it and exit without a stack trace.
 */
import path from 'node:path';

export type DatabaseConfig =
  | { readonly engine: 'sqlite'; readonly filename: string }
  | { readonly engine: 'postgres'; readonly url: string };

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly issuer: string;
  readonly database: DatabaseConfig;
  readonly keysDir: string;
  /** base64 of 32 bytes; when set it replaces the `kek` file in `keysDir`. Never logged. */
  readonly keyEncryptionKey: string | undefined;
  readonly accessTokenTtlSeconds: number;
  readonly idTokenTtlSeconds: number;
  readonly refreshTokenTtlSeconds: number;
  readonly keyRotationIntervalSeconds: number;
  readonly jwksMaxAgeSeconds: number;
  readonly logLevel: LogLevel;
}

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

function port(env: Env): number {
  const raw = env.PORT;
  if (raw === undefined || raw === '') return 3000;
  const value = Number(raw);
  if (!/^[0-9]+$/.test(raw) || value > 65535) {
    throw new ConfigError(`PORT must be an integer from 0 to 65535, got ${JSON.stringify(raw)}`);
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

export function loadConfig(env: Env = process.env, cwd: string = process.cwd()): Config {
  const listenPort = port(env);
  const host = env.HOST === undefined || env.HOST === '' ? '127.0.0.1' : env.HOST;
  return Object.freeze({
    port: listenPort,
    host,
    issuer: issuer(env, listenPort),
    database: Object.freeze(database(env, cwd)),
    keysDir: path.resolve(cwd, env.KEYS_DIR === undefined || env.KEYS_DIR === '' ? './keys' : env.KEYS_DIR),
    keyEncryptionKey: keyEncryptionKey(env),
    accessTokenTtlSeconds: positiveSeconds(env, 'ACCESS_TOKEN_TTL', 900),
    idTokenTtlSeconds: positiveSeconds(env, 'ID_TOKEN_TTL', 3600),
    refreshTokenTtlSeconds: positiveSeconds(env, 'REFRESH_TOKEN_TTL', 2592000),
    keyRotationIntervalSeconds: positiveSeconds(env, 'KEY_ROTATION_INTERVAL', 2592000),
    jwksMaxAgeSeconds: positiveSeconds(env, 'JWKS_MAX_AGE', 300),
    logLevel: logLevel(env),
  });
}
