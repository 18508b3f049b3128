/**
 * One Inkan instance against two on one PostgreSQL (the deployment described in docs/operators.md,
 * "Deployment"), for `npm run bench`: client-credentials grants per second through one instance pinned
 * to core 0, then through two instances pinned to cores 0 and 1 with a load generator per
 * instance. On a 2-core machine the load generators and PostgreSQL share those cores, so the
 * second figure is a floor, not the scale-out of a real cluster; the ratio is what to compare.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDatabase, freePort, startPostgres } from '../test/helpers/postgres-server.js';
import type { LoadRequest, LoadResult } from './load.js';
import type { Row } from './run.js';

export interface ScaleContext {
  readonly root: string;
  readonly seconds: number;
  readonly pinned: (core: string, command: string, args: string[]) => [string, string[]];
  /** One measurement by the load generator, optionally pinned to a core. */
  readonly load: (request: LoadRequest, seconds: number, core: string | undefined) => Promise<LoadResult>;
  /** Resolves once the URL answers 2xx. */
  readonly waitForUrl: (url: string) => Promise<void>;
}

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

export async function measureScaleOut(context: ScaleContext): Promise<Row[]> {
  const postgres = await startPostgres();
  if (postgres === undefined) return [{ name: 'scale_out_skipped', value: NaN, unit: '', note: 'PostgreSQL could not be started' }];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'inkan-bench-scale-'));
  const instances: ChildProcess[] = [];
  try {
    const databaseUrl = await createDatabase(postgres.url, `bench_${crypto.randomBytes(4).toString('hex')}`);
    const ports = [await freePort(), await freePort()];
    const issuer = `http://127.0.0.1:${ports[0]}`;
    const env = { DATABASE_URL: databaseUrl, KEY_ENCRYPTION_KEY: crypto.randomBytes(32).toString('base64'), ISSUER: issuer, LOG_LEVEL: 'info', CLI_AUDIT_LOG: path.join(dir, 'cli-audit.log') };
    const cli = spawnSync(process.execPath, [path.join(context.root, 'dist/src/cli/main.js'), 'clients', 'create', '--name', 'bench-scale', '--alg', 'EdDSA', '--scope', 'api'], { cwd: dir, env: { ...process.env, ...env } });
    if (cli.status !== 0) throw new Error(`clients create failed: ${cli.stderr.toString()}`);
    const client = JSON.parse(cli.stdout.toString()) as { client_id: string; client_secret: string };
    const request = (port: number): LoadRequest => ({
      url: `http://127.0.0.1:${port}/token`,
      method: 'POST',
      body: 'grant_type=client_credentials',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(client.client_id, client.client_secret) },
    });
    const start = (port: number, core: string) => {
      const [command, argv] = context.pinned(core, process.execPath, [path.join(context.root, 'dist/src/main.js')]);
      const child = spawn(command, argv, { cwd: dir, env: { ...process.env, ...env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit'] });
      instances.push(child);
      return context.waitForUrl(`http://127.0.0.1:${port}/readyz`);
    };

    await start(ports[0]!, '0');
    const warm = Math.min(3, context.seconds);
    await context.load(request(ports[0]!), warm, '1');
    const one = await context.load(request(ports[0]!), context.seconds, '1');

    await start(ports[1]!, '1');
    await Promise.all(ports.map((port) => context.load(request(port), warm, undefined)));
    const both = await Promise.all(ports.map((port) => context.load(request(port), context.seconds, undefined)));
    const total = both.reduce((sum, result) => sum + result.requestsPerSecond, 0);
    return [
      { name: 'scale_pg_one_instance_client_credentials_EdDSA', value: one.requestsPerSecond, unit: 'req/s', p50Ms: one.p50Ms, p99Ms: one.p99Ms, errors: one.errors },
      {
        name: 'scale_pg_two_instances_client_credentials_EdDSA',
        value: total,
        unit: 'req/s',
        p50Ms: Math.max(...both.map((result) => result.p50Ms)),
        p99Ms: Math.max(...both.map((result) => result.p99Ms)),
        errors: both.reduce((sum, result) => sum + result.errors, 0),
        note: `${(total / one.requestsPerSecond).toFixed(2)}× one instance; load generators and PostgreSQL share the 2 cores`,
      },
    ];
  } finally {
    for (const child of instances) child.kill('SIGTERM');
    await Promise.all(instances.map((child) => new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)))));
    await postgres.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
