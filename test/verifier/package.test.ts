/**
 * `@inkan/verifier` as a resource server gets it: `npm pack` of packages/verifier, the tarball
 * installed into an empty project, and a script run there with plain `node`. Proves that the
 * tarball holds only what users need; that the install brings `@inkan/verifier` and `jose` and
 * nothing else, no native addon among them; that the main entry reaches nothing but jose and Node
 * built-ins (the adapters not even their framework at run time); and that the installed SDK
 * verifies a token of a real Inkan and sees its RFC 7009 revocation through the feed. Also that
 * `inkan/verifier` and `inkan/verifier/koa`, the server package's subpaths, are the package's own
 * modules.
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInkan, ROOT, type TestServer } from '../helpers/inkan.js';
import { clientCredentialsToken, registerClient, revokeToken } from '../helpers/clients.js';

const PACKAGE_DIR = path.join(ROOT, 'packages/verifier');
const API = 'https://orders.example.com';

/**
 * The environment of a command run as a user would run it: an `npm test` run exports npm_* variables
 * (its package, its lifecycle, its config) that would steer the inner npm; only the cache location
 * is kept, where `npm ci` left jose.
 */
function userEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name) && name !== 'NODE_OPTIONS'));
  if (process.env.npm_config_cache !== undefined) env.npm_config_cache = process.env.npm_config_cache;
  return env;
}

const execFileAsync = promisify(execFile);
const run = (command: string, args: readonly string[], cwd: string) => execFileAsync(command, args, { cwd, env: userEnv(), timeout: 150_000, maxBuffer: 16 * 1024 * 1024 });

let workDir: string;
let project: string;
let packedFiles: string[];

beforeAll(async () => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'inkan-verifier-package-'));
  // --ignore-scripts: the test run's global setup has just built dist/; `prepack` would rebuild it
  // while other test files' processes (the CLI, servers) import it.
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', workDir], PACKAGE_DIR);
  const [packed] = JSON.parse(stdout) as [{ filename: string; files: { path: string }[] }];
  packedFiles = packed.files.map((file) => file.path).sort();
  project = path.join(workDir, 'resource-server');
  fs.mkdirSync(project);
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'resource-server', private: true, type: 'module' }));
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', path.join(workDir, packed.filename)], project);
}, 300_000);

afterAll(() => {
  if (workDir !== undefined) fs.rmSync(workDir, { recursive: true, force: true });
});

/** Every file below `dir`, as paths relative to it. */
function filesBelow(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((name) => fs.statSync(path.join(dir, name)).isFile());
}

/**
 * The bare specifiers (packages, built-ins) that the module graph from `entry` imports, following
 * its relative imports (in `.d.ts` files, `./x.js` names `./x.d.ts`), and the files it visited.
 */
function reachableImports(entry: string): { bare: Set<string>; visited: Set<string> } {
  const bare = new Set<string>();
  const visited = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (visited.has(file)) continue;
    visited.add(file);
    const source = fs.readFileSync(file, 'utf8');
    for (const [, specifier] of source.matchAll(/(?:\bfrom|\bimport)\s*\(?\s*['"]([^'"]+)['"]/g)) {
      if (!specifier!.startsWith('.')) {
        bare.add(specifier!);
        continue;
      }
      const target = path.resolve(path.dirname(file), specifier!);
      queue.push(file.endsWith('.d.ts') ? target.replace(/\.js$/, '.d.ts') : target);
    }
  }
  return { bare, visited };
}

describe('the tarball and what it installs', () => {
  it('holds the compiled entries with their declarations, the README and the CHANGELOG, and nothing else', () => {
    expect(packedFiles.filter((file) => !/^dist\/.+\.(js|d\.ts)$/.test(file) && !['package.json', 'README.md', 'CHANGELOG.md'].includes(file))).toEqual([]);
    for (const entry of ['index', 'koa', 'express', 'protocol/index']) {
      expect(packedFiles).toContain(`dist/${entry}.js`);
      expect(packedFiles).toContain(`dist/${entry}.d.ts`);
    }
    expect(packedFiles).toEqual(expect.arrayContaining(['package.json', 'README.md', 'CHANGELOG.md']));
  });

  it('installs @inkan/verifier and jose, nothing else, and no native addon', () => {
    const modules = path.join(project, 'node_modules');
    expect(fs.readdirSync(modules).filter((name) => name !== '.package-lock.json').sort()).toEqual(['@inkan', 'jose']);
    expect(fs.readdirSync(path.join(modules, '@inkan'))).toEqual(['verifier']);
    const lock = JSON.parse(fs.readFileSync(path.join(project, 'package-lock.json'), 'utf8')) as { packages: Record<string, unknown> };
    expect(Object.keys(lock.packages).sort()).toEqual(['', 'node_modules/@inkan/verifier', 'node_modules/jose']);
    const files = filesBelow(modules);
    expect(files.length).toBeGreaterThan(50);
    expect(files.filter((file) => file.endsWith('.node') || path.basename(file) === 'binding.gyp' || file.includes(`node_modules${path.sep}`))).toEqual([]);

    const manifest = JSON.parse(fs.readFileSync(path.join(modules, '@inkan/verifier/package.json'), 'utf8')) as Record<string, any>;
    expect(Object.keys(manifest.dependencies)).toEqual(['jose']);
    expect(manifest.peerDependenciesMeta).toEqual({ express: { optional: true }, koa: { optional: true } });
    expect(Object.keys(manifest.exports)).toEqual(['.', './koa', './express', './protocol', './package.json']);
    expect(manifest.engines).toEqual({ node: '>=20.19' });
    expect(Object.keys(manifest.scripts ?? {}).filter((name) => /install/.test(name))).toEqual([]);
  });

  it('has a main entry that reaches jose and Node built-ins only, and adapters that need no framework at run time', () => {
    const dist = path.join(project, 'node_modules/@inkan/verifier/dist');
    const notJoseOrNode = (bare: Set<string>) => [...bare].filter((specifier) => specifier !== 'jose' && !specifier.startsWith('node:'));
    // The walk reaches the verifier's internals (and their declarations), not just the entry.
    for (const [entry, internal] of [['index.js', 'feed-subscription.js'], ['index.d.ts', 'verifier-types.d.ts']] as const) {
      const { bare, visited } = reachableImports(path.join(dist, entry));
      expect(visited).toContain(path.join(dist, internal));
      expect(notJoseOrNode(bare), entry).toEqual([]);
    }
    expect(notJoseOrNode(reachableImports(path.join(dist, 'koa.js')).bare)).toEqual([]);
    expect(notJoseOrNode(reachableImports(path.join(dist, 'express.js')).bare)).toEqual([]);
    expect(notJoseOrNode(reachableImports(path.join(dist, 'koa.d.ts')).bare)).toEqual(['koa']);
    expect(notJoseOrNode(reachableImports(path.join(dist, 'express.d.ts')).bare)).toEqual(['express']);
  });
});

// Run with plain node in the installed project. Line 1 of stdin: the configuration; line 2: "revoked".
const SCRIPT = `
import { createInterface } from 'node:readline';
import { createVerifier, VerifierError } from '@inkan/verifier';

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const say = (value) => process.stdout.write(JSON.stringify(value) + '\\n');
const resolvable = (specifier) => { try { import.meta.resolve(specifier); return true; } catch { return false; } };

const config = JSON.parse((await lines.next()).value);
const verifier = createVerifier({ issuer: config.issuer, audience: config.audience, clientId: config.clientId, clientSecret: config.clientSecret });
const claims = await verifier.verify(config.token);
const subpaths = {};
for (const subpath of ['koa', 'express', 'protocol']) subpaths[subpath] = Object.keys(await import('@inkan/verifier/' + subpath)).sort();
say({
  verified: claims.jti,
  feedConnected: verifier.stats().feedConnected,
  sdk: import.meta.resolve('@inkan/verifier'),
  koaInstalled: resolvable('koa'),
  expressInstalled: resolvable('express'),
  subpaths,
});

await lines.next();
const revokedAt = Date.now();
for (;;) {
  try {
    await verifier.verify(config.token);
  } catch (error) {
    say({ rejected: error instanceof VerifierError, code: error.code, afterMs: Date.now() - revokedAt });
    break;
  }
  if (Date.now() - revokedAt > 5000) {
    say({ rejected: false });
    break;
  }
  await new Promise((resolve) => setTimeout(resolve, 10));
}
await verifier.close();
`;

describe('the installed SDK, run with plain node', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startInkan();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('verifies an Inkan access token, then rejects it with ERR_TOKEN_REVOKED once RFC 7009 revoked it, through the feed', async () => {
    const feedClient = await registerClient(server, ['--name', 'orders-api', '--scope', 'revocations:read']);
    const shop = await registerClient(server, ['--name', 'shop', '--scope', 'orders', '--resources', API]);
    const token = await clientCredentialsToken(server.issuer, shop, { resource: API, scope: 'orders' });
    fs.writeFileSync(path.join(project, 'verify-and-revoke.mjs'), SCRIPT);

    const child = spawn(process.execPath, ['verify-and-revoke.mjs'], { cwd: project, env: userEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const answers = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const next = async () => {
      const line = await answers.next();
      if (line.done === true) throw new Error(`the script ended early: ${stderr}`);
      return JSON.parse(line.value) as Record<string, unknown>;
    };

    child.stdin.write(`${JSON.stringify({ issuer: server.issuer, audience: API, clientId: feedClient.client_id, clientSecret: feedClient.client_secret, token })}\n`);
    const verified = await next();
    expect(verified).toMatchObject({
      feedConnected: true,
      sdk: `file://${fs.realpathSync(project)}/node_modules/@inkan/verifier/dist/index.js`,
      koaInstalled: false,
      expressInstalled: false,
      subpaths: {
        koa: ['verifierMiddleware'],
        express: ['verifierMiddleware'],
        protocol: expect.arrayContaining(['checkDpopProof', 'isCoveredBy', 'recordFromSecurityEvent', 'statusAt']),
      },
    });
    expect(verified.verified).toEqual(expect.any(String));

    await revokeToken(server.issuer, shop, token);
    child.stdin.write('revoked\n');
    const revoked = await next();
    expect(revoked).toMatchObject({ rejected: true, code: 'ERR_TOKEN_REVOKED' });
    expect(revoked.afterMs).toBeLessThan(1000);
    child.stdin.end();
    expect(await exited).toBe(0);
    expect(stderr).toBe('');
  });
});

it("keeps inkan/verifier and inkan/verifier/koa as the package's own modules", async () => {
  const probe = `
    const [server, sdk, serverKoa, sdkKoa] = await Promise.all([import('inkan/verifier'), import('@inkan/verifier'), import('inkan/verifier/koa'), import('@inkan/verifier/koa')]);
    console.log(JSON.stringify({
      sameMain: server === sdk,
      sameKoa: serverKoa === sdkKoa,
      mainHasKoaMiddleware: 'verifierMiddleware' in server,
      resolved: import.meta.resolve('inkan/verifier'),
    }));`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '--eval', probe], ROOT);
  expect(JSON.parse(stdout)).toEqual({
    sameMain: true,
    sameKoa: true,
    mainHasKoaMiddleware: false,
    resolved: `file://${path.join(fs.realpathSync(ROOT), 'packages/verifier/dist/index.js')}`,
  });
});
