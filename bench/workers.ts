/**
 * The `workers` part of `npm run bench` (issue #21): Inkan with WORKERS=2 against WORKERS=1 on this
 * machine's two cores, as `npm start` runs it, and how fast a revocation reaches a feed subscriber
 * held by the other worker.
 *
 * Setup. Two servers, each on a fresh SQLite directory prepared by the same CLI steps (an EdDSA
 * client, a `revocations:read` client, the refresh driver's people and web client), started the
 * same way (as package.json's `start` script says: npm-start.ts), one with WORKERS=1 and one with
 * WORKERS=2 (a node:cluster primary and two workers sharing the listener). Nothing is pinned:
 * the servers, the load generator and whatever else runs on the machine share both cores, which is
 * the deployment the issue asks about. The two servers run side by side, idle but for the one
 * under load, and each comparison alternates between them in rounds (paired.ts), so a drift of
 * the machine lands on both.
 *
 * - client_credentials EdDSA: `wrk` with two threads (one per core) and 32 connections, which
 *   node:cluster deals out to the workers in turn.
 * - JWKS, the same way: a path that writes nothing, for comparison (every token answer commits).
 * - refresh EdDSA: 32 chains on as many connections, rotated by `wrk` (refresh-chains.lua, with
 *   fresh chains from driver.ts each round), or by the node driver when wrk is missing.
 * - CPU: each row's note says how many cores the server (primary and workers), the load
 *   generator and the whole machine used on average during its measurements (processes.ts, from
 *   /proc), so a ratio short of 2 can be told apart from a generator or a neighbour that took the
 *   cores.
 * - Memory: VmRSS of the single-worker server, of the primary and of each worker, after the load.
 * - Revocation across workers: verifier.ts `workers_latency` against the WORKERS=2 server, with
 *   feed subscribers on both workers and each revocation sent to a chosen worker in turn.
 *
 * NODE_CLUSTER_SCHED_POLICY (node's own: `rr`, the default on Linux, or `none`, the kernel's
 * accept) passes through to the servers, so the two policies can be compared run against run; the
 * rows' notes say which was in force.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../test/helpers/postgres-server.js';
import { hasWrk, measureLoad, measureWrkScript, type LoadRequest } from './load.js';
import { npmStart } from './npm-start.js';
import { measurePaired, type Contender, type PairTiming } from './paired.js';
import { childPids, cpuSeconds, machineBusyCpuSeconds, reapedChildrenCpuSeconds, rssMb } from './processes.js';
import type { RoundsProcess, Row } from './run.js';
import { refreshDriverOptions } from './scenarios.js';

export interface WorkersContext {
  readonly root: string;
  readonly seconds: number;
  readonly pairTiming: PairTiming;
  readonly waitForUrl: (url: string) => Promise<void>;
  /** Runs Inkan's CLI against the database in `env`, from `cwd`; returns its JSON. */
  readonly cli: (env: Record<string, string>, cwd: string, args: string[], stdin?: string) => any;
  /** A bench script measured in rounds (pinned-script.ts), not pinned to a core. */
  readonly startRounds: (script: string, mode: string, options: string) => Promise<RoundsProcess>;
  /** A one-shot bench script (pinned-script.ts), not pinned to a core; returns its JSON line. */
  readonly runScript: (script: string, mode: string, options: string) => any;
}

/** One wrk thread per core: one thread alone would be one more process the scheduler must place. */
const WRK_THREADS = 2;
const SUBSCRIBERS_PER_WORKER = 2;
/** Each trial gives every subscriber a sample: 100 trials, 2 per worker, 200 "same" and 200 "other". */
const REVOCATION_TRIALS = 100;

type Credentials = { client_id: string; client_secret: string };

interface Server {
  readonly workers: number;
  readonly issuer: string;
  readonly port: number;
  readonly dir: string;
  readonly tokenClient: Credentials;
  readonly feedClient: Credentials;
  readonly refreshOptions: string;
  readonly process: ChildProcess;
}

const basic = (client: Credentials) => `Basic ${Buffer.from(`${encodeURIComponent(client.client_id)}:${encodeURIComponent(client.client_secret)}`).toString('base64')}`;

async function startServer(context: WorkersContext, workers: number): Promise<Server> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `inkan-bench-workers${workers}-`));
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const env = { PORT: String(port), DATABASE_URL: `sqlite:${path.join(dir, 'inkan.sqlite')}`, KEYS_DIR: path.join(dir, 'keys'), LOG_LEVEL: 'info', ISSUER: issuer };
  const cli = (args: string[], stdin?: string) => context.cli(env, dir, args, stdin);
  const tokenClient = cli(['clients', 'create', '--name', 'bench-workers-eddsa', '--alg', 'EdDSA', '--scope', 'api']) as Credentials;
  const feedClient = cli(['clients', 'create', '--name', 'bench-workers-rs', '--scope', 'revocations:read']) as Credentials;
  const refreshOptions = refreshDriverOptions({ baseUrl: issuer, cli, seconds: context.seconds });
  // As `npm start` runs it. The access log goes to /dev/null here, unlike in run.ts's pinned parts:
  // a pipe drained by this process would take CPU from the two cores the servers share unpinned.
  const start = npmStart(context.root);
  const child = spawn(process.execPath, [...start.nodeFlags, path.join(context.root, start.script)], {
    cwd: dir,
    env: { ...process.env, ...env, ...start.env, WORKERS: String(workers) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return { workers, issuer, port, dir, tokenClient, feedClient, refreshOptions, process: child };
}

async function stopServer(server: Server): Promise<void> {
  const child = server.process;
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  fs.rmSync(server.dir, { recursive: true, force: true });
}

/** The server's processes: the one process, or the primary and its workers. */
function serverPids(server: Server): number[] {
  return [server.process.pid!, ...childPids(server.process.pid!)];
}

/** Average cores used over a contender's measurements: by the server, by the load generator, by the machine. */
interface CpuShare {
  seconds: number;
  /** The whole server (the primary included) and, within it, each process (the primary first). */
  server: number;
  byProcess: Map<number, number>;
  generator: number;
  machine: number;
}

/** Wraps a measurement so the CPU that the server, the generator and the machine spent during it is added up. */
function withCpu(contender: Contender, server: Server, generatorCpuSeconds: () => number): { contender: Contender; share: CpuShare } {
  const share: CpuShare = { seconds: 0, server: 0, byProcess: new Map(), generator: 0, machine: 0 };
  const processCpu = () => new Map(serverPids(server).map((pid) => [pid, cpuSeconds(pid)]));
  return {
    share,
    contender: {
      ...contender,
      measure: async (seconds) => {
        const before = { at: performance.now(), processes: processCpu(), generator: generatorCpuSeconds(), machine: machineBusyCpuSeconds() };
        const result = await contender.measure(seconds);
        share.seconds += (performance.now() - before.at) / 1000;
        for (const [pid, cpu] of processCpu()) {
          const used = cpu - (before.processes.get(pid) ?? cpu);
          share.server += used;
          share.byProcess.set(pid, (share.byProcess.get(pid) ?? 0) + used);
        }
        share.generator += generatorCpuSeconds() - before.generator;
        share.machine += machineBusyCpuSeconds() - before.machine;
        return result;
      },
    },
  };
}

/**
 * The row's note gains the cores used, and the requests per CPU-second of the server (the row's
 * rate over the server's cores): what one core buys whatever share of the machine the server got.
 */
function withCpuNote(row: Row, share: CpuShare, generator: string, workers: number): Row {
  const cores = (cpu: number) => (cpu / share.seconds).toFixed(2);
  // For a cluster: the primary's share, then each worker's (how evenly the connections were dealt).
  const [primaryCpu, ...workerCpu] = [...share.byProcess.values()];
  const split = workers > 1 ? ` (primary ${cores(primaryCpu ?? NaN)}, workers ${workerCpu.map(cores).join(' + ')})` : '';
  const perCore = row.value / (share.server / share.seconds);
  return {
    ...row,
    note: `${row.note}; cores used: server ${cores(share.server)}${split}, ${generator} ${cores(share.generator)}, whole machine ${cores(share.machine)} of ${os.cpus().length}; ${perCore.toFixed(0)} req per server CPU-second`,
  };
}

async function compare(
  servers: readonly [Server, Server],
  contender: (server: Server) => Contender,
  generatorCpuSeconds: (server: Server) => () => number,
  generator: string,
  timing: PairTiming,
): Promise<Row[]> {
  const [one, two] = servers.map((server) => withCpu(contender(server), server, generatorCpuSeconds(server)));
  const rows = await measurePaired(one!.contender, two!.contender, timing);
  return [withCpuNote(rows[0], one!.share, generator, servers[0].workers), withCpuNote(rows[1], two!.share, generator, servers[1].workers)];
}

/**
 * Refresh grants, each connection rotating a chain. With wrk, its Lua script rotates them
 * (refresh-chains.lua) and driver.ts only mints fresh chains before each round: the node driver
 * costs 0.12–0.15 ms of CPU per grant, a third of a core at one worker's rate, taken from the two
 * cores the servers share; wrk costs a small part of that. Without wrk, the node driver loads.
 * `drivers` collects the helper processes for the caller to close.
 */
async function compareRefresh(context: WorkersContext, pair: readonly [Server, Server], drivers: RoundsProcess[], policy: string): Promise<Row[]> {
  if (!hasWrk) {
    for (const server of pair) drivers.push(await context.startRounds('dist/bench/driver.js', 'refresh', server.refreshOptions));
    return compare(
      pair,
      (server) => ({
        row: `workers${server.workers}_refresh_EdDSA`,
        note: `WORKERS=${server.workers}, nothing pinned, driver.ts 32 chains; ${policy}`,
        measure: async (seconds) => {
          const result = (await drivers[server.workers - 1]!.measure(seconds)) as { iterationsPerSecond: number; p50Ms: number; p99Ms: number; errors: number };
          return { requestsPerSecond: result.iterationsPerSecond, p50Ms: result.p50Ms, p99Ms: result.p99Ms, errors: result.errors };
        },
      }),
      (server) => () => cpuSeconds(drivers[server.workers - 1]!.pid),
      'driver',
      context.pairTiming,
    );
  }
  const script = path.join(context.root, 'bench', 'refresh-chains.lua');
  for (const server of pair) drivers.push(await context.startRounds('dist/bench/driver.js', 'refresh-chains', server.refreshOptions));
  return compare(
    pair,
    (server) => {
      const minter = drivers[server.workers - 1]!;
      const client = JSON.parse(server.refreshOptions) as { clientId: string; clientSecret: string };
      // The client secret goes to wrk in this file (mode 0600), never in its argv.
      const chainsFile = path.join(server.dir, 'refresh-chains.txt');
      return {
        row: `workers${server.workers}_refresh_EdDSA`,
        note: `WORKERS=${server.workers}, nothing pinned, wrk -t${WRK_THREADS} -c32 rotating 32 chains (refresh-chains.lua); ${policy}`,
        beforeRound: async () => {
          const { chains } = (await minter.measure(0)) as { chains: string[] };
          fs.writeFileSync(chainsFile, `${[basic({ client_id: client.clientId, client_secret: client.clientSecret }), ...chains].join('\n')}\n`, { mode: 0o600 });
        },
        measure: (seconds) => measureWrkScript(`${server.issuer}/token`, { path: script, args: [chainsFile, String(WRK_THREADS)] }, seconds, WRK_THREADS),
      };
    },
    () => reapedChildrenCpuSeconds,
    'wrk',
    context.pairTiming,
  );
}

export async function measureWorkers(context: WorkersContext): Promise<Row[]> {
  const servers: Server[] = [];
  const drivers: RoundsProcess[] = [];
  try {
    servers.push(await startServer(context, 1), await startServer(context, 2));
    await Promise.all(servers.map((server) => context.waitForUrl(`${server.issuer}/readyz`)));
    const pair = servers as [Server, Server];
    const policy = `NODE_CLUSTER_SCHED_POLICY=${process.env.NODE_CLUSTER_SCHED_POLICY ?? 'unset (rr)'}`;
    const rows: Row[] = [];

    const tokenRequest = (server: Server): LoadRequest => ({
      url: `${server.issuer}/token`, method: 'POST', body: 'grant_type=client_credentials&scope=api',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(server.tokenClient) },
    });
    rows.push(
      ...(await compare(
        pair,
        (server) => ({
          row: `workers${server.workers}_client_credentials_EdDSA`,
          note: `WORKERS=${server.workers}, nothing pinned, wrk -t${WRK_THREADS} -c32; ${policy}`,
          measure: (seconds) => measureLoad(tokenRequest(server), seconds, '', false, WRK_THREADS),
        }),
        () => reapedChildrenCpuSeconds,
        'wrk',
        context.pairTiming,
      )),
    );

    // No database write on this path: what the cluster gives where the shared SQLite file costs nothing.
    rows.push(
      ...(await compare(
        pair,
        (server) => ({
          row: `workers${server.workers}_jwks`,
          note: `WORKERS=${server.workers}, nothing pinned, wrk -t${WRK_THREADS} -c32, no database write; ${policy}`,
          measure: (seconds) => measureLoad({ url: `${server.issuer}/jwks`, method: 'GET' }, seconds, '', false, WRK_THREADS),
        }),
        () => reapedChildrenCpuSeconds,
        'wrk',
        context.pairTiming,
      )),
    );

    rows.push(...(await compareRefresh(context, pair, drivers, policy)));

    // Memory after both loads, before anything else runs.
    const [single, cluster] = pair;
    rows.push({ name: 'workers1_rss_after_load', value: rssMb(single.process.pid!), unit: 'MB', note: 'the one process of WORKERS=1' });
    rows.push({ name: 'workers2_primary_rss_after_load', value: rssMb(cluster.process.pid!), unit: 'MB', note: 'the primary: forks, relays readiness and metrics, serves nothing' });
    childPids(cluster.process.pid!).forEach((pid, i) => rows.push({ name: `workers2_worker${i + 1}_rss_after_load`, value: rssMb(pid), unit: 'MB', note: `worker pid ${pid}` }));

    const latency = context.runScript('dist/bench/verifier.js', 'workers_latency', JSON.stringify({
      issuer: cluster.issuer, baseUrl: cluster.issuer, feedClient: cluster.feedClient, tokenClient: cluster.tokenClient,
      seconds: context.seconds, trials: REVOCATION_TRIALS,
      cluster: { primaryPid: cluster.process.pid, port: cluster.port, subscribersPerWorker: SUBSCRIBERS_PER_WORKER },
    }));
    const subscribers = `${latency.subscribers} verifiers, ${SUBSCRIBERS_PER_WORKER} per worker, ${REVOCATION_TRIALS} revocations sent to each worker in turn`;
    for (const [name, figures, what] of [
      ['workers2_revocation_same_worker', latency.sameWorker, 'RFC 7009 200 → a verifier whose feed stream the revoking worker holds rejects'],
      ['workers2_revocation_other_worker', latency.otherWorker, 'RFC 7009 200 → a verifier whose feed stream the other worker holds rejects (change socket)'],
    ] as const) {
      rows.push({ name, value: figures.p50Ms, unit: 'ms', p50Ms: figures.p50Ms, p99Ms: figures.p99Ms, note: `${figures.trials} samples; ${what}; max ${figures.maxMs.toFixed(1)} ms; ${subscribers}; ${policy}` });
    }
    return rows;
  } finally {
    await Promise.all(drivers.map((driver) => driver.close()));
    await Promise.all(servers.map(stopServer));
  }
}
