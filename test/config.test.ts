/**
 * Configuration per the operator contract: every variable's default, and for each bad value one
 * line that names the variable (main prints it and exits, no stack trace). Then the operability
 * variables: METRICS_TOKEN, SHUTDOWN_GRACE_SECONDS, ADMIN_API, ADMIN_OPERATORS, CLI_AUDIT_LOG.
 */
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

const CWD = '/srv/inkan';

function configError(env: Record<string, string>): string {
  let caught: unknown;
  try {
    loadConfig(env, CWD);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ConfigError);
  const message = (caught as ConfigError).message;
  expect(message).not.toContain('\n');
  return message;
}

describe('defaults', () => {
  it('gives every contract variable its documented default', () => {
    expect(loadConfig({}, CWD)).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      issuer: 'http://localhost:3000',
      database: { engine: 'sqlite', filename: path.join(CWD, 'data/inkan.sqlite') },
      keysDir: path.join(CWD, 'keys'),
      keyEncryptionKey: undefined,
      accessTokenTtlSeconds: 900,
      idTokenTtlSeconds: 3600,
      refreshTokenTtlSeconds: 2592000,
      keyRotationIntervalSeconds: 2592000,
      jwksMaxAgeSeconds: 300,
      logLevel: 'info',
      http: { headersTimeoutSeconds: 10, requestTimeoutSeconds: 30, maxConnections: 1000, managementPort: undefined, managementHost: '127.0.0.1' },
    });
  });

  it('reads the listener limits and the management listener', () => {
    expect(
      loadConfig({ HOST: '0.0.0.0', HEADERS_TIMEOUT: '5', REQUEST_TIMEOUT: '5', MAX_CONNECTIONS: '20', MANAGEMENT_PORT: '9000' }, CWD).http,
    ).toEqual({ headersTimeoutSeconds: 5, requestTimeoutSeconds: 5, maxConnections: 20, managementPort: 9000, managementHost: '0.0.0.0' });
    expect(loadConfig({ MANAGEMENT_PORT: '0', MANAGEMENT_HOST: '10.0.0.5' }, CWD).http).toMatchObject({ managementPort: 0, managementHost: '10.0.0.5' });
  });

  it('treats empty values as unset', () => {
    const empty = Object.fromEntries(
      ['PORT', 'HOST', 'ISSUER', 'DATABASE_URL', 'KEYS_DIR', 'ACCESS_TOKEN_TTL', 'ID_TOKEN_TTL', 'REFRESH_TOKEN_TTL', 'KEY_ROTATION_INTERVAL', 'JWKS_MAX_AGE', 'LOG_LEVEL', 'KEY_ENCRYPTION_KEY'].map((name) => [name, '']),
    );
    expect(loadConfig(empty, CWD)).toEqual(loadConfig({}, CWD));
  });

  it('derives the default ISSUER from PORT', () => {
    expect(loadConfig({ PORT: '8443' }, CWD).issuer).toBe('http://localhost:8443');
  });

  it('is frozen', () => {
    const config = loadConfig({}, CWD);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.database)).toBe(true);
  });
});

describe('values', () => {
  it('reads every contract variable', () => {
    const kek = Buffer.alloc(32, 7).toString('base64');
    expect(
      loadConfig(
        {
          PORT: '8080',
          HOST: '0.0.0.0',
          ISSUER: 'https://id.example.com/tenant/',
          DATABASE_URL: 'postgres://inkan:pw@db.example.com:5432/inkan',
          KEYS_DIR: 'secrets/keys',
          KEY_ENCRYPTION_KEY: kek,
          ACCESS_TOKEN_TTL: '60',
          ID_TOKEN_TTL: '120',
          REFRESH_TOKEN_TTL: '86400',
          KEY_ROTATION_INTERVAL: '3600',
          JWKS_MAX_AGE: '30',
          LOG_LEVEL: 'warn',
        },
        CWD,
      ),
    ).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      // A trailing slash would make every endpoint URL contain "//".
      issuer: 'https://id.example.com/tenant',
      database: { engine: 'postgres', url: 'postgres://inkan:pw@db.example.com:5432/inkan' },
      keysDir: path.join(CWD, 'secrets/keys'),
      keyEncryptionKey: kek,
      accessTokenTtlSeconds: 60,
      idTokenTtlSeconds: 120,
      refreshTokenTtlSeconds: 86400,
      keyRotationIntervalSeconds: 3600,
      jwksMaxAgeSeconds: 30,
      logLevel: 'warn',
    });
  });

  it('resolves a relative sqlite path against the working folder and keeps an absolute one', () => {
    expect(loadConfig({ DATABASE_URL: 'sqlite:db/x.sqlite' }, CWD).database).toEqual({ engine: 'sqlite', filename: path.join(CWD, 'db/x.sqlite') });
    expect(loadConfig({ DATABASE_URL: 'sqlite:/var/lib/inkan.sqlite' }, CWD).database).toEqual({ engine: 'sqlite', filename: '/var/lib/inkan.sqlite' });
    expect(loadConfig({ DATABASE_URL: 'postgresql://u@h/db' }, CWD).database).toEqual({ engine: 'postgres', url: 'postgresql://u@h/db' });
  });
});

describe('bad values stop start-up with one line naming the variable', () => {
  it.each(['ACCESS_TOKEN_TTL', 'ID_TOKEN_TTL', 'REFRESH_TOKEN_TTL', 'KEY_ROTATION_INTERVAL', 'JWKS_MAX_AGE'])('%s', (name) => {
    for (const bad of ['abc', '0', '-5', '1.5', '10s', ' 60', '1e3', '99999999999999999999']) {
      expect(configError({ [name]: bad })).toBe(`${name} must be a positive integer of seconds, got ${JSON.stringify(bad)}`);
    }
  });

  it('ACCESS_TOKEN_TTL=abc, word for word', () => {
    expect(configError({ ACCESS_TOKEN_TTL: 'abc' })).toBe('ACCESS_TOKEN_TTL must be a positive integer of seconds, got "abc"');
  });

  it('PORT', () => {
    for (const bad of ['abc', '70000', '-1', '80.5']) {
      expect(configError({ PORT: bad })).toBe(`PORT must be an integer from 0 to 65535, got ${JSON.stringify(bad)}`);
    }
  });

  it('ISSUER', () => {
    expect(configError({ ISSUER: 'id.example.com' })).toBe('ISSUER must be an absolute http(s) URL, got "id.example.com"');
    for (const bad of ['ftp://id.example.com', 'https://id.example.com/?tenant=a', 'https://id.example.com/#x']) {
      expect(configError({ ISSUER: bad })).toBe(`ISSUER must be an http(s) URL without query or fragment, got ${JSON.stringify(bad)}`);
    }
  });

  it('DATABASE_URL, never echoing a password', () => {
    expect(configError({ DATABASE_URL: 'mysql://root:hunter2@db/inkan' })).toBe('DATABASE_URL must start with "sqlite:" or "postgres://"');
    expect(configError({ DATABASE_URL: 'sqlite:' })).toBe('DATABASE_URL must name a file after "sqlite:", got "sqlite:"');
    const bad = configError({ DATABASE_URL: 'postgres://u:hunter2@[not-a-host/db' });
    expect(bad).toMatch(/^DATABASE_URL /);
    expect(bad).not.toContain('hunter2');
  });

  it('LOG_LEVEL', () => {
    expect(configError({ LOG_LEVEL: 'loud' })).toBe('LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "loud"');
  });

  it('HEADERS_TIMEOUT, REQUEST_TIMEOUT and MAX_CONNECTIONS', () => {
    for (const bad of ['abc', '0', '3601', '1.5']) {
      expect(configError({ HEADERS_TIMEOUT: bad })).toBe(`HEADERS_TIMEOUT must be an integer from 1 to 3600 (seconds), got ${JSON.stringify(bad)}`);
      expect(configError({ REQUEST_TIMEOUT: bad })).toBe(`REQUEST_TIMEOUT must be an integer from 1 to 3600 (seconds), got ${JSON.stringify(bad)}`);
    }
    expect(configError({ HEADERS_TIMEOUT: '40' })).toBe('HEADERS_TIMEOUT (40) must not be longer than REQUEST_TIMEOUT (30)');
    for (const bad of ['0', '-1', 'many', '1000001']) {
      expect(configError({ MAX_CONNECTIONS: bad })).toBe(`MAX_CONNECTIONS must be an integer from 1 to 1000000 (connections), got ${JSON.stringify(bad)}`);
    }
  });

  it('PENDING_SIGNINS_PER_ADDRESS', () => {
    expect(loadConfig({}, CWD).pendingSignInsPerAddress).toBe(100);
    expect(loadConfig({ PENDING_SIGNINS_PER_ADDRESS: '5000' }, CWD).pendingSignInsPerAddress).toBe(5000);
    for (const bad of ['0', 'lots', '-3']) {
      expect(configError({ PENDING_SIGNINS_PER_ADDRESS: bad })).toBe(`PENDING_SIGNINS_PER_ADDRESS must be an integer from 1 to 1000000 (requests), got ${JSON.stringify(bad)}`);
    }
  });

  it('MANAGEMENT_PORT', () => {
    expect(configError({ MANAGEMENT_PORT: '70000' })).toBe('MANAGEMENT_PORT must be an integer from 0 to 65535, got "70000"');
    expect(configError({ PORT: '8080', MANAGEMENT_PORT: '8080' })).toBe('MANAGEMENT_PORT must differ from PORT (both are 8080)');
    expect(configError({ MANAGEMENT_PORT: '3000' })).toBe('MANAGEMENT_PORT must differ from PORT (both are 3000)');
  });

  it('KEY_ENCRYPTION_KEY, never echoing it', () => {
    const short = Buffer.alloc(16, 1).toString('base64');
    const message = configError({ KEY_ENCRYPTION_KEY: short });
    expect(message).toBe('KEY_ENCRYPTION_KEY must be the base64 encoding of exactly 32 bytes');
    expect(message).not.toContain(short);
  });
});

describe('operability settings', () => {
  it('default to no metrics token, 10 s of grace, no admin API, no operators and ./data/cli-audit.log', () => {
    expect(loadConfig({}, CWD).operations).toEqual({
      metricsToken: undefined,
      shutdownGraceSeconds: 10,
      adminApi: false,
      adminOperators: [],
      cliAuditLog: path.join(CWD, 'data/cli-audit.log'),
    });
  });

  it('read each variable', () => {
    const operations = loadConfig(
      { METRICS_TOKEN: 'a-long-enough-token', SHUTDOWN_GRACE_SECONDS: '0', ADMIN_API: 'on', ADMIN_OPERATORS: ' Ada@Example.com,grace@example.com,ada@example.com ', CLI_AUDIT_LOG: 'stderr' },
      CWD,
    ).operations;
    expect(operations).toEqual({
      metricsToken: 'a-long-enough-token',
      shutdownGraceSeconds: 0,
      adminApi: true,
      adminOperators: ['ada@example.com', 'grace@example.com'],
      cliAuditLog: 'stderr',
    });
    expect(loadConfig({ CLI_AUDIT_LOG: '/var/log/inkan-cli.log' }, CWD).operations.cliAuditLog).toBe('/var/log/inkan-cli.log');
  });

  it.each([
    [{ METRICS_TOKEN: 'short' }, 'METRICS_TOKEN must be at least 16 printable characters without spaces'],
    [{ METRICS_TOKEN: 'has a space in it, long' }, 'METRICS_TOKEN must be at least 16 printable characters without spaces'],
    [{ SHUTDOWN_GRACE_SECONDS: '-1' }, 'SHUTDOWN_GRACE_SECONDS must be an integer from 0 to 3600 (seconds), got "-1"'],
    [{ SHUTDOWN_GRACE_SECONDS: '99999' }, 'SHUTDOWN_GRACE_SECONDS must be an integer from 0 to 3600 (seconds), got "99999"'],
    [{ ADMIN_API: 'yes' }, 'ADMIN_API must be on or off, got "yes"'],
    [{ ADMIN_API: 'on', ADMIN_OPERATORS: 'ada@example.com,not-an-email' }, 'ADMIN_OPERATORS must be comma-separated emails, got "not-an-email"'],
    [{ ADMIN_OPERATORS: 'ada@example.com' }, 'ADMIN_OPERATORS needs ADMIN_API=on (the console is part of the admin API)'],
  ])('refuses %j with one line', (env, message) => {
    expect(() => loadConfig(env, CWD)).toThrow(ConfigError);
    expect(() => loadConfig(env, CWD)).toThrow(message);
  });

  it('never puts the metrics token in an error message', () => {
    expect(() => loadConfig({ METRICS_TOKEN: 'tiny-secret' }, CWD)).toThrow(/^(?!.*tiny-secret)/);
  });
});

describe('WORKERS (the processes `npm start` runs, src/cluster/primary.ts)', () => {
  it('defaults to the cores this process may use, and to 1 on an in-memory database', () => {
    expect(loadConfig({}, CWD).workers).toBe(os.availableParallelism());
    expect(loadConfig({ DATABASE_URL: 'postgres://inkan@db.example.com/inkan' }, CWD).workers).toBe(os.availableParallelism());
    expect(loadConfig({ DATABASE_URL: 'sqlite::memory:' }, CWD).workers).toBe(1);
    expect(loadConfig({ WORKERS: '' }, CWD).workers).toBe(os.availableParallelism());
  });

  it('reads 1 to 256, 1 also in memory', () => {
    expect(loadConfig({ WORKERS: '1' }, CWD).workers).toBe(1);
    expect(loadConfig({ WORKERS: '256' }, CWD).workers).toBe(256);
    expect(loadConfig({ WORKERS: '4', DATABASE_URL: 'sqlite:data/inkan.sqlite' }, CWD).workers).toBe(4);
    expect(loadConfig({ WORKERS: '1', DATABASE_URL: 'sqlite::memory:' }, CWD).workers).toBe(1);
  });

  it.each(['0', '257', 'x', '-1', '1.5', ' 2', '2e0'])('refuses WORKERS=%j with one line', (value) => {
    expect(configError({ WORKERS: value })).toBe(`WORKERS must be an integer from 1 to 256 (processes), got ${JSON.stringify(value)}`);
  });

  it('refuses more than one worker on an in-memory database, which each process would have its own of', () => {
    expect(configError({ WORKERS: '2', DATABASE_URL: 'sqlite::memory:' })).toBe('WORKERS must be 1 with an in-memory database (sqlite::memory:): workers share the database');
  });
});

describe('brand (BRAND_NAME, BRAND_LOGO_URL, BRAND_ACCENT_COLOR)', () => {
  it('defaults to Inkan, no logo and no accent', () => {
    expect(loadConfig({}, CWD).brand).toEqual({ name: 'Inkan', logoUrl: undefined, accentColor: undefined });
    expect(loadConfig({ BRAND_NAME: '  ', BRAND_LOGO_URL: '', BRAND_ACCENT_COLOR: '' }, CWD).brand.name).toBe('Inkan');
  });

  it('reads a name, an https or same-origin logo and a hex colour', () => {
    expect(loadConfig({ BRAND_NAME: 'Acme Corp', BRAND_LOGO_URL: 'https://cdn.acme.example/logo.svg', BRAND_ACCENT_COLOR: '#1A5FB4' }, CWD).brand).toEqual({
      name: 'Acme Corp',
      logoUrl: 'https://cdn.acme.example/logo.svg',
      accentColor: '#1a5fb4',
    });
    expect(loadConfig({ BRAND_LOGO_URL: '/static/logo.png', BRAND_ACCENT_COLOR: '#15b' }, CWD).brand).toMatchObject({ logoUrl: '/static/logo.png', accentColor: '#15b' });
  });

  it.each([
    [{ BRAND_ACCENT_COLOR: 'red' }, 'BRAND_ACCENT_COLOR must be a CSS hex colour like #1a5fb4 or #15b, got "red"'],
    [{ BRAND_ACCENT_COLOR: '#12345' }, 'BRAND_ACCENT_COLOR must be a CSS hex colour like #1a5fb4 or #15b, got "#12345"'],
    [{ BRAND_ACCENT_COLOR: '#fff;}body{x:y' }, 'BRAND_ACCENT_COLOR must be a CSS hex colour like #1a5fb4 or #15b, got "#fff;}body{x:y"'],
    [{ BRAND_LOGO_URL: 'http://cdn.example/logo.png' }, 'BRAND_LOGO_URL must be an https URL or a path starting with "/" (at most 2048 characters), got "http://cdn.example/logo.png"'],
    [{ BRAND_LOGO_URL: '//cdn.example/logo.png' }, 'BRAND_LOGO_URL must be an https URL or a path starting with "/" (at most 2048 characters), got "//cdn.example/logo.png"'],
    [{ BRAND_LOGO_URL: 'logo.png' }, 'BRAND_LOGO_URL must be an https URL or a path starting with "/" (at most 2048 characters), got "logo.png"'],
    [{ BRAND_LOGO_URL: "https://cdn.example/a'b.png" }, 'BRAND_LOGO_URL must be an https URL or a path starting with "/" (at most 2048 characters), got "https://cdn.example/a\'b.png"'],
    [{ BRAND_NAME: 'x'.repeat(101) }, 'BRAND_NAME must be at most 100 characters without control characters'],
    [{ BRAND_NAME: 'Acme\nCorp' }, 'BRAND_NAME must be at most 100 characters without control characters'],
  ])('refuses %j with one line', (env, message) => {
    expect(() => loadConfig(env, CWD)).toThrow(ConfigError);
    expect(() => loadConfig(env, CWD)).toThrow(message);
  });
});

describe('OpenTelemetry tracing (OTEL_*)', () => {
  const tracingOf = (env: Record<string, string>) => loadConfig(env, CWD).tracing;

  it('is off without an exporter or an endpoint, with the specification defaults for the rest', () => {
    expect(tracingOf({})).toEqual({
      exporters: [],
      serviceName: 'inkan',
      resourceAttributes: {},
      sampler: 'parentbased_always_on',
      samplerRatio: 1,
      batch: { scheduledDelayMillis: 5000, exportTimeoutMillis: 30_000, maxQueueSize: 2048, maxExportBatchSize: 512 },
    });
    expect(tracingOf({ OTEL_SERVICE_NAME: 'idp' }).exporters).toEqual([]);
  });

  it('starts OTLP (http/protobuf) when only an endpoint is set, at its /v1/traces', () => {
    expect(tracingOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).exporters).toEqual([
      { kind: 'otlp', url: 'http://collector:4318/v1/traces', protocol: 'http/protobuf', headers: {}, timeoutMs: 10_000, compression: 'none' },
    ]);
    expect(tracingOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://collector/otlp/' }).exporters[0]).toMatchObject({ url: 'https://collector/otlp/v1/traces' });
  });

  it('uses the traces endpoint as given, and the traces variables over the general ones', () => {
    const [exporter] = tracingOf({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://general:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://traces:4318/custom/path',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_HEADERS: 'x-general=1',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-api-key=a%20b%3Dc, x-team = idp',
      OTEL_EXPORTER_OTLP_TIMEOUT: '2000',
      OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: 'gzip',
    }).exporters;
    expect(exporter).toEqual({ kind: 'otlp', url: 'http://traces:4318/custom/path', protocol: 'http/json', headers: { 'x-api-key': 'a b=c', 'x-team': 'idp' }, timeoutMs: 2000, compression: 'gzip' });
  });

  it('reads the exporter list, the service, the resource, the sampler and the batch settings', () => {
    const tracing = tracingOf({
      OTEL_TRACES_EXPORTER: 'console,otlp',
      OTEL_SERVICE_NAME: 'idp-eu',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=prod,service.namespace=auth',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
      OTEL_BSP_SCHEDULE_DELAY: '200',
      OTEL_BSP_MAX_QUEUE_SIZE: '100',
    });
    expect(tracing.exporters.map((each) => each.kind)).toEqual(['console', 'otlp']);
    expect(tracing.exporters[1]).toMatchObject({ url: 'http://localhost:4318/v1/traces' });
    expect(tracing).toMatchObject({
      serviceName: 'idp-eu',
      resourceAttributes: { 'deployment.environment.name': 'prod', 'service.namespace': 'auth' },
      sampler: 'parentbased_traceidratio',
      samplerRatio: 0.25,
      batch: { scheduledDelayMillis: 200, maxQueueSize: 100, maxExportBatchSize: 100 },
    });
  });

  it('is off with OTEL_TRACES_EXPORTER=none or OTEL_SDK_DISABLED=true, an endpoint notwithstanding', () => {
    expect(tracingOf({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).exporters).toEqual([]);
    expect(tracingOf({ OTEL_SDK_DISABLED: 'TRUE', OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).exporters).toEqual([]);
    expect(tracingOf({ OTEL_SDK_DISABLED: 'false', OTEL_TRACES_EXPORTER: 'console' }).exporters).toEqual([{ kind: 'console' }]);
  });

  it('ignores the sampler argument for samplers without a ratio', () => {
    expect(tracingOf({ OTEL_TRACES_SAMPLER: 'always_on', OTEL_TRACES_SAMPLER_ARG: 'anything' })).toMatchObject({ sampler: 'always_on', samplerRatio: 1 });
  });

  it.each([
    [{ OTEL_TRACES_EXPORTER: 'zipkin' }, 'OTEL_TRACES_EXPORTER must be otlp, console or none (comma-separated), got "zipkin"'],
    [{ OTEL_TRACES_EXPORTER: 'none,otlp' }, 'OTEL_TRACES_EXPORTER=none cannot be combined with another exporter'],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }, 'OTEL_EXPORTER_OTLP_ENDPOINT must be an absolute http(s) URL'],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'ftp://collector/v1/traces' }, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT must be an absolute http(s) URL'],
    [{ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, 'OTEL_EXPORTER_OTLP_PROTOCOL=grpc is not supported: use http/protobuf (port 4318 of a collector) or http/json'],
    [{ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http' }, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL must be http/protobuf or http/json, got "http"'],
    [{ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_COMPRESSION: 'zstd' }, 'OTEL_EXPORTER_OTLP_COMPRESSION must be gzip or none, got "zstd"'],
    [{ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_TIMEOUT: '0' }, 'OTEL_EXPORTER_OTLP_TIMEOUT must be an integer from 1 to 600000 (milliseconds), got "0"'],
    [{ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_HEADERS: 'no-equals-sign' }, 'OTEL_EXPORTER_OTLP_HEADERS must be comma-separated key=value pairs'],
    [{ OTEL_TRACES_SAMPLER: 'sometimes' }, 'OTEL_TRACES_SAMPLER must be one of always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio, got "sometimes"'],
    [{ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '1.5' }, 'OTEL_TRACES_SAMPLER_ARG must be a ratio from 0 to 1, got "1.5"'],
    [{ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: 'half' }, 'OTEL_TRACES_SAMPLER_ARG must be a ratio from 0 to 1, got "half"'],
    [{ OTEL_BSP_MAX_QUEUE_SIZE: '10', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '20' }, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE (20) must not be larger than OTEL_BSP_MAX_QUEUE_SIZE (10)'],
  ])('refuses %j with one line', (env, message) => {
    expect(configError(env)).toBe(message);
  });

  it('never echoes a header value or an endpoint in an error message', () => {
    expect(configError({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=%E0%A4%A' })).toBe(
      'OTEL_EXPORTER_OTLP_HEADERS has a value that is not valid percent-encoding (key "x-api-key")',
    );
    expect(configError({ OTEL_EXPORTER_OTLP_ENDPOINT: 'secret-host-token:4318' })).not.toContain('secret-host-token');
  });
});
