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
 *
 *   node dist/bench/verifier.js <throughput|latency|cli_latency> < options.json   → one JSON line
 */
import { spawn } from 'node:child_process';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { createVerifier, VerifierError } from '@inkan/verifier';
import { RevocationList } from '../packages/verifier/src/revocation-list.js';
import { runPinnedScript } from './pinned-script.js';

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

function subscribedVerifier(options: Options) {
  return createVerifier({
    issuer: options.issuer,
    audience: options.issuer,
    clientId: options.feedClient.client_id,
    clientSecret: options.feedClient.client_secret,
    logger: { warn: () => {} },
  });
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
  samples.sort((a, b) => a - b);
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!;
  return { trials: samples.length, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: samples[samples.length - 1], requestsToInkanWhileVerifying: requestsDuringVerifies };
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
  samples.sort((a, b) => a - b);
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!;
  return { trials: samples.length, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: samples[samples.length - 1] };
}

runPinnedScript('verifier.js', { throughput, latency, cli_latency: cliLatency });
