/**
 * Feed faults against a scripted issuer: malformed, forged and truncated events are ignored and
 * logged (never a crash), the client reconnects with Last-Event-ID after the stream drops, and
 * applies what it missed.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createVerifier, VerifierError } from '@inkan/verifier';
import { scriptedIssuer, type ScriptedIssuer } from './scripted-issuer.js';
import { securityEventClaims } from '@inkan/verifier/protocol';
import type { RevocationRecord } from '@inkan/verifier/protocol';

let api: ScriptedIssuer;
let issuer: string;
const lastEventIds: Array<string | undefined> = [];
let sign: (claims: Record<string, unknown>, typ: string, forged?: boolean) => Promise<string>;

const now = () => Math.floor(Date.now() / 1000);
const record = (id: number, jti: string): RevocationRecord => ({ id, target: { kind: 'jti', jti }, createdAt: now(), expiresAt: now() + 600 });

beforeAll(async () => {
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const forger = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'EdDSA', use: 'sig' };
  sign = (claims, typ, forged = false) =>
    new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', kid: 'k1', typ }).sign(forged ? forger.privateKey : privateKey);

  api = await scriptedIssuer({
    jwks: () => [jwk],
    feed: async (req, res) => {
      lastEventIds.push(req.headers['last-event-id'] as string | undefined);
      const event = (id: number | string, data: string) => `id: ${id}\nevent: revocation\ndata: ${data}\n\n`;
      if (lastEventIds.length === 1) {
        res.write('retry: 100\n\nevent: reset\ndata: {}\n\n');
        res.write(event(7, 'this is not a JWT'));
        res.write(event(8, await sign(securityEventClaims(record(8, 'forged'), issuer), 'secevent+jwt', true)));
        res.write(event(9, await sign({ iss: issuer, events: { 'urn:example:unknown': {} } }, 'secevent+jwt')));
        res.write(event(10, await sign(securityEventClaims(record(10, 'wrong-typ'), issuer), 'JWT')));
        res.write(event(1, await sign(securityEventClaims(record(1, 'revoked-1'), issuer), 'secevent+jwt')));
        res.write('event: ready\ndata: {"last_event_id":1}\n\n');
        // A truncated event, then the connection drops.
        res.end(`id: 2\nevent: revocation\ndata: ${(await sign(securityEventClaims(record(2, 'revoked-2'), issuer), 'secevent+jwt')).slice(0, 40)}`);
        return;
      }
      res.write(event(2, await sign(securityEventClaims(record(2, 'revoked-2'), issuer), 'secevent+jwt')));
      res.write(': heartbeat\n\n');
      res.write('event: ready\ndata: {"last_event_id":2}\n\n');
    },
  });
  issuer = api.issuer;
});
afterAll(async () => {
  await api.close();
});

it('ignores and logs malformed, forged and truncated events, then resumes with Last-Event-ID', async () => {
  const warnings: string[] = [];
  const verifier = createVerifier({
    issuer,
    audience: 'https://api.example.com',
    clientId: 'rs',
    clientSecret: 'secret',
    logger: { warn: (_details, message) => warnings.push(message) },
  });
  try {
    await verifier.ready();
    const started = Date.now();
    while (verifier.stats().revocationRecords < 2 && Date.now() - started < 5000) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(verifier.stats().revocationRecords).toBe(2);
    expect(verifier.stats().lastEventId).toBe(2);
    expect(lastEventIds).toEqual([undefined, '1']);
    expect(warnings.filter((message) => message === 'ignored a malformed revocation event')).toHaveLength(4);

    const token = (jti: string) =>
      sign({ iss: issuer, sub: 'u', aud: 'https://api.example.com', iat: now(), exp: now() + 60, jti, client_id: 'app' }, 'at+jwt');
    for (const jti of ['revoked-1', 'revoked-2']) {
      const error = await verifier.verify(await token(jti)).catch((caught: unknown) => caught);
      expect((error as VerifierError).code).toBe('ERR_TOKEN_REVOKED');
    }
    for (const jti of ['forged', 'wrong-typ', 'fine']) await expect(verifier.verify(await token(jti))).resolves.toMatchObject({ jti });
  } finally {
    await verifier.close();
  }
});
