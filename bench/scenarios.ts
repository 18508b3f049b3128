/**
 * Benchmark scenarios beyond the foundation's wrk-driven ones: introspection, the authorization
 * code exchange, the verifier SDK, revocation propagation, and the token endpoint's latency during
 * a storm of logins. Each gets the running Inkan and adds rows. The refresh grant is compared with
 * the peer, so run.ts measures it in rounds beside the peer's (paired.ts); its options are here.
 */
import type { LoadRequest, LoadResult } from './load.js';
import type { Row } from './run.js';

export interface ExtraScenarioContext {
  readonly issuer: string;
  readonly baseUrl: string;
  readonly clients: Record<'EdDSA' | 'RS256' | 'ES256', { client_id: string; client_secret: string }>;
  readonly seconds: number;
  measure(request: LoadRequest): Promise<LoadResult>;
  /** Measures a load while `background` (a pinned process) runs beside it. */
  measureDuring(request: LoadRequest, background: { script: string; mode: string; options: string }): Promise<LoadResult>;
  cli(args: string[], stdin?: string): any;
  /** What runs the CLI against the running Inkan's database from another process. */
  readonly cliProcess: { readonly entry: string; readonly env: Record<string, string>; readonly cwd: string };
  /** Runs a bench script as its own process on the load core (options on stdin); returns its one JSON line. */
  runPinned(script: string, mode: string, options: string): any;
}

export type Scenario = (context: ExtraScenarioContext) => Promise<Row[]>;

const REDIRECT_URI = 'http://127.0.0.1:9/callback';
const basic = (client: { client_id: string; client_secret: string }) =>
  `Basic ${Buffer.from(`${encodeURIComponent(client.client_id)}:${encodeURIComponent(client.client_secret)}`).toString('base64')}`;

interface People {
  readonly web: { client_id: string; client_secret: string };
  readonly users: ReadonlyArray<{ email: string; password: string }>;
}

const PEOPLE = 32;

/** By server (its base URL): the workers part of the bench prepares servers of its own. */
const peopleByServer = new Map<string, People>();

type ServerContext = Pick<ExtraScenarioContext, 'baseUrl' | 'cli' | 'seconds'>;

/** People and a first-party web client (EdDSA, no consent page), made once per server. */
function person(context: ServerContext): People {
  const made = peopleByServer.get(context.baseUrl);
  if (made !== undefined) return made;
  const users = Array.from({ length: PEOPLE }, (_, i) => ({ email: `person-${i}@bench.example`, password: `correct horse battery staple ${i}` }));
  for (const { email, password } of users) context.cli(['users', 'create', '--email', email, '--password-stdin'], `${password}\n`);
  const web = context.cli([
    'clients', 'create', '--name', 'bench-web', '--alg', 'EdDSA', '--grant-types', 'authorization_code,refresh_token',
    '--redirect-uris', REDIRECT_URI, '--scope', 'openid profile email offline_access', '--skip-consent',
  ]);
  const people = { web, users };
  peopleByServer.set(context.baseUrl, people);
  return people;
}

function driverOptions(context: ServerContext, concurrency: number, seconds = context.seconds) {
  const { web, users } = person(context);
  return JSON.stringify({
    baseUrl: context.baseUrl, clientId: web.client_id, clientSecret: web.client_secret, redirectUri: REDIRECT_URI,
    users, seconds, warmSeconds: Math.min(3, seconds), concurrency,
  });
}

function driverRow(name: string, result: { iterationsPerSecond: number; p50Ms: number; p99Ms: number; errors: number }, note?: string): Row {
  return { name, value: result.iterationsPerSecond, unit: 'req/s', p50Ms: result.p50Ms, p99Ms: result.p99Ms, errors: result.errors, ...(note ? { note } : {}) };
}

const introspection: Scenario = async (context) => {
  const client = context.clients.EdDSA;
  const token = await (await fetch(`${context.baseUrl}/token`, {
    method: 'POST',
    headers: { authorization: basic(client), 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  })).json() as { access_token: string };
  const result = await context.measure({
    url: `${context.baseUrl}/introspect`,
    method: 'POST',
    body: `token=${token.access_token}&token_type_hint=access_token`,
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(client) },
  });
  return [{ name: 'inkan_introspection_EdDSA', value: result.requestsPerSecond, unit: 'req/s', p50Ms: result.p50Ms, p99Ms: result.p99Ms, errors: result.errors }];
};

const codeExchange: Scenario = async (context) => [
  driverRow('inkan_code_exchange_EdDSA', context.runPinned('dist/bench/driver.js', 'code-exchange', driverOptions(context, 16)), 'authorize (session, prompt=none) + token; p = token request'),
];

/** Closed loops of refresh grants, one chain each; the peer's driver (run.ts) uses the same number. */
export const REFRESH_CONCURRENCY = 32;

/** The options of Inkan's refresh driver (driver.ts `refresh`), people and web client made on first use. */
export function refreshDriverOptions(context: ServerContext): string {
  return driverOptions(context, REFRESH_CONCURRENCY);
}

const verifier: Scenario = async (context) => {
  const feedClient = context.cli(['clients', 'create', '--name', 'bench-rs', '--scope', 'revocations:read']);
  const options = JSON.stringify({
    issuer: context.issuer, baseUrl: context.baseUrl, feedClient, tokenClient: context.clients.EdDSA,
    seconds: Math.min(context.seconds, 5), trials: 100,
  });
  const throughput = context.runPinned('dist/bench/verifier.js', 'throughput', options);
  const latency = context.runPinned('dist/bench/verifier.js', 'latency', options);
  const cliLatency = context.runPinned('dist/bench/verifier.js', 'cli_latency', JSON.stringify({ ...JSON.parse(options), trials: 20, cli: context.cliProcess }));
  return [
    { name: 'verifier_sdk_verify_EdDSA', value: throughput.sdkVerifiesPerSecond, unit: 'op/s', note: `revocation on (feed); ${throughput.requestsToInkanDuringLoop} requests to Inkan in ${throughput.verified} verifies` },
    { name: 'jose_verify_cached_EdDSA_same_process', value: throughput.joseVerifiesPerSecond, unit: 'op/s' },
    { name: 'verifier_revocation_list_100k_heap', value: throughput.revocationListHeapMbFor100k, unit: 'MB' },
    { name: 'revocation_propagation', value: latency.p50Ms, unit: 'ms', p50Ms: latency.p50Ms, p99Ms: latency.p99Ms, note: `${latency.trials} trials, RFC 7009 → verifier rejects; max ${latency.maxMs.toFixed(1)} ms; ${latency.requestsToInkanWhileVerifying} requests to Inkan while verifying` },
    { name: 'cli_revocation_propagation', value: cliLatency.p50Ms, unit: 'ms', p50Ms: cliLatency.p50Ms, p99Ms: cliLatency.p99Ms, note: `${cliLatency.trials} trials, CLI clients delete exits → verifier rejects (SQLite change socket); max ${cliLatency.maxMs.toFixed(1)} ms` },
  ];
};

const loginStorm: Scenario = async (context) => {
  const client = context.clients.EdDSA;
  const result = await context.measureDuring(
    { url: `${context.baseUrl}/token`, method: 'POST', body: 'grant_type=client_credentials', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(client) } },
    { script: 'dist/bench/driver.js', mode: 'login-storm', options: driverOptions(context, 16, context.seconds + 6) },
  );
  return [{ name: 'inkan_client_credentials_during_login_storm', value: result.requestsPerSecond, unit: 'req/s', p50Ms: result.p50Ms, p99Ms: result.p99Ms, errors: result.errors, note: '16 concurrent sign-ins (argon2id) beside it' }];
};

export const scenariosAfterFoundation: Scenario[] = [introspection, codeExchange, verifier, loginStorm];
