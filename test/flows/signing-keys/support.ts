/** What the key tests share: tokens by client_credentials, the JWKS as a relying party sees it, polling. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JWK } from 'jose';
import { ROOT, type TestServer } from '../../helpers/inkan.js';
import { basicAuth, type RegisteredClient } from '../../helpers/clients.js';

export interface KeyListEntry {
  readonly kid: string;
  readonly alg: 'RS256' | 'EdDSA' | 'ES256';
  readonly status: 'next' | 'active' | 'retiring' | 'revoked';
  readonly created_at: string;
}

async function discovery(issuer: string): Promise<{ token_endpoint: string; jwks_uri: string }> {
  const response = await fetch(`${issuer}/.well-known/openid-configuration`);
  if (!response.ok) throw new Error(`discovery answered ${response.status}`);
  return (await response.json()) as { token_endpoint: string; jwks_uri: string };
}

export async function jwksUri(issuer: string): Promise<string> {
  return (await discovery(issuer)).jwks_uri;
}

/** One access token by client_credentials (client_secret_basic). */
export async function accessToken(issuer: string, client: RegisteredClient): Promise<string> {
  const response = await fetch((await discovery(issuer)).token_endpoint, {
    method: 'POST',
    headers: { authorization: basicAuth(client), 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  const body = (await response.json()) as { access_token?: string };
  if (!response.ok || body.access_token === undefined) throw new Error(`token endpoint answered ${response.status}: ${JSON.stringify(body)}`);
  return body.access_token;
}

export const kidOf = (token: string): string => decodeProtectedHeader(token).kid!;

/** The kids the JWKS publishes right now (no cache). */
export async function publishedKids(issuer: string): Promise<string[]> {
  const response = await fetch(await jwksUri(issuer));
  return ((await response.json()) as { keys: JWK[] }).keys.map((key) => key.kid!);
}

/**
 * Watches the JWKS as a careful witness: every poll notes when it was sent and when its answer came
 * back, and each timing claim uses the bound that can only err in the server's favour. A kid missing
 * from the answer to a poll sent at t was published after t; a kid missing from an answer received
 * at t was gone by t. A poll slowed down by a loaded machine then weakens what is proven, but never
 * fails a server that kept its promise.
 */
export class JwksWatcher {
  private latestPollSentAt: number | undefined;
  private readonly publishedAfterAt = new Map<string, number | undefined>();
  private readonly firstSeenAt = new Map<string, number>();
  private readonly lastSeenAt = new Map<string, number>();
  private readonly goneByAt = new Map<string, number>();
  private running = true;
  private readonly loop: Promise<void>;

  /** `notPublishedBefore`: a time before which the JWKS cannot have held any kid (the server was not running yet). */
  constructor(private readonly issuer: string, options: { everyMs?: number; notPublishedBefore?: number } = {}) {
    this.latestPollSentAt = options.notPublishedBefore;
    this.loop = this.watch(options.everyMs ?? 150);
  }

  private async watch(everyMs: number): Promise<void> {
    while (this.running) {
      const sentAt = Date.now();
      const kids = await publishedKids(this.issuer).catch(() => undefined);
      const receivedAt = Date.now();
      if (kids !== undefined) {
        for (const kid of kids) {
          if (!this.firstSeenAt.has(kid)) {
            this.firstSeenAt.set(kid, receivedAt);
            this.publishedAfterAt.set(kid, this.latestPollSentAt);
          }
          this.lastSeenAt.set(kid, sentAt);
        }
        for (const kid of this.lastSeenAt.keys()) if (!kids.includes(kid) && !this.goneByAt.has(kid)) this.goneByAt.set(kid, receivedAt);
        this.latestPollSentAt = sentAt;
      }
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  }

  /**
   * A time before which `kid` was certainly not published: the sending time of the last poll whose
   * answer lacked it. Undefined when the very first answer already held it (nothing is known).
   */
  publishedAfter(kid: string): number | undefined {
    return this.firstSeenAt.has(kid) ? this.publishedAfterAt.get(kid) : this.latestPollSentAt;
  }

  /** When an answer first held `kid` (undefined: never). */
  firstSeen(kid: string): number | undefined {
    return this.firstSeenAt.get(kid);
  }

  /** A time by which `kid` had certainly left the JWKS (undefined: it had not left when last polled). */
  goneBy(kid: string): number | undefined {
    return this.goneByAt.get(kid);
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}

/**
 * Verifies with a brand-new remote JWKS (no cached keys): what a relying party sees after a refetch.
 * What these tests judge is the signature against the published keys; the claims are judged at the
 * token's issuance (`currentDate` = iat), so the short-lived test tokens cannot expire on a loaded
 * machine while a CLI command runs.
 */
export async function verifyFresh(issuer: string, token: string) {
  const { iat } = decodeJwt(token);
  return jwtVerify(token, createRemoteJWKSet(new URL(await jwksUri(issuer))), { issuer, typ: 'at+jwt', ...(iat === undefined ? {} : { currentDate: new Date(iat * 1000) }) });
}

export async function listKeys(server: Pick<TestServer, 'cli'>): Promise<KeyListEntry[]> {
  const result = await server.cli(['keys', 'list']);
  if (result.code !== 0) throw new Error(`keys list failed: ${result.stderr}`);
  return result.json<KeyListEntry[]>();
}

/** Polls `probe` every `everyMs` until it returns something other than undefined/false. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs: number, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

export interface ProcessResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a compiled entry point (dist/src/…) as its own process and reports how it ended. */
export function runNode(entry: string, args: readonly string[], env: Record<string, string>, cwd: string, timeoutMs = 20_000): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, entry), ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    // SIGTERM, so that a timeout can never pass for the fault-injection SIGKILL.
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export const CLI_ENTRY = 'dist/src/cli/main.js';
export const SERVER_ENTRY = 'dist/src/main.js';

export interface ServerProcess {
  readonly issuer: string;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<void>;
}

/** `node dist/src/main.js` in its own process, as operators run it; resolves once /readyz answers 200. */
export async function startServerProcess(env: Record<string, string>, cwd: string, port: number): Promise<ServerProcess> {
  const issuer = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [path.join(ROOT, SERVER_ENTRY)], {
    cwd,
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env, PORT: String(port), HOST: '127.0.0.1', ISSUER: issuer },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const stop = async () => {
    child.kill('SIGTERM');
    await exited;
  };
  try {
    await waitFor('the server process to be ready', async () => {
      if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}: ${stderr}`);
      return (await fetch(`${issuer}/readyz`).catch(() => undefined))?.status === 200;
    }, 20_000, 50);
  } catch (error) {
    await stop();
    throw error;
  }
  return { issuer, stop };
}
