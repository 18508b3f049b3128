/**
 * Load drivers for the flows `wrk` cannot replay: every authorization code and refresh token is
 * single-use, so each iteration must use what the previous answer returned. run.ts starts this as
 * its own process pinned to the load core (pinned-script.ts): code-exchange and login-storm warm
 * up, measure and answer once; refresh (Inkan) and peer-refresh (oidc-provider) obtain their chains
 * once and then measure in rounds, so run.ts can alternate the two (paired.ts).
 *
 * refresh-chains only mints chains, a set per round, for wrk to rotate (refresh-chains.lua).
 *
 *   node dist/bench/driver.js <code-exchange|login-storm|refresh|peer-refresh|refresh-chains> < options.json
 */
import crypto from 'node:crypto';
import { Agent, request } from 'undici';
import { runPinnedScript } from './pinned-script.js';

interface Person {
  readonly email: string;
  readonly password: string;
}

export interface DriverOptions {
  readonly baseUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUri: string;
  /** One person per concurrent loop: the login throttle counts one account's attempts in flight. */
  readonly users: readonly Person[];
  readonly seconds: number;
  readonly warmSeconds: number;
  readonly concurrency: number;
}

/** The refresh modes measure in rounds, each as long as run.ts asks; the peer signs nobody in. */
type RefreshOptions = Omit<DriverOptions, 'seconds' | 'warmSeconds' | 'users'> & { readonly users?: readonly Person[] };

export interface DriverResult {
  readonly iterationsPerSecond: number;
  /** Latency of the measured request (the token request, or the login POST). */
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
}

const dispatcher = new Agent({ connections: 256, pipelining: 1, keepAliveTimeout: 30_000 });

interface Answer {
  readonly status: number;
  readonly location: string | undefined;
  readonly setCookie: string[];
  readonly body: string;
}

async function http(url: string, init: { method?: 'GET' | 'POST'; form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...init.headers };
  let body: string | undefined;
  if (init.form !== undefined) {
    body = new URLSearchParams(init.form).toString();
    headers['content-type'] = 'application/x-www-form-urlencoded';
  }
  const response = await request(url, { method: init.method ?? (body === undefined ? 'GET' : 'POST'), headers, body, dispatcher });
  const setCookie = response.headers['set-cookie'];
  const location = response.headers.location;
  return {
    status: response.statusCode,
    location: typeof location === 'string' ? location : undefined,
    setCookie: setCookie === undefined ? [] : Array.isArray(setCookie) ? setCookie : [setCookie],
    body: await response.body.text(),
  };
}

/** A cookie jar and the sign-in steps of the login page, as a browser would take them. */
class Session {
  private readonly cookies = new Map<string, string>();

  constructor(private readonly options: Pick<DriverOptions, 'baseUrl' | 'clientId' | 'redirectUri'>) {}

  private cookieHeader(): Record<string, string> {
    return this.cookies.size === 0 ? {} : { cookie: [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ') };
  }

  async get(url: string): Promise<Answer> {
    return this.remember(await http(new URL(url, this.options.baseUrl).href, { headers: this.cookieHeader() }));
  }

  async post(url: string, form: Record<string, string>): Promise<Answer> {
    return this.remember(await http(new URL(url, this.options.baseUrl).href, { form, headers: this.cookieHeader() }));
  }

  private remember(answer: Answer): Answer {
    for (const cookie of answer.setCookie) {
      const [pair] = cookie.split(';');
      const eq = pair!.indexOf('=');
      this.cookies.set(pair!.slice(0, eq), pair!.slice(eq + 1));
    }
    return answer;
  }

  authorizeUrl(verifier: string, scope: string, prompt?: string): string {
    const url = new URL('/authorize', this.options.baseUrl);
    const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
    const params: Record<string, string> = {
      response_type: 'code', client_id: this.options.clientId, redirect_uri: this.options.redirectUri, scope,
      state: crypto.randomUUID(), nonce: crypto.randomUUID(), code_challenge: challenge, code_challenge_method: 'S256',
    };
    if (prompt !== undefined) params.prompt = prompt;
    for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
    return url.href;
  }

  /** authorize → login page → POST credentials; returns the login POST's latency and the redirect. */
  async signIn(user: Person, scope: string): Promise<{ loginMs: number; location: string; verifier: string }> {
    const verifier = crypto.randomBytes(32).toString('base64url');
    const start = await this.get(this.authorizeUrl(verifier, scope));
    const loginUrl = start.location;
    if (loginUrl === undefined) throw new Error(`authorize answered ${start.status}`);
    const page = await this.get(loginUrl);
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)?.[1];
    if (csrf === undefined) throw new Error('no CSRF token on the login page');
    const started = performance.now();
    const posted = await this.post(loginUrl, { csrf, email: user.email, password: user.password });
    const loginMs = performance.now() - started;
    if (posted.status !== 303 || posted.location === undefined) throw new Error(`login answered ${posted.status}`);
    return { loginMs, location: posted.location, verifier };
  }

  /**
   * Authorize, following redirects to the redirect URI's code: with Inkan's signed-in session and
   * prompt=none that is one request; the peer goes through its interaction route (peer.ts) first.
   */
  async code(scope: string, prompt = 'none'): Promise<{ code: string; verifier: string }> {
    const verifier = crypto.randomBytes(32).toString('base64url');
    let answer = await this.get(this.authorizeUrl(verifier, scope, prompt));
    for (let hops = 0; hops < 4 && answer.location !== undefined && !answer.location.startsWith(this.options.redirectUri); hops += 1) {
      answer = await this.get(answer.location);
    }
    const code = answer.location?.startsWith(this.options.redirectUri) ? new URL(answer.location).searchParams.get('code') : null;
    if (code === null) throw new Error(`authorize answered ${answer.status} ${answer.location ?? ''}`);
    return { code, verifier };
  }
}

function userOf(options: DriverOptions, loop: number): Person {
  return options.users[loop % options.users.length]!;
}

function basic(options: Pick<DriverOptions, 'clientId' | 'clientSecret'>): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${encodeURIComponent(options.clientId)}:${encodeURIComponent(options.clientSecret)}`).toString('base64')}` };
}

async function tokenRequest(options: Pick<DriverOptions, 'baseUrl' | 'clientId' | 'clientSecret'>, form: Record<string, string>): Promise<{ ms: number; status: number; json: Record<string, string> }> {
  const started = performance.now();
  const answer = await http(`${options.baseUrl}/token`, { form, headers: basic(options) });
  return { ms: performance.now() - started, status: answer.status, json: answer.status === 200 ? (JSON.parse(answer.body) as Record<string, string>) : {} };
}

/** Runs `concurrency` closed loops of `iteration` for `seconds`; each iteration returns its measured latency. */
async function closedLoops(concurrency: number, seconds: number, iteration: (loop: number) => Promise<number>): Promise<DriverResult> {
  let measuring = true;
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const workers = Array.from({ length: concurrency }, async (_, loop) => {
    while (measuring) {
      try {
        const ms = await iteration(loop);
        if (measuring) latencies.push(ms);
      } catch {
        if (measuring) errors += 1;
      }
    }
  });
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  measuring = false;
  const elapsedSeconds = (performance.now() - started) / 1000;
  // Iterations in flight finish (uncounted), so a chain never loses the token its answer carried.
  await Promise.all(workers);
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return { iterationsPerSecond: latencies.length / elapsedSeconds, p50Ms: at(0.5), p99Ms: at(0.99), errors };
}

async function warmThenMeasure(options: DriverOptions, iteration: (loop: number) => Promise<number>): Promise<DriverResult> {
  await closedLoops(options.concurrency, options.warmSeconds, iteration);
  return closedLoops(options.concurrency, options.seconds, iteration);
}

async function codeExchange(options: DriverOptions): Promise<DriverResult> {
  const sessions = await Promise.all(Array.from({ length: options.concurrency }, async (_, loop) => {
    const session = new Session(options);
    await session.signIn(userOf(options, loop), 'openid');
    return session;
  }));
  return warmThenMeasure(options, async (loop) => {
    const { code, verifier } = await sessions[loop]!.code('openid');
    const answer = await tokenRequest(options, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: options.redirectUri });
    if (answer.status !== 200) throw new Error(`code exchange answered ${answer.status}`);
    return answer.ms;
  });
}

async function exchangeForRefreshToken(options: RefreshOptions, grant: { code: string; verifier: string }): Promise<string> {
  const answer = await tokenRequest(options, { grant_type: 'authorization_code', code: grant.code, code_verifier: grant.verifier, redirect_uri: options.redirectUri });
  if (answer.json.refresh_token === undefined) throw new Error(`no refresh token from the code exchange (${answer.status})`);
  return answer.json.refresh_token;
}

/** Inkan: one person signs in once; each chain is a code (prompt=none) exchanged for a refresh token. */
async function inkanChains(options: RefreshOptions): Promise<string[]> {
  return (await inkanChainSource(options))();
}

/** Signs the person in once; each call then gives `concurrency` new chains from that session. */
async function inkanChainSource(options: RefreshOptions): Promise<() => Promise<string[]>> {
  const session = new Session(options);
  const user = options.users?.[0];
  if (user === undefined) throw new Error('the refresh driver needs a person to sign in');
  await session.signIn(user, 'openid offline_access');
  return async () => {
    const chains: string[] = [];
    for (let i = 0; i < options.concurrency; i += 1) chains.push(await exchangeForRefreshToken(options, await session.code('openid offline_access')));
    return chains;
  };
}

/**
 * The peer: each chain is its own authorization through peer.ts's interaction route (a grant per
 * chain, as a login per chain would give). offline_access needs prompt=consent there; `api` is the
 * resource server's scope, without which the peer issues no JWT access token.
 */
async function peerChains(options: RefreshOptions): Promise<string[]> {
  const session = new Session(options);
  const chains: string[] = [];
  for (let i = 0; i < options.concurrency; i += 1) chains.push(await exchangeForRefreshToken(options, await session.code('openid offline_access api', 'consent')));
  return chains;
}

/** Closed loops of refresh grants, each loop rotating its own chain, for as many rounds as asked. */
function refreshRounds(options: RefreshOptions, chains: string[]): (seconds: number) => Promise<DriverResult> {
  return (seconds) => closedLoops(options.concurrency, seconds, async (loop) => {
    // No scope: like a real client, so the answer carries a new ID token too (two signatures).
    const answer = await tokenRequest(options, { grant_type: 'refresh_token', refresh_token: chains[loop]! });
    if (answer.status !== 200 || answer.json.refresh_token === undefined) throw new Error(`refresh answered ${answer.status}`);
    chains[loop] = answer.json.refresh_token;
    // Both servers must do the same work: an answer without an ID token does not count.
    if (answer.json.id_token === undefined) throw new Error('refresh answered without an ID token');
    return answer.ms;
  });
}

async function loginStorm(options: DriverOptions): Promise<DriverResult> {
  return warmThenMeasure(options, async (loop) => (await new Session(options).signIn(userOf(options, loop), 'openid')).loginMs);
}

runPinnedScript('driver.js', {
  'code-exchange': codeExchange,
  'login-storm': loginStorm,
  refresh: { prepare: async (options: RefreshOptions) => refreshRounds(options, await inkanChains(options)) },
  'peer-refresh': { prepare: async (options: RefreshOptions) => refreshRounds(options, await peerChains(options)) },
  // For wrk's refresh script (refresh-chains.lua), which leaves its chains mid-rotation: each
  // round's request is answered with fresh chains ({ chains }) instead of a measurement.
  'refresh-chains': {
    prepare: async (options: RefreshOptions) => {
      const next = await inkanChainSource(options);
      return async () => ({ chains: await next() });
    },
  },
});
