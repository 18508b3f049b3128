/**
 * The boundaries `npm run lint` enforces (eslint.config.js), proved on code that breaks them: each
 * layer-defining dependency is refused outside its one place, `process.env` outside src/config.ts,
 * and anything but jose (and an adapter's own framework) inside the verifier SDK. The same code is
 * accepted where the boundary allows it.
 */
import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/inkan.js';

const eslint = new ESLint({ cwd: ROOT });

/** The messages ESLint reports for `code` as if it were the file `file` (relative to the repository). */
async function problems(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, file) });
  return result!.messages.map((message) => `${message.ruleId}: ${message.message}`);
}

describe('the layers of src/', () => {
  it.each([
    ['koa', 'src/login/sessions.ts', "import Koa from 'koa';"],
    ['@koa/router', 'src/grants/grant.ts', "import Router from '@koa/router';"],
    ['knex', 'src/http/cors.ts', "import knex from 'knex';"],
    ['better-sqlite3', 'src/revocation/service.ts', "import Database from 'better-sqlite3';"],
    ['pg', 'src/accounts/users.ts', "import pg from 'pg';"],
    ['argon2', 'src/storage/knex/user-store.ts', "import argon2 from 'argon2';"],
    ['argon2', 'src/accounts/users.ts', "import * as argon2 from 'argon2';"],
    ['@simplewebauthn/server', 'src/login/authorizer.ts', "import { verifyAuthenticationResponse } from '@simplewebauthn/server';"],
    ['@opentelemetry/api', 'src/storage/knex/statement-spans.ts', "import { trace } from '@opentelemetry/api';"],
    ['@opentelemetry/sdk-trace', 'src/server.ts', "import { TracerProvider } from '@opentelemetry/sdk-trace';"],
  ])('refuses %s in %s', async (module, file, code) => {
    const found = await problems(file, code);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(new RegExp(`^no-restricted-imports: '${module.replace('/', '\\/')}' import is restricted`));
  });

  it.each([
    ['src/http/cors.ts', "import Koa from 'koa';"],
    ['src/storage/knex/user-store.ts', "import knex from 'knex';"],
    ['src/accounts/passwords.ts', "import argon2 from 'argon2';"],
    ['src/passkeys/ceremonies.ts', "import { verifyAuthenticationResponse } from '@simplewebauthn/server';"],
    ['src/tracing/sdk.ts', "import { TracerProvider } from '@opentelemetry/sdk-trace';"],
  ])('allows it in its place: %s', async (file, code) => {
    expect(await problems(file, code)).toEqual([]);
  });

  it('reads process.env in src/config.ts only', async () => {
    expect(await problems('src/config.ts', 'export const port = process.env.PORT;')).toEqual([]);
    expect(await problems('src/server.ts', 'export const port = process.env.PORT;')).toEqual([
      'no-restricted-properties: \'process.env\' is restricted from being used. read the environment in src/config.ts only, and pass the typed Config in',
    ]);
  });
});

describe('the verifier SDK', () => {
  it('imports jose, Node built-ins and its own modules only', async () => {
    expect(await problems('packages/verifier/src/verifier.ts', "import { jwtVerify } from 'jose';\nimport crypto from 'node:crypto';\nimport { fail } from './errors.js';")).toEqual([]);
    for (const code of ["import pino from 'pino';", "import type { Context } from 'koa';", "import { x } from '../../../src/config.js';", "import knex from 'knex';"]) {
      expect(await problems('packages/verifier/src/verifier.ts', code), code).toHaveLength(1);
    }
  });

  it('lets an adapter name its own framework, and only that one', async () => {
    expect(await problems('packages/verifier/src/koa.ts', "import type { Middleware } from 'koa';")).toEqual([]);
    expect(await problems('packages/verifier/src/express.ts', "import type { RequestHandler } from 'express';")).toEqual([]);
    expect(await problems('packages/verifier/src/koa.ts', "import type { RequestHandler } from 'express';")).toHaveLength(1);
  });
});
