/**
 * The scan that the global teardown runs over every log of the test run (test/helpers/secrets.ts)
 * finds what it must: a JWT (by its signature), a base64url secret and a password, in clear or
 * JSON-escaped; and nothing else. The real scan then proves no log of the run holds a secret.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { findSecretsInLogs } from './secrets.js';

it('finds each kind of recorded secret in a log, and reports only a prefix', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'inkan-scan-'));
  const jwt = 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLW9mLXRoZS10b2tlbi0xMjM0NTY3ODkw';
  const secret = 'k3Jv9fQ2mN8xL4pR7tW1yB6cD0eH5gA_-zZsUuIiOoP';
  const password = 'correct horse "battery" staple';
  fs.writeFileSync(path.join(dir, 'a.log'), `{"msg":"x","header":"Bearer ${jwt}"}\n`);
  fs.writeFileSync(path.join(dir, 'b.log'), `{"msg":"client ${secret} here"}\n{"password":${JSON.stringify(password)}}\n`);
  fs.writeFileSync(path.join(dir, 'clean.log'), `{"msg":"nothing ${secret.slice(0, 20)} to see","jti":"c2lnbmF0dXJl"}\n`);
  fs.writeFileSync(path.join(dir, 'ignored.txt'), secret);
  const findings = findSecretsInLogs(new Set([jwt, secret, password, 'never-logged-secret-value']), dir, 0);
  expect(findings.map((finding) => [path.basename(finding.file), finding.secretPrefix]).sort()).toEqual([
    ['a.log', 'c2lnbm'],
    ['b.log', 'correc'],
    ['b.log', 'k3Jv9f'],
  ]);
});

it('looks only at logs written since the run started', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'inkan-scan-'));
  const file = path.join(dir, 'old.log');
  fs.writeFileSync(file, 'a-secret-from-an-earlier-run');
  fs.utimesSync(file, new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000));
  expect(findSecretsInLogs(new Set(['a-secret-from-an-earlier-run']), dir, Date.now() - 60_000)).toEqual([]);
});
