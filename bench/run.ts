/**
 * `npm run bench`: Inkan against the limit of the crypto, the framework ceiling and a peer
 * (panva's oidc-provider), all measured in one run on this machine so every comparison is a ratio.
 *
 * Servers run pinned to core 0 (`taskset -c 0`), one at a time under load; the load generator
 * (Debian's `wrk` when present, else autocannon) runs pinned to core 1. Each scenario warms up, then
 * measures for a fixed time. Inkan and the peer run side by side (idle but for the one under load):
 * each scenario compared with the peer alternates between the two in rounds (paired.ts), so its
 * ratio compares measurements seconds apart. The table goes to stdout and everything to
 * bench-output/bench.json.
 *
 *   npm run bench                       full run
 *   BENCH_SECONDS=5 npm run bench       shorter measurements
 *   BENCH_ONLY=client_credentials,jwks npm run bench
 *                                       only those parts (of BENCH_PARTS: limits, koa,
 *                                       client_credentials, jwks, refresh, inkan_alone, scale_out,
 *                                       workers)
 *
 * The `workers` part (workers.ts) is the exception to the pinning: WORKERS=2 against WORKERS=1 with
 * the servers and the load generator sharing both cores unpinned, as `npm start` runs on a small
 * machine, and the revocation feed's latency across the workers.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { measureLoad, type LoadRequest, type LoadResult } from './load.js';
import { measurePaired, type Contender, type PairTiming } from './paired.js';
import { PEER_CLIENT, PEER_RESOURCES, PEER_WEB_CLIENT } from './peer-config.js';
import { npmStart } from './npm-start.js';
import { REFRESH_CONCURRENCY, refreshDriverOptions, scenariosAfterFoundation, type ExtraScenarioContext } from './scenarios.js';
import { measureScaleOut } from './scale.js';
import { measureWorkers } from './workers.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARM_SECONDS = Math.min(3, SECONDS);
/** Four rounds (A B, B A, A B, B A) of a quarter of SECONDS each, rounded up: wrk takes whole seconds. */
const PAIR_TIMING: PairTiming = { warmSeconds: WARM_SECONDS, rounds: 4, roundSeconds: Math.ceil(SECONDS / 4) };
const BENCH_PARTS = ['limits', 'koa', 'client_credentials', 'jwks', 'refresh', 'inkan_alone', 'scale_out', 'workers'] as const;
type BenchPart = (typeof BENCH_PARTS)[number];
const ONLY = (process.env.BENCH_ONLY ?? '').split(',').map((part) => part.trim()).filter((part) => part !== '');
for (const part of ONLY) {
  if (!(BENCH_PARTS as readonly string[]).includes(part)) throw new Error(`BENCH_ONLY: unknown part ${part}; parts: ${BENCH_PARTS.join(', ')}`);
}
const runs = (part: BenchPart) => ONLY.length === 0 || ONLY.includes(part);
const SERVER_CORE = '0';
const CLIENT_CORE = os.cpus().length > 1 ? '1' : '0';
const hasTaskset = spawnSync('taskset', ['--version']).status === 0;

export interface Row {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly p50Ms?: number;
  readonly p99Ms?: number;
  readonly errors?: number;
  readonly note?: string;
  /** A paired measurement's rate in each round (paired.ts). */
  readonly rounds?: readonly number[];
  /** A paired measurement's median server CPU time per answer (paired.ts). */
  readonly cpuMicrosPerAnswer?: number;
}

const pinned = (core: string, command: string, args: string[]): [string, string[]] =>
  hasTaskset ? ['taskset', ['-c', core, command, ...args]] : [command, args];

async function waitForLine(child: ChildProcess, line: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes(line)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`process exited (${code}) before "${line}"`)));
  });
}

async function waitForUrl(url: string, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      // Bounded: a connection accepted but never answered (a server still starting) is retried.
      if ((await fetch(url, { signal: AbortSignal.timeout(2000) })).ok) return;
    } catch {
      // not yet listening
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not become ready`);
}

/** `stdout: 'pipe'` for processes that announce readiness, or whose output is drained. */
function startProcess(script: string, args: string[], options: { env?: Record<string, string>; cwd?: string; stdout: 'pipe' | 'ignore'; nodeFlags?: string[] }): ChildProcess {
  const [command, argv] = pinned(SERVER_CORE, process.execPath, [...(options.nodeFlags ?? []), path.join(ROOT, script), ...args]);
  return spawn(command, argv, { cwd: options.cwd ?? ROOT, env: { ...process.env, ...options.env }, stdio: ['ignore', options.stdout, 'inherit'] });
}

function rssMb(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  // taskset execs node in place, so the pid is node's.
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
  return kb / 1024;
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/**
 * Runs Inkan's CLI. Each call loads dist/ afresh, so a build running beside the benchmark (a
 * developer's `npm run build`) can make it fail to load a module; such a call is retried, at most
 * twice, 3 s later (a failed import has done nothing yet).
 */
function cli(env: Record<string, string>, cwd: string, args: string[], stdin?: string): any {
  for (let attempt = 1; ; attempt += 1) {
    const result = spawnSync(process.execPath, [path.join(ROOT, 'dist/src/cli/main.js'), ...args], { cwd, env: { ...process.env, ...env }, input: stdin ?? '' });
    if (result.status === 0) return JSON.parse(result.stdout.toString());
    const stderr = result.stderr.toString();
    if (attempt === 3 || !/SyntaxError|ERR_MODULE_NOT_FOUND/.test(stderr)) throw new Error(`cli ${args.join(' ')}: ${stderr}`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 3000);
  }
}

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

function loadRow(name: string, result: LoadResult): Row {
  return { name, value: result.requestsPerSecond, unit: 'req/s', p50Ms: result.p50Ms, p99Ms: result.p99Ms, errors: result.errors };
}

/** A node command line pinned to the load core, or (`pin` false: the workers part) left to the scheduler. */
const nodeOnLoadCore = (pin: boolean, args: string[]): [string, string[]] => (pin ? pinned(CLIENT_CORE, process.execPath, args) : [process.execPath, args]);

/**
 * Runs a bench script (pinned-script.ts) as its own process on the load core: the mode in argv,
 * the options, secrets included, on stdin; parses its one JSON line.
 */
function runPinned(script: string, mode: string, options: string, pin = true): any {
  const [command, argv] = nodeOnLoadCore(pin, ['--expose-gc', path.join(ROOT, script), mode]);
  const result = spawnSync(command, argv, { encoding: 'utf8', input: options, stdio: ['pipe', 'pipe', 'inherit'] });
  if (result.status !== 0) throw new Error(`${script} ${mode} failed (exit ${result.status})`);
  return JSON.parse(result.stdout);
}

/** A load measurement while a pinned background process (e.g. a login storm) runs. */
async function measureDuring(request: LoadRequest, background: { script: string; mode: string; options: string }): Promise<LoadResult> {
  const [command, argv] = pinned(CLIENT_CORE, process.execPath, [path.join(ROOT, background.script), background.mode]);
  const child = spawn(command, argv, { stdio: ['pipe', 'ignore', 'inherit'] });
  child.stdin!.end(background.options);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  await new Promise((resolve) => setTimeout(resolve, WARM_SECONDS * 1000));
  process.stderr.write(`  ${request.method} ${request.url} (during ${background.mode})\n`);
  const result = await measureLoad(request, SECONDS, CLIENT_CORE, hasTaskset);
  await exited;
  return result;
}

/** A helper process measured in rounds (pinned-script.ts): prepared once, then asked once per round. */
export interface RoundsProcess {
  readonly pid: number;
  measure(seconds: number): Promise<any>;
  close(): Promise<void>;
}

async function startRounds(script: string, mode: string, options: string, pin = true): Promise<RoundsProcess> {
  const [command, argv] = nodeOnLoadCore(pin, [path.join(ROOT, script), mode]);
  const child = spawn(command, argv, { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  // A write after the process died fails; the missing answer below reports it.
  child.stdin!.on('error', () => undefined);
  const answers = readline.createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const ask = async (line: string): Promise<any> => {
    child.stdin!.write(`${line}\n`);
    const answer = await answers.next();
    if (answer.done === true) throw new Error(`${script} ${mode} exited (${child.exitCode ?? child.signalCode}) without answering`);
    return JSON.parse(answer.value);
  };
  await ask(options);
  return {
    // taskset execs node in place, so the pid is node's.
    pid: child.pid!,
    measure: (seconds) => ask(JSON.stringify({ seconds })),
    close: async () => {
      child.stdin!.end();
      await exited;
    },
  };
}

/** `server`: the process answering, whose CPU time per answer is measured too (paired.ts). */
function wrkContender(row: string, request: LoadRequest, server?: ChildProcess): Contender {
  return {
    row,
    measure: async (seconds) => {
      const before = cpuSeconds(server?.pid);
      const result = await measureLoad(request, seconds, CLIENT_CORE, hasTaskset);
      const used = cpuSeconds(server?.pid) - before;
      return Number.isFinite(used) && result.requests !== undefined ? { ...result, cpuMicrosPerRequest: (used * 1e6) / result.requests } : result;
    },
  };
}

const CLOCK_TICKS_PER_SECOND = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;

/** The user + system CPU time of a process and all its threads so far (proc(5): utime, stime); NaN without one. */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The fields after the command name, which is in parentheses and may hold spaces: state is field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[14 - 3]) + Number(fields[15 - 3])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return NaN;
  }
}

function driverContender(row: string, driver: RoundsProcess, note: string): Contender {
  return {
    row,
    note,
    measure: async (seconds) => {
      const result = (await driver.measure(seconds)) as { iterationsPerSecond: number; p50Ms: number; p99Ms: number; errors: number };
      return { requestsPerSecond: result.iterationsPerSecond, p50Ms: result.p50Ms, p99Ms: result.p99Ms, errors: result.errors };
    },
  };
}

/**
 * The refresh grant, Inkan (SQLite) against the peer (in memory), each through its own driver
 * process (driver.ts) with the same closed loops: REFRESH_CONCURRENCY chains, client_secret_basic,
 * no scope parameter, so both answers carry an access token, an ID token and the next refresh token.
 */
async function measureRefreshPair(context: ExtraScenarioContext, peerUrl: string): Promise<Row[]> {
  const peerOptions = {
    baseUrl: peerUrl, clientId: PEER_WEB_CLIENT.client_id, clientSecret: PEER_WEB_CLIENT.client_secret,
    redirectUri: PEER_WEB_CLIENT.redirect_uri, concurrency: REFRESH_CONCURRENCY,
  };
  const drivers: RoundsProcess[] = [];
  try {
    drivers.push(await startRounds('dist/bench/driver.js', 'refresh', refreshDriverOptions(context)));
    drivers.push(await startRounds('dist/bench/driver.js', 'peer-refresh', JSON.stringify(peerOptions)));
    return await measurePaired(
      driverContender('inkan_refresh_EdDSA', drivers[0]!, 'rotation + reuse detection on SQLite; access + ID token'),
      driverContender('peer_refresh_EdDSA', drivers[1]!, 'rotation + reuse detection in memory; access + ID token (FIELD-NOTES: 1450/s)'),
      PAIR_TIMING,
    );
  } finally {
    await Promise.all(drivers.map((driver) => driver.close()));
  }
}

/** A measurement whose failure becomes a `scenario_failed_` row instead of ending the run. */
async function guarded(name: string, measurement: () => Promise<Row[]>): Promise<Row[]> {
  try {
    return await measurement();
  } catch (error) {
    return [{ name: `scenario_failed_${name}`, value: NaN, unit: '', note: (error as Error).message }];
  }
}

async function measure(request: LoadRequest): Promise<LoadResult> {
  process.stderr.write(`  ${request.method} ${request.url}\n`);
  await measureLoad(request, WARM_SECONDS, CLIENT_CORE, hasTaskset);
  return measureLoad(request, SECONDS, CLIENT_CORE, hasTaskset);
}

/** Parts 3–5: Inkan and the peer, each started once, both pinned to the server core. */
async function measureBesideThePeer(): Promise<Row[]> {
  const rows: Row[] = [];
  // 3. Start both.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'inkan-bench-'));
  const port = 3700 + Math.floor(Math.random() * 500);
  const issuer = `http://127.0.0.1:${port}`;
  const env = {
    PORT: String(port),
    DATABASE_URL: `sqlite:${path.join(dir, 'inkan.sqlite')}`,
    KEYS_DIR: path.join(dir, 'keys'),
    LOG_LEVEL: 'info',
    ISSUER: issuer,
  };
  const clients = {
    EdDSA: cli(env, dir, ['clients', 'create', '--name', 'bench-eddsa', '--alg', 'EdDSA', '--scope', 'api']),
    RS256: cli(env, dir, ['clients', 'create', '--name', 'bench-rs256', '--alg', 'RS256', '--scope', 'api']),
    ES256: cli(env, dir, ['clients', 'create', '--name', 'bench-es256', '--alg', 'ES256', '--scope', 'api']),
  };
  // Inkan logs a line per request, as in production, into a pipe that this process drains and
  // discards, as a log collector would read it: the server pays for writing to a pipe and waking
  // its reader, which /dev/null would spare it (the peer logs nothing per request).
  // As `npm start` runs it, read from package.json so the two cannot drift apart (its environment
  // and node flags: docs/performance.md, "Memory").
  const start = npmStart(ROOT);
  const inkan = startProcess(start.script, [], { env: { ...env, ...start.env }, nodeFlags: start.nodeFlags, cwd: dir, stdout: 'pipe' });
  inkan.stdout!.resume();
  const peerPort = 4300 + Math.floor(Math.random() * 500);
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const peer = startProcess('dist/bench/peer.js', [String(peerPort)], { env: { NODE_ENV: 'production' }, stdout: 'pipe' });
  await Promise.all([waitForUrl(`${issuer}/readyz`), waitForLine(peer, 'ready')]);
  const context: ExtraScenarioContext = {
    issuer, baseUrl: issuer, clients, measure, measureDuring, runPinned, seconds: SECONDS,
    cli: (args, stdin) => cli(env, dir, args, stdin),
    cliProcess: { entry: path.join(ROOT, 'dist/src/cli/main.js'), env, cwd: dir },
  };

  // 4. Inkan against the peer, each comparison in alternating rounds (paired.ts).
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  for (const alg of runs('client_credentials') ? (['EdDSA', 'RS256', 'ES256'] as const) : []) {
    const client = clients[alg];
    rows.push(
      ...(await guarded(`client_credentials_${alg}`, () =>
        measurePaired(
          wrkContender(`inkan_client_credentials_${alg}`, {
            url: `${issuer}/token`, method: 'POST', body: 'grant_type=client_credentials&scope=api',
            headers: { ...form, authorization: basic(client.client_id, client.client_secret) },
          }, inkan),
          wrkContender(`peer_client_credentials_${alg}`, {
            url: `${peerUrl}/token`, method: 'POST', body: `grant_type=client_credentials&scope=api&resource=${encodeURIComponent(PEER_RESOURCES[alg])}`,
            headers: { ...form, authorization: basic(PEER_CLIENT.client_id, PEER_CLIENT.client_secret) },
          }, peer),
          PAIR_TIMING,
        ),
      )),
    );
  }
  if (runs('jwks')) {
    rows.push(...(await guarded('jwks', () => measurePaired(wrkContender('inkan_jwks', { url: `${issuer}/jwks`, method: 'GET' }, inkan), wrkContender('peer_jwks', { url: `${peerUrl}/jwks`, method: 'GET' }, peer), PAIR_TIMING))));
  }
  if (runs('refresh')) rows.push(...(await guarded('refresh', () => measureRefreshPair(context, peerUrl))));

  // 5. Inkan alone: the scenarios without a peer counterpart (the peer idles beside it).
  if (runs('jwks')) {
    const etag = (await fetch(`${issuer}/jwks`)).headers.get('etag') ?? '';
    rows.push(loadRow('inkan_jwks_304', await measure({ url: `${issuer}/jwks`, method: 'GET', headers: { 'if-none-match': etag } })));
  }
  for (const scenario of runs('inkan_alone') ? scenariosAfterFoundation : []) {
    try {
      rows.push(...(await scenario(context)));
    } catch (error) {
      rows.push({ name: `scenario_failed_${scenario.name}`, value: NaN, unit: '', note: (error as Error).message });
    }
  }
  rows.push({ name: 'inkan_rss_after_run', value: rssMb(inkan.pid), unit: 'MB' });
  rows.push({ name: 'peer_rss_after_run', value: rssMb(peer.pid), unit: 'MB' });
  await Promise.all([stopProcess(inkan), stopProcess(peer)]);
  fs.rmSync(dir, { recursive: true, force: true });
  return rows;
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  const started = new Date();
  process.stderr.write(`bench: ${SECONDS}s per scenario, servers on core ${SERVER_CORE}, load on core ${CLIENT_CORE}${hasTaskset ? '' : ' (taskset missing: not pinned)'}\n`);

  // 1. The limit: jose on one core.
  if (runs('limits')) {
    const [command, argv] = pinned(SERVER_CORE, process.execPath, [path.join(ROOT, 'dist/bench/crypto-limits.js'), String(Math.min(SECONDS, 5))]);
    const out = spawnSync(command, argv, { encoding: 'utf8' });
    const limits = JSON.parse(out.stdout) as Record<string, number>;
    for (const [name, value] of Object.entries(limits)) rows.push({ name, value, unit: 'op/s' });
  }

  // 2. The framework ceiling.
  if (runs('koa')) {
    const port = 3200 + Math.floor(Math.random() * 500);
    const koa = startProcess('dist/bench/bare-koa.js', [String(port)], { stdout: 'pipe' });
    await waitForLine(koa, 'ready');
    rows.push(loadRow('bare_koa_get', await measure({ url: `http://127.0.0.1:${port}/`, method: 'GET' })));
    rows.push(
      loadRow(
        'bare_koa_post',
        await measure({ url: `http://127.0.0.1:${port}/token`, method: 'POST', body: 'grant_type=client_credentials&scope=api', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic('a', 'b') } }),
      ),
    );
    await stopProcess(koa);
  }

  // 3–5. Inkan against the peer, then Inkan alone (only when a part needs them).
  if ((['client_credentials', 'jwks', 'refresh', 'inkan_alone'] as const).some(runs)) rows.push(...(await measureBesideThePeer()));

  // 6. One instance against two on PostgreSQL.
  if (runs('scale_out')) rows.push(
    ...(await guarded('scale_out', () =>
      measureScaleOut({
        root: ROOT,
        seconds: SECONDS,
        pinned,
        waitForUrl,
        load: (request, seconds, core) => {
          process.stderr.write(`  ${request.method} ${request.url} (scale-out)\n`);
          return measureLoad(request, seconds, core ?? CLIENT_CORE, hasTaskset && core !== undefined);
        },
      }),
    )),
  );

  // 7. WORKERS=2 against WORKERS=1, nothing pinned (workers.ts).
  if (runs('workers')) rows.push(
    ...(await guarded('workers', () =>
      measureWorkers({
        root: ROOT, seconds: SECONDS, pairTiming: PAIR_TIMING, waitForUrl, cli,
        startRounds: (script, mode, options) => startRounds(script, mode, options, false),
        runScript: (script, mode, options) => runPinned(script, mode, options, false),
      }),
    )),
  );

  const report = { started: started.toISOString(), seconds: SECONDS, node: process.version, cpus: os.cpus()[0]?.model, rows, ratios: ratios(rows) };
  fs.mkdirSync(path.join(ROOT, 'bench-output'), { recursive: true });
  fs.writeFileSync(path.join(ROOT, 'bench-output', 'bench.json'), `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(formatTable(rows, report.ratios));
}

interface Ratio {
  readonly name: string;
  readonly value: number;
  readonly target: string;
  readonly met: boolean | undefined;
  /** For a paired measurement: the lowest and highest ratio of one round to its neighbour. */
  readonly roundRange?: readonly [number, number];
}

function ratios(rows: readonly Row[]): Ratio[] {
  const get = (name: string) => rows.find((row) => row.name === name)?.value ?? NaN;
  const roundRange = (numerator: string, denominator: string): readonly [number, number] | undefined => {
    const a = rows.find((row) => row.name === numerator)?.rounds;
    const b = rows.find((row) => row.name === denominator)?.rounds;
    if (a === undefined || b === undefined || a.length !== b.length) return undefined;
    const perRound = a.map((value, i) => value / b[i]!);
    return [Math.min(...perRound), Math.max(...perRound)];
  };
  const ratio = (name: string, numerator: string, denominator: string, min: number): Ratio => {
    const value = get(numerator) / get(denominator);
    const range = roundRange(numerator, denominator);
    return { name, value, target: `≥ ${min}`, met: Number.isFinite(value) ? value >= min : undefined, ...(range ? { roundRange: range } : {}) };
  };
  const list = [
    ratio('client_credentials EdDSA: inkan / peer', 'inkan_client_credentials_EdDSA', 'peer_client_credentials_EdDSA', 2.5),
    ratio('client_credentials RS256: inkan / peer', 'inkan_client_credentials_RS256', 'peer_client_credentials_RS256', 1.2),
    ratio('client_credentials RS256: inkan / jose sign', 'inkan_client_credentials_RS256', 'jose_sign_RS256', 0.85),
    ratio('JWKS: inkan / peer', 'inkan_jwks', 'peer_jwks', 2.5),
    ratio('refresh EdDSA: inkan (SQLite) / peer (in memory)', 'inkan_refresh_EdDSA', 'peer_refresh_EdDSA', 1.5),
    ratio('verifier SDK / jose verify, cached key, same process (EdDSA)', 'verifier_sdk_verify_EdDSA', 'jose_verify_cached_EdDSA_same_process', 0.9),
  ];
  // The same comparisons by the servers' CPU time per answer (paired.ts): no target of their own,
  // the steadier reading of the rate ratios above on a machine that other work shares.
  const cpu = (name: string) => rows.find((row) => row.name === name)?.cpuMicrosPerAnswer ?? NaN;
  for (const [name, part] of [['client_credentials EdDSA', 'client_credentials_EdDSA'], ['JWKS', 'jwks']] as const) {
    const value = cpu(`peer_${part}`) / cpu(`inkan_${part}`);
    if (Number.isFinite(value)) list.push({ name: `${name}: peer / inkan server CPU per answer`, value, target: '', met: undefined });
  }
  const rss = get('inkan_rss_after_run');
  list.push({ name: 'inkan RSS after run (MB)', value: rss, target: '< 150', met: Number.isFinite(rss) ? rss < 150 : undefined });
  // The workers part (workers.ts): 2 cores shared by the servers and the load generator.
  list.push(
    ratio('client_credentials EdDSA: WORKERS=2 / WORKERS=1', 'workers2_client_credentials_EdDSA', 'workers1_client_credentials_EdDSA', 1.5),
    ratio('refresh EdDSA (SQLite): WORKERS=2 / WORKERS=1', 'workers2_refresh_EdDSA', 'workers1_refresh_EdDSA', 1.5),
  );
  const workerRss = Math.max(...rows.filter((row) => /^workers2_worker\d+_rss_after_load$/.test(row.name)).map((row) => row.value));
  list.push({ name: 'WORKERS=2: largest worker RSS after load (MB)', value: workerRss, target: '< 150', met: Number.isFinite(workerRss) ? workerRss < 150 : undefined });
  const crossWorkerP99 = rows.find((row) => row.name === 'workers2_revocation_other_worker')?.p99Ms ?? NaN;
  list.push({ name: 'revocation p99 (ms), feed held by the other worker', value: crossWorkerP99, target: '≤ 100', met: Number.isFinite(crossWorkerP99) ? crossWorkerP99 <= 100 : undefined });
  return list;
}

function formatTable(rows: readonly Row[], ratioList: readonly Ratio[]): string {
  const fmt = (value: number | undefined, digits = 0) => (value === undefined || !Number.isFinite(value) ? '' : value.toFixed(digits));
  const lines = [
    `${'measurement'.padEnd(42)}${'value'.padStart(12)} ${'unit'.padEnd(6)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'errors'.padStart(8)}`,
    ...rows.map(
      (row) =>
        `${row.name.padEnd(42)}${fmt(row.value, row.unit === 'MB' || row.unit === 'ms' ? 1 : 0).padStart(12)} ${row.unit.padEnd(6)}${fmt(row.p50Ms, 2).padStart(9)}${fmt(row.p99Ms, 2).padStart(9)}${fmt(row.errors).padStart(8)}${row.note ? `  ${row.note}` : ''}`,
    ),
    '',
    `${'ratio'.padEnd(62)}${'value'.padStart(8)}  target   met`,
    ...ratioList.map(
      (r) =>
        `${r.name.padEnd(62)}${fmt(r.value, 2).padStart(8)}  ${r.target.padEnd(8)} ${(r.met === undefined ? 'n/a' : r.met ? 'yes' : 'NO').padEnd(4)}${r.roundRange ? `  rounds ${fmt(r.roundRange[0], 2)}–${fmt(r.roundRange[1], 2)}` : ''}`,
    ),
    '',
  ];
  return lines.join('\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${(error as Error).stack}\n`);
  process.exitCode = 1;
});
