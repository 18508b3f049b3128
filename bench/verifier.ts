/**
 * Resource-server measurements for `npm run bench`, run as its own process (pinned by run.ts):
 *
 *   throughput  the SDK's verifies/s with revocation checks on (subscribed to the feed) against bare
 *               jose jwtVerify with a cached key, same token, same process; the SDK's requests to
 *               Inkan during the loop; the heap of a revocation list holding 100 000 records.
 *   latency     from the moment RFC 7009 revocation returns to the moment a subscribed verifier
 *               rejects the token, over many trials.
 *   cli_latency from the exit of a CLI `clients delete` (another process on the same SQLite file)
 *               to the moment a subscribed verifier rejects a token of that client.
 *   workers_latency
 *               `latency` against a cluster (WORKERS > 1): verifiers whose feed streams are held by
 *               each worker, every revocation sent on a connection held by a chosen worker (in
 *               turn), so each sample is "same worker" (the feed hears it in process) or "other
 *               worker" (it crossed the change socket); processes.ts tells who holds what.
 *
 *   node dist/bench/verifier.js <throughput|latency|cli_latency|workers_latency> < options.json   → one JSON line
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import { Agent, buildConnector, fetch as undiciFetch } from 'undici';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { createVerifier, VerifierError } from '@inkan/verifier';
import { RevocationList } from '../packages/verifier/src/revocation-list.js';
import { runPinnedScript } from './pinned-script.js';
import { childPids, workerHolding } from './processes.js';

interface Options {
  readonly issuer: string;
  readonly baseUrl: string;
  /** A client registered with `revocations:read` (the verifier's feed subscription). */
  readonly feedClient: { client_id: string; client_secret: string };
  /** An EdDSA client whose tokens are verified and revoked. */
  readonly tokenClient: { client_id: string; client_secret: string };
  readonly seconds: number;
  readonly trials: number;
  /** How to run Inkan's CLI against the running server's database (cli_latency). */
  readonly cli?: { readonly entry: string; readonly env: Record<string, string>; readonly cwd: string };
  /** workers_latency: the cluster's primary (its children are the workers) and the port it serves. */
  readonly cluster?: { readonly primaryPid: number; readonly port: number; readonly subscribersPerWorker: number };
}

const basic = (client: { client_id: string; client_secret: string }) =>
  `Basic ${Buffer.from(`${encodeURIComponent(client.client_id)}:${encodeURIComponent(client.client_secret)}`).toString('base64')}`;

async function accessToken(options: Options, client = options.tokenClient): Promise<string> {
  const response = await fetch(`${options.baseUrl}/token`, {
    method: 'POST',
    headers: { authorization: basic(client), 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  if (!response.ok) throw new Error(`token request answered ${response.status}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

async function rate(seconds: number, run: () => Promise<unknown>): Promise<number> {
  const warmUntil = performance.now() + 500;
  while (performance.now() < warmUntil) await run();
  let count = 0;
  const started = performance.now();
  while (performance.now() - started < seconds * 1000) {
    await run();
    count += 1;
  }
  return count / ((performance.now() - started) / 1000);
}

function subscribedVerifier(options: Options, fetch?: typeof globalThis.fetch) {
  return createVerifier({
    issuer: options.issuer,
    audience: options.issuer,
    clientId: options.feedClient.client_id,
    clientSecret: options.feedClient.client_secret,
    logger: { warn: () => {} },
    ...(fetch === undefined ? {} : { fetch }),
  });
}

/** The median, 99th percentile and maximum of some latencies. */
function summary(samples: number[]) {
  samples.sort((a, b) => a - b);
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!;
  return { trials: samples.length, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: samples[samples.length - 1]! };
}

function heapOf100kRecords(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage().heapUsed;
  const list = new RevocationList();
  const now = Math.floor(Date.now() / 1000);
  for (let id = 1; id <= 100_000; id += 1) {
    list.add({ id, target: { kind: 'jti', jti: `${id.toString(36)}-${'x'.repeat(16)}` }, createdAt: now, expiresAt: now + 900 });
  }
  gc?.();
  const bytes = process.memoryUsage().heapUsed - before;
  if (list.size !== 100_000) throw new Error('revocation list lost records');
  return bytes / 1024 / 1024;
}

async function throughput(options: Options) {
  const verifier = subscribedVerifier(options);
  await verifier.ready();
  const token = await accessToken(options);
  await verifier.verify(token);
  const jwks = (await (await fetch(`${options.baseUrl}/jwks`)).json()) as JSONWebKeySet;
  const keys = createLocalJWKSet(jwks);
  const alg = decodeProtectedHeader(token).alg!;
  const requestsBefore = verifier.stats().issuerRequests;
  const sdk = await rate(options.seconds, () => verifier.verify(token));
  const requestsDuring = verifier.stats().issuerRequests - requestsBefore;
  const verified = verifier.stats().verified;
  const jose = await rate(options.seconds, () => jwtVerify(token, keys, { algorithms: [alg], issuer: options.issuer, audience: options.issuer, typ: 'at+jwt' }));
  await verifier.close();
  return { sdkVerifiesPerSecond: sdk, joseVerifiesPerSecond: jose, alg, requestsToInkanDuringLoop: requestsDuring, verified, revocationListHeapMbFor100k: heapOf100kRecords() };
}

async function latency(options: Options) {
  const verifier = subscribedVerifier(options);
  await verifier.ready();
  const samples: number[] = [];
  let requestsDuringVerifies = 0;
  for (let trial = 0; trial < options.trials; trial += 1) {
    const token = await accessToken(options);
    await verifier.verify(token);
    const revoked = await fetch(`${options.baseUrl}/revoke`, {
      method: 'POST',
      headers: { authorization: basic(options.tokenClient), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, token_type_hint: 'access_token' }),
    });
    if (revoked.status !== 200) throw new Error(`revoke answered ${revoked.status}`);
    const started = performance.now();
    const before = verifier.stats().issuerRequests;
    for (;;) {
      try {
        await verifier.verify(token);
      } catch (error) {
        if (error instanceof VerifierError && error.code === 'ERR_TOKEN_REVOKED') break;
        throw error;
      }
      if (performance.now() - started > 10_000) throw new Error('a revocation did not arrive within 10 s');
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    samples.push(performance.now() - started);
    requestsDuringVerifies += verifier.stats().issuerRequests - before;
  }
  await verifier.close();
  return { ...summary(samples), requestsToInkanWhileVerifying: requestsDuringVerifies };
}

/** Polls the verifier until it rejects `token` as revoked; resolves with the time it did. */
async function rejected(verifier: ReturnType<typeof subscribedVerifier>, token: string): Promise<number> {
  const started = performance.now();
  for (;;) {
    try {
      await verifier.verify(token);
    } catch (error) {
      if (error instanceof VerifierError && error.code === 'ERR_TOKEN_REVOKED') return performance.now();
      throw error;
    }
    if (performance.now() - started > 10_000) throw new Error('a revocation did not arrive within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/** Runs the CLI; resolves with its stdout and the moment its process exited. */
function runCli(cli: NonNullable<Options['cli']>, args: string[]): Promise<{ stdout: string; exitedAt: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli.entry, ...args], { cwd: cli.cwd, env: { ...process.env, ...cli.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => {
      const exitedAt = performance.now();
      if (code === 0) resolve({ stdout, exitedAt });
      else reject(new Error(`cli ${args.join(' ')}: ${stderr}`));
    });
  });
}

async function cliLatency(options: Options) {
  if (options.cli === undefined) throw new Error('cli_latency needs the CLI options');
  const verifier = subscribedVerifier(options);
  await verifier.ready();
  const samples: number[] = [];
  for (let trial = 0; trial < options.trials; trial += 1) {
    const created = JSON.parse((await runCli(options.cli, ['clients', 'create', '--name', `bench-cli-${trial}`])).stdout) as { client_id: string; client_secret: string };
    const token = await accessToken(options, created);
    await verifier.verify(token);
    const { exitedAt } = await runCli(options.cli, ['clients', 'delete', created.client_id]);
    samples.push(Math.max(0, (await rejected(verifier, token)) - exitedAt));
  }
  await verifier.close();
  return summary(samples);
}

/**
 * A fetch for one verifier that sends its feed request (and only that) through an agent of its
 * own, and reports the local port of each connection that agent opens: the feed stream's.
 */
function feedTrackingFetch(feedEndpoint: string, onFeedConnection: (localPort: number) => void): typeof globalThis.fetch {
  const connect = buildConnector({});
  const feedAgent = new Agent({
    connect: (options, callback) =>
      connect(options, (error, socket) => {
        if (socket !== null) onFeedConnection(socket.localPort!);
        (callback as (error: Error | null, socket: unknown) => void)(error, socket);
      }),
  });
  return ((input: string | URL | Request, init?: RequestInit) => {
    const url = input instanceof Request ? input.url : String(input);
    if (url !== feedEndpoint) return globalThis.fetch(input, init);
    return undiciFetch(url, { ...(init as object), dispatcher: feedAgent });
  }) as typeof globalThis.fetch;
}

/** A fresh connection to the server that `worker` holds (others are opened and closed until one is). */
async function connectionHeldBy(cluster: NonNullable<Options['cluster']>, workers: readonly number[], worker: number): Promise<net.Socket> {
  const others: net.Socket[] = [];
  try {
    for (let attempt = 0; attempt < 32; attempt += 1) {
      const socket = net.connect(cluster.port, '127.0.0.1');
      await once(socket, 'connect');
      if ((await workerHolding(workers, cluster.port, socket.localPort!)) === worker) return socket;
      others.push(socket);
    }
    throw new Error(`32 connections in a row missed worker ${worker}`);
  } finally {
    for (const socket of others) socket.destroy();
  }
}

/** RFC 7009 revocation of `token` on `socket`; resolves with the moment its 200 arrived. */
function revokeOn(socket: net.Socket, options: Options, token: string): Promise<number> {
  const body = new URLSearchParams({ token, token_type_hint: 'access_token' }).toString();
  return new Promise((resolve, reject) => {
    const request = http.request(`${options.baseUrl}/revoke`, {
      method: 'POST',
      createConnection: () => socket,
      headers: { authorization: basic(options.tokenClient), 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body), connection: 'close' },
    }, (response) => {
      const at = performance.now();
      response.resume();
      if (response.statusCode === 200) resolve(at);
      else reject(new Error(`revoke answered ${response.statusCode}`));
    });
    request.on('error', reject);
    request.end(body);
  });
}

async function workersLatency(options: Options) {
  const cluster = options.cluster;
  if (cluster === undefined) throw new Error('workers_latency needs the cluster options');
  const workers = childPids(cluster.primaryPid);
  if (workers.length < 2) throw new Error(`the primary ${cluster.primaryPid} has ${workers.length} worker(s), not several`);
  const discovery = (await (await fetch(`${options.baseUrl}/.well-known/openid-configuration`)).json()) as { revocation_feed_endpoint: string };

  // Subscribers until every worker holds `subscribersPerWorker` feed streams (a subscriber that
  // lands on a worker already holding its share is closed).
  const subscribers: { verifier: ReturnType<typeof subscribedVerifier>; worker: number }[] = [];
  const count = (worker: number) => subscribers.filter((subscriber) => subscriber.worker === worker).length;
  for (let attempt = 0; workers.some((worker) => count(worker) < cluster.subscribersPerWorker); attempt += 1) {
    if (attempt === 8 * workers.length * cluster.subscribersPerWorker) throw new Error('feed streams did not reach every worker');
    let feedPort: number | undefined;
    const verifier = subscribedVerifier(options, feedTrackingFetch(discovery.revocation_feed_endpoint, (port) => (feedPort = port)));
    await verifier.ready();
    if (feedPort === undefined) throw new Error('the verifier is ready without a feed connection');
    const worker = await workerHolding(workers, cluster.port, feedPort);
    if (count(worker) < cluster.subscribersPerWorker) subscribers.push({ verifier, worker });
    else await verifier.close();
  }

  const same: number[] = [];
  const other: number[] = [];
  for (let trial = 0; trial < options.trials; trial += 1) {
    const token = await accessToken(options);
    await Promise.all(subscribers.map((subscriber) => subscriber.verifier.verify(token)));
    const revoking = workers[trial % workers.length]!;
    const socket = await connectionHeldBy(cluster, workers, revoking);
    const revokedAt = await revokeOn(socket, options, token);
    const rejectedAt = await Promise.all(subscribers.map((subscriber) => rejected(subscriber.verifier, token)));
    subscribers.forEach((subscriber, i) => (subscriber.worker === revoking ? same : other).push(Math.max(0, rejectedAt[i]! - revokedAt)));
  }
  await Promise.all(subscribers.map((subscriber) => subscriber.verifier.close()));
  return { workers: workers.length, subscribers: subscribers.length, sameWorker: summary(same), otherWorker: summary(other) };
}

runPinnedScript('verifier.js', { throughput, latency, cli_latency: cliLatency, workers_latency: workersLatency });
