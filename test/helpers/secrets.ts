/**
 * The test run's list of secrets: every client secret, password, access/refresh/ID token, code and
 * session cookie that the test helpers handle is appended (one JSON string per line) to
 * test-output/secrets/<pid>.txt. After the run, the global teardown (test/global-setup.ts) scans
 * every log written during the run (test-output/logs) for any of them: a log must never hold one.
 * `findSecretsInLogs` is that scan, kept here so a test can prove it finds what it should.
 */
import fs from 'node:fs';
import path from 'node:path';

export const ROOT_DIR = path.resolve(import.meta.dirname, '../..');
export const SECRETS_DIR = path.join(ROOT_DIR, 'test-output', 'secrets');
export const LOGS_DIR = path.join(ROOT_DIR, 'test-output', 'logs');

/** Shorter values (or none at all) could appear in a log by chance; nothing Inkan issues is this short. */
const MIN_SECRET_LENGTH = 8;

/** Records secrets the tests handle; undefined and short values are ignored. */
export function recordSecrets(...values: readonly (string | undefined | null)[]): void {
  const lines = values
    .filter((value): value is string => typeof value === 'string' && value.length >= MIN_SECRET_LENGTH)
    .map((value) => `${JSON.stringify(value)}\n`);
  if (lines.length === 0) return;
  fs.mkdirSync(SECRETS_DIR, { recursive: true });
  fs.appendFileSync(path.join(SECRETS_DIR, `${process.pid}.txt`), lines.join(''));
}

/** Records the secrets in a token endpoint (or similar) JSON answer. */
export function recordTokenResponse(body: unknown): void {
  if (typeof body !== 'object' || body === null) return;
  const fields = body as Record<string, unknown>;
  for (const name of ['access_token', 'refresh_token', 'id_token', 'client_secret']) {
    const value = fields[name];
    if (typeof value === 'string') recordSecrets(value);
  }
}

function filesSince(dir: string, sinceMs: number, suffix: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((name) => name.endsWith(suffix))
    .map((name) => path.join(dir, name))
    .filter((file) => fs.statSync(file).mtimeMs >= sinceMs);
}

export function readSecrets(dir: string, sinceMs: number): Set<string> {
  const secrets = new Set<string>();
  for (const file of filesSince(dir, sinceMs, '.txt')) {
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      if (line === '') continue;
      try {
        secrets.add(JSON.parse(line) as string);
      } catch {
        // a line cut by a concurrent writer: the rest of the file still counts
      }
    }
  }
  return secrets;
}

export interface SecretFinding {
  readonly file: string;
  /** The secret's first 6 characters only, so the report itself leaks nothing usable. */
  readonly secretPrefix: string;
}

/**
 * Every (log file, secret) pair where the log holds the secret. Base64url secrets and JWTs are
 * looked up among the log's base64url words (a JWT by its signature, which nothing else shares);
 * other secrets (passwords) are searched for as plain substrings, in clear and JSON-escaped.
 */
export function findSecretsInLogs(secrets: ReadonlySet<string>, logsDir: string, sinceMs: number): SecretFinding[] {
  const words: string[] = [];
  const others: string[] = [];
  for (const secret of secrets) {
    const parts = secret.split('.');
    if (parts.length === 3 && parts.every((part) => /^[A-Za-z0-9_-]+$/.test(part))) words.push(parts[2]!);
    else if (/^[A-Za-z0-9_-]+$/.test(secret)) words.push(secret);
    else others.push(secret);
  }
  const findings: SecretFinding[] = [];
  for (const file of filesSince(logsDir, sinceMs, '.log')) {
    const text = fs.readFileSync(file, 'utf8');
    const present = new Set(text.match(/[A-Za-z0-9_-]{8,}/g) ?? []);
    for (const word of words) if (present.has(word)) findings.push({ file, secretPrefix: word.slice(0, 6) });
    for (const other of others) {
      if (text.includes(other) || text.includes(JSON.stringify(other).slice(1, -1))) findings.push({ file, secretPrefix: other.slice(0, 6) });
    }
  }
  return findings;
}
